// A fixed-width SIMD vector (64 bytes: 16 floats or 8 doubles) from GCC/Clang
// vector extensions, which compile to AVX-512, AVX2 or SSE registers as the
// CPU allows (the extension is built with -march=native).
#pragma once

#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace kanlab_cpu {

template <typename T>
struct Simd {
  static constexpr int N = 64 / sizeof(T);  // lanes
  typedef T V __attribute__((vector_size(64)));

  static inline V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
  }
  static inline void store(T* p, const V& v) { std::memcpy(p, &v, sizeof(V)); }
  static inline V splat(T a) { return V{} + a; }
  // Sum of the lanes: AVX-512's reduction where available, else by halving.
  static inline T sum(const V& v) {
#if defined(__AVX512F__)
    if constexpr (sizeof(T) == 4) {
      __m512 r;
      std::memcpy(&r, &v, 64);
      return _mm512_reduce_add_ps(r);
    } else {
      __m512d r;
      std::memcpy(&r, &v, 64);
      return _mm512_reduce_add_pd(r);
    }
#endif
    return sum_halves(v);
  }
  static inline T sum_halves(const V& v) {
    typedef T H __attribute__((vector_size(32)));
    typedef T Q __attribute__((vector_size(16)));
    H a, b;
    std::memcpy(&a, &v, 32);
    std::memcpy(&b, reinterpret_cast<const char*>(&v) + 32, 32);
    a += b;
    Q c, d;
    std::memcpy(&c, &a, 16);
    std::memcpy(&d, reinterpret_cast<const char*>(&a) + 16, 16);
    c += d;
    T s = T(0);
    for (int i = 0; i < int(16 / sizeof(T)); ++i) s += c[i];
    return s;
  }
};

}  // namespace kanlab_cpu

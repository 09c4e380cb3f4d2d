// A fixed-width SIMD vector (64 bytes: 16 floats or 8 doubles) from GCC/Clang
// vector extensions, which compile to AVX-512, AVX2 or SSE registers as the
// CPU allows (the extension is built with -march=native).
#pragma once

#include <cstring>
#include <utility>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace kanlab_cpu {

template <typename T>
struct Simd {
  static constexpr int N = 64 / sizeof(T);  // lanes
  typedef T V __attribute__((vector_size(64)));

  // V without its 64-byte alignment: loads and stores through it are typed
  // accesses of T (a memcpy would be a char access, which may alias any
  // object, so the compiler would reload every pointer after each store).
  typedef T U __attribute__((vector_size(64), aligned(alignof(T))));

  static inline V load(const T* p) { return *reinterpret_cast<const U*>(p); }
  static inline void store(T* p, const V& v) { *reinterpret_cast<U*>(p) = v; }
  // A broadcast, from an initializer of N copies (V{} + a would add a zero: an
  // instruction, and -0 would become +0).
  static inline V splat(T a) { return splat_(a, std::make_index_sequence<N>{}); }
  template <std::size_t... I>
  static inline V splat_(T a, std::index_sequence<I...>) {
    return V{(static_cast<void>(I), a)...};
  }
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

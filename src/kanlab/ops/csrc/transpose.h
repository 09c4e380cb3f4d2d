// Square blocks of one SIMD vector's lanes (16 floats or 8 doubles): a
// transpose, and the sums of N vectors at once, in shuffles of whole
// registers (AVX-512) or, elsewhere, in scalar loops.
#pragma once

#include <cstdint>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "simd.h"

namespace kanlab_cpu {

#if defined(__AVX512F__)
namespace detail {
// The 4 x 4 transpose of the 128-bit lanes of a, b, c, d: out[L] = (a_L, b_L, c_L, d_L).
inline void transpose_lanes(__m512 a, __m512 b, __m512 c, __m512 d, __m512 (&out)[4]) {
  const __m512 p0 = _mm512_shuffle_f32x4(a, b, 0x44), p1 = _mm512_shuffle_f32x4(a, b, 0xEE);
  const __m512 q0 = _mm512_shuffle_f32x4(c, d, 0x44), q1 = _mm512_shuffle_f32x4(c, d, 0xEE);
  out[0] = _mm512_shuffle_f32x4(p0, q0, 0x88), out[1] = _mm512_shuffle_f32x4(p0, q0, 0xDD);
  out[2] = _mm512_shuffle_f32x4(p1, q1, 0x88), out[3] = _mm512_shuffle_f32x4(p1, q1, 0xDD);
}
inline __m512 as_ps(__m512d v) { return _mm512_castpd_ps(v); }
inline __m512d as_pd(__m512 v) { return _mm512_castps_pd(v); }
}  // namespace detail
#endif

// dst[i * ld + j] = src[j * stride + i] for i, j < N (N = Simd<T>::N).
template <typename T>
__attribute__((always_inline)) inline void transpose_block(const T* src, int64_t stride, T* dst, int64_t ld) {
  constexpr int N = Simd<T>::N;
#if defined(__AVX512F__)
  using detail::as_pd;
  using detail::as_ps;
  __m512 r[N], t[N];
  for (int j = 0; j < N; ++j) r[j] = _mm512_loadu_ps(reinterpret_cast<const float*>(src + j * stride));
  if constexpr (N == 16) {
    // Pairs of rows, then of pairs: u[4g + c] holds, in lane L, column 4L + c of rows 4g..4g+3.
    for (int j = 0; j < 16; j += 2)
      t[j] = _mm512_unpacklo_ps(r[j], r[j + 1]), t[j + 1] = _mm512_unpackhi_ps(r[j], r[j + 1]);
    for (int g = 0; g < 16; g += 4)
      for (int c = 0; c < 2; ++c) {
        r[g + 2 * c] = as_ps(_mm512_unpacklo_pd(as_pd(t[g + c]), as_pd(t[g + c + 2])));
        r[g + 2 * c + 1] = as_ps(_mm512_unpackhi_pd(as_pd(t[g + c]), as_pd(t[g + c + 2])));
      }
    for (int c = 0; c < 4; ++c) {
      __m512 out[4];
      detail::transpose_lanes(r[c], r[4 + c], r[8 + c], r[12 + c], out);
      for (int L = 0; L < 4; ++L) _mm512_storeu_ps(reinterpret_cast<float*>(dst + (4 * L + c) * ld), out[L]);
    }
  } else {
    // Doubles: t[2g + c] holds, in lane L, column 2L + c of rows 2g, 2g + 1.
    for (int j = 0; j < 8; j += 2) {
      t[j] = as_ps(_mm512_unpacklo_pd(as_pd(r[j]), as_pd(r[j + 1])));
      t[j + 1] = as_ps(_mm512_unpackhi_pd(as_pd(r[j]), as_pd(r[j + 1])));
    }
    for (int c = 0; c < 2; ++c) {
      __m512 out[4];
      detail::transpose_lanes(t[c], t[2 + c], t[4 + c], t[6 + c], out);
      for (int L = 0; L < 4; ++L) _mm512_storeu_ps(reinterpret_cast<float*>(dst + (2 * L + c) * ld), out[L]);
    }
  }
#else
  for (int j = 0; j < N; ++j)
    for (int i = 0; i < N; ++i) dst[i * ld + j] = src[j * stride + i];
#endif
}

// The sums of N vectors v[0..N) (each N lanes, contiguous): out[j] = sum of v[j].
template <typename T>
__attribute__((always_inline)) inline void row_sums(const T* v, T* out) {
  constexpr int N = Simd<T>::N;
#if defined(__AVX512F__)
  if constexpr (N == 16) {
    using detail::as_pd;
    using detail::as_ps;
    // Pairs: lane L of s[j] holds (v2j, v2j+1) partial sums of positions 0+2, 1+3.
    // (Loaded pair by pair: a loop of loads into an array becomes a memcpy.)
    const float* p = reinterpret_cast<const float*>(v);
    __m512 s[8];
    for (int j = 0; j < 8; ++j) {
      const __m512 a = _mm512_loadu_ps(p + 32 * j), b = _mm512_loadu_ps(p + 32 * j + 16);
      s[j] = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    }
    // Pairs of pairs: lane L of w[g] holds the lane-L sums of v4g .. v4g+3.
    __m512 w[4];
    for (int g = 0; g < 4; ++g)
      w[g] = _mm512_add_ps(as_ps(_mm512_unpacklo_pd(as_pd(s[2 * g]), as_pd(s[2 * g + 1]))),
                           as_ps(_mm512_unpackhi_pd(as_pd(s[2 * g]), as_pd(s[2 * g + 1]))));
    // Sum over the four lanes: lane g of the result is v4g .. v4g+3's sums.
    __m512 out4[4];
    detail::transpose_lanes(w[0], w[1], w[2], w[3], out4);
    const __m512 total = _mm512_add_ps(_mm512_add_ps(out4[0], out4[1]),
                                       _mm512_add_ps(out4[2], out4[3]));
    _mm512_storeu_ps(reinterpret_cast<float*>(out), total);
    return;
  }
#endif
  for (int j = 0; j < N; ++j) out[j] = Simd<T>::sum(Simd<T>::load(v + j * N));
}

}  // namespace kanlab_cpu

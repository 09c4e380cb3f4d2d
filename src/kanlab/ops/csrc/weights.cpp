// Packing of a layer's parameters into combined weights with the outputs last,
// W (F, S, Op) = [scale_base * mask | scale_sp * mask * coef] zero-padded to
// Op outputs, for the local kernels (whose backward pass splits the gradient
// itself, input by input, local_support.cpp).  A transpose, done in tiles of
// N inputs x N outputs (N SIMD lanes) by register transposes, so coef is read
// and W written in whole vectors.  combine_weights and split_grads do the
// same with the outputs first, W (O, F, S), for the dense GEMMs
// (combine_weights also without the last spline, see spline_strategies.py),
// and the reverse for their gradient.  Parallel over blocks of inputs (or
// outputs), so no two threads write the same memory.
#include "parallel.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "edges.h"
#include "kernels.h"
#include "simd.h"
#include "transpose.h"

namespace kanlab_cpu {
namespace {
// Outputs per chunk of combine_weights and split_grads (parallel.h).
constexpr int64_t kOutputGrain = 8;

void check_params(const at::Tensor& coef, const at::Tensor& scale_sp, const at::Tensor& mask,
                  const at::Tensor& scale_base) {
  TORCH_CHECK(coef.dim() == 3 && coef.is_contiguous(), "coef must be a contiguous (O, F, n) tensor");
  const auto O = coef.size(0), F = coef.size(1);
  for (const at::Tensor* t : {&scale_sp, &mask, &scale_base}) {
    TORCH_CHECK(t->dim() == 2 && t->size(0) == O && t->size(1) == F && t->is_contiguous() &&
                    t->scalar_type() == coef.scalar_type(),
                "scale_base, scale_sp and mask must be contiguous (O, F) tensors of coef's dtype");
  }
}

// combine_edge_relative over the run of edges f = 0 .. nf - 1 of one output
// (coef, scale and mask at [f], weights at w + f * S, S = nb + n - 1); returns
// the sum of their last splines' weights.  For float edges of n <= 16, each
// edge is one masked vector (the scalar loop of n - 1 would not vectorise).
template <typename T>
inline T combine_run_relative(const T* __restrict coef, const T* __restrict sb,
                              const T* __restrict ss, const T* __restrict m, int64_t nf,
                              int64_t n, int64_t nb, T* __restrict w) {
  const int64_t S = nb + n - 1;
  T share = T(0);
  int64_t f = 0;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (n <= 16) {  // (so S <= 16)
      const auto splines = static_cast<__mmask16>((1u << n) - 1);
      const auto slots = static_cast<__mmask16>((1u << S) - 1);
      // lane l <- lane l - nb: the splines after the base slot
      const __m512i shift = _mm512_sub_epi32(
          _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
          _mm512_set1_epi32(static_cast<int32_t>(nb)));
      for (; f < nf; ++f) {
        const float* c = coef + f * n;
        const float scale = ss[f] * m[f], last = c[n - 1];
        __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(splines, c), _mm512_set1_ps(last)),
                                 _mm512_set1_ps(scale));
        if (nb) v = _mm512_mask_mov_ps(_mm512_permutexvar_ps(shift, v), 1, _mm512_set1_ps(sb[f] * m[f]));
        _mm512_mask_storeu_ps(w + f * S, slots, v);
        share += last * scale;
      }
    }
  }
#endif
  for (; f < nf; ++f)
    share += combine_edge_relative(coef + f * n, sb[f], ss[f], m[f], n, nb, w + f * S);
  return share;
}

// A layer's parameters, as pack_tile reads them.
template <typename T>
struct Params {
  const T *coef, *scale_base, *scale_sp, *mask;
  int64_t O, F, n, nb;
};

// v stored at p: all N lanes, or the first `count` (a row's last, partial tile).
template <typename T>
inline void store_lanes(T* p, const typename Simd<T>::V& v, int64_t count) {
  if (count >= Simd<T>::N)
    Simd<T>::store(p, v);
  else
    std::memcpy(p, &v, count * sizeof(T));
}

// One tile of the packed weights W (F, S, padded) for the local kernels: inputs
// [f0, f0 + nf) and outputs [o0, o0 + N), N = SIMD lanes, nf <= N.  Each run
// of N parameters along a row of coef (o fixed, consecutive (f, s)) becomes a
// column of W by an N x N register transpose (transpose.h), scaled by
// scale_sp * mask of its edges and stored as one vector: W is written in whole
// vectors, coef read in whole vectors.  Outputs past O get zeros.
template <typename T>
void pack_tile(const Params<T>& p, int64_t f0, int64_t nf, int64_t o0, int64_t padded, T* w) {
  using V = typename Simd<T>::V;
  constexpr int64_t N = Simd<T>::N;
  const int64_t S = p.n + p.nb, no = std::clamp<int64_t>(p.O - o0, 0, N);
  const int64_t lanes = std::min(N, padded - o0);
  auto row = [&](int64_t f, int64_t s) { return w + (f * S + s) * padded + o0; };
  if (no == 0) {  // padding only
    for (int64_t f = f0; f < f0 + nf; ++f)
      for (int64_t s = 0; s < S; ++s) std::fill(row(f, s), row(f, s) + lanes, T(0));
    return;
  }
  alignas(64) T stage[N * N], scale[N * N], cols[N * N];
  // (o, f) parameters of the tile, transposed: out[i * N + j] = a[o0 + j, f0 + i] * mask.
  auto edges = [&](const T* a, T* out) {
    for (int64_t j = 0; j < N; ++j) {
      const int64_t of = (o0 + j) * p.F + f0;
      if (j < no && nf == N)
        Simd<T>::store(stage + j * N, Simd<T>::load(a + of) * Simd<T>::load(p.mask + of));
      else
        for (int64_t i = 0; i < N; ++i) stage[j * N + i] = j < no && i < nf ? a[of + i] * p.mask[of + i] : T(0);
    }
    transpose_block(stage, N, out, N);
  };
  if (p.nb) {
    edges(p.scale_base, cols);
    for (int64_t i = 0; i < nf; ++i) store_lanes(row(f0 + i, 0), Simd<T>::load(cols + i * N), lanes);
  }
  edges(p.scale_sp, scale);
  // Row o0 + j of coef from input f0 on: nf * n consecutive parameters (f, s).
  const T* rows = p.coef + (o0 * p.F + f0) * p.n;
  const int64_t stride = p.F * p.n, L = nf * p.n;
  int64_t i = 0, s = 0;  // the edge and spline of position q
  for (int64_t q0 = 0; q0 < L; q0 += N) {
    const int64_t count = std::min(N, L - q0);
    const T* src = rows + q0;
    int64_t ld = stride;
    if (no < N || count < N) {  // a partial tile: staged with zeros (never read past coef)
      for (int64_t j = 0; j < N; ++j)
        for (int64_t t = 0; t < N; ++t)
          stage[j * N + t] = j < no && t < count ? rows[j * stride + q0 + t] : T(0);
      src = stage, ld = N;
    }
    transpose_block(src, ld, cols, N);
    for (int64_t t = 0; t < count; ++t) {
      const V v = Simd<T>::load(cols + t * N) * Simd<T>::load(scale + i * N);
      store_lanes(row(f0 + i, p.nb + s), v, lanes);
      if (++s == p.n) s = 0, ++i;
    }
  }
}

}  // namespace

// The parameters, and the gradient buffers the kernels write (the parameters' shapes).
void check_grad_outputs(const at::Tensor& coef, const at::Tensor& scale_base,
                        const at::Tensor& scale_sp, const at::Tensor& mask,
                        const at::Tensor& g_coef, const at::Tensor& g_base,
                        const at::Tensor& g_sp) {
  check_params(coef, scale_sp, mask, scale_base);
  check_params(g_coef, g_sp, g_base, g_base);
  TORCH_CHECK(g_coef.sizes() == coef.sizes(), "g_coef must have coef's shape");
}

at::Tensor pack_weights(const at::Tensor& coef, const at::Tensor& scale_base,
                        const at::Tensor& scale_sp, const at::Tensor& mask, bool base,
                        int64_t padded, int64_t first, int64_t last) {
  check_params(coef, scale_sp, mask, scale_base);
  const int64_t O = coef.size(0), F = coef.size(1), n = coef.size(2), nb = base ? 1 : 0;
  const int64_t S = n + nb;
  TORCH_CHECK(padded >= O, "padded outputs must be at least the outputs");
  TORCH_CHECK(0 <= first && first <= last && last <= F, "bad range of inputs");
  auto W = at::empty({last - first, S, padded}, coef.options());
  AT_DISPATCH_FLOATING_TYPES(coef.scalar_type(), "kanlab_pack_weights", [&] {
    using T = scalar_t;
    constexpr int64_t N = Simd<T>::N;
    const Params<T> p{coef.data_ptr<T>(), scale_base.data_ptr<T>(), scale_sp.data_ptr<T>(),
                      mask.data_ptr<T>(), O, F, n, nb};
    T* w = W.data_ptr<T>() - first * S * padded;  // indexed by input f in [first, last)
    parallel_for(first, last, N, [&](int64_t fa, int64_t fb) {
      for (int64_t f0 = fa; f0 < fb; f0 += N)  // all tiles of N inputs, then the next N
        for (int64_t o0 = 0; o0 < padded; o0 += N)
          pack_tile(p, f0, std::min(N, fb - f0), o0, padded, w);
    });
  });
  return W;
}

void combine_weights(const at::Tensor& coef, const at::Tensor& scale_base,
                     const at::Tensor& scale_sp, const at::Tensor& mask, bool base, int64_t first,
                     int64_t last, const at::Tensor& W, bool drop_last, const at::Tensor& bias) {
  check_params(coef, scale_sp, mask, scale_base);
  const int64_t O = coef.size(0), F = coef.size(1), n = coef.size(2), nb = base ? 1 : 0;
  const int64_t S = n + nb - (drop_last ? 1 : 0), nf = last - first;
  TORCH_CHECK(0 <= first && first <= last && last <= F, "bad range of inputs");
  TORCH_CHECK(!drop_last || n >= 2, "drop_last needs at least two splines");
  TORCH_CHECK(W.is_contiguous() && W.numel() == O * nf * S && W.scalar_type() == coef.scalar_type(),
              "W must be a contiguous tensor of O * inputs * S elements of coef's dtype");
  const bool sums = drop_last && bias.numel() > 0;
  TORCH_CHECK(!sums || (bias.is_contiguous() && bias.numel() == O &&
                        bias.scalar_type() == coef.scalar_type()),
              "bias must be empty or a contiguous (O,) tensor of coef's dtype");
  AT_DISPATCH_FLOATING_TYPES(coef.scalar_type(), "kanlab_combine_weights", [&] {
    using T = scalar_t;
    const T* c = coef.data_ptr<T>();
    const T* sb = scale_base.data_ptr<T>();
    const T* ss = scale_sp.data_ptr<T>();
    const T* m = mask.data_ptr<T>();
    T* w = W.data_ptr<T>();
    T* bp = sums ? bias.data_ptr<T>() : nullptr;
    parallel_for(0, O, kOutputGrain, [&](int64_t oa, int64_t ob) {
      for (int64_t o = oa; o < ob; ++o) {
        const int64_t of = o * F + first;
        if (drop_last) {
          const T share = combine_run_relative(c + of * n, sb + of, ss + of, m + of, nf, n, nb,
                                               w + o * nf * S);
          if (sums) bp[o] += share;
          continue;
        }
        for (int64_t f = 0; f < nf; ++f)
          combine_edge(c + (of + f) * n, sb[of + f], ss[of + f], m[of + f], n, nb,
                       w + (o * nf + f) * S, 1);
      }
    });
  });
}

void split_grads(const at::Tensor& gW, const at::Tensor& coef, const at::Tensor& scale_base,
                 const at::Tensor& scale_sp, const at::Tensor& mask, bool base, int64_t first,
                 const at::Tensor& g_coef, const at::Tensor& g_base, const at::Tensor& g_sp,
                 const at::Tensor& totals) {
  check_grad_outputs(coef, scale_base, scale_sp, mask, g_coef, g_base, g_sp);
  const int64_t O = coef.size(0), F = coef.size(1), n = coef.size(2), nb = base ? 1 : 0;
  const bool relative = totals.numel() > 0;  // gW without the last spline's slot
  const int64_t S = n + nb - (relative ? 1 : 0);
  TORCH_CHECK(!relative || (n >= 2 && totals.is_contiguous() && totals.numel() == O &&
                            totals.scalar_type() == coef.scalar_type()),
              "totals must be empty or a contiguous (O,) tensor of coef's dtype");
  TORCH_CHECK(gW.dim() == 3 && gW.is_contiguous() && gW.size(0) == O && gW.size(2) == S &&
                  0 <= first && first + gW.size(1) <= F && gW.scalar_type() == coef.scalar_type(),
              "gW must be a contiguous (O, inputs, S) tensor");
  const int64_t nf = gW.size(1);
  AT_DISPATCH_FLOATING_TYPES(coef.scalar_type(), "kanlab_split_grads", [&] {
    using T = scalar_t;
    const T* g = gW.data_ptr<T>();
    const T* c = coef.data_ptr<T>();
    const T* ss = scale_sp.data_ptr<T>();
    const T* m = mask.data_ptr<T>();
    const T* tp = relative ? totals.data_ptr<T>() : nullptr;
    T* gc = g_coef.data_ptr<T>();
    T* gb = g_base.data_ptr<T>();
    T* gs = g_sp.data_ptr<T>();
    parallel_for(0, O, kOutputGrain, [&](int64_t oa, int64_t ob) {
      for (int64_t o = oa; o < ob; ++o)
        for (int64_t f = first; f < first + nf; ++f) {
          const int64_t of = o * F + f;
          const T* ge = g + (o * nf + f - first) * S;
          if (relative)
            split_edge_relative(ge, tp[o], c + of * n, ss[of], m[of], n, nb, gc + of * n, gb[of],
                                gs[of]);
          else
            split_edge(ge, 1, c + of * n, ss[of], m[of], n, nb, gc + of * n, gb[of], gs[of]);
        }
    });
  });
}

}  // namespace kanlab_cpu

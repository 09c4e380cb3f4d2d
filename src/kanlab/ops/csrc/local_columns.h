// The columns of the local-support kernels (local_support.cpp): one input's
// points over a block of rows, evaluated with their base function and sorted
// by span, the per-thread scratch that fills them, and the base function's
// precomputation.
#pragma once

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "simd.h"
#include "spline_eval.h"
#include "transpose.h"

namespace kanlab_cpu {
namespace local {

template <typename T>
using Buffer = std::unique_ptr<T[]>;

template <typename T>
Buffer<T> buffer(int64_t n) {
  return Buffer<T>(new T[std::max<int64_t>(n, 1)]);
}

// What ATen precomputes (vectorised, elementwise: on x's columns xT here) so
// the kernels can form the base function's values and derivatives per point
// cheaply: sigmoid(x) for SiLU, tanh(x) for tanh, GELU's values and
// derivatives, nothing for identity.
// `given` is sigmoid(x) or tanh(x) when the caller has it (the forward pass's,
// kept for the backward one), else empty.
struct BasePre {
  int64_t code;
  at::Tensor p0, p1;
  BasePre(const at::Tensor& x, int64_t code_, bool values, bool derivs, const at::Tensor& given)
      : code(code_) {
    if ((code == kSilu || code == kTanh) && given.numel() > 0) {
      TORCH_CHECK(given.sizes() == x.sizes() && given.is_contiguous() &&
                      given.scalar_type() == x.scalar_type(),
                  "the base precomputation must be a contiguous tensor of x's shape and dtype");
      p0 = given;
      return;
    }
    switch (code) {
      case kNoBase:
      case kIdentity: break;
      case kSilu: p0 = at::sigmoid(x).contiguous(); break;
      case kTanh: p0 = at::tanh(x).contiguous(); break;
      case kGelu:
        if (values) p0 = at::gelu(x).contiguous();
        if (derivs) p1 = at::gelu_backward(at::ones_like(x), x).contiguous();
        break;
      default: TORCH_CHECK(false, "unknown base function code ", code);
    }
  }
};

// Base-function values (deriv 0) or derivatives (deriv 1) of n points, from
// the points x and the gathered precomputations q0, q1 (see BasePre).
template <typename T>
inline void base_values(int64_t code, int deriv, const T* __restrict x, const T* __restrict q0,
                        const T* __restrict q1, int64_t n, T* __restrict out) {
  switch (code) {
    case kIdentity:
      for (int64_t i = 0; i < n; ++i) out[i] = deriv ? T(1) : x[i];
      break;
    case kSilu:  // s = sigmoid(x): x s, and s (1 + x (1 - s))
      if (deriv) {
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) out[i] = q0[i] * (T(1) + x[i] * (T(1) - q0[i]));
      } else {
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) out[i] = x[i] * q0[i];
      }
      break;
    case kTanh:  // t = tanh(x): t, and 1 - t^2
      if (deriv) {
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) out[i] = T(1) - q0[i] * q0[i];
      } else {
        std::copy(q0, q0 + n, out);
      }
      break;
    case kGelu: std::copy(deriv ? q1 : q0, (deriv ? q1 : q0) + n, out); break;
    default: break;
  }
}

// Values (deriv 0) or derivatives (deriv 1) of the non-zero splines of n
// points x[0..n) of input f0 + j * FS: vals[s * vstride + j] and span[j].
template <int KC, int deriv, int FS, typename T>
inline void eval_run(const Spline<T>& sp, const T* x, int64_t f0, int64_t n, T* vals,
                     int64_t vstride, int32_t* span) {
  if (KC > 0 && sp.uniform) {
    eval_uniform<(KC > 0 ? KC : 1), deriv, FS>(sp, x, f0, n, vals, vstride, span);
    return;
  }
  const int64_t K = sp.k + 1;
  std::vector<T> v(K);
  for (int64_t j = 0; j < n; ++j) {
    span[j] = static_cast<int32_t>(sp.template eval<KC>(x[j], f0 + j * FS, deriv, v.data()));
    for (int64_t s = 0; s < K; ++s) vals[s * vstride + j] = v[s];
  }
}

// One input's points over a block of rows, evaluated and sorted by span: the
// k + 1 weight (or gradient) rows of a span then stay in registers while all
// its points are processed.  Values stay in row order (the kernels read them
// through `order`, as they read the rows of y or gy): set 0 holds the
// values, set 1 the derivatives of the splines and of the base function.
template <typename T>
struct Column {
  int64_t cap, K, G, n = 0;   // capacity in rows, k + 1, spans, rows now
  Buffer<T> vals_;            // 2 sets of K planes of cap
  Buffer<T> bvals_;           // 2 sets of cap base-function values
  Buffer<int32_t> span;       // span of each row
  Buffer<int32_t> order;      // rows in span order
  Buffer<int64_t> start;      // G + 1 bucket starts in order
  Buffer<T> partial;          // per row, a vector of partial sums of gx (grad_x_tile)
  Column(int64_t cap_, int64_t K_, int64_t G_, bool partials = false)
      : cap(cap_), K(K_), G(G_), vals_(buffer<T>(2 * K_ * cap_)), bvals_(buffer<T>(2 * cap_)),
        span(buffer<int32_t>(cap_)), order(buffer<int32_t>(cap_ + 16)), start(buffer<int64_t>(G_ + 1)),
        partial(buffer<T>(partials ? cap_ * Simd<T>::N : 0)) {}

  T* values(int set) const { return vals_.get() + set * K * cap; }
  T* base(int set) const { return bvals_.get() + set * cap; }
};

// Per-thread scratch: the counters of the portable sort, and a panel of the
// columns of gx of kPanel consecutive inputs over a block of rows, written back
// into the rows of gx a square block at a time (a column written straight into
// gx would touch one cache line per row).
template <typename T>
struct Scratch {
  static constexpr int kWays = 4;                     // interleaved counters: independent chains
  static constexpr int64_t kPanel = 64 / sizeof(T);  // inputs per panel
  int64_t R;
  Buffer<T> gxs;  // (kPanel, R) the panel's columns of gx, when with_gx
  Buffer<int64_t> next;
  int64_t f0 = -1, nf = 0, r0 = -1, n = 0;  // the panel: inputs [f0, f0 + nf), rows [r0, r0 + n)
  Scratch(int64_t R_, int64_t G, bool with_gx = false)
      : R(R_), gxs(buffer<T>(with_gx ? kPanel * R_ : 0)), next(buffer<int64_t>(kWays * G)) {}

  // Input f of rows [r0_, r0_ + n_): starts the panel of inputs
  // [f, min(f + kPanel, limit)) unless f is in the current one.
  void begin(int64_t r0_, int64_t n_, int64_t f, int64_t limit) {
    if (r0_ == r0 && n_ == n && f >= f0 && f < f0 + nf) return;
    r0 = r0_, n = n_, f0 = f, nf = std::min(kPanel, limit - f);
  }
  T* gx_column(int64_t f) { return gxs.get() + (f - f0) * R; }
  bool panel_ends(int64_t f) const { return f + 1 == f0 + nf; }

  // Writes the panel's columns of gx back into the rows of gx (B, F).
  void store_gx(T* gx, int64_t F) const {
    const T* src = gxs.get();
    int64_t r = 0;
    if (nf == kPanel)
      for (; r + kPanel <= n; r += kPanel) transpose_block(src + r, R, gx + (r0 + r) * F + f0, F);
    for (; r < n; ++r)
      for (int64_t i = 0; i < nf; ++i) gx[(r0 + r) * F + f0 + i] = src[i * R + r];
  }
};

// Spans up to which sort_by_span compresses, one pass per span (AVX-512);
// beyond, the G * n / 16 passes cost more than a counting sort's few scalar
// operations per row.
constexpr int64_t kCompressSpans = 16;

// Sorts the column's rows by span: order and start.
template <typename T>
void sort_by_span(Column<T>& col, Scratch<T>& sc) {
  const int64_t n = col.n, G = col.G;
  const int32_t* span = col.span.get();
  int32_t* order = col.order.get();
#if defined(__AVX512F__)
  if (G <= kCompressSpans) {
    // One pass per span compressing the matching row numbers: about G * n / 16
    // vector instructions, no serial dependency between rows.
    int64_t pos = 0;
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int64_t g = 0; g < G; ++g) {
      col.start[g] = pos;
      const __m512i gv = _mm512_set1_epi32(static_cast<int32_t>(g));
      for (int64_t r = 0; r < n; r += 16) {
        const __mmask16 valid = n - r >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - r)) - 1);
        const __m512i sv = _mm512_maskz_loadu_epi32(valid, span + r);
        const __mmask16 hit = _mm512_mask_cmpeq_epi32_mask(valid, sv, gv);
        const __m512i rows = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int32_t>(r)));
        // Compressed in a register and stored whole (the buffer has 16 slots
        // of slack): a compressing store to memory is far slower.
        _mm512_storeu_si512(order + pos, _mm512_maskz_compress_epi32(hit, rows));
        pos += __builtin_popcount(static_cast<unsigned>(hit));
      }
    }
    col.start[G] = pos;
    return;
  }
#endif
  // Counting sort; row r counts in way r % kWays, so equal spans in a row do
  // not serialise on one counter.
  constexpr int W = Scratch<T>::kWays;
  int64_t* nx = sc.next.get();
  std::fill(nx, nx + W * G, int64_t(0));
  for (int64_t r = 0; r < n; ++r) ++nx[(r % W) * G + span[r]];
  int64_t pos = 0;
  for (int64_t g = 0; g < G; ++g) {
    col.start[g] = pos;
    for (int w = 0; w < W; ++w) {
      const int64_t c = nx[w * G + g];
      nx[w * G + g] = pos;
      pos += c;
    }
  }
  col.start[G] = pos;
  for (int64_t r = 0; r < n; ++r) order[nx[(r % W) * G + span[r]]++] = static_cast<int32_t>(r);
}

// Fills col with input f of rows [r0, r0 + n) from the columns of xT (F, B)
// and of the base precomputations pre0, pre1 (same layout): values if
// with_values, derivatives if with_derivs.  Panels of gx end at input `limit`.
template <int KC, typename T>
void fill(Column<T>& col, Scratch<T>& sc, const Spline<T>& sp, const T* xT, const T* pre0,
          const T* pre1, int64_t code, int64_t B, int64_t r0, int64_t f, int64_t n, int64_t limit,
          bool with_values, bool with_derivs) {
  col.n = n;
  sc.begin(r0, n, f, limit);
  const int64_t at = f * B + r0;
  const T* xs = xT + at;
  const T* q0 = pre0 ? pre0 + at : nullptr;
  const T* q1 = pre1 ? pre1 + at : nullptr;
  const bool both = KC > 0 && sp.uniform && with_values && with_derivs;
  if (both)  // one pass for values and derivatives
    eval_uniform<(KC > 0 ? KC : 1), 2, 0>(sp, xs, f, n, col.values(0), col.cap, col.span.get(),
                                          col.values(1));
  for (int set = 0; set < 2; ++set) {
    if (!(set ? with_derivs : with_values)) continue;
    T* v = col.values(set);
    if (!both) {
      if (set) eval_run<KC, 1, 0>(sp, xs, f, n, v, col.cap, col.span.get());
      else eval_run<KC, 0, 0>(sp, xs, f, n, v, col.cap, col.span.get());
    }
    if (code != kNoBase) base_values(code, set, xs, q0, q1, n, col.base(set));
  }
  sort_by_span(col, sc);
}

}  // namespace local
}  // namespace kanlab_cpu

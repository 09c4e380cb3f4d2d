// Shared by kanlab's CPU kernels: base functions, the spline of one layer and
// the evaluation of a point's k + 1 non-zero B-splines (see ops/_kan_linear.py).
#pragma once

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace kanlab_cpu {
// Base function codes, from the one table kanlab.ops._base_functions.BASE_FUNCTIONS:
// the build passes -DKANLAB_BASE_<NAME>=<code> for each of its entries.
#if !defined(KANLAB_BASE_ZERO) || !defined(KANLAB_BASE_IDENTITY) || !defined(KANLAB_BASE_SILU) || \
    !defined(KANLAB_BASE_GELU) || !defined(KANLAB_BASE_TANH)
#error "build through kanlab.ops._extension, which defines the base function codes"
#endif
constexpr int64_t kNoBase = KANLAB_BASE_ZERO, kIdentity = KANLAB_BASE_IDENTITY,
                  kSilu = KANLAB_BASE_SILU, kGelu = KANLAB_BASE_GELU, kTanh = KANLAB_BASE_TANH;

template <typename T>
inline T base_value(int64_t code, T x) {
  switch (code) {
    case kIdentity: return x;
    case kSilu: return x / (T(1) + std::exp(-x));
    case kGelu: return T(0.5) * x * (T(1) + std::erf(x * T(M_SQRT1_2)));
    case kTanh: return std::tanh(x);
    default: return T(0);
  }
}

template <typename T>
inline T base_derivative(int64_t code, T x) {
  switch (code) {
    case kIdentity: return T(1);
    case kSilu: {
      T s = T(1) / (T(1) + std::exp(-x));
      return s * (T(1) + x * (T(1) - s));
    }
    case kGelu: {
      T cdf = T(0.5) * (T(1) + std::erf(x * T(M_SQRT1_2)));
      T pdf = std::exp(T(-0.5) * x * x) * T(0.3989422804014327);  // 1/sqrt(2 pi)
      return cdf + x * pdf;
    }
    case kTanh: {
      T t = std::tanh(x);
      return T(1) - t * t;
    }
    default: return T(0);
  }
}

// The spline of one layer: knots (F, m), per-span polynomial tables, options.
template <typename T>
struct Spline {
  const T* knots;        // (F, m)
  const T* table;        // uniform: (k+1 powers, k+1 bases); else (F, G, k+1, k+1)
  const T* origin;       // (F, G) left knot of each span (non-uniform only)
  const int64_t* last;   // (F,) last non-empty span (non-uniform only)
  int64_t m, k, G, n;    // knots per row, degree, spans, bases (n = G + k)
  bool uniform, linear;  // equally spaced knots; linear (else constant) extrapolation
  int64_t base;          // base function code
  int64_t nb;            // 1 with a base function, else 0
  int64_t S;             // features per input, nb + n

  // Per-row constants, computed once per kernel call (no division per point).
  std::vector<T> lo_, hi_, inv_w_;
  void prepare() {
    const int64_t F = rows;
    lo_.resize(F); hi_.resize(F); inv_w_.resize(F);
    for (int64_t f = 0; f < F; ++f) {
      const T* t = knots + f * m;
      lo_[f] = t[k];
      hi_[f] = t[n];
      inv_w_[f] = T(m - 1) / (t[m - 1] - t[0]);
    }
  }
  int64_t rows = 0;

  // The k + 1 non-zero bases of row f at x (deriv = 0) or their derivatives
  // (deriv = 1), with the extrapolation of kanlab.splines.local_basis.
  // Writes vals[0..k] and returns the index of the first one.  KC = k + 1 when
  // known at compile time (loops unrolled), else 0.
  template <int KC>
  inline int64_t eval(T x, int64_t f, int deriv, T* vals) const {
    const int64_t K = KC > 0 ? KC : k + 1;
    const int64_t kk = K - 1;
    const T lo = lo_[f], hi = hi_[f];
    if (std::isnan(x)) {  // no span: propagate NaN rather than index out of range
      for (int64_t r = 0; r < K; ++r) vals[r] = x;
      return 0;
    }
    const T xc = x < lo ? lo : (x > hi ? hi : x);
    int64_t g;
    T s, scale;
    const T* M;
    if (uniform) {
      const T inv_w = inv_w_[f];
      const T u = (xc - lo) * inv_w;
      T st = std::floor(u);
      st = st < T(0) ? T(0) : (st > T(G - 1) ? T(G - 1) : st);
      g = static_cast<int64_t>(st);
      s = u - st;
      scale = inv_w;
      M = table;
    } else {
      const T* t = knots + f * m;
      if (xc >= hi) {
        g = last[f];
      } else {
        g = (std::upper_bound(t + kk, t + n, xc) - (t + kk)) - 1;
        g = g < 0 ? 0 : (g > G - 1 ? G - 1 : g);
      }
      s = xc - origin[f * G + g];
      scale = T(1);
      M = table + (f * G + g) * K * K;
    }
    const bool outside = x != xc;
    if (deriv == 0) {
      for (int64_t r = 0; r < K; ++r) {  // Horner in s
        T acc = M[kk * K + r];
        for (int64_t p = kk - 1; p >= 0; --p) acc = acc * s + M[p * K + r];
        vals[r] = acc;
      }
      if (outside && linear && kk > 0) {
        const T dx = (x - xc) * scale;
        for (int64_t r = 0; r < K; ++r) {
          T acc = T(kk) * M[kk * K + r];
          for (int64_t p = kk - 1; p >= 1; --p) acc = acc * s + T(p) * M[p * K + r];
          vals[r] += dx * acc;
        }
      }
    } else {
      for (int64_t r = 0; r < K; ++r) {
        T acc = T(0);
        if (kk > 0) {
          acc = T(kk) * M[kk * K + r];
          for (int64_t p = kk - 1; p >= 1; --p) acc = acc * s + T(p) * M[p * K + r];
        }
        vals[r] = (outside && !linear) ? T(0) : acc * scale;
      }
    }
    return g;
  }

  // Feature values (deriv 0) or derivatives (deriv 1) of point (b, f):
  // vals[0] is the base function's if nb == 1; returns the first spline slot.
  template <int KC>
  inline int64_t features(T x, int64_t f, int deriv, T* vals) const {
    if (nb) vals[0] = deriv ? base_derivative(base, x) : base_value(base, x);
    return nb + eval<KC>(x, f, deriv, vals + nb);
  }
};

template <typename T>
Spline<T> make_spline(const at::Tensor& knots, const at::Tensor& table, const at::Tensor& origin,
                      const at::Tensor& last, int64_t k, bool uniform, bool linear, int64_t base) {
  Spline<T> sp;
  sp.knots = knots.data_ptr<T>();
  sp.table = table.data_ptr<T>();
  sp.origin = uniform ? nullptr : origin.data_ptr<T>();
  sp.last = uniform ? nullptr : last.data_ptr<int64_t>();
  sp.m = knots.size(1);
  sp.k = k;
  sp.G = sp.m - 2 * k - 1;
  sp.n = sp.m - k - 1;
  sp.uniform = uniform;
  sp.linear = linear;
  sp.base = base;
  sp.nb = base == kNoBase ? 0 : 1;
  sp.S = sp.nb + sp.n;
  sp.rows = knots.size(0);
  sp.prepare();
  return sp;
}

// x is (B, F), or (F, B) when transposed (the local kernels take x's columns).
inline void check_args(const at::Tensor& x, const at::Tensor& knots, const at::Tensor& table,
                const at::Tensor& origin, const at::Tensor& last, int64_t k, bool uniform,
                bool transposed = false) {
  TORCH_CHECK(x.device().is_cpu() && knots.device().is_cpu(), "kanlab kernels run on the CPU");
  TORCH_CHECK(x.dim() == 2 && x.is_contiguous(),
              transposed ? "xT must be a contiguous (F, B) tensor" : "x must be a contiguous (B, F) tensor");
  const int64_t F = x.size(transposed ? 0 : 1);
  TORCH_CHECK(knots.dim() == 2 && knots.is_contiguous() && knots.size(0) == F,
              "knots must be a contiguous (F, m) tensor");
  TORCH_CHECK(knots.scalar_type() == x.scalar_type() && table.scalar_type() == x.scalar_type(),
              "x, knots and table must share a dtype");
  TORCH_CHECK(k >= 0 && knots.size(1) >= 2 * k + 2, "bad degree for the knots");
  const int64_t K = k + 1, G = knots.size(1) - 2 * k - 1;
  TORCH_CHECK(table.is_contiguous(), "table must be contiguous");
  if (uniform) {
    TORCH_CHECK(table.numel() == K * K, "uniform table must be (k+1, k+1)");
  } else {
    TORCH_CHECK(table.numel() == F * G * K * K, "table must be (F, G, k+1, k+1)");
    TORCH_CHECK(origin.is_contiguous() && origin.numel() == F * G &&
                    origin.scalar_type() == x.scalar_type(), "origin must be (F, G)");
    TORCH_CHECK(last.is_contiguous() && last.numel() == F &&
                    last.scalar_type() == at::kLong, "last must be (F,) int64");
  }
}

// Calls fn(std::integral_constant<int, k + 1>) for the common degrees, so the
// per-point loops are unrolled, and fn(integral_constant<int, 0>) otherwise.
template <typename Fn>
inline void dispatch_k(int64_t k, Fn&& fn) {
  switch (k) {
    case 0: fn(std::integral_constant<int, 1>{}); break;
    case 1: fn(std::integral_constant<int, 2>{}); break;
    case 2: fn(std::integral_constant<int, 3>{}); break;
    case 3: fn(std::integral_constant<int, 4>{}); break;
    default: fn(std::integral_constant<int, 0>{}); break;
  }
}

// Points per chunk of the vectorised uniform-knot evaluation (stack buffers).
constexpr int64_t kChunk = 256;

// Uniform knots, KC = k + 1 > 0: the K values (deriv 0) or derivatives
// (deriv 1) of the non-zero bases of n points x[0..n) into vals[r * vstride + j],
// and the span (first non-zero basis) of each into first[j].  Point j belongs
// to input f0 + j * FS: FS = 1 for consecutive inputs of one row, FS = 0 for
// one input (a column of the batch).  Branch-free over j so the compiler
// vectorises it (every span shares the cardinal matrix): clamp, floor, Horner.
// NaN stays NaN (span 0); linear extrapolation adds (x - clamp(x)) times the
// derivative, which is an exact no-op inside the grid.  deriv = 2: both, the
// derivatives into dvals (same layout), from one clamp and floor per point.
// `linear` is a template argument: a run-time flag in the loop would be control
// flow, which keeps GCC from vectorising it (the scalar loop is 5x slower).
template <int KC, int deriv, int FS, bool linear, typename T>
inline void eval_uniform_(const Spline<T>& sp, const T* __restrict x, int64_t f0, int64_t n,
                          T* __restrict vals, int64_t vstride, int32_t* __restrict first,
                          T* __restrict dvals) {
  constexpr int K = KC, kk = KC - 1;
  const T* __restrict lo = sp.lo_.data() + f0;
  const T* __restrict hi = sp.hi_.data() + f0;
  const T* __restrict iw = sp.inv_w_.data() + f0;
  const T lo0 = lo[0], hi0 = hi[0], iw0 = iw[0];  // FS = 0: one input's constants
  T M[K * K];
  for (int i = 0; i < K * K; ++i) M[i] = sp.table[i];
  const T gmax = T(sp.G - 1);
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) {
    const T xv = x[j];
    const bool below = xv < (FS ? lo[j] : lo0), above = xv > (FS ? hi[j] : hi0);
    const T xc = below ? (FS ? lo[j] : lo0) : (above ? (FS ? hi[j] : hi0) : xv);
    const T u = (xc - (FS ? lo[j] : lo0)) * (FS ? iw[j] : iw0);
    // Clamp to [0, G - 1] (NaN -> 0, s stays NaN), then truncate, which is
    // floor here: std::floor would keep GCC from vectorising the loop.
    T st = u > T(0) ? u : T(0);
    st = st < gmax ? st : gmax;
    const int32_t gi = static_cast<int32_t>(st);
    st = static_cast<T>(gi);
    const T s = u - st;
    first[j] = gi;
    const T dx = (xv - xc) * (FS ? iw[j] : iw0);
    // Constant extrapolation has zero derivative outside the grid (a factor,
    // not a branch, so the loop vectorises).
    const T keep = (below | above) & !linear ? T(0) : T(1);
    const T dscale = keep * (FS ? iw[j] : iw0);
    for (int r = 0; r < K; ++r) {
      T d = T(0);  // d/ds of the polynomial of basis r
      if (kk > 0) {
        d = T(kk) * M[kk * K + r];
        for (int p = kk - 1; p >= 1; --p) d = d * s + T(p) * M[p * K + r];
      }
      if (deriv != 1) {
        T v = M[kk * K + r];
        for (int p = kk - 1; p >= 0; --p) v = v * s + M[p * K + r];
        if (linear && kk > 0) v += dx * d;
        vals[r * vstride + j] = v;
      }
      if (deriv == 1) vals[r * vstride + j] = d * dscale;
      if (deriv == 2) dvals[r * vstride + j] = d * dscale;
    }
  }
}

template <int KC, int deriv, int FS = 1, typename T>
inline void eval_uniform(const Spline<T>& sp, const T* __restrict x, int64_t f0, int64_t n,
                         T* __restrict vals, int64_t vstride, int32_t* __restrict first,
                         T* __restrict dvals = nullptr) {
  if (sp.linear)
    eval_uniform_<KC, deriv, FS, true>(sp, x, f0, n, vals, vstride, first, dvals);
  else
    eval_uniform_<KC, deriv, FS, false>(sp, x, f0, n, vals, vstride, first, dvals);
}

}  // namespace kanlab_cpu

// CPU kernels of kanlab's fused "spline-linear" layer (see kanlab/spline_linear.py).
//
// A KAN layer computes y[b, o] = sum_i sum_s W[o, i, s] * F_s(x[b, i]) with the
// features F = [b(x) (if the layer has a base function), B_0(x), ..., B_{n-1}(x)].
// Only k + 1 of the n B-splines are non-zero at a point, so the kernels here
// evaluate those k + 1 values (and the base function) per point and either
//   * write the dense feature rows for a GEMM (features_out), or
//   * contract directly with the weights laid out (in, S, out) (local_*),
// plus the matching gradient kernels.  Everything is parallelised over
// independent output rows with at::parallel_for, so no two threads write the
// same memory.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace {

// Base function codes, as in spline_linear.BASE_CODES.
constexpr int64_t kNoBase = -1, kIdentity = 0, kSilu = 1, kGelu = 2, kTanh = 3;

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

void check_args(const at::Tensor& x, const at::Tensor& knots, const at::Tensor& table,
                const at::Tensor& origin, const at::Tensor& last, int64_t k, bool uniform) {
  TORCH_CHECK(x.device().is_cpu() && knots.device().is_cpu(), "kanlab kernels run on the CPU");
  TORCH_CHECK(x.dim() == 2 && x.is_contiguous(), "x must be a contiguous (B, F) tensor");
  TORCH_CHECK(knots.dim() == 2 && knots.is_contiguous() && knots.size(0) == x.size(1),
              "knots must be a contiguous (F, m) tensor");
  TORCH_CHECK(knots.scalar_type() == x.scalar_type() && table.scalar_type() == x.scalar_type(),
              "x, knots and table must share a dtype");
  TORCH_CHECK(k >= 0 && knots.size(1) >= 2 * k + 2, "bad degree for the knots");
  const int64_t K = k + 1, G = knots.size(1) - 2 * k - 1;
  TORCH_CHECK(table.is_contiguous(), "table must be contiguous");
  if (uniform) {
    TORCH_CHECK(table.numel() == K * K, "uniform table must be (k+1, k+1)");
  } else {
    TORCH_CHECK(table.numel() == x.size(1) * G * K * K, "table must be (F, G, k+1, k+1)");
    TORCH_CHECK(origin.is_contiguous() && origin.numel() == x.size(1) * G &&
                    origin.scalar_type() == x.scalar_type(), "origin must be (F, G)");
    TORCH_CHECK(last.is_contiguous() && last.numel() == x.size(1) &&
                    last.scalar_type() == at::kLong, "last must be (F,) int64");
  }
}

// Calls fn(std::integral_constant<int, k + 1>) for the common degrees, so the
// per-point loops are unrolled, and fn(integral_constant<int, 0>) otherwise.
template <typename Fn>
void dispatch_k(int64_t k, Fn&& fn) {
  switch (k) {
    case 0: fn(std::integral_constant<int, 1>{}); break;
    case 1: fn(std::integral_constant<int, 2>{}); break;
    case 2: fn(std::integral_constant<int, 3>{}); break;
    case 3: fn(std::integral_constant<int, 4>{}); break;
    default: fn(std::integral_constant<int, 0>{}); break;
  }
}

// Rows of output per parallel task: enough work per task to amortise scheduling.
constexpr int64_t kRowGrain = 16;
constexpr int64_t kTile = 64;    // output columns accumulated at once
constexpr int64_t kInBlock = 16; // inputs whose weights stay in cache together

// ---------------------------------------------------------------- dense features

// Points per chunk of the vectorised uniform-knot evaluation (stack buffers).
constexpr int64_t kChunk = 256;

// Uniform knots, KC = k + 1 > 0: the K values (deriv 0) or derivatives
// (deriv 1) of the non-zero bases of n consecutive inputs f0.. of one row,
// written as vals[r * kChunk + j], and the first non-zero basis of each in
// first[j].  Branch-free over j so the compiler vectorises it (every span
// shares the cardinal matrix): clamp, floor, Horner.  NaN stays NaN (span 0);
// linear extrapolation adds (x - clamp(x)) times the derivative, which is an
// exact no-op inside the grid.
template <int KC, int deriv, typename T>
inline void eval_uniform(const Spline<T>& sp, const T* __restrict x, int64_t f0, int64_t n,
                         T* __restrict vals, int32_t* __restrict first) {
  constexpr int K = KC, kk = KC - 1;
  const T* __restrict lo = sp.lo_.data() + f0;
  const T* __restrict hi = sp.hi_.data() + f0;
  const T* __restrict iw = sp.inv_w_.data() + f0;
  T M[K * K];
  for (int i = 0; i < K * K; ++i) M[i] = sp.table[i];
  const T gmax = T(sp.G - 1);
  const bool linear = sp.linear;
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) {
    const T xv = x[j];
    const bool below = xv < lo[j], above = xv > hi[j];
    const T xc = below ? lo[j] : (above ? hi[j] : xv);
    const T u = (xc - lo[j]) * iw[j];
    // Clamp to [0, G - 1] (NaN -> 0, s stays NaN), then truncate, which is
    // floor here: std::floor would keep GCC from vectorising the loop.
    T st = u > T(0) ? u : T(0);
    st = st < gmax ? st : gmax;
    const int32_t gi = static_cast<int32_t>(st);
    st = static_cast<T>(gi);
    const T s = u - st;
    first[j] = gi;
    const T dx = (xv - xc) * iw[j];
    for (int r = 0; r < K; ++r) {
      T d = T(0);  // d/ds of the polynomial of basis r
      if (kk > 0) {
        d = T(kk) * M[kk * K + r];
        for (int p = kk - 1; p >= 1; --p) d = d * s + T(p) * M[p * K + r];
      }
      T v;
      if (deriv == 0) {
        v = M[kk * K + r];
        for (int p = kk - 1; p >= 0; --p) v = v * s + M[p * K + r];
        if (linear && kk > 0) v += dx * d;
      } else {
        v = (!linear && (below || above)) ? T(0) : d * iw[j];
      }
      vals[r * kChunk + j] = v;
    }
  }
}

// Writes the dense feature rows out (B, F, S) of x (B, F): zero, then the
// base value (from bx (B, F), computed by the caller with torch's vectorised
// function, or here when bx is empty) and the k + 1 non-zero bases.
void features_out(const at::Tensor& x, const at::Tensor& out, const at::Tensor& bx,
                  const at::Tensor& knots, const at::Tensor& table, const at::Tensor& origin,
                  const at::Tensor& last, int64_t k, bool uniform, bool linear, int64_t base) {
  check_args(x, knots, table, origin, last, k, uniform);
  const int64_t B = x.size(0), F = x.size(1);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_features", [&] {
    const auto sp = make_spline<scalar_t>(knots, table, origin, last, k, uniform, linear, base);
    TORCH_CHECK(out.is_contiguous() && out.numel() == B * F * sp.S &&
                    out.scalar_type() == x.scalar_type(), "out must be contiguous (B, F, S)");
    const bool given = sp.nb && bx.numel() > 0;
    TORCH_CHECK(!given || (bx.is_contiguous() && bx.numel() == B * F &&
                           bx.scalar_type() == x.scalar_type()), "bx must be contiguous (B, F)");
    const scalar_t* bp = given ? bx.data_ptr<scalar_t>() : nullptr;
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    const int64_t S = sp.S, nb = sp.nb;
    dispatch_k(k, [&](auto kc) {
    constexpr int KC = decltype(kc)::value;
    at::parallel_for(0, B, kRowGrain, [&](int64_t b0, int64_t b1) {
      std::vector<scalar_t> vals(std::max<int64_t>(S, (KC > 0 ? KC : 1) * kChunk));
      std::vector<int32_t> first(kChunk);
      for (int64_t b = b0; b < b1; ++b) {
        scalar_t* row = op + b * F * S;
        std::fill(row, row + F * S, scalar_t(0));
        if (KC > 0 && sp.uniform) {
          for (int64_t c0 = 0; c0 < F; c0 += kChunk) {
            const int64_t n = std::min(kChunk, F - c0);
            eval_uniform<(KC > 0 ? KC : 1), 0>(sp, xp + b * F + c0, c0, n, vals.data(),
                                            first.data());
            scalar_t* feat = row + c0 * S;
            for (int64_t j = 0; j < n; ++j) {
              scalar_t* fs = feat + j * S + nb + first[j];
              for (int r = 0; r < KC; ++r) fs[r] = vals[r * kChunk + j];
            }
            if (nb) {
              for (int64_t j = 0; j < n; ++j)
                feat[j * S] = given ? bp[b * F + c0 + j] : base_value(base, xp[b * F + c0 + j]);
            }
          }
          continue;
        }
        for (int64_t f = 0; f < F; ++f) {
          scalar_t* feat = row + f * S;
          const int64_t first1 = sp.template features<KC>(xp[b * F + f], f, 0, vals.data());
          if (nb) feat[0] = given ? bp[b * F + f] : vals[0];
          for (int64_t r = 0; r < (KC > 0 ? KC : k + 1); ++r) feat[first1 + r] = vals[nb + r];
        }
      }
    });
    });
  });
}

// grad_x[b, f] = sum_s dF_s(x[b, f]) * gF[b, f, s], over the k + 1 (+ base) non-zero slots;
// the base function's derivative comes from dbx (B, F) when given.
at::Tensor contract_dx(const at::Tensor& x, const at::Tensor& gF, const at::Tensor& dbx,
                       const at::Tensor& knots, const at::Tensor& table, const at::Tensor& origin,
                       const at::Tensor& last, int64_t k, bool uniform, bool linear, int64_t base) {
  check_args(x, knots, table, origin, last, k, uniform);
  const int64_t B = x.size(0), F = x.size(1);
  auto gx = at::empty_like(x);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_contract_dx", [&] {
    const auto sp = make_spline<scalar_t>(knots, table, origin, last, k, uniform, linear, base);
    TORCH_CHECK(gF.is_contiguous() && gF.numel() == B * F * sp.S &&
                    gF.scalar_type() == x.scalar_type(), "gF must be contiguous (B, F, S)");
    const bool given = sp.nb && dbx.numel() > 0;
    TORCH_CHECK(!given || (dbx.is_contiguous() && dbx.numel() == B * F &&
                           dbx.scalar_type() == x.scalar_type()), "dbx must be contiguous (B, F)");
    const scalar_t* dbp = given ? dbx.data_ptr<scalar_t>() : nullptr;
    const scalar_t* xp = x.data_ptr<scalar_t>();
    const scalar_t* gp = gF.data_ptr<scalar_t>();
    scalar_t* out = gx.data_ptr<scalar_t>();
    const int64_t S = sp.S, nb = sp.nb;
    dispatch_k(k, [&](auto kc) {
    constexpr int KC = decltype(kc)::value;
    at::parallel_for(0, B, kRowGrain, [&](int64_t b0, int64_t b1) {
      std::vector<scalar_t> vals(std::max<int64_t>(S, (KC > 0 ? KC : 1) * kChunk));
      std::vector<int32_t> first(kChunk);
      for (int64_t b = b0; b < b1; ++b) {
        if (KC > 0 && sp.uniform) {
          for (int64_t c0 = 0; c0 < F; c0 += kChunk) {
            const int64_t n = std::min(kChunk, F - c0);
            eval_uniform<(KC > 0 ? KC : 1), 1>(sp, xp + b * F + c0, c0, n, vals.data(),
                                            first.data());
            const scalar_t* g = gp + (b * F + c0) * S;
            scalar_t* o = out + b * F + c0;
            for (int64_t j = 0; j < n; ++j) {
              const scalar_t* gs = g + j * S + nb + first[j];
              scalar_t acc = scalar_t(0);
              for (int r = 0; r < KC; ++r) acc += vals[r * kChunk + j] * gs[r];
              if (nb) {
                const scalar_t xv = xp[b * F + c0 + j];
                acc += (given ? dbp[b * F + c0 + j] : base_derivative(base, xv)) * g[j * S];
              }
              o[j] = acc;
            }
          }
          continue;
        }
        for (int64_t f = 0; f < F; ++f) {
          const scalar_t* g = gp + (b * F + f) * S;
          const int64_t first1 = sp.template features<KC>(xp[b * F + f], f, 1, vals.data());
          scalar_t acc = scalar_t(0);
          for (int64_t r = 0; r < (KC > 0 ? KC : k + 1); ++r) acc += vals[nb + r] * g[first1 + r];
          if (nb) acc += (given ? dbp[b * F + f] : vals[0]) * g[0];
          out[b * F + f] = acc;
        }
      }
    });
    });
  });
  return gx;
}

// ---------------------------------------------------------------- local support

// Feature values (or derivatives) and first spline slot of rows [b0, b1), all inputs.
template <int KC, typename T>
void eval_rows(const Spline<T>& sp, const T* xp, int64_t F, int64_t b0, int64_t b1, int64_t f0,
               int64_t f1, int deriv, T* vals, int32_t* first) {
  const int64_t L = sp.nb + sp.k + 1;
  const int64_t nf = f1 - f0;
  for (int64_t b = b0; b < b1; ++b)
    for (int64_t f = f0; f < f1; ++f) {
      const int64_t idx = (b - b0) * nf + (f - f0);
      first[idx] = static_cast<int32_t>(sp.template features<KC>(xp[b * F + f], f, deriv, vals + idx * L));
    }
}

// acc[0..TW) += v * w[0..TW)
template <typename T, int64_t TW>
inline void axpy(T* __restrict acc, const T* __restrict w, T v) {
#pragma omp simd
  for (int64_t j = 0; j < TW; ++j) acc[j] += v * w[j];
}

template <typename T>
inline void axpy_n(T* __restrict acc, const T* __restrict w, T v, int64_t tw) {
#pragma omp simd
  for (int64_t j = 0; j < tw; ++j) acc[j] += v * w[j];
}

// One output tile of rows [b0, b1) over inputs [f0, f1): y[b, j0:j0+tw] += sum.
template <typename T, int64_t TW>
void forward_tile(const Spline<T>& sp, const T* vals, const int32_t* first, const T* Wt,
                  int64_t O, int64_t F, int64_t nrow, int64_t f0, int64_t f1, int64_t j0,
                  int64_t tw, T* y, int64_t b0) {
  const int64_t L = sp.nb + sp.k + 1, K = sp.k + 1;
  const int64_t nf_all = F;
  alignas(64) T acc[TW];
  for (int64_t row = 0; row < nrow; ++row) {
    T* yrow = y + (b0 + row) * O + j0;
    for (int64_t j = 0; j < tw; ++j) acc[j] = yrow[j];
    for (int64_t f = f0; f < f1; ++f) {
      const int64_t idx = row * nf_all + f;
      const T* v = vals + idx * L;
      const T* wf = Wt + f * sp.S * O + j0;
      if (TW > 0 && tw == TW) {
        if (sp.nb) axpy<T, TW>(acc, wf, v[0]);
        const T* ws = wf + first[idx] * O;
        for (int64_t r = 0; r < K; ++r) axpy<T, TW>(acc, ws + r * O, v[sp.nb + r]);
      } else {
        if (sp.nb) axpy_n<T>(acc, wf, v[0], tw);
        const T* ws = wf + first[idx] * O;
        for (int64_t r = 0; r < K; ++r) axpy_n<T>(acc, ws + r * O, v[sp.nb + r], tw);
      }
    }
    for (int64_t j = 0; j < tw; ++j) yrow[j] = acc[j];
  }
}

// y (B, O) = sum over inputs and their non-zero slots of value * Wt[f, slot, :].
at::Tensor local_forward(const at::Tensor& x, const at::Tensor& Wt, const at::Tensor& knots,
                         const at::Tensor& table, const at::Tensor& origin,
                         const at::Tensor& last, int64_t k, bool uniform, bool linear,
                         int64_t base) {
  check_args(x, knots, table, origin, last, k, uniform);
  const int64_t B = x.size(0), F = x.size(1);
  TORCH_CHECK(Wt.dim() == 3 && Wt.is_contiguous() && Wt.size(0) == F &&
                  Wt.scalar_type() == x.scalar_type(), "Wt must be contiguous (F, S, O)");
  const int64_t O = Wt.size(2);
  auto y = at::zeros({B, O}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_local_forward", [&] {
    const auto sp = make_spline<scalar_t>(knots, table, origin, last, k, uniform, linear, base);
    TORCH_CHECK(Wt.size(1) == sp.S, "Wt has the wrong number of features per input");
    const scalar_t* xp = x.data_ptr<scalar_t>();
    const scalar_t* wp = Wt.data_ptr<scalar_t>();
    scalar_t* yp = y.data_ptr<scalar_t>();
    const int64_t L = sp.nb + k + 1;
    constexpr int64_t RB = 64;  // rows evaluated together
    dispatch_k(k, [&](auto kc) {
    constexpr int KC = decltype(kc)::value;
    at::parallel_for(0, B, kRowGrain, [&](int64_t p0, int64_t p1) {
      std::vector<scalar_t> vals(RB * F * L);
      std::vector<int32_t> first(RB * F);
      for (int64_t b0 = p0; b0 < p1; b0 += RB) {
        const int64_t b1 = std::min(b0 + RB, p1), nrow = b1 - b0;
        eval_rows<KC>(sp, xp, F, b0, b1, 0, F, 0, vals.data(), first.data());
        for (int64_t j0 = 0; j0 < O; j0 += kTile) {
          const int64_t tw = std::min(kTile, O - j0);
          for (int64_t f0 = 0; f0 < F; f0 += kInBlock) {
            const int64_t f1 = std::min(f0 + kInBlock, F);
            forward_tile<scalar_t, kTile>(sp, vals.data(), first.data(), wp, O, F, nrow, f0, f1,
                                          j0, tw, yp, b0);
          }
        }
      }
    });
    });
  });
  return y;
}

// grad_Wt (F, S, O): grad_Wt[f, slot, :] += value * gy[b, :]; parallel over inputs.
at::Tensor local_grad_w(const at::Tensor& x, const at::Tensor& gy, const at::Tensor& knots,
                        const at::Tensor& table, const at::Tensor& origin, const at::Tensor& last,
                        int64_t k, bool uniform, bool linear, int64_t base) {
  check_args(x, knots, table, origin, last, k, uniform);
  const int64_t B = x.size(0), F = x.size(1);
  TORCH_CHECK(gy.dim() == 2 && gy.is_contiguous() && gy.size(0) == B &&
                  gy.scalar_type() == x.scalar_type(), "gy must be contiguous (B, O)");
  const int64_t O = gy.size(1);
  at::Tensor gW;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_local_grad_w", [&] {
    const auto sp = make_spline<scalar_t>(knots, table, origin, last, k, uniform, linear, base);
    gW = at::zeros({F, sp.S, O}, x.options());
    const scalar_t* xp = x.data_ptr<scalar_t>();
    const scalar_t* gp = gy.data_ptr<scalar_t>();
    scalar_t* wp = gW.data_ptr<scalar_t>();
    const int64_t L = sp.nb + k + 1, K = k + 1;
    constexpr int64_t RB = 256;
    dispatch_k(k, [&](auto kc) {
    constexpr int KC = decltype(kc)::value;
    at::parallel_for(0, F, 1, [&](int64_t q0, int64_t q1) {
      std::vector<scalar_t> vals(RB * kInBlock * L);
      std::vector<int32_t> first(RB * kInBlock);
      for (int64_t f0 = q0; f0 < q1; f0 += kInBlock) {
        const int64_t f1 = std::min(f0 + kInBlock, q1), nf = f1 - f0;
        for (int64_t b0 = 0; b0 < B; b0 += RB) {
          const int64_t b1 = std::min(b0 + RB, B);
          eval_rows<KC>(sp, xp, F, b0, b1, f0, f1, 0, vals.data(), first.data());
          for (int64_t j0 = 0; j0 < O; j0 += kTile) {
            const int64_t tw = std::min(kTile, O - j0);
            for (int64_t b = b0; b < b1; ++b) {
              const scalar_t* g = gp + b * O + j0;
              for (int64_t f = f0; f < f1; ++f) {
                const int64_t idx = (b - b0) * nf + (f - f0);
                const scalar_t* v = vals.data() + idx * L;
                scalar_t* wf = wp + f * sp.S * O + j0;
                if (sp.nb) axpy_n<scalar_t>(wf, g, v[0], tw);
                scalar_t* ws = wf + first[idx] * O;
                for (int64_t r = 0; r < K; ++r) axpy_n<scalar_t>(ws + r * O, g, v[sp.nb + r], tw);
              }
            }
          }
        }
      }
    });
    });
  });
  return gW;
}

template <typename T>
inline T dot(const T* __restrict a, const T* __restrict b, int64_t n) {
  T s = T(0);
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; ++j) s += a[j] * b[j];
  return s;
}

// grad_x[b, f] = sum over slots of dF_slot(x[b, f]) * <gy[b, :], Wt[f, slot, :]>.
at::Tensor local_grad_x(const at::Tensor& x, const at::Tensor& gy, const at::Tensor& Wt,
                        const at::Tensor& knots, const at::Tensor& table, const at::Tensor& origin,
                        const at::Tensor& last, int64_t k, bool uniform, bool linear,
                        int64_t base) {
  check_args(x, knots, table, origin, last, k, uniform);
  const int64_t B = x.size(0), F = x.size(1);
  TORCH_CHECK(gy.dim() == 2 && gy.is_contiguous() && gy.size(0) == B &&
                  gy.scalar_type() == x.scalar_type(), "gy must be contiguous (B, O)");
  const int64_t O = gy.size(1);
  TORCH_CHECK(Wt.dim() == 3 && Wt.is_contiguous() && Wt.size(0) == F && Wt.size(2) == O &&
                  Wt.scalar_type() == x.scalar_type(), "Wt must be contiguous (F, S, O)");
  auto gx = at::empty_like(x);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_local_grad_x", [&] {
    const auto sp = make_spline<scalar_t>(knots, table, origin, last, k, uniform, linear, base);
    TORCH_CHECK(Wt.size(1) == sp.S, "Wt has the wrong number of features per input");
    const scalar_t* xp = x.data_ptr<scalar_t>();
    const scalar_t* gp = gy.data_ptr<scalar_t>();
    const scalar_t* wp = Wt.data_ptr<scalar_t>();
    scalar_t* out = gx.data_ptr<scalar_t>();
    const int64_t L = sp.nb + k + 1, K = k + 1;
    constexpr int64_t RB = 64;
    dispatch_k(k, [&](auto kc) {
    constexpr int KC = decltype(kc)::value;
    at::parallel_for(0, B, kRowGrain, [&](int64_t p0, int64_t p1) {
      std::vector<scalar_t> vals(RB * F * L);
      std::vector<int32_t> first(RB * F);
      for (int64_t b0 = p0; b0 < p1; b0 += RB) {
        const int64_t b1 = std::min(b0 + RB, p1);
        eval_rows<KC>(sp, xp, F, b0, b1, 0, F, 1, vals.data(), first.data());
        for (int64_t f0 = 0; f0 < F; f0 += kInBlock) {
          const int64_t f1 = std::min(f0 + kInBlock, F);
          for (int64_t b = b0; b < b1; ++b) {
            const scalar_t* g = gp + b * O;
            for (int64_t f = f0; f < f1; ++f) {
              const int64_t idx = (b - b0) * F + f;
              const scalar_t* v = vals.data() + idx * L;
              const scalar_t* wf = wp + f * sp.S * O;
              scalar_t acc = sp.nb ? v[0] * dot(g, wf, O) : scalar_t(0);
              const scalar_t* ws = wf + first[idx] * O;
              for (int64_t r = 0; r < K; ++r) acc += v[sp.nb + r] * dot(g, ws + r * O, O);
              out[b * F + f] = acc;
            }
          }
        }
      }
    });
    });
  });
  return gx;
}

}  // namespace

TORCH_LIBRARY(kanlab_cpu, m) {
  m.def("features_out(Tensor x, Tensor(a!) out, Tensor bx, Tensor knots, Tensor table, Tensor origin, "
        "Tensor last, int k, bool uniform, bool linear, int base) -> ()");
  m.def("contract_dx(Tensor x, Tensor gF, Tensor dbx, Tensor knots, Tensor table, Tensor origin, "
        "Tensor last, int k, bool uniform, bool linear, int base) -> Tensor");
  m.def("local_forward(Tensor x, Tensor Wt, Tensor knots, Tensor table, Tensor origin, "
        "Tensor last, int k, bool uniform, bool linear, int base) -> Tensor");
  m.def("local_grad_w(Tensor x, Tensor gy, Tensor knots, Tensor table, Tensor origin, "
        "Tensor last, int k, bool uniform, bool linear, int base) -> Tensor");
  m.def("local_grad_x(Tensor x, Tensor gy, Tensor Wt, Tensor knots, Tensor table, "
        "Tensor origin, Tensor last, int k, bool uniform, bool linear, int base) -> Tensor");
}

TORCH_LIBRARY_IMPL(kanlab_cpu, CPU, m) {
  m.impl("features_out", &features_out);
  m.impl("contract_dx", &contract_dx);
  m.impl("local_forward", &local_forward);
  m.impl("local_grad_w", &local_grad_w);
  m.impl("local_grad_x", &local_grad_x);
}

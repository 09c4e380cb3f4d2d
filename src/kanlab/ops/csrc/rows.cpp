// The "rows" strategy: small layers (few outputs) in one call per pass, point by point.
//
// The local kernels (local_support.cpp) pad the outputs to whole 16-lane tiles
// and sort every input's points by span; the dense ones write features for a
// GEMM.  For a layer of a few outputs both cost far more than the arithmetic:
// a [5,1] layer pays 16 lanes for one output, and each strategy needs several
// operator calls (packing, x's columns, the base function) per pass.  Here the
// combined weights W (F, S, O) = [scale_base*mask | scale_sp*mask*coef] are
// formed in a small buffer inside the call, and for a chunk of rows, input by
// input, the k + 1 non-zero B-splines of each point (vectorised Horner on the
// cardinal matrix for uniform knots, as in spline_eval.h) and its base function
// are contracted with the k + 2 weight rows they need: (k + 2) * O multiply-adds
// per point, no padding.  The backward pass forms x's gradient and the
// weights' gradient (one private accumulator per thread, summed at the end)
// from one evaluation of values and derivatives, and splits the latter into
// coef's, scale_base's and scale_sp's gradients (split_grads).  Rows are shared
// through parallel.h; small batches run on the calling thread.
#include <mutex>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "spline_eval.h"

namespace kanlab_cpu {
namespace {

// Rows per chunk: enough work per chunk that a helper thread pays for itself.
int64_t row_grain(int64_t F, int64_t O) {
  return std::max<int64_t>(kChunk, (int64_t(1) << 16) / std::max<int64_t>(F * (O + 2), 1));
}

void check_rows_args(const at::Tensor& x, const at::Tensor& coef, const at::Tensor& scale_base,
                     const at::Tensor& scale_sp, const at::Tensor& mask, int64_t k) {
  TORCH_CHECK(k >= 0 && k <= 3, "the rows kernels take degrees 0 to 3");
  TORCH_CHECK(coef.dim() == 3 && coef.is_contiguous() && coef.size(1) == x.size(1) &&
                  coef.scalar_type() == x.scalar_type(),
              "coef must be a contiguous (O, F, n) tensor of x's dtype");
  const auto O = coef.size(0), F = coef.size(1);
  for (const at::Tensor* t : {&scale_base, &scale_sp, &mask})
    TORCH_CHECK(t->dim() == 2 && t->size(0) == O && t->size(1) == F && t->is_contiguous() &&
                    t->scalar_type() == x.scalar_type(),
                "scale_base, scale_sp and mask must be contiguous (O, F) tensors of x's dtype");
}

// Layers of at most 16 outputs have their weight rows padded to 8 or 16: a
// point's multiply-adds are then whole vectors with a trip count known at
// compile time (a run-time count of 10 costs about twice 16 padded lanes).
constexpr int kPadOut = 8, kPadOutWide = 16;

// The padded outputs Op of a layer of O outputs.
inline int64_t padded_outputs(int64_t O) {
  return O <= kPadOut ? kPadOut : O <= kPadOutWide ? kPadOutWide : O;
}

// The base function's values (and derivatives) at xs[0..cnt) of input f; pre holds
// sigmoid(x) (SiLU) or tanh(x) (tanh), (B, F), when not null (vectorised by ATen).
template <typename T>
inline void base_of(const Spline<T>& sp, const T* xs, const T* pre, int64_t F, int64_t c0,
                    int64_t f, int64_t cnt, T* bv, T* dbv) {
  if (pre != nullptr) {
    for (int64_t j = 0; j < cnt; ++j) {
      const T x = xs[j], p = pre[(c0 + j) * F + f];
      if (sp.base == kSilu) {
        if (bv) bv[j] = x * p;
        if (dbv) dbv[j] = p * (T(1) + x * (T(1) - p));
      } else {  // tanh
        if (bv) bv[j] = p;
        if (dbv) dbv[j] = T(1) - p * p;
      }
    }
    return;
  }
  for (int64_t j = 0; j < cnt; ++j) {
    if (bv) bv[j] = base_value(sp.base, xs[j]);
    if (dbv) dbv[j] = base_derivative(sp.base, xs[j]);
  }
}

// The k + 1 values (deriv 0), derivatives (1) or both (2, derivatives in dvals)
// of the non-zero bases of input f at xs[0..cnt), vals[r * kChunk + j], and the
// first one's index into first[j].
template <int KC, int deriv, typename T>
void evaluate(const Spline<T>& sp, const T* xs, int64_t f, int64_t cnt, T* vals, int32_t* first,
              T* dvals) {
  if (sp.uniform) {
    eval_uniform<KC, deriv, 0>(sp, xs, f, cnt, vals, kChunk, first, dvals);
    return;
  }
  T v[KC];
  for (int64_t j = 0; j < cnt; ++j) {
    int64_t g = 0;
    if (deriv != 1) {
      g = sp.template eval<KC>(xs[j], f, 0, v);
      for (int r = 0; r < KC; ++r) vals[r * kChunk + j] = v[r];
    }
    if (deriv != 0) {
      g = sp.template eval<KC>(xs[j], f, 1, v);
      for (int r = 0; r < KC; ++r) (deriv == 1 ? vals : dvals)[r * kChunk + j] = v[r];
    }
    first[j] = static_cast<int32_t>(g);
  }
}

// OC: the padded outputs padded_outputs(O) when fixed (8 or 16), or 0 (Op = O, known at run time).
template <int KC, int OC, typename T>
void forward_rows(const Spline<T>& sp, const T* x, const T* pre, const T* W, int64_t B,
                  int64_t F, int64_t O, T* y) {
  const int64_t S = sp.S, nb = sp.nb, Op = OC ? OC : O;
  chunked_for(B, row_grain(F, O), [] { return 0; }, [&](int, int64_t b0, int64_t b1) {
    T xs[kChunk], bv[kChunk], vals[KC * kChunk];
    int32_t first[kChunk];
    std::vector<T> acc(kChunk * Op);
    for (int64_t c0 = b0; c0 < b1; c0 += kChunk) {
      const int64_t cnt = std::min(kChunk, b1 - c0);
      std::fill(acc.begin(), acc.end(), T(0));
      for (int64_t f = 0; f < F; ++f) {
        for (int64_t j = 0; j < cnt; ++j) xs[j] = x[(c0 + j) * F + f];
        evaluate<KC, 0>(sp, xs, f, cnt, vals, first, static_cast<T*>(nullptr));
        if (nb) base_of(sp, xs, pre, F, c0, f, cnt, bv, static_cast<T*>(nullptr));
        const T* wf = W + f * S * Op;
        for (int64_t j = 0; j < cnt; ++j) {
          T* __restrict a = acc.data() + j * Op;
          const T* ws = wf + (nb + first[j]) * Op;
          T v[KC];
          for (int r = 0; r < KC; ++r) v[r] = vals[r * kChunk + j];
          const T b = nb ? bv[j] : T(0);
#pragma omp simd
          for (int64_t o = 0; o < Op; ++o) {
            T t = a[o];
            if (nb) t += b * wf[o];
            for (int r = 0; r < KC; ++r) t += v[r] * ws[r * Op + o];
            a[o] = t;
          }
        }
      }
      for (int64_t j = 0; j < cnt; ++j)
        for (int64_t o = 0; o < O; ++o) y[(c0 + j) * O + o] = acc[j * Op + o];
    }
  });
}

// gx (B, F) when gx is not null; the weights' gradient (F, S, Op) summed into gw when not null.
template <int KC, int OC, typename T>
void backward_rows(const Spline<T>& sp, const T* x, const T* pre, const T* gy, const T* W,
                   int64_t B, int64_t F, int64_t O, T* gx, T* gw) {
  const int64_t S = sp.S, nb = sp.nb, Op = OC ? OC : O;
  std::mutex m;
  std::vector<std::unique_ptr<std::vector<T>>> owned;
  auto make = [&]() -> std::vector<T>* {
    if (!gw) return nullptr;
    std::lock_guard<std::mutex> lock(m);
    owned.push_back(std::make_unique<std::vector<T>>(F * S * Op, T(0)));
    return owned.back().get();
  };
  chunked_for(B, row_grain(F, O), make, [&](std::vector<T>* acc, int64_t b0, int64_t b1) {
    T xs[kChunk], bv[kChunk], dbv[kChunk], vals[KC * kChunk], dvals[KC * kChunk];
    int32_t first[kChunk];
    std::vector<T> gpad(kChunk * Op);  // gy's rows padded to Op
    std::vector<T> prod(gx ? kChunk * Op : 0);  // x's gradient per point and output
    T* a = acc ? acc->data() : nullptr;
    for (int64_t c0 = b0; c0 < b1; c0 += kChunk) {
      const int64_t cnt = std::min(kChunk, b1 - c0);
      for (int64_t j = 0; j < cnt; ++j)
        for (int64_t o = 0; o < Op; ++o) gpad[j * Op + o] = o < O ? gy[(c0 + j) * O + o] : T(0);
      for (int64_t f = 0; f < F; ++f) {
        for (int64_t j = 0; j < cnt; ++j) xs[j] = x[(c0 + j) * F + f];
        if (gx && a)
          evaluate<KC, 2>(sp, xs, f, cnt, vals, first, dvals);
        else if (gx)
          evaluate<KC, 1>(sp, xs, f, cnt, dvals, first, static_cast<T*>(nullptr));
        else
          evaluate<KC, 0>(sp, xs, f, cnt, vals, first, static_cast<T*>(nullptr));
        if (nb) base_of(sp, xs, pre, F, c0, f, cnt, a ? bv : nullptr, gx ? dbv : nullptr);
        const T* wf = W + f * S * Op;
        T* af = a ? a + f * S * Op : nullptr;
        for (int64_t j = 0; j < cnt; ++j) {
          const T* __restrict g = gpad.data() + j * Op;
          const int64_t s0 = (nb + first[j]) * Op;
          if (a) {
            T v[KC];
            for (int r = 0; r < KC; ++r) v[r] = vals[r * kChunk + j];
            if (nb) {
              const T b = bv[j];
#pragma omp simd
              for (int64_t o = 0; o < Op; ++o) af[o] += g[o] * b;
            }
            for (int r = 0; r < KC; ++r) {
              T* __restrict ar = af + s0 + r * Op;
#pragma omp simd
              for (int64_t o = 0; o < Op; ++o) ar[o] += g[o] * v[r];
            }
          }
          if (gx) {  // the products per output; summed over the outputs below
            T d[KC];
            for (int r = 0; r < KC; ++r) d[r] = dvals[r * kChunk + j];
            const T db = nb ? dbv[j] : T(0);
            T* __restrict p = prod.data() + j * Op;
#pragma omp simd
            for (int64_t o = 0; o < Op; ++o) {
              T e = nb ? wf[o] * db : T(0);
              for (int r = 0; r < KC; ++r) e += wf[s0 + r * Op + o] * d[r];
              p[o] = g[o] * e;
            }
          }
        }
        // A horizontal sum per point right after its vector store would stall on
        // store forwarding (a vector store read back as scalars); summed here instead.
        if (gx)
          for (int64_t j = 0; j < cnt; ++j) {
            const T* p = prod.data() + j * Op;
            T sum = T(0);
            for (int64_t o = 0; o < Op; ++o) sum += p[o];
            gx[(c0 + j) * F + f] = sum;
          }
      }
    }
  });
  if (gw)
    for (auto& part : owned)
      for (int64_t i = 0; i < F * S * Op; ++i) gw[i] += (*part)[i];
}

// fn(integral_constant<int, k + 1>, integral_constant<int, OC>) (OC as in forward_rows).
template <typename Fn>
void dispatch_rows(int64_t k, int64_t O, Fn&& fn) {
  auto with_k = [&](auto OC) {
    switch (k) {
      case 0: fn(std::integral_constant<int, 1>{}, OC); break;
      case 1: fn(std::integral_constant<int, 2>{}, OC); break;
      case 2: fn(std::integral_constant<int, 3>{}, OC); break;
      default: fn(std::integral_constant<int, 4>{}, OC); break;
    }
  };
  if (O <= kPadOut)
    with_k(std::integral_constant<int, kPadOut>{});
  else if (O <= kPadOutWide)
    with_k(std::integral_constant<int, kPadOutWide>{});
  else
    with_k(std::integral_constant<int, 0>{});
}

// Whether the base function is formed from a precomputed sigmoid(x) or tanh(x).
bool precompute_of(int64_t base) { return base == kSilu || base == kTanh; }

// sigmoid(x) (SiLU) or tanh(x) (tanh), vectorised by ATen, else undefined.
at::Tensor precompute(const at::Tensor& x, int64_t base) {
  if (base == kSilu) return at::sigmoid(x);
  if (base == kTanh) return at::tanh(x);
  return at::Tensor();
}

}  // namespace

at::Tensor rows_forward(const at::Tensor& x, const at::Tensor& coef, const at::Tensor& scale_base,
                        const at::Tensor& scale_sp, const at::Tensor& mask,
                        const at::Tensor& knots, const at::Tensor& table,
                        const at::Tensor& origin, const at::Tensor& last, int64_t k,
                        bool uniform, bool linear, int64_t base) {
  return rows_forward_keep(x, coef, scale_base, scale_sp, mask, knots, table, origin, last, k,
                           uniform, linear, base, nullptr);
}

at::Tensor rows_forward_keep(const at::Tensor& x, const at::Tensor& coef,
                             const at::Tensor& scale_base, const at::Tensor& scale_sp,
                             const at::Tensor& mask, const at::Tensor& knots,
                             const at::Tensor& table, const at::Tensor& origin,
                             const at::Tensor& last, int64_t k, bool uniform, bool linear,
                             int64_t base, RowsKept* keep) {
  check_args(x, knots, table, origin, last, k, uniform);
  check_rows_args(x, coef, scale_base, scale_sp, mask, k);
  TORCH_CHECK(coef.size(2) == knots.size(1) - k - 1, "coef must have G + k coefficients per edge");
  const int64_t B = x.size(0), F = x.size(1), O = coef.size(0);
  auto y = at::empty({B, O}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_rows_forward", [&] {
    using T = scalar_t;
    const auto sp = make_spline<T>(knots, table, origin, last, k, uniform, linear, base);
    const int64_t Op = padded_outputs(O);
    const at::Tensor W = pack_weights(coef, scale_base, scale_sp, mask, sp.nb == 1, Op, 0, F);
    const at::Tensor pre = precompute(x, base);
    dispatch_rows(k, O, [&](auto KC, auto OC) {
      forward_rows<decltype(KC)::value, decltype(OC)::value>(
          sp, x.data_ptr<T>(), pre.defined() ? pre.data_ptr<T>() : nullptr, W.data_ptr<T>(), B, F, O,
          y.data_ptr<T>());
    });
    if (keep != nullptr) *keep = RowsKept{W, pre};
  });
  return y;
}

at::Tensor rows_backward(const at::Tensor& x, const at::Tensor& gy, const at::Tensor& coef,
                         const at::Tensor& scale_base, const at::Tensor& scale_sp,
                         const at::Tensor& mask, const at::Tensor& g_coef,
                         const at::Tensor& g_base, const at::Tensor& g_sp,
                         const at::Tensor& knots, const at::Tensor& table,
                         const at::Tensor& origin, const at::Tensor& last, int64_t k,
                         bool uniform, bool linear, int64_t base, bool need_x, bool need_w) {
  return rows_backward_kept(x, gy, coef, scale_base, scale_sp, mask, g_coef, g_base, g_sp, knots,
                            table, origin, last, k, uniform, linear, base, need_x, need_w,
                            RowsKept{});
}

at::Tensor rows_backward_kept(const at::Tensor& x, const at::Tensor& gy, const at::Tensor& coef,
                              const at::Tensor& scale_base, const at::Tensor& scale_sp,
                              const at::Tensor& mask, const at::Tensor& g_coef,
                              const at::Tensor& g_base, const at::Tensor& g_sp,
                              const at::Tensor& knots, const at::Tensor& table,
                              const at::Tensor& origin, const at::Tensor& last, int64_t k,
                              bool uniform, bool linear, int64_t base, bool need_x, bool need_w,
                              const RowsKept& kept) {
  check_args(x, knots, table, origin, last, k, uniform);
  check_rows_args(x, coef, scale_base, scale_sp, mask, k);
  const int64_t B = x.size(0), F = x.size(1), O = coef.size(0), n = coef.size(2);
  TORCH_CHECK(n == knots.size(1) - k - 1, "coef must have G + k coefficients per edge");
  TORCH_CHECK(gy.dim() == 2 && gy.is_contiguous() && gy.size(0) == B && gy.size(1) == O &&
                  gy.scalar_type() == x.scalar_type(),
              "gy must be a contiguous (B, O) tensor of x's dtype");
  if (need_w) check_grad_outputs(coef, scale_base, scale_sp, mask, g_coef, g_base, g_sp);
  auto gx = need_x ? at::empty({B, F}, x.options()) : at::empty({0}, x.options());
  const int64_t nb = base == kNoBase ? 0 : 1, S = nb + n;
  const int64_t Op = padded_outputs(O);
  at::Tensor gw = need_w ? at::zeros({F, S, Op}, x.options()) : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_rows_backward", [&] {
    using T = scalar_t;
    const auto sp = make_spline<T>(knots, table, origin, last, k, uniform, linear, base);
    const bool have = kept.W.defined();
    TORCH_CHECK(!have || (kept.W.numel() == F * S * Op && kept.W.scalar_type() == x.scalar_type() &&
                          (!precompute_of(base) || kept.pre.numel() == B * F)),
                "the kept weights or base values do not match the layer");
    const at::Tensor W = have ? kept.W
                              : pack_weights(coef, scale_base, scale_sp, mask, sp.nb == 1, Op, 0, F);
    const at::Tensor pre = have ? kept.pre : precompute(x, base);
    dispatch_rows(k, O, [&](auto KC, auto OC) {
      backward_rows<decltype(KC)::value, decltype(OC)::value>(
          sp, x.data_ptr<T>(), pre.defined() ? pre.data_ptr<T>() : nullptr, gy.data_ptr<T>(),
          W.data_ptr<T>(), B, F, O, need_x ? gx.data_ptr<T>() : nullptr,
          need_w ? gw.data_ptr<T>() : nullptr);
    });
  });
  if (need_w)  // (F, S, Op) -> (O, F, S), then into coef's, scale_base's and scale_sp's gradients
    split_grads(gw.narrow(2, 0, O).permute({2, 0, 1}).contiguous(), coef, scale_base, scale_sp,
                mask, nb == 1, 0, g_coef, g_base, g_sp, at::empty({0}, x.options()));
  return gx;
}

}  // namespace kanlab_cpu

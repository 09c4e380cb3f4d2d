// Local-support kernels: every point touches only the k + 1 weight rows of its
// non-zero B-splines (and the base function's row), so the cost per point is
// (k + 2) * out multiply-adds whatever the grid size G, against (G + k + 1) *
// out for a GEMM over dense features.
//
// The combined weights are packed (F, S, Op): for input f and feature slot s,
// a contiguous row of Op outputs (Op is out rounded up to whole tiles, the pad
// is zero).  x comes as its columns xT (F, B) (`columns`, once per step: the
// forward pass keeps them for the backward one).  The batch is processed in
// blocks of rows (whose rows of y or gy stay in the L2 cache); for each input,
// the block's points are evaluated (vectorised) and sorted by span, then for
// each tile of `vectors` SIMD vectors of outputs and each span, the k + 1
// (+ base) weight rows it needs are held in registers while all its points
// are processed:
//   * local_forward:  y[b, :] += v * W[f, row, :]    (threads split rows)
//   * local_backward: gW[f, row, :] += v * gy[b, :] and
//                     gx[b, f] = sum dv * <W[f, row, :], gy[b, :]>
//                     from one evaluation and sort   (threads split inputs;
//                     gx through panels of 16 columns summed 16 rows at a
//                     time); after the last block of rows, gW is split into
//                     the parameters' gradients 16 inputs at a time, while warm.
#include "parallel.h"

#include <atomic>
#include <memory>
#include <tuple>

#include "edges.h"
#include "kernels.h"
#include "local_columns.h"
#include "simd.h"
#include "spline_eval.h"
#include "transpose.h"

namespace kanlab_cpu {
namespace {

using namespace local;

// Inputs whose weight gradients are split into the parameters' gradients together.
constexpr int64_t kSplit = 16;

// ------------------------------------------------------------------ kernels
// Each handles one tile of outputs [o0, o0 + NV * N) of one column; Wf = W[f]
// (S, Op), y / gy the block's rows (Op apart).  KC = k + 1, or 0 for any
// degree (scalar loops).

// Calls point(row, w, wb) for the column's points in span order, with w the
// tile of the weight rows nb + g .. nb + g + KC - 1 of their span g and wb
// that of the base function's row, both loaded into registers once per span.
// With Diff, w[s] holds W[nb + g + s] - W[nb + g + KC - 1] for s < KC - 1 instead.
template <typename T, int KC, int NV, bool Diff = false, typename Point>
inline void with_span_rows(const Column<T>& col, const T* Wf, int64_t Op, int64_t o0, bool nb,
                           Point&& point) {
  using S_ = Simd<T>;
  using V = typename S_::V;
  constexpr int N = S_::N;
  V wb[NV];
#pragma GCC unroll 8
  for (int j = 0; j < NV; ++j) wb[j] = nb ? S_::load(Wf + o0 + j * N) : V{};
  for (int64_t g = 0; g < col.G; ++g) {
    const int64_t i0 = col.start[g], i1 = col.start[g + 1];
    if (i0 == i1) continue;
    V w[KC][NV];
#pragma GCC unroll 8
    for (int s = 0; s < KC; ++s)
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) w[s][j] = S_::load(Wf + (nb + g + s) * Op + o0 + j * N);
    if constexpr (Diff) {
#pragma GCC unroll 8
      for (int s = 0; s + 1 < KC; ++s)
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) w[s][j] -= w[KC - 1][j];
    }
    for (int64_t i = i0; i < i1; ++i) point(int64_t(col.order[i]), w, wb);
  }
}

// The K values of row r (planes cap apart) broadcast to vectors.
template <typename T, int KC>
inline void splat_values(const T* v, int64_t cap, int64_t r, typename Simd<T>::V (&c)[KC]) {
#pragma GCC unroll 8
  for (int s = 0; s < KC; ++s) c[s] = Simd<T>::splat(v[s * cap + r]);
}

// y[row, tile] += b W[0, tile] + sum_s v_s W[nb + span + s, tile].
template <typename T, int KC, int NV>
void forward_tile(const Column<T>& col, const T* Wf, int64_t Op, int64_t o0, bool nb, T* y) {
  using S_ = Simd<T>;
  using V = typename S_::V;
  constexpr int N = S_::N;
  const T* v = col.values(0);
  const T* bv = col.base(0);
  if constexpr (KC == 0) {
    for (int64_t r = 0; r < col.n; ++r) {
      T* yr = y + r * Op;
      if (nb) for (int64_t o = o0; o < o0 + NV * N; ++o) yr[o] += bv[r] * Wf[o];
      for (int64_t s = 0; s < col.K; ++s) {
        const T c = v[s * col.cap + r];
        const T* w = Wf + (nb + col.span[r] + s) * Op;
        for (int64_t o = o0; o < o0 + NV * N; ++o) yr[o] += c * w[o];
      }
    }
  } else {
    with_span_rows<T, KC, NV>(col, Wf, Op, o0, nb, [&](int64_t r, const V (&w)[KC][NV],
                                                      const V (&wb)[NV]) {
      T* yr = y + r * Op + o0;
      const V cb = S_::splat(nb ? bv[r] : T(0));
      V c[KC];
      splat_values<T, KC>(v, col.cap, r, c);
      // One chain of fused multiply-adds per vector (NV chains per point, and
      // the points are independent): no extra multiply or add.
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) {
        V a = S_::load(yr + j * N) + cb * wb[j];
#pragma GCC unroll 8
        for (int s = 0; s < KC; ++s) a += c[s] * w[s][j];
        S_::store(yr + j * N, a);
      }
    });
  }
}

// gx[row * F] (+)= sum_s dv_s <W[nb + span + s, tile], gy[row, tile]>
//                  + db <W[0, tile], gy[row, tile]>: assigned for the first tile.
// The vector kernels (KC > 0) leave a vector of partial sums per row in
// col.partial instead, which grad_x_sums adds up N rows at a time.
template <typename T, int KC, int NV>
void grad_x_tile(const Column<T>& col, const T* Wf, const T* gy, int64_t Op, int64_t o0, bool nb,
                 T* gx, int64_t F) {
  const bool first = o0 == 0;
  using S_ = Simd<T>;
  using V = typename S_::V;
  constexpr int N = S_::N;
  const T* v = col.values(1);
  const T* bv = col.base(1);
  if constexpr (KC == 0) {
    for (int64_t r = 0; r < col.n; ++r) {
      const T* gr = gy + r * Op;
      T acc = T(0);
      if (nb) for (int64_t o = o0; o < o0 + NV * N; ++o) acc += bv[r] * Wf[o] * gr[o];
      for (int64_t s = 0; s < col.K; ++s) {
        const T* w = Wf + (nb + col.span[r] + s) * Op;
        T d = T(0);
        for (int64_t o = o0; o < o0 + NV * N; ++o) d += w[o] * gr[o];
        acc += v[s * col.cap + r] * d;
      }
      gx[r * F] = first ? acc : gx[r * F] + acc;
    }
  } else {
    // The derivatives of a point's k + 1 B-splines sum to zero (they sum to
    // one), so sum_s dv_s W_s = sum_{s < k} dv_s (W_s - W_k): one multiply-add
    // fewer per vector, on the differences formed once per span (Diff).
    T* part = col.partial.get();
    with_span_rows<T, KC, NV, true>(col, Wf, Op, o0, nb, [&](int64_t r, const V (&w)[KC][NV],
                                                            const V (&wb)[NV]) {
      const T* gr = gy + r * Op + o0;
      const V cb = S_::splat(nb ? bv[r] : T(0));
      V c[KC];
      splat_values<T, KC>(v, col.cap, r, c);
      V t = first ? V{} : S_::load(part + r * N);
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) {
        V u = cb * wb[j];
#pragma GCC unroll 8
        for (int s = 0; s + 1 < KC; ++s) u += c[s] * w[s][j];
        t += u * S_::load(gr + j * N);
      }
      S_::store(part + r * N, t);
    });
  }
}

// gcol[row] = the sum of the lanes of row's partial sums, N rows at a time.
template <typename T>
void grad_x_sums(const Column<T>& col, T* gcol) {
  constexpr int N = Simd<T>::N;
  const T* part = col.partial.get();
  int64_t r = 0;
  for (; r + N <= col.n; r += N) row_sums(part + r * N, gcol + r);
  for (; r < col.n; ++r) gcol[r] = Simd<T>::sum(Simd<T>::load(part + r * N));
}

// gW[f, nb + span + s, tile] += v_s gy[row, tile] and gW[f, 0, tile] += b gy[row, tile],
// the gradient rows of a span accumulated in registers over its points.
template <typename T, int KC, int NV>
void grad_w_tile(const Column<T>& col, const T* gy, int64_t Op, int64_t o0, bool nb, T* gWf) {
  using S_ = Simd<T>;
  using V = typename S_::V;
  constexpr int N = S_::N;
  const T* v = col.values(0);
  const T* bv = col.base(0);
  if constexpr (KC == 0) {
    for (int64_t r = 0; r < col.n; ++r) {
      const T* gr = gy + r * Op;
      if (nb) for (int64_t o = o0; o < o0 + NV * N; ++o) gWf[o] += bv[r] * gr[o];
      for (int64_t s = 0; s < col.K; ++s) {
        const T c = v[s * col.cap + r];
        T* w = gWf + (nb + col.span[r] + s) * Op;
        for (int64_t o = o0; o < o0 + NV * N; ++o) w[o] += c * gr[o];
      }
    }
  } else {
    V bacc[NV];
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) bacc[j] = V{};
    for (int64_t g = 0; g < col.G; ++g) {
      const int64_t i0 = col.start[g], i1 = col.start[g + 1];
      if (i0 == i1) continue;
      V acc[KC][NV];
#pragma GCC unroll 8
      for (int s = 0; s < KC; ++s)
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) acc[s][j] = V{};
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t r = col.order[i];
        const T* gr = gy + r * Op + o0;
        V gv[NV];
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) gv[j] = S_::load(gr + j * N);
        if (nb) {
          const V cb = S_::splat(bv[r]);
#pragma GCC unroll 8
          for (int j = 0; j < NV; ++j) bacc[j] += cb * gv[j];
        }
#pragma GCC unroll 8
        for (int s = 0; s < KC; ++s) {
          const V c = S_::splat(v[s * col.cap + r]);
#pragma GCC unroll 8
          for (int j = 0; j < NV; ++j) acc[s][j] += c * gv[j];
        }
      }
#pragma GCC unroll 8
      for (int s = 0; s < KC; ++s) {
        T* w = gWf + (nb + g + s) * Op + o0;
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) S_::store(w + j * N, S_::load(w + j * N) + acc[s][j]);
      }
    }
    if (nb) {
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j)
        S_::store(gWf + o0 + j * N, S_::load(gWf + o0 + j * N) + bacc[j]);
    }
  }
}

// ------------------------------------------------------------------ drivers

// fn(state, begin, end) over [0, n) in chunks of `grain` claimed by the threads as
// they go (parallel.h): a thread slowed down by another process on its core does
// not hold the others up, as with a static split.
template <typename Make, typename Fn>
void dynamic_for(int64_t n, int64_t grain, Make&& make, Fn&& fn) {
  chunked_for(n, grain, make, fn);
}

// Calls fn(integral_constant<int, k + 1>, integral_constant<int, vectors>):
// degrees up to 3 and tiles of 1, 2 or 4 vectors compiled for, other degrees
// as KC = 0 (any degree, scalar loops).
template <typename Fn>
void dispatch_kv(int64_t k, int64_t vectors, Fn&& fn) {
  dispatch_k(k, [&](auto kc) {
    switch (vectors) {
      case 1: fn(kc, std::integral_constant<int, 1>{}); break;
      case 2: fn(kc, std::integral_constant<int, 2>{}); break;
      case 4: fn(kc, std::integral_constant<int, 4>{}); break;
      default: TORCH_CHECK(false, "vectors must be 1, 2 or 4, got ", vectors);
    }
  });
}

// Shapes of a call.  Rows per block: about 16 per span, so loading a span's
// weight rows into registers pays off, and as many as keep the block's rows
// of y (or gy) in the L2 cache.
template <typename T>
struct Blocks {
  int64_t B, F, S, Op, OB, R;
  Blocks(const Spline<T>& sp, int64_t B_, int64_t F_, int64_t Op_, int64_t vectors, int64_t rows)
      : B(B_), F(F_), S(sp.S), Op(Op_), OB(vectors * Simd<T>::N) {
    TORCH_CHECK(Op % OB == 0, "padded outputs ", Op, " are not a multiple of the tile ", OB);
    R = rows > 0 ? rows
                 : std::max<int64_t>(16 * sp.G, (512 << 10) / (Op * int64_t(sizeof(T))));
    R = std::min(R, std::max<int64_t>(B, 1));
  }
};

// xT is (F, B): x's columns.
void check_gy(const at::Tensor& xT, const at::Tensor& gy) {
  TORCH_CHECK(gy.dim() == 2 && gy.is_contiguous() && gy.size(0) == xT.size(1) &&
                  gy.scalar_type() == xT.scalar_type(),
              "gy must be a contiguous (B, Op) tensor of x's dtype");
}

void check_w(const at::Tensor& xT, const at::Tensor& W, int64_t S) {
  TORCH_CHECK(W.dim() == 3 && W.is_contiguous() && W.size(0) == xT.size(0) && W.size(1) == S &&
                  W.scalar_type() == xT.scalar_type(),
              "W must be a contiguous (F, S, Op) tensor of x's dtype with S = ", S);
}

}  // namespace

at::Tensor columns(const at::Tensor& x) {
  TORCH_CHECK(x.dim() == 2 && x.is_contiguous() && x.device().is_cpu(),
              "x must be a contiguous (B, F) CPU tensor");
  const int64_t B = x.size(0), F = x.size(1);
  auto xT = at::empty({F, B}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_columns", [&] {
    using T = scalar_t;
    constexpr int64_t N = Simd<T>::N;
    const T* src = x.data_ptr<T>();
    T* dst = xT.data_ptr<T>();
    // Strips of N rows: square blocks in registers, then the remaining columns.
    parallel_for(0, (B + N - 1) / N, 1, [&](int64_t sa, int64_t sb) {
      for (int64_t strip = sa; strip < sb; ++strip) {
        const int64_t r0 = strip * N, nr = std::min(N, B - r0);
        int64_t f = 0;
        if (nr == N)
          for (; f + N <= F; f += N) transpose_block(src + r0 * F + f, F, dst + f * B + r0, B);
        for (; f < F; ++f)
          for (int64_t r = r0; r < r0 + nr; ++r) dst[f * B + r] = src[r * F + f];
      }
    });
  });
  return xT;
}

at::Tensor local_forward(const at::Tensor& xT, const at::Tensor& W, const at::Tensor& base_pre,
                         const at::Tensor& knots, const at::Tensor& table,
                         const at::Tensor& origin, const at::Tensor& last, int64_t k,
                         bool uniform, bool linear, int64_t base, int64_t vectors,
                         int64_t block_rows) {
  check_args(xT, knots, table, origin, last, k, uniform, true);
  TORCH_CHECK(W.dim() == 3, "W must be (F, S, Op)");
  const int64_t B = xT.size(1), F = xT.size(0);
  auto y = at::zeros({B, W.size(2)}, xT.options());
  if (xT.numel() == 0) return y;
  const BasePre pre(xT, base, true, false, base_pre);
  AT_DISPATCH_FLOATING_TYPES(xT.scalar_type(), "kanlab_local_forward", [&] {
    using T = scalar_t;
    const auto sp = make_spline<T>(knots, table, origin, last, k, uniform, linear, base);
    check_w(xT, W, sp.S);
    const Blocks<T> blk(sp, B, F, W.size(2), vectors, block_rows);
    const T* xp = xT.data_ptr<T>();
    const T* p0 = pre.p0.defined() ? pre.p0.data_ptr<T>() : nullptr;
    const T* p1 = pre.p1.defined() ? pre.p1.data_ptr<T>() : nullptr;
    const T* wp = W.data_ptr<T>();
    T* yp = y.data_ptr<T>();
    dispatch_kv(k, vectors, [&](auto kc, auto nv) {
      constexpr int KC = decltype(kc)::value, NV = decltype(nv)::value;
      // Threads take blocks of rows: each writes its own rows of y.  Blocks are
      // smaller than R when that gives every thread two.
      const int64_t T_ = at::get_num_threads();
      const int64_t rows =
          T_ == 1 ? blk.R : std::min(blk.R, std::max<int64_t>(128, (blk.B + 2 * T_ - 1) / (2 * T_)));
      dynamic_for(
          blk.B, rows,
          [&] { return std::make_pair(Column<T>(rows, k + 1, sp.G), Scratch<T>(rows, sp.G)); },
          [&](auto& st, int64_t r0, int64_t r1) {
            auto& [col, sc] = st;
            for (int64_t f = 0; f < blk.F; ++f) {
              fill<KC>(col, sc, sp, xp, p0, p1, base, blk.B, r0, f, r1 - r0, blk.F, true, false);
              for (int64_t o0 = 0; o0 < blk.Op; o0 += blk.OB)
                forward_tile<T, KC, NV>(col, wp + f * blk.S * blk.Op, blk.Op, o0, sp.nb,
                                        yp + r0 * blk.Op);
            }
          });
    });
  });
  return y;
}

at::Tensor local_backward(const at::Tensor& xT, const at::Tensor& gy, const at::Tensor& W,
                          const at::Tensor& base_pre, const at::Tensor& coef, const at::Tensor& scale_base,
                          const at::Tensor& scale_sp, const at::Tensor& mask,
                          const at::Tensor& g_coef, const at::Tensor& g_base,
                          const at::Tensor& g_sp, const at::Tensor& knots, const at::Tensor& table,
                          const at::Tensor& origin, const at::Tensor& last, int64_t k,
                          bool uniform, bool linear, int64_t base, int64_t vectors,
                          int64_t block_rows, bool need_x, bool need_w) {
  check_args(xT, knots, table, origin, last, k, uniform, true);
  check_gy(xT, gy);
  const int64_t B = xT.size(1), F = xT.size(0);
  at::Tensor gx = need_x ? at::empty({B, F}, xT.options()) : xT.new_empty({0});
  const BasePre pre(xT, base, need_w, need_x, base_pre);
  AT_DISPATCH_FLOATING_TYPES(xT.scalar_type(), "kanlab_local_backward", [&] {
    using T = scalar_t;
    const auto sp = make_spline<T>(knots, table, origin, last, k, uniform, linear, base);
    const Blocks<T> blk(sp, B, F, gy.size(1), vectors, block_rows);
    if (need_x) {
      check_w(xT, W, sp.S);
      TORCH_CHECK(W.size(2) == gy.size(1), "W and gy must have the same padded outputs");
    }
    // The weights' gradient of an input is accumulated over the blocks of rows;
    // after the last, its rows (still in the cache) are split into the
    // parameters' gradients by the thread that owns the input.  Two orders:
    //   * ring (one block of rows): threads take inputs, kSplit at a time, and
    //     keep only those inputs' rows of gW (a ring in their scratch): no gW
    //     to allocate and clear;
    //   * blocks of rows outermost (their rows of gy stay in the cache across
    //     the inputs), gW (F, S, Op) accumulated in memory.  (Inputs outermost
    //     with a ring reads gy once per kSplit inputs: measured slower, even
    //     at G = 50 where gW is 6 times gy.)
    const bool ring = blk.B <= blk.R;
    at::Tensor gW = xT.new_empty({0});
    if (need_w) {
      check_grad_outputs(coef, scale_base, scale_sp, mask, g_coef, g_base, g_sp);
      TORCH_CHECK(coef.size(1) == blk.F && coef.size(2) == sp.n && coef.size(0) <= blk.Op &&
                      coef.scalar_type() == xT.scalar_type(),
                  "coef must be (O, F, n) of x's dtype with O at most the padded outputs");
      if (!ring) gW = at::zeros({blk.F, blk.S, blk.Op}, xT.options());
    }
    if (xT.numel() == 0 || !(need_x || need_w)) {
      if (need_w) {  // no rows: zero gradients
        g_coef.zero_(), g_base.zero_(), g_sp.zero_();
      }
      return;
    }
    const T* xp = xT.data_ptr<T>();
    const T* p0 = pre.p0.defined() ? pre.p0.data_ptr<T>() : nullptr;
    const T* p1 = pre.p1.defined() ? pre.p1.data_ptr<T>() : nullptr;
    const T* gp = gy.data_ptr<T>();
    const T* wp = need_x ? W.data_ptr<T>() : nullptr;
    T* gxp = need_x ? gx.data_ptr<T>() : nullptr;
    T* gwp = need_w && !ring ? gW.data_ptr<T>() : nullptr;
    const int64_t SOp = blk.S * blk.Op;
    const int64_t O = need_w ? coef.size(0) : 0, n = sp.n;
    const T* cp = need_w ? coef.data_ptr<T>() : nullptr;
    const T* ssp = need_w ? scale_sp.data_ptr<T>() : nullptr;
    const T* mp = need_w ? mask.data_ptr<T>() : nullptr;
    T* gcp = need_w ? g_coef.data_ptr<T>() : nullptr;
    T* gbp = need_w ? g_base.data_ptr<T>() : nullptr;
    T* gsp = need_w ? g_sp.data_ptr<T>() : nullptr;
    dispatch_kv(k, vectors, [&](auto kc, auto nv) {
      constexpr int KC = decltype(kc)::value, NV = decltype(nv)::value;
      // Input f over rows [r0, r0 + n_rows): evaluation, the tiles of both
      // gradients (gW rows at gwf), and gx through a panel (panels end at limit).
      auto process = [&](Column<T>& col, Scratch<T>& sc, T* gwf, int64_t f, int64_t r0,
                          int64_t n_rows, int64_t limit) {
        const T* g = gp + r0 * blk.Op;
        fill<KC>(col, sc, sp, xp, p0, p1, base, blk.B, r0, f, n_rows, limit, need_w, need_x);
        for (int64_t o0 = 0; o0 < blk.Op; o0 += blk.OB) {
          if (need_w) grad_w_tile<T, KC, NV>(col, g, blk.Op, o0, sp.nb, gwf);
          if (need_x)
            grad_x_tile<T, KC, NV>(col, wp + f * SOp, g, blk.Op, o0, sp.nb, gxp + r0 * blk.F + f,
                                   blk.F);
        }
        if (KC > 0 && need_x) {  // through a panel of gx
          grad_x_sums(col, sc.gx_column(f));
          if (sc.panel_ends(f)) sc.store_gx(gxp, blk.F);
        }
      };
      // Inputs [g0, g1)'s gradients split, output by output: each output's
      // gradients of the group are one contiguous run of memory.
      auto split = [&](int64_t g0, int64_t g1, auto&& gw_rows) {
        for (int64_t o = 0; o < O; ++o)
          for (int64_t i = g0; i < g1; ++i) {
            const int64_t of = o * blk.F + i;
            split_edge(gw_rows(i) + o, blk.Op, cp + of * n, ssp[of], mp[of], n, sp.nb,
                       gcp + of * n, gbp[of], gsp[of]);
          }
      };
      // Threads take blocks of inputs: each owns its inputs' rows of gW and
      // columns of gx, and their parameters' gradients.
      const int64_t inputs = std::max<int64_t>(
          1, (blk.F + 8 * at::get_num_threads() - 1) / (8 * at::get_num_threads()));
      auto make = [&] {
        return std::make_tuple(Column<T>(blk.R, k + 1, sp.G, need_x),
                               Scratch<T>(blk.R, sp.G, KC > 0 && need_x),
                               buffer<T>(need_w && ring ? kSplit * SOp : 0));
      };
      if (ring) {
        dynamic_for(blk.F, inputs, make, [&](auto& st, int64_t fa, int64_t fb) {
          auto& [col, sc, gw_ring] = st;
          for (int64_t g0 = fa; g0 < fb; g0 += kSplit) {
            const int64_t g1 = std::min(fb, g0 + kSplit);
            auto gw_rows = [&](int64_t i) { return gw_ring.get() + (i - g0) * SOp; };
            if (need_w) std::fill(gw_ring.get(), gw_ring.get() + (g1 - g0) * SOp, T(0));
            for (int64_t f = g0; f < g1; ++f)  // all rows: one block
              process(col, sc, need_w ? gw_rows(f) : nullptr, f, 0, blk.B, g1);
            if (need_w) split(g0, g1, gw_rows);
          }
        });
        return;
      }
      auto gw_rows = [&](int64_t i) { return gwp + i * SOp; };
      for (int64_t r0 = 0; r0 < blk.B; r0 += blk.R) {
        const int64_t n_rows = std::min(blk.R, blk.B - r0);
        const bool last_rows = r0 + n_rows == blk.B;
        dynamic_for(blk.F, inputs, make, [&](auto& st, int64_t fa, int64_t fb) {
          auto& [col, sc, unused] = st;
          (void)unused;
          for (int64_t f = fa; f < fb; ++f) {
            process(col, sc, need_w ? gw_rows(f) : nullptr, f, r0, n_rows, fb);
            const int64_t f1 = f + 1;  // groups of kSplit inputs from fa
            if (need_w && last_rows && ((f1 - fa) % kSplit == 0 || f1 == fb))
              split(f1 - ((f1 - fa - 1) % kSplit + 1), f1, gw_rows);
          }
        });
      }
    });
  });
  return gx;
}

}  // namespace kanlab_cpu

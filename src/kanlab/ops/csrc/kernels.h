// kanlab's CPU kernels of the fused "spline-linear" layer (kanlab/spline_linear.py).
//
// A KAN layer computes y[b, o] = sum_i sum_s W[o, i, s] * F_s(x[b, i]) with the
// features F = [b(x) (if the layer has a base function), B_0(x), ..., B_{n-1}(x)].
// Only k + 1 of the n B-splines are non-zero at a point.  The kernels evaluate
// those k + 1 values (and the base function) per point and either
//   * write the dense feature rows for a GEMM (dense_features.cpp), or
//   * contract them directly with the weights packed (in, S, out), touching
//     only the k + 1 (+ base) rows a point needs (local_support.cpp),
// plus the matching gradient kernels.  register.cpp declares them as the
// operators torch.ops.kanlab_cpu.*.
#pragma once

#include <ATen/ATen.h>

namespace kanlab_cpu {

// drop_last: without the last spline's slot (S - 1 features per input), as
// combine_weights with drop_last expects.  pre: bx (dbx) holds sigmoid(x) for a
// SiLU base or tanh(x) for tanh, from which the base values (derivatives) are formed.
void features_out(const at::Tensor& x, const at::Tensor& out, const at::Tensor& bx,
                  const at::Tensor& knots, const at::Tensor& table, const at::Tensor& origin,
                  const at::Tensor& last, int64_t k, bool uniform, bool linear, int64_t base,
                  bool drop_last, bool pre);

at::Tensor contract_dx(const at::Tensor& x, const at::Tensor& gF, const at::Tensor& dbx,
                       const at::Tensor& knots, const at::Tensor& table, const at::Tensor& origin,
                       const at::Tensor& last, int64_t k, bool uniform, bool linear, int64_t base,
                       bool drop_last, bool pre);

// x's columns xT (F, B) from x (B, F), which the local kernels take.
at::Tensor columns(const at::Tensor& x);

// xT: x's columns (F, B).  base_pre: sigmoid or tanh of xT (SiLU or tanh base)
// if the caller has it, else empty.
at::Tensor local_forward(const at::Tensor& xT, const at::Tensor& W, const at::Tensor& base_pre,
                         const at::Tensor& knots,
                         const at::Tensor& table, const at::Tensor& origin, const at::Tensor& last,
                         int64_t k, bool uniform, bool linear, int64_t base, int64_t vectors,
                         int64_t block_rows);

// Gradients of local_forward: gx (B, F) is returned when need_x; when need_w
// the gradients of the parameters coef (O, F, n), scale_base, scale_sp, mask
// (O, F) that W packs are written into g_coef, g_base and g_sp.
at::Tensor local_backward(const at::Tensor& xT, const at::Tensor& gy, const at::Tensor& W,
                          const at::Tensor& base_pre, const at::Tensor& coef, const at::Tensor& scale_base,
                          const at::Tensor& scale_sp, const at::Tensor& mask,
                          const at::Tensor& g_coef, const at::Tensor& g_base,
                          const at::Tensor& g_sp, const at::Tensor& knots, const at::Tensor& table,
                          const at::Tensor& origin, const at::Tensor& last, int64_t k,
                          bool uniform, bool linear, int64_t base, int64_t vectors,
                          int64_t block_rows, bool need_x, bool need_w);

// Combined weights (last - first, S, Op) of inputs [first, last) from the
// parameters (coef (O, F, n), scale_base, scale_sp, mask (O, F)); zero padding.
at::Tensor pack_weights(const at::Tensor& coef, const at::Tensor& scale_base,
                        const at::Tensor& scale_sp, const at::Tensor& mask, bool base,
                        int64_t padded, int64_t first, int64_t last);

// Checks the parameters, and the gradient buffers (g_coef, g_base, g_sp) of
// their shapes that the kernels write.
void check_grad_outputs(const at::Tensor& coef, const at::Tensor& scale_base,
                        const at::Tensor& scale_sp, const at::Tensor& mask,
                        const at::Tensor& g_coef, const at::Tensor& g_base,
                        const at::Tensor& g_sp);

// The same with the outputs first, written into W (O, last - first, S), and its gradient.
// drop_last: without the last spline's slot, the other splines' weights
// relative to its weight (S - 1 per edge), whose sum over the edges of each
// output is added to bias (O,) unless bias is empty.
void combine_weights(const at::Tensor& coef, const at::Tensor& scale_base,
                     const at::Tensor& scale_sp, const at::Tensor& mask, bool base, int64_t first,
                     int64_t last, const at::Tensor& W, bool drop_last, const at::Tensor& bias);
// split_grads with totals (O,), the batch sums of the outputs' gradient: gW
// without the last spline's slot (O, inputs, S - 1), as the dense strategy's
// GEMM over its features gives it (see edges.h, split_edge_relative).
void split_grads(const at::Tensor& gW, const at::Tensor& coef, const at::Tensor& scale_base,
                 const at::Tensor& scale_sp, const at::Tensor& mask, bool base, int64_t first,
                 const at::Tensor& g_coef, const at::Tensor& g_base, const at::Tensor& g_sp,
                 const at::Tensor& totals);

// The rows strategy (rows.cpp): layers of few outputs, x (B, F) as it is, the
// combined weights formed inside the call.  rows_backward returns gx (B, F) when
// need_x and, when need_w, writes the parameters' gradients into g_coef, g_base, g_sp.
at::Tensor rows_forward(const at::Tensor& x, const at::Tensor& coef, const at::Tensor& scale_base,
                        const at::Tensor& scale_sp, const at::Tensor& mask,
                        const at::Tensor& knots, const at::Tensor& table,
                        const at::Tensor& origin, const at::Tensor& last, int64_t k,
                        bool uniform, bool linear, int64_t base);
at::Tensor rows_backward(const at::Tensor& x, const at::Tensor& gy, const at::Tensor& coef,
                         const at::Tensor& scale_base, const at::Tensor& scale_sp,
                         const at::Tensor& mask, const at::Tensor& g_coef,
                         const at::Tensor& g_base, const at::Tensor& g_sp,
                         const at::Tensor& knots, const at::Tensor& table,
                         const at::Tensor& origin, const at::Tensor& last, int64_t k,
                         bool uniform, bool linear, int64_t base, bool need_x, bool need_w);
// What a rows forward pass forms that its backward pass needs again: the packed weights
// W (F, S, Op) and sigmoid or tanh of x (B, F) for a SiLU or tanh base (else undefined).
// The network node (network_node.cpp) keeps them from one pass to the other.
struct RowsKept {
  at::Tensor W, pre;
};
// rows_forward, handing what it formed to *keep.
at::Tensor rows_forward_keep(const at::Tensor& x, const at::Tensor& coef,
                             const at::Tensor& scale_base, const at::Tensor& scale_sp,
                             const at::Tensor& mask, const at::Tensor& knots,
                             const at::Tensor& table, const at::Tensor& origin,
                             const at::Tensor& last, int64_t k, bool uniform, bool linear,
                             int64_t base, RowsKept* keep);
// rows_backward with the forward pass's RowsKept of the same x and parameters (W undefined:
// formed again, as rows_backward does).
at::Tensor rows_backward_kept(const at::Tensor& x, const at::Tensor& gy, const at::Tensor& coef,
                              const at::Tensor& scale_base, const at::Tensor& scale_sp,
                              const at::Tensor& mask, const at::Tensor& g_coef,
                              const at::Tensor& g_base, const at::Tensor& g_sp,
                              const at::Tensor& knots, const at::Tensor& table,
                              const at::Tensor& origin, const at::Tensor& last, int64_t k,
                              bool uniform, bool linear, int64_t base, bool need_x, bool need_w,
                              const RowsKept& kept);

}  // namespace kanlab_cpu

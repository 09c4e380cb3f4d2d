// Declares kanlab's kernels as the operators torch.ops.kanlab_cpu.* (CPU only).
#include <torch/library.h>

#include "kernels.h"
#include "parallel.h"

namespace {
// The work-sharing backend of csrc/parallel.h (0: the intra-op team while it keeps up, else
// the inter-op pool; 1: the inter-op pool; 2: the intra-op team); returns the previous one.
// For benchmarks and tests that compare them in one process.
int64_t set_parallel_backend(int64_t backend) {
  TORCH_CHECK(backend >= 0 && backend <= 2, "parallel backend must be 0, 1 or 2, got ", backend);
  return kanlab_cpu::parallel_backend().exchange(static_cast<int>(backend));
}
}  // namespace

TORCH_LIBRARY(kanlab_cpu, m) {
  m.def("features_out(Tensor x, Tensor(a!) out, Tensor bx, Tensor knots, Tensor table, "
        "Tensor origin, Tensor last, int k, bool uniform, bool linear, int base, "
        "bool drop_last, bool pre=False) -> ()");
  m.def("contract_dx(Tensor x, Tensor gF, Tensor dbx, Tensor knots, Tensor table, Tensor origin, "
        "Tensor last, int k, bool uniform, bool linear, int base, bool drop_last, "
        "bool pre=False) -> Tensor");
  m.def("columns(Tensor x) -> Tensor");
  m.def("local_forward(Tensor xT, Tensor W, Tensor base_pre, Tensor knots, Tensor table, Tensor origin, "
        "Tensor last, int k, bool uniform, bool linear, int base, int vectors, "
        "int block_rows) -> Tensor");
  m.def("local_backward(Tensor xT, Tensor gy, Tensor W, Tensor base_pre, Tensor coef, Tensor scale_base, "
        "Tensor scale_sp, Tensor mask, Tensor(a!) g_coef, Tensor(b!) g_base, Tensor(c!) g_sp, "
        "Tensor knots, Tensor table, Tensor origin, Tensor last, int k, bool uniform, "
        "bool linear, int base, int vectors, int block_rows, bool need_x, bool need_w) -> Tensor");
  m.def("pack_weights(Tensor coef, Tensor scale_base, Tensor scale_sp, Tensor mask, bool base, "
        "int padded, int first, int last) -> Tensor");
  m.def("combine_weights(Tensor coef, Tensor scale_base, Tensor scale_sp, Tensor mask, "
        "bool base, int first, int last, Tensor(a!) W, bool drop_last, Tensor(b!) bias) -> ()");
  m.def("split_grads(Tensor gW, Tensor coef, Tensor scale_base, Tensor scale_sp, Tensor mask, "
        "bool base, int first, Tensor(a!) g_coef, Tensor(b!) g_base, Tensor(c!) g_sp, "
        "Tensor totals) -> ()");
  m.def("rows_forward(Tensor x, Tensor coef, Tensor scale_base, Tensor scale_sp, Tensor mask, "
        "Tensor knots, Tensor table, Tensor origin, Tensor last, int k, bool uniform, "
        "bool linear, int base) -> Tensor");
  m.def("rows_backward(Tensor x, Tensor gy, Tensor coef, Tensor scale_base, Tensor scale_sp, "
        "Tensor mask, Tensor(a!) g_coef, Tensor(b!) g_base, Tensor(c!) g_sp, Tensor knots, "
        "Tensor table, Tensor origin, Tensor last, int k, bool uniform, bool linear, int base, "
        "bool need_x, bool need_w) -> Tensor");
  m.def("set_parallel_backend(int backend) -> int", &set_parallel_backend);
}

TORCH_LIBRARY_IMPL(kanlab_cpu, CPU, m) {
  m.impl("features_out", &kanlab_cpu::features_out);
  m.impl("contract_dx", &kanlab_cpu::contract_dx);
  m.impl("columns", &kanlab_cpu::columns);
  m.impl("local_forward", &kanlab_cpu::local_forward);
  m.impl("local_backward", &kanlab_cpu::local_backward);
  m.impl("pack_weights", &kanlab_cpu::pack_weights);
  m.impl("combine_weights", &kanlab_cpu::combine_weights);
  m.impl("split_grads", &kanlab_cpu::split_grads);
  m.impl("rows_forward", &kanlab_cpu::rows_forward);
  m.impl("rows_backward", &kanlab_cpu::rows_backward);
}

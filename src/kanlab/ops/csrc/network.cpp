// A whole small KAN in one operator call per pass (kanlab/ops/_small_network.py).
//
// A network of narrow layers ([2,5,1] on 1000 points) costs little arithmetic;
// per layer, a Python-level call with its checks, an autograd node and several
// operator dispatches cost more than the kernels.  network_forward runs every
// layer's rows kernel (rows.cpp) in turn and returns the inputs of the layers
// after the first, which is all network_backward needs: it runs the layers'
// rows backward kernels from the last layer to the first, each one's x
// gradient being the gradient of the layer before.  With a value-check limit
// (> 0), each layer's input is checked before that layer runs: a value outside
// [-limit, limit] (or NaN) stops the pass and its index is returned, so the
// caller can raise the same error as the per-layer path (or fall back to it).
#include <torch/library.h>

#include <cmath>
#include <vector>

#include "kernels.h"

namespace kanlab_cpu {
namespace {

struct Layers {
  at::TensorList coef;
  at::TensorList scale_base;
  at::TensorList scale_sp;
  at::TensorList mask;
  at::TensorList knots;
  at::TensorList table;
  at::TensorList origin;
  at::TensorList last;
  at::IntArrayRef k;
  const std::vector<bool>& uniform;
  const std::vector<bool>& linear;
  at::IntArrayRef base;

  size_t size() const { return coef.size(); }

  void check() const {
    const size_t L = size();
    TORCH_CHECK(L >= 1, "network kernels need at least one layer");
    TORCH_CHECK(scale_base.size() == L && scale_sp.size() == L && mask.size() == L &&
                    knots.size() == L && table.size() == L && origin.size() == L &&
                    last.size() == L && k.size() == L && uniform.size() == L &&
                    linear.size() == L && base.size() == L,
                "every per-layer list of the network kernels needs one entry per layer");
    for (size_t l = 0; l + 1 < L; ++l)
      TORCH_CHECK(coef[l + 1].dim() == 3 && coef[l].dim() == 3 &&
                      coef[l + 1].size(1) == coef[l].size(0),
                  "layer ", l + 1, " must take as many inputs as layer ", l, " has outputs");
  }
};

// One compare per value (|v| <= lim is false for NaN), so the loop vectorises.
template <typename T>
bool within_values(const T* p, int64_t n, T lim) {
  int bad = 0;
#pragma omp simd reduction(| : bad)
  for (int64_t i = 0; i < n; ++i) bad |= !(std::abs(p[i]) <= lim);
  return bad == 0;
}

// Whether every value of x (contiguous) lies in [-limit, limit] (false for NaN).
bool within(const at::Tensor& x, double limit) {
  TORCH_CHECK(x.is_contiguous(), "network_forward needs a contiguous x");
  bool ok = true;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_network_within", [&] {
    ok = within_values<scalar_t>(x.data_ptr<scalar_t>(), x.numel(), static_cast<scalar_t>(limit));
  });
  return ok;
}

std::vector<bool> flags(const c10::List<bool>& list) {
  std::vector<bool> out;
  out.reserve(list.size());
  for (const bool b : list) out.push_back(b);
  return out;
}

}  // namespace

// (outs, failed): outs = [y, input of layer 1, ..., input of layer L-1]; when the
// input of layer `failed` (0 = x) fails the value check, outs = [empty, inputs of
// layers 1..failed] (up to the one that failed) and failed >= 0, else failed = -1.
std::tuple<std::vector<at::Tensor>, int64_t> network_forward(
    const at::Tensor& x, at::TensorList coef,
    at::TensorList scale_base, at::TensorList scale_sp,
    at::TensorList mask, at::TensorList knots,
    at::TensorList table, at::TensorList origin,
    at::TensorList last, at::IntArrayRef k, c10::List<bool> uniform_,
    c10::List<bool> linear_, at::IntArrayRef base, double limit) {
  const std::vector<bool> uniform = flags(uniform_), linear = flags(linear_);
  const Layers net{coef, scale_base, scale_sp, mask, knots, table, origin, last,
                   k,    uniform,    linear,   base};
  net.check();
  std::vector<at::Tensor> outs(1);
  at::Tensor h = x;
  for (size_t l = 0; l < net.size(); ++l) {
    if (l > 0) outs.push_back(h);
    if (limit > 0 && !within(h, limit)) {
      outs[0] = at::empty({0}, x.options());
      return {outs, static_cast<int64_t>(l)};
    }
    h = rows_forward(h, coef[l], scale_base[l], scale_sp[l], mask[l], knots[l], table[l],
                     origin[l], last[l], k[l], uniform[l], linear[l], base[l]);
  }
  outs[0] = h;
  return {outs, -1};
}

// [gx (empty unless need_x), then per layer g_coef, g_scale_base, g_scale_sp (empty
// unless need_w[l])].  inputs: [x, input of layer 1, ...] as network_forward kept them.
std::vector<at::Tensor> network_backward(
    at::TensorList inputs, const at::Tensor& gy,
    at::TensorList coef, at::TensorList scale_base,
    at::TensorList scale_sp, at::TensorList mask,
    at::TensorList knots, at::TensorList table,
    at::TensorList origin, at::TensorList last,
    at::IntArrayRef k, c10::List<bool> uniform_, c10::List<bool> linear_,
    at::IntArrayRef base, bool need_x, c10::List<bool> need_w_) {
  const std::vector<bool> uniform = flags(uniform_), linear = flags(linear_),
                          need_w = flags(need_w_);
  const Layers net{coef, scale_base, scale_sp, mask, knots, table, origin, last,
                   k,    uniform,    linear,   base};
  net.check();
  const int64_t L = static_cast<int64_t>(net.size());
  TORCH_CHECK(static_cast<int64_t>(inputs.size()) == L && static_cast<int64_t>(need_w.size()) == L,
              "network_backward needs every layer's input and one need_w per layer");
  const auto empty = at::empty({0}, gy.options());
  std::vector<at::Tensor> out(1 + 3 * L, empty);
  // The first layer whose gradients are wanted: the pass stops there.
  int64_t first = need_x ? 0 : L;
  for (int64_t l = L - 1; l >= 0 && !need_x; --l)
    if (need_w[l]) first = l;
  at::Tensor g = gy.contiguous();
  for (int64_t l = L - 1; l >= first; --l) {
    const bool nx = l > first || need_x;
    const bool nw = need_w[l];
    at::Tensor gc = empty, gb = empty, gs = empty;
    if (nw) {
      gc = at::empty_like(coef[l]);
      gb = at::empty_like(scale_base[l]);
      gs = at::empty_like(scale_sp[l]);
    }
    at::Tensor gx = rows_backward(inputs[l], g, coef[l], scale_base[l], scale_sp[l], mask[l], gc,
                                  gb, gs, knots[l], table[l], origin[l], last[l], k[l],
                                  uniform[l], linear[l], base[l], nx, nw);
    if (nw) {
      if (base[l] == KANLAB_BASE_ZERO) gb.zero_();  // scale_base does not enter the output without a base
      out[1 + 3 * l] = gc;
      out[2 + 3 * l] = gb;
      out[3 + 3 * l] = gs;
    }
    g = gx;
  }
  if (need_x) out[0] = g;
  return out;
}

TORCH_LIBRARY_FRAGMENT(kanlab_cpu, m) {
  m.def("network_forward(Tensor x, Tensor[] coef, Tensor[] scale_base, Tensor[] scale_sp, "
        "Tensor[] mask, Tensor[] knots, Tensor[] table, Tensor[] origin, Tensor[] last, "
        "int[] k, bool[] uniform, bool[] linear, int[] base, float limit) -> (Tensor[], int)");
  m.def("network_backward(Tensor[] inputs, Tensor gy, Tensor[] coef, Tensor[] scale_base, "
        "Tensor[] scale_sp, Tensor[] mask, Tensor[] knots, Tensor[] table, Tensor[] origin, "
        "Tensor[] last, int[] k, bool[] uniform, bool[] linear, int[] base, bool need_x, "
        "bool[] need_w) -> Tensor[]");
}

TORCH_LIBRARY_IMPL(kanlab_cpu, CPU, m) {
  m.impl("network_forward", &network_forward);
  m.impl("network_backward", &network_backward);
}

// Both run only inside NetworkFunction's forward and backward (grad mode off), whose
// autograd node is the network's: the autograd key falls through to the CPU kernels
// directly, skipping the not-implemented fallback's walk over every argument.
TORCH_LIBRARY_IMPL(kanlab_cpu, Autograd, m) {
  m.impl("network_forward", torch::CppFunction::makeFallthrough());
  m.impl("network_backward", torch::CppFunction::makeFallthrough());
}

}  // namespace kanlab_cpu

// The whole small network as one C++ autograd node (kanlab/ops/_small_network.py).
//
// At [2,5,1] on 1000 points a Python autograd.Function around network_forward and
// network_backward (network.cpp) cost as much as the kernels: its apply, its saved
// tensors, the Python backward and the two operator calls with their argument parsing.
// Here the operator `network` makes the node itself: its forward runs network_forward,
// saves x, the parameters, the hidden layers' inputs and what each layer's rows kernel
// formed that its backward needs again (packed weights, sigmoid or tanh of the input:
// RowsKept); its backward runs network_backward on them.  With create_graph (double backward) the backward instead calls
// network_reference_grads, implemented in Python over the pure-PyTorch reference, so
// gradients of gradients stay exact.
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>

#include <vector>

#include "network_plan.h"

namespace kanlab_cpu {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using Plan = c10::intrusive_ptr<NetworkPlan>;

// The gradients through the Python reference, with a graph: empty where not wanted.
std::vector<at::Tensor> reference_grads(const at::Tensor& gy, const at::Tensor& x,
                                        at::TensorList params, int64_t key,
                                        const std::vector<int64_t>& wanted) {
  static const auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow("kanlab_cpu::network_reference_grads", "")
          .typed<std::vector<at::Tensor>(const at::Tensor&, const at::Tensor&, at::TensorList,
                                         int64_t, at::IntArrayRef)>();
  return op.call(gy, x, params, key, wanted);
}

struct NetworkNode : public torch::autograd::Function<NetworkNode> {
  // -> [y, input of layer 1, ..., input of layer L-1]; *failed as network_forward's.
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x, at::TensorList params,
                               const Plan& net, int64_t* failed) {
    std::vector<at::Tensor> outs;
    std::vector<RowsKept> kept;
    {
      at::AutoDispatchBelowADInplaceOrView below;  // the kernels' own ATen calls skip autograd
      std::tie(outs, *failed) = network_forward(x, params, *net, &kept);
    }
    // [x, params..., inputs of layers 1.., W of every layer..., pre of every layer...]
    std::vector<at::Tensor> saved;
    saved.reserve(params.size() + outs.size() + 2 * kept.size());
    saved.push_back(x);
    saved.insert(saved.end(), params.begin(), params.end());
    saved.insert(saved.end(), outs.begin() + 1, outs.end());
    for (const RowsKept& k : kept) saved.push_back(k.W);
    for (const RowsKept& k : kept) saved.push_back(k.pre);
    ctx->save_for_backward(saved);
    ctx->saved_data["net"] = net;
    if (outs.size() > 1) ctx->mark_non_differentiable({outs.begin() + 1, outs.end()});
    ctx->set_materialize_grads(false);
    return outs;
  }

  // One gradient per argument of forward: x, each parameter, net, failed.
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const Plan net = ctx->saved_data["net"].toCustomClass<NetworkPlan>();
    const size_t L = net->size(), n = 3 * L;
    variable_list grads(1 + n + 2);
    const at::Tensor& gy = grad_outputs[0];
    if (!gy.defined()) return grads;  // the output does not reach the loss
    const variable_list saved = ctx->get_saved_variables();
    TORCH_CHECK(saved.size() == 3 * L + n, "the network node's forward pass stopped early");
    const at::TensorList params(saved.data() + 1, n);
    if (at::GradMode::is_enabled()) {  // create_graph: differentiate the reference
      std::vector<int64_t> wanted(1 + n);
      for (size_t i = 0; i <= n; ++i) wanted[i] = ctx->needs_input_grad(i);
      std::vector<at::Tensor> ref = reference_grads(gy, saved[0], params, net->key, wanted);
      for (size_t i = 0; i <= n; ++i)
        if (wanted[i]) grads[i] = ref[i];
      return grads;
    }
    const bool need_x = ctx->needs_input_grad(0);
    std::vector<bool> need_w(L);
    for (size_t l = 0; l < L; ++l)
      need_w[l] = ctx->needs_input_grad(1 + 3 * l) || ctx->needs_input_grad(2 + 3 * l) ||
                  ctx->needs_input_grad(3 + 3 * l);
    std::vector<at::Tensor> inputs{saved[0]};
    inputs.insert(inputs.end(), saved.begin() + 1 + n, saved.begin() + n + L);
    std::vector<RowsKept> kept(L);
    for (size_t l = 0; l < L; ++l) kept[l] = RowsKept{saved[n + L + l], saved[n + 2 * L + l]};
    std::vector<at::Tensor> out;
    {
      at::AutoDispatchBelowADInplaceOrView below;
      out = network_backward(inputs, gy, params, *net, need_x, need_w, &kept);
    }
    for (size_t i = 0; i <= n; ++i)
      if (ctx->needs_input_grad(i)) grads[i] = std::move(out[i]);
    return grads;
  }
};

}  // namespace

std::tuple<std::vector<at::Tensor>, int64_t> network_autograd(
    const at::Tensor& x, at::TensorList params, int64_t plan) {
  int64_t failed = -1;
  variable_list outs = NetworkNode::apply(x, params, find_plan(plan), &failed);
  return {outs, failed};
}

}  // namespace kanlab_cpu

// A small KAN's per-layer constants, held once per plan (kanlab/ops/_small_network.py).
//
// The network operators (network.cpp) used to take fourteen arguments, ten of them lists
// over the layers, and the dispatcher parsed every one on every call; at [2,5,1] that
// parsing cost about a third of a step.  A NetworkPlan holds what does not change between
// calls (the masks, knots, span tables, degrees, flags and the value check's bound) as
// the custom class torch.classes.kanlab_cpu.NetworkPlan, built once per model plan; the
// operators take its key, the input and the flat list of parameters.
//
// Why a key and not the object: a script object among an operator's arguments costs
// ~10-20 µs per call from Python, because the call looks for __torch_function__ on every
// argument and a script object answers that look-up with two C++ exceptions.  An int is
// parsed in nanoseconds; the plan is found in a registry of weak references
// (publish_plan / find_plan) that the plan leaves when its last reference goes.
#pragma once

#include <torch/custom_class.h>

#include <tuple>
#include <vector>

#include "kernels.h"

namespace kanlab_cpu {

struct NetworkPlan : torch::CustomClassHolder {
  std::vector<at::Tensor> mask, knots, table, origin, last;  // one per layer
  std::vector<int64_t> k, base;
  std::vector<bool> uniform, linear;
  double limit;  // the value check's bound (0: no check)
  int64_t key;   // names the plan's Python spec, for the reference (double backward)

  NetworkPlan(std::vector<at::Tensor> mask_, std::vector<at::Tensor> knots_,
              std::vector<at::Tensor> table_, std::vector<at::Tensor> origin_,
              std::vector<at::Tensor> last_, std::vector<int64_t> k_, c10::List<bool> uniform_,
              c10::List<bool> linear_, std::vector<int64_t> base_, double limit_, int64_t key_);

  size_t size() const { return mask.size(); }
  // Leaves the registry (publish_plan) when the last strong reference goes.
  void release_resources() override;
  // params: coef, scale_base, scale_sp of every layer in turn, shapes chained.
  void check(at::TensorList params) const;
};

// Makes the plan findable by its key (find_plan) while any strong reference holds it.
void publish_plan(const c10::intrusive_ptr<NetworkPlan>& plan);
// The published plan of this key; an error when none is alive.
c10::intrusive_ptr<NetworkPlan> find_plan(int64_t key);

// (outs, failed): outs = [y, input of layer 1, ..., input of layer L-1]; when the input of
// layer `failed` (0 = x) fails the value check, outs = [empty, inputs of layers 1..failed]
// and failed >= 0, else failed = -1.  keep (if not null) receives every layer's RowsKept.
std::tuple<std::vector<at::Tensor>, int64_t> network_forward(
    const at::Tensor& x, at::TensorList params, const NetworkPlan& net,
    std::vector<RowsKept>* keep = nullptr);

// [gx (empty unless need_x), then per layer g_coef, g_scale_base, g_scale_sp (empty unless
// need_w[l])].  inputs: [x, input of layer 1, ...] as network_forward kept them; kept
// (if not null) every layer's RowsKept from that pass, else they are formed again.
std::vector<at::Tensor> network_backward(at::TensorList inputs, const at::Tensor& gy,
                                         at::TensorList params, const NetworkPlan& net,
                                         bool need_x, const std::vector<bool>& need_w,
                                         const std::vector<RowsKept>* kept = nullptr);

// network_forward under one autograd node whose backward is network_backward (network_node.cpp).
// `plan`: a published plan's key (find_plan).
std::tuple<std::vector<at::Tensor>, int64_t> network_autograd(
    const at::Tensor& x, at::TensorList params, int64_t plan);

}  // namespace kanlab_cpu

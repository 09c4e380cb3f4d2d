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
// The per-layer constants come in a NetworkPlan (network_plan.h); the operator
// `network` is the forward pass under one C++ autograd node (network_node.cpp).
#include <torch/library.h>

#include <cmath>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "network_plan.h"

namespace kanlab_cpu {

NetworkPlan::NetworkPlan(std::vector<at::Tensor> mask_, std::vector<at::Tensor> knots_,
                         std::vector<at::Tensor> table_, std::vector<at::Tensor> origin_,
                         std::vector<at::Tensor> last_, std::vector<int64_t> k_,
                         c10::List<bool> uniform_, c10::List<bool> linear_,
                         std::vector<int64_t> base_, double limit_, int64_t key_)
    : mask(std::move(mask_)), knots(std::move(knots_)), table(std::move(table_)),
      origin(std::move(origin_)), last(std::move(last_)), k(std::move(k_)),
      base(std::move(base_)), limit(limit_), key(key_) {
  for (const bool b : uniform_) uniform.push_back(b);
  for (const bool b : linear_) linear.push_back(b);
  const size_t L = mask.size();
  TORCH_CHECK(L >= 1, "a network plan needs at least one layer");
  TORCH_CHECK(knots.size() == L && table.size() == L && origin.size() == L &&
                  last.size() == L && k.size() == L && uniform.size() == L &&
                  linear.size() == L && base.size() == L,
              "every per-layer list of a network plan needs one entry per layer");
}

namespace {

// Never destroyed: plans still alive at exit leave the registry after static destructors ran.
std::mutex& registry_mutex() {
  static auto* m = new std::mutex;
  return *m;
}

std::unordered_map<int64_t, c10::weak_intrusive_ptr<NetworkPlan>>& registry() {
  static auto* plans = new std::unordered_map<int64_t, c10::weak_intrusive_ptr<NetworkPlan>>;
  return *plans;
}

}  // namespace

void publish_plan(const c10::intrusive_ptr<NetworkPlan>& plan) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry().insert_or_assign(plan->key, c10::weak_intrusive_ptr<NetworkPlan>(plan));
}

c10::intrusive_ptr<NetworkPlan> find_plan(int64_t key) {
  c10::intrusive_ptr<NetworkPlan> plan;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    const auto it = registry().find(key);
    if (it != registry().end()) plan = it->second.lock();
  }
  TORCH_CHECK(plan, "no network plan with key ", key, " is alive (NetworkSpec.plan() makes one)");
  return plan;
}

void NetworkPlan::release_resources() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  const auto it = registry().find(key);
  if (it != registry().end() && it->second._unsafe_get_target() == this) registry().erase(it);
}

void NetworkPlan::check(at::TensorList params) const {
  const size_t L = size();
  TORCH_CHECK(params.size() == 3 * L, "the network kernels need coef, scale_base and "
              "scale_sp of each of the plan's ", L, " layers, got ", params.size(), " tensors");
  for (size_t l = 0; l + 1 < L; ++l) {
    const at::Tensor &c0 = params[3 * l], &c1 = params[3 * l + 3];
    TORCH_CHECK(c0.dim() == 3 && c1.dim() == 3 && c1.size(1) == c0.size(0),
                "layer ", l + 1, " must take as many inputs as layer ", l, " has outputs");
  }
}

namespace {

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

std::tuple<std::vector<at::Tensor>, int64_t> network_forward(
    const at::Tensor& x, at::TensorList params, const NetworkPlan& net,
    std::vector<RowsKept>* keep) {
  net.check(params);
  if (keep != nullptr) keep->assign(net.size(), RowsKept{});
  std::vector<at::Tensor> outs(1);
  at::Tensor h = x;
  for (size_t l = 0; l < net.size(); ++l) {
    if (l > 0) outs.push_back(h);
    if (net.limit > 0 && !within(h, net.limit)) {
      outs[0] = at::empty({0}, x.options());
      return {outs, static_cast<int64_t>(l)};
    }
    h = rows_forward_keep(h, params[3 * l], params[3 * l + 1], params[3 * l + 2], net.mask[l],
                          net.knots[l], net.table[l], net.origin[l], net.last[l], net.k[l],
                          net.uniform[l], net.linear[l], net.base[l],
                          keep != nullptr ? &(*keep)[l] : nullptr);
  }
  outs[0] = h;
  return {outs, -1};
}

std::vector<at::Tensor> network_backward(at::TensorList inputs, const at::Tensor& gy,
                                         at::TensorList params, const NetworkPlan& net,
                                         bool need_x, const std::vector<bool>& need_w,
                                         const std::vector<RowsKept>* kept) {
  net.check(params);
  const int64_t L = static_cast<int64_t>(net.size());
  TORCH_CHECK(static_cast<int64_t>(inputs.size()) == L && static_cast<int64_t>(need_w.size()) == L,
              "network_backward needs every layer's input and one need_w per layer");
  TORCH_CHECK(kept == nullptr || static_cast<int64_t>(kept->size()) == L,
              "network_backward needs one kept state per layer");
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
    const at::Tensor &coef = params[3 * l], &scale_base = params[3 * l + 1],
                     &scale_sp = params[3 * l + 2];
    at::Tensor gc = empty, gb = empty, gs = empty;
    if (nw) {
      gc = at::empty_like(coef);
      gb = at::empty_like(scale_base);
      gs = at::empty_like(scale_sp);
    }
    at::Tensor gx = rows_backward_kept(
        inputs[l], g, coef, scale_base, scale_sp, net.mask[l], gc, gb, gs, net.knots[l],
        net.table[l], net.origin[l], net.last[l], net.k[l], net.uniform[l], net.linear[l],
        net.base[l], nx, nw, kept != nullptr ? (*kept)[l] : RowsKept{});
    if (nw) {
      if (net.base[l] == KANLAB_BASE_ZERO) gb.zero_();  // scale_base does not enter the output without a base
      out[1 + 3 * l] = gc;
      out[2 + 3 * l] = gb;
      out[3 + 3 * l] = gs;
    }
    g = gx;
  }
  if (need_x) out[0] = g;
  return out;
}

namespace {

using Plan = c10::intrusive_ptr<NetworkPlan>;

std::tuple<std::vector<at::Tensor>, int64_t> forward_op(const at::Tensor& x,
                                                        at::TensorList params, int64_t plan) {
  return network_forward(x, params, *find_plan(plan));
}

std::vector<at::Tensor> backward_op(at::TensorList inputs, const at::Tensor& gy,
                                    at::TensorList params, int64_t plan, bool need_x,
                                    c10::List<bool> need_w) {
  return network_backward(inputs, gy, params, *find_plan(plan), need_x, flags(need_w));
}

}  // namespace

// The class and the operators that take it are declared in one block: an operator's
// schema names the class, which must be registered first.
TORCH_LIBRARY_FRAGMENT(kanlab_cpu, m) {
  m.class_<NetworkPlan>("NetworkPlan")
      .def(torch::init<std::vector<at::Tensor>, std::vector<at::Tensor>, std::vector<at::Tensor>,
                       std::vector<at::Tensor>, std::vector<at::Tensor>, std::vector<int64_t>,
                       c10::List<bool>, c10::List<bool>, std::vector<int64_t>, double,
                       int64_t>())
      .def("layers", [](const Plan& self) { return static_cast<int64_t>(self->size()); })
      .def("key", [](const Plan& self) { return self->key; })
      // Findable by its key from now on: the operators take the key (network_plan.h).
      .def("publish", [](const Plan& self) { publish_plan(self); })
      // How many references hold the plan: autograd nodes hold one each (a graph that
      // may still call back into Python for its double backward).
      .def("holders", [](const Plan& self) { return static_cast<int64_t>(self.use_count()); });
  // `plan`: the key of a published NetworkPlan (network_plan.h says why not the object).
  m.def("network_forward(Tensor x, Tensor[] params, int plan) -> (Tensor[], int)");
  m.def("network_backward(Tensor[] inputs, Tensor gy, Tensor[] params, int plan, "
        "bool need_x, bool[] need_w) -> Tensor[]");
  m.def("network(Tensor x, Tensor[] params, int plan) -> (Tensor[], int)");
  // Implemented in Python (kanlab/ops/_small_network.py): the gradients through the
  // pure-PyTorch reference, with a graph, for the node's double backward.
  m.def("network_reference_grads(Tensor gy, Tensor x, Tensor[] params, int key, "
        "int[] wanted) -> Tensor[]");
}

TORCH_LIBRARY_IMPL(kanlab_cpu, CPU, m) {
  m.impl("network_forward", &forward_op);
  m.impl("network_backward", &backward_op);
  m.impl("network", &forward_op);  // below autograd (inference tensors): no node
}

// network_forward and network_backward run without an autograd node of their own (the
// benchmarks' kernels-only step): the autograd key falls through to the CPU kernels,
// skipping the not-implemented fallback's walk over every argument.  `network` makes
// the whole network's node (network_node.cpp).
TORCH_LIBRARY_IMPL(kanlab_cpu, Autograd, m) {
  m.impl("network_forward", torch::CppFunction::makeFallthrough());
  m.impl("network_backward", torch::CppFunction::makeFallthrough());
  m.impl("network", &network_autograd);
}

}  // namespace kanlab_cpu

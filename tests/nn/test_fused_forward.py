"""The fused small-network path (nn/_fused_forward.py, ops/_small_network.py, csrc/network.cpp)
against the per-layer pass: values and gradients, eligibility, value checks, fallbacks."""
from __future__ import annotations

import pytest
import torch

import kanlab
from kanlab import config
from kanlab._validation import NonFiniteError
from kanlab.nn._fused_forward import _plan, fused_reason
from kanlab.ops import _extension as extension
from kanlab.ops._small_network import network_output
from kanlab.ops._strategies import ROWS_MAX_OUT

needs_kernels = pytest.mark.skipif(extension.ops() is None,
                                   reason=f"C++ kernels unavailable: {extension.status()}")


def _model(width=(2, 5, 1), dtype=torch.float64, **kwargs):
    kwargs.setdefault("sb_trainable", True)
    return kanlab.KAN(list(width), grid=5, k=3, seed=0, dtype=dtype, **kwargs)


def _points(n, d, dtype, spread=1.3, seed=1):
    g = torch.Generator().manual_seed(seed)
    return ((torch.rand(n, d, generator=g, dtype=torch.float64) * 2 - 1) * spread).to(dtype)


def _grads(model, forward, x):
    x = x.clone().requires_grad_()
    params = [p for p in model.parameters() if p.requires_grad]
    y = forward(x)
    grads = torch.autograd.grad((y * y.detach().cos()).sum(), params + [x], allow_unused=True)
    # without a base function the reference leaves scale_base out of the graph (zero gradient)
    return y.detach(), [torch.zeros_like(t) if g is None else g for g, t in zip(grads, params + [x])]


def _assert_fused_matches_layers(model, x, rtol, atol):
    assert fused_reason(model, x) is None
    y_fused, g_fused = _grads(model, model, x)
    with config.use(kernels=False):  # the per-layer pure-PyTorch reference
        assert fused_reason(model, x) is not None
        y_ref, g_ref = _grads(model, model, x)
    y_layers, g_layers = _grads(model, model.forward_layers, x)  # per-layer kernels
    torch.testing.assert_close(y_fused, y_ref, rtol=rtol, atol=atol)
    torch.testing.assert_close(y_fused, y_layers, rtol=0, atol=0)  # the same kernels
    for a, b, c in zip(g_fused, g_ref, g_layers):
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol)
        torch.testing.assert_close(a, c, rtol=1e-6 if a.dtype == torch.float32 else 1e-12,
                                   atol=1e-7 if a.dtype == torch.float32 else 1e-14)


CASES = [dict(), dict(base_fun="tanh"), dict(base_fun="zero"), dict(base_fun="identity"),
         dict(extrapolate="constant"), dict(width=(3, 4, 4, 2)), dict(width=(1, 8)),
         dict(width=(2, ROWS_MAX_OUT, 9, 1))]


@needs_kernels
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items())
                         or "default")
def test_fused_matches_per_layer(case, dtype):
    """Values and the gradients of x, coef, scale_base and scale_sp agree with the per-layer
    reference (1e-10 in float64, 1e-4 in float32), on inputs partly beyond the grid, with
    masked edges and scale_sp trained; and equal the per-layer kernels' bit for bit."""
    case = dict(case)
    model = _model(case.pop("width", (2, 5, 1)), dtype, **case)
    with torch.no_grad():
        model.layers[0].mask[1, 0] = 0.0
        model.layers[-1].scale_sp.mul_(1.7)
    x = _points(300, model.width[0], dtype)
    tol = 1e-10 if dtype == torch.float64 else 1e-4
    _assert_fused_matches_layers(model, x, tol, tol)


@needs_kernels
def test_fused_after_grid_update_matches_per_layer():
    """After update_grid (non-uniform knots: span tables), the fused path sees the new
    knots (their version moves and the plan is made anew) and still matches the reference."""
    model = _model((2, 3, 1), grid_eps=0.0)  # quantile grids: non-uniform knots
    x = _points(200, 2, torch.float64)
    model(x)  # cache a plan on the old knots
    model.update_grid(x ** 3)
    assert not model.layers[0]._uniform
    _assert_fused_matches_layers(model, x, 1e-10, 1e-10)


@needs_kernels
def test_fused_gradcheck_and_double_backward():
    """torch.autograd.gradcheck and gradgradcheck (double backward through the reference)
    in float64, w.r.t. x and every layer's coef, scale_base and scale_sp."""
    model = _model((2, 3, 1))
    x = _points(12, 2, torch.float64).requires_grad_()
    params = [p.detach().clone().requires_grad_() for l in model.layers
              for p in (l.coef, l.scale_base, l.scale_sp)]
    net, _ = _plan(model, x)
    assert net is not None

    def run(x, *ps):
        return network_output(x, net, ps)

    assert torch.autograd.gradcheck(run, (x, *params))
    assert torch.autograd.gradgradcheck(run, (x, *params))


@needs_kernels
def test_fused_no_grad_and_graph():
    """One C++ autograd node whose edges lead to the trainable parameters; none without
    grad mode, with the same values."""
    model = _model()
    x = _points(50, 2, torch.float64)
    y = model(x)
    assert "NetworkNode" in y.grad_fn.name()  # one C++ node for the network
    leaves = [f.variable for f, _ in y.grad_fn.next_functions if f is not None]
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert sorted(map(id, leaves)) == sorted(map(id, trainable))  # edges straight to them
    with torch.no_grad():
        assert model(x).grad_fn is None
        torch.testing.assert_close(model(x), y.detach(), rtol=0, atol=0)


def _with_symbolic(model):
    model.fix_symbolic(0, 0, 0, "x", fit_params=False, params=(1.0, 0.0, 1.0, 0.0))


def _hooked(model):
    model.layers[0].register_forward_hook(lambda module, args, out: None)


@needs_kernels
@pytest.mark.parametrize("change, reason", [
    (lambda m: _with_symbolic(m), "symbolic edges"),
    (lambda m: _hooked(m), "forward hooks"),
    (lambda m: config.set(strategy="dense"), "config strategy"),
    (lambda m: config.set(kernels=False), "kernels are off"),
], ids=["symbolic", "hook", "strategy", "kernels-off"])
def test_fused_falls_back_when_a_feature_is_unsupported(kanlab_config, change, reason):
    """Each unsupported feature is named by fused_reason and the model then runs layer by
    layer, with the per-layer result."""
    model = _model()
    x = _points(40, 2, torch.float64)
    assert fused_reason(model, x) is None
    model(x)  # a cached plan must not outlive the change
    change(model)
    assert reason in fused_reason(model, x)
    torch.testing.assert_close(model(x), model.forward_layers(x), rtol=0, atol=0)


@needs_kernels
@pytest.mark.parametrize("kwargs, x_shape, reason", [
    (dict(width=(2, [3, 1], 1)), (10, 2), "multiplication nodes"),
    (dict(extrapolate="quadratic"), (10, 2), "quadratically"),
    (dict(width=(2, ROWS_MAX_OUT + 1, 1)), (10, 2), "wider than"),
    (dict(basis="chebyshev"), (10, 2), "edge basis"),
    (dict(), (3, 10, 2), "2-D"),
    (dict(), (0, 2), "non-empty"),
], ids=["mult", "quadratic", "wide", "chebyshev", "3-D", "empty"])
def test_fused_reasons_of_model_and_input(kwargs, x_shape, reason):
    kwargs = dict(kwargs)
    model = _model(kwargs.pop("width", (2, 5, 1)), **kwargs)
    x = _points(1, 1, torch.float64).new_zeros(x_shape)
    assert reason in fused_reason(model, x)
    if x.numel():
        torch.testing.assert_close(model(x), model.forward_layers(x), rtol=0, atol=0)


@needs_kernels
def test_fused_overridden_layer_output_is_respected():
    """A subclass that changes the per-layer pass keeps it (the fused path steps aside)."""
    class Doubled(kanlab.KAN):
        def layer_output(self, l, x, edges=None):
            return 2 * super().layer_output(l, x, edges)

    model = Doubled([2, 3, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    x = _points(20, 2, torch.float64)
    assert "overrides" in fused_reason(model, x)
    plain = _model((2, 3, 1), sb_trainable=False)
    torch.testing.assert_close(model(x), 2 * plain.layers[1](2 * plain.layers[0](x)))


@needs_kernels
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_fused_value_checks_raise_the_per_layer_error(bad):
    model = _model()
    x = _points(30, 2, torch.float64)
    x[7, 1] = bad
    assert fused_reason(model, x) is None
    with pytest.raises(NonFiniteError, match=r"non-finite input .* features \[1\]"):
        model(x)


@needs_kernels
def test_fused_large_hidden_values_are_checked():
    """A hidden layer's input beyond the quick bound (finfo.max / 2**40) stops the kernels'
    pass.  Within the exact overflow bound the pass falls back to the per-layer one (same
    output); beyond it the per-layer path's overflow error is raised."""
    model = _model((1, 1, 1), dtype=torch.float32)
    x = torch.ones(4, 1)
    with torch.no_grad():
        model.layers[0].scale_base.fill_(1e30)  # hidden values ~7e29 > 3.4e38 / 2**40
    assert fused_reason(model, x) is None
    torch.testing.assert_close(model(x), model.forward_layers(x), rtol=0, atol=0)
    assert torch.isfinite(model(x)).all()
    with torch.no_grad():
        model.layers[0].scale_base.fill_(1e36)
        model.layers[1].coef.fill_(1e3)
    with pytest.raises(NonFiniteError, match="would overflow"):
        model(x)
    with pytest.raises(NonFiniteError, match="would overflow"):
        model.forward_layers(x)


@needs_kernels
def test_fused_plan_cache_stays_out_of_copies_and_pickles():
    """The kept plan lives outside the model: a deep copy and a pickle of a model that ran
    fused carry none of it, and the copy runs fused on its own tensors."""
    import copy
    import pickle

    model = _model()
    x = _points(20, 2, torch.float64)
    y = model(x)
    assert not any("fused" in name for name in vars(model))
    twin = copy.deepcopy(model)
    with torch.no_grad():
        twin.layers[0].coef.mul_(2.0)
    assert fused_reason(twin, x) is None
    torch.testing.assert_close(twin(x), twin.forward_layers(x), rtol=0, atol=0)
    torch.testing.assert_close(model(x), y, rtol=0, atol=0)  # the original is untouched
    restored = pickle.loads(pickle.dumps(model))
    torch.testing.assert_close(restored(x), y, rtol=0, atol=0)


@needs_kernels
def test_fused_plan_follows_replaced_parameters_and_dies_with_the_model():
    """A parameter or attribute rebound on a layer after a fused call plans anew (the
    gradient reaches the new parameter, and a changed degree is read); the kept plan goes
    when its model is garbage collected."""
    import gc

    from kanlab.nn import _fused_forward

    model = _model((2, 3, 1))
    x = _points(25, 2, torch.float64)
    model(x)
    layer = model.layers[1]
    layer.coef = torch.nn.Parameter(layer.coef.detach() * 3.0)
    y = model(x)
    (grad,) = torch.autograd.grad(y.sum(), [layer.coef])
    torch.testing.assert_close(y, model.forward_layers(x), rtol=0, atol=0)
    assert grad.abs().sum() > 0
    layer.k = 4  # beyond the kernels' degrees: the next call must not reuse the plan
    assert "degree" in fused_reason(model, x)
    key = id(model)
    assert key in _fused_forward._PLANS
    del model, layer, y
    gc.collect()
    assert key not in _fused_forward._PLANS


@needs_kernels
def test_fused_double_backward_outlives_the_model():
    """A graph made by a fused pass keeps what its double backward needs: with the model
    gone, gradients of gradients still equal the per-layer reference's."""
    import gc

    model = _model((2, 4, 1))
    x = _points(30, 2, torch.float64).requires_grad_()
    with config.use(kernels=False):
        (gx_ref,) = torch.autograd.grad(model(x).sum(), x, create_graph=True)
        (hx_ref,) = torch.autograd.grad((gx_ref ** 2).sum(), x)
    y = model(x)
    assert "NetworkNode" in y.grad_fn.name()
    del model
    gc.collect()
    _model((3, 2))(_points(5, 3, torch.float64))  # a new plan unpins the unused ones
    (gx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (hx,) = torch.autograd.grad((gx ** 2).sum(), x)
    torch.testing.assert_close(gx, gx_ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(hx, hx_ref, rtol=1e-10, atol=1e-12)


@needs_kernels
def test_fused_spec_goes_once_no_model_or_graph_holds_it():
    """The spec the double backward would look up is released after its model and its
    graphs are gone, at the next plan made (no leak across many models)."""
    import gc
    import weakref

    model = _model((2, 3, 1))
    x = _points(10, 2, torch.float64).requires_grad_()
    y = model(x)
    spec = weakref.ref(_plan(model, x)[0])
    del model
    gc.collect()
    _model((3, 2))(_points(5, 3, torch.float64))
    assert spec() is not None  # y's node may still differentiate through it
    del y
    gc.collect()
    _model((3, 2))(_points(5, 3, torch.float64))
    gc.collect()
    assert spec() is None

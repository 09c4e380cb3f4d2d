"""The fused path's kept plan (nn/_fused_forward.py's _Cached, nn/_stamp.py): reused while
the model is unchanged, made anew after every kind of change, and the C++ plan's key."""
from __future__ import annotations

import pytest
import torch

import kanlab
from kanlab.nn import _fused_forward
from kanlab.nn._fused_forward import _plan, fused_reason
from kanlab.nn._refine import refine_layer
from kanlab.ops import _extension as extension

needs_kernels = pytest.mark.skipif(extension.ops() is None,
                                   reason=f"C++ kernels unavailable: {extension.status()}")


def _model(width=(2, 4, 1), dtype=torch.float64, **kwargs):
    return kanlab.KAN(list(width), grid=5, k=3, seed=0, dtype=dtype, sb_trainable=True, **kwargs)


def _points(n, d, dtype=torch.float64, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, d, generator=g, dtype=torch.float64) * 2.2 - 1.1).to(dtype)


def _entry(model):
    return _fused_forward._PLANS[id(model)]


def _assert_runs_fused_like_layers(model, x):
    """The fused output and gradients equal the per-layer kernels' exactly."""
    assert fused_reason(model, x) is None
    params = [p for p in model.parameters() if p.requires_grad]
    y = model(x)
    assert "NetworkNode" in y.grad_fn.name()
    grads = torch.autograd.grad(y.square().sum(), params)
    y_ref = model.forward_layers(x)
    grads_ref = torch.autograd.grad(y_ref.square().sum(), params)
    torch.testing.assert_close(y, y_ref, rtol=0, atol=0)
    for g, r in zip(grads, grads_ref):
        torch.testing.assert_close(g, r, rtol=1e-12, atol=1e-14)


@needs_kernels
def test_plan_is_reused_through_training_steps():
    """An optimiser's steps change parameters in place only: one plan serves every step,
    and each step sees the updated values."""
    model = _model()
    x = _points(64, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    model(x)
    entry = _entry(model)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = model(x).square().mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert _entry(model) is entry
    assert losses[-1] < losses[0]
    _assert_runs_fused_like_layers(model, x)


@needs_kernels
def test_in_place_parameter_change_is_seen():
    """A parameter changed in place (no attribute set) changes the fused output at once."""
    model = _model()
    x = _points(30, 2)
    before = model(x).detach()
    with torch.no_grad():
        model.layers[1].coef.mul_(-2.0)
        model.layers[0].scale_base.add_(0.5)
    after = model(x)
    assert not torch.allclose(before, after)
    _assert_runs_fused_like_layers(model, x)


@needs_kernels
def test_parameter_swapped_through_the_dict_is_seen():
    """A parameter replaced through ``_parameters`` directly (no ``__setattr__``, as
    ``torch.func.functional_call`` does) plans anew: the gradient reaches the new one."""
    model = _model()
    x = _points(30, 2)
    model(x)
    entry = _entry(model)
    layer = model.layers[1]
    new = torch.nn.Parameter(layer.coef.detach() * 3.0)
    layer._parameters["coef"] = new
    y = model(x)
    assert _entry(model) is not entry
    (grad,) = torch.autograd.grad(y.sum(), [new])
    assert grad.abs().sum() > 0
    _assert_runs_fused_like_layers(model, x)


@needs_kernels
def test_functional_call_uses_the_given_parameters():
    """torch.func.functional_call's parameters, not the model's, give the output; the
    model's own come back afterwards."""
    model = _model()
    x = _points(30, 2)
    y = model(x).detach()
    given = {name: p.detach() * 0.5 for name, p in model.named_parameters()}
    out = torch.func.functional_call(model, given, (x,))
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.mul_(0.5)
        expected = model.forward_layers(x)
        for name, p in model.named_parameters():
            p.div_(0.5)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(model(x), y, rtol=1e-12, atol=1e-14)


@needs_kernels
def test_grid_changes_plan_anew():
    """set_grid (new knots), update_grid (data-driven knots) and refine_layer (another
    size) after a fused call: each next call plans on the new knots and matches the layers."""
    model = _model(grid_eps=0.0)
    x = _points(100, 2)
    model(x)
    layer = model.layers[0]
    knots = layer.knots.clone()
    knots[:, 4] += 0.05  # one knot moved: non-uniform
    layer.set_grid(knots, layer.coef.detach().clone())
    assert not layer._uniform
    _assert_runs_fused_like_layers(model, x)
    model.update_grid(x)
    _assert_runs_fused_like_layers(model, x)
    for layer in model.layers:  # in place, on another number of intervals
        refine_layer(layer, 8)
    assert model.layers[0].coef.shape[-1] == 8 + 3
    _assert_runs_fused_like_layers(model, x)


@needs_kernels
def test_knots_changed_in_place_plan_anew():
    """Knots overwritten in place (their version moves, no attribute is set) are not
    served from the old plan."""
    model = _model()
    x = _points(40, 2)
    model(x)
    entry = _entry(model)
    with torch.no_grad():
        model.layers[0].knots.mul_(1.5)
    model(x)
    assert _entry(model) is not entry
    _assert_runs_fused_like_layers(model, x)


@needs_kernels
def test_layer_replaced_in_its_module_list():
    """A layer replaced inside ``model.layers`` (the ModuleList's own attribute set) is
    seen: the output is the new layer's."""
    model = _model()
    x = _points(40, 2)
    new = kanlab.KANLayer(4, 1, grid=5, k=3, dtype=torch.float64,
                          generator=torch.Generator().manual_seed(5))
    model(x)  # made after the new layer: its construction moved the stamp before
    entry = _entry(model)
    model.layers[1] = new
    model(x)
    assert _entry(model) is not entry
    _assert_runs_fused_like_layers(model, x)


@needs_kernels
def test_hook_added_then_removed():
    """A forward hook stops the fused path; once removed, the model runs fused again."""
    model = _model()
    x = _points(20, 2)
    model(x)
    handle = model.layers[0].register_forward_pre_hook(lambda module, args: None)
    assert "hooks" in fused_reason(model, x)
    handle.remove()
    _assert_runs_fused_like_layers(model, x)


@needs_kernels
def test_load_state_dict_and_dtype_change():
    """load_state_dict (in-place copies) and ``.to(float32)`` (new buffers) are seen."""
    model, other = _model(), _model(width=(2, 4, 1))
    with torch.no_grad():
        for p in other.parameters():
            p.mul_(1.7)
    x = _points(30, 2)
    model(x)
    model.load_state_dict(other.state_dict())
    torch.testing.assert_close(model(x), other(x), rtol=0, atol=0)
    model.to(torch.float32)
    x32 = x.float()
    assert fused_reason(model, x32) is None
    torch.testing.assert_close(model(x32), model.forward_layers(x32), rtol=0, atol=0)


@needs_kernels
def test_attribute_set_plans_anew():
    """Any attribute set on a layer moves the stamp; a changed extrapolation is read."""
    model = _model()
    x = _points(30, 2) * 2  # beyond the grid: the extrapolation matters
    y_linear = model(x).detach()
    model.layers[0].extrapolate = "constant"
    y_constant = model(x)
    assert not torch.allclose(y_linear, y_constant)
    _assert_runs_fused_like_layers(model, x)


@needs_kernels
def test_plan_key_names_a_live_plan_only():
    """The operators take a published plan's key; a key with no live plan is an error."""
    model = _model()
    x = _points(10, 2)
    net, params = _plan(model, x)
    key = net.plan()
    op = extension.loaded().network_forward
    outs, failed = op(x, list(params), key)
    assert failed == -1
    torch.testing.assert_close(outs[0], model.forward_layers(x).detach(), rtol=0, atol=0)
    with pytest.raises(RuntimeError, match="no network plan with key"):
        op(x, list(params), 10 ** 12)


def test_stamped_dict_moves_the_stamp_on_every_change():
    """Each way of changing a StampedDict moves the stamp; reading it does not."""
    from kanlab.nn._stamp import StampedDict, stamp

    d = StampedDict(a=1)
    changes = [lambda: d.__setitem__("b", 2), lambda: d.__delitem__("b"),
               lambda: d.update(c=3), lambda: d.setdefault("e", 5), lambda: d.pop("e"),
               lambda: d.popitem(), lambda: d.__ior__({"f": 6}), lambda: d.clear()]
    for change in changes:
        before = stamp()
        change()
        assert stamp() > before
    before = stamp()
    d["g"] = 7
    assert (d.get("g"), "g" in d, list(d)) == (7, True, ["g"])
    assert stamp() == before + 1


def test_setting_the_reference_input_keeps_the_plan_another_attribute_does_not():
    """``reference_input`` (replaced by every forward of kanlab.pykan's model) is read by no
    plan: setting it keeps the kept plan; any other attribute still makes it anew."""
    model = _model()
    x = _points(8, 2)
    _plan(model, x)
    kept = _entry(model)
    model.reference_input = x
    _plan(model, x)
    assert _entry(model) is kept
    model.symbolic_enabled = True
    _plan(model, x)
    assert _entry(model) is not kept

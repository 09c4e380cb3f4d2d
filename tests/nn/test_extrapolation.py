"""KANLayer(extrapolate="quadratic"): C² beyond the grid, exact derivatives to third order,
and the kernels' output (linear continuation plus the curvature term) equal to the
pure-PyTorch basis."""
from __future__ import annotations

import pytest
import torch

from kanlab import KAN
from kanlab.nn import KANLayer
from _continued_layers import assert_forward_and_features_give, continued_layer, reference_output

F64 = torch.float64


def curved_layer(dtype=F64, seed=0, **kwargs) -> KANLayer:
    return continued_layer("quadratic", dtype, seed, **kwargs)


@pytest.mark.parametrize("dtype, tol", [(F64, 1e-12), (torch.float32, 1e-5)])
@pytest.mark.parametrize("nonuniform", [False, True])
def test_quadratic_layer_matches_the_reference_basis(dtype, tol, nonuniform):
    """forward and features (kernels + curvature term) equal the pure-PyTorch path whose
    bases are continued quadratically, inside and beyond the grid."""
    layer = curved_layer(dtype, knot_shifts=(4, [0.05, -0.04, 0.07]) if nonuniform else None)
    x = torch.rand(64, 3, generator=torch.Generator().manual_seed(1), dtype=F64).to(dtype) * 4 - 2
    scale = assert_forward_and_features_give(layer, x, reference_output(layer, x, "quadratic"),
                                             tol)
    inside = x.clamp(-0.9, 0.9)  # no sample beyond the grid: the curvature term is skipped
    want_in = reference_output(layer, inside, "quadratic")
    assert float((layer(inside).detach() - want_in.detach()).abs().max()) <= tol * scale


def test_quadratic_layer_gradcheck_and_gradgradcheck():
    """First and second derivatives in x, with samples inside and beyond the grid."""
    layer = curved_layer()
    x = torch.tensor([[-1.7, 0.3, 1.2], [0.2, -0.55, 2.4], [1.5, -1.3, 0.05]], dtype=F64,
                     requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,), eps=1e-6, atol=1e-7)
    assert torch.autograd.gradgradcheck(layer, (x,), eps=1e-6, atol=1e-6)


def test_quadratic_kan_keeps_the_setting_through_prune_and_config():
    """KAN(extrapolate=...) reaches every layer, its config and a pruned copy."""
    model = KAN([2, 3, 1], grid=5, k=3, seed=0, extrapolate="quadratic", dtype=F64)
    assert all(layer.extrapolate == "quadratic" for layer in model.layers)
    assert model.get_config()["extrapolate"] == "quadratic"
    config = {**model.get_config(), "dtype": F64}
    assert KAN(**config).layers[1].extrapolate == "quadratic"
    pruned = model.prune(node_th=0.0, edge_th=0.0, x=torch.rand(50, 2, dtype=F64))
    assert all(layer.extrapolate == "quadratic" for layer in pruned.layers)
    with pytest.raises(ValueError, match="quadratic"):
        KAN([2, 1], extrapolate="cubic")


def _laplacian_loss(layer: KANLayer, x: torch.Tensor) -> torch.Tensor:
    """mean (d²y/dx²)² with the derivatives through autograd, as a PDE loss does."""
    x = x.clone().requires_grad_(True)
    (dy,) = torch.autograd.grad(layer(x).sum(), x, create_graph=True)
    (d2y,) = torch.autograd.grad(dy.sum(), x, create_graph=True)
    return (d2y ** 2).mean()


def test_layer_second_derivative_loss_gradient_is_exact():
    """A loss on the second derivative (points inside and beyond the grid): its gradient
    in the coefficients (third-order autograd) matches central finite differences."""
    gen = torch.Generator().manual_seed(0)
    layer = KANLayer(2, 2, grid=5, k=3, extrapolate="quadratic", generator=gen, dtype=F64)
    with torch.no_grad():
        layer.coef.copy_(torch.randn(layer.coef.shape, generator=gen, dtype=F64))
    x = torch.rand(30, 2, generator=gen, dtype=F64) * 3.0 - 1.5  # a third beyond [-1, 1]
    (grad,) = torch.autograd.grad(_laplacian_loss(layer, x), layer.coef)
    eps = 1e-6
    flat = layer.coef.data.view(-1)
    for i in range(0, flat.numel(), 3):
        old = float(flat[i])
        flat[i] = old + eps
        up = float(_laplacian_loss(layer, x).detach())
        flat[i] = old - eps
        down = float(_laplacian_loss(layer, x).detach())
        flat[i] = old
        assert abs((up - down) / (2 * eps) - float(grad.reshape(-1)[i])) < 1e-6 * (1 + abs(float(grad.reshape(-1)[i])))


def test_layer_quadratic_has_continuous_curvature_where_linear_jumps():
    """d²y/dx² of a layer just inside and just outside its grid: continuous with
    "quadratic", a jump to the base function's alone with "linear" (the fault behind
    PDE fits that stall when a hidden sample crosses a grid end)."""
    gen = torch.Generator().manual_seed(1)
    jumps = {}
    for mode in ("linear", "quadratic"):
        layer = KANLayer(1, 1, grid=5, k=3, extrapolate=mode,
                         generator=torch.Generator().manual_seed(1), dtype=F64)
        with torch.no_grad():
            layer.coef.copy_(torch.randn(layer.coef.shape, generator=gen, dtype=F64))
        x = torch.tensor([[1.0 - 1e-7], [1.0 + 1e-7]], dtype=F64, requires_grad=True)
        (dy,) = torch.autograd.grad(layer(x).sum(), x, create_graph=True)
        (d2y,) = torch.autograd.grad(dy.sum(), x)
        jumps[mode] = abs(float(d2y[1] - d2y[0]))
    assert jumps["quadratic"] < 1e-4
    assert jumps["linear"] > 1e-2


def test_curvature_caches_follow_the_knot_tensor_not_its_id():
    """The end-curvature and smoothness-quadrature caches are keyed on the knot tensor
    itself: after a grid change, an entry made for other knots (which an id() of a freed
    tensor could match, as after `refine` in pykan's Example_3) is never used."""
    from kanlab.nn._extrapolation import end_curvature
    layer = curved_layer()
    old = end_curvature(layer)
    old_quad = layer.curvature_quadrature()
    old_knots = layer.knots.clone()
    finer = KANLayer(3, 2, grid=11, k=3, extrapolate="quadratic", dtype=F64)
    layer.set_grid(finer.knots.clone(), finer.coef.detach().clone())
    knots = layer.knots
    # entries that match the new knots in everything but the tensor object and values
    other = knots.clone()
    stale = {(knots.dtype, knots.device): (other, knots._version, old_knots, old)}
    layer.__dict__["_end_curvature_cache"] = stale
    layer.__dict__["_curvature_cache"] = ((other, knots._version, knots.dtype, knots.device),
                                          old_quad)
    n_basis = knots.shape[-1] - layer.k - 1
    assert end_curvature(layer).shape[-1] == n_basis != old.shape[-1]
    assert layer.curvature_quadrature()[0].shape[-1] == n_basis
    x = torch.linspace(-1.5, 1.5, 7, dtype=F64).unsqueeze(1).expand(7, 3)
    assert layer(x).shape == (7, 2)  # beyond the grid: the curvature term uses the new basis


@pytest.mark.parametrize("mode", ["quadratic", "extended", "extended_quadratic", "bounded"])
def test_torch_func_hessian_of_a_fresh_layer_matches_autograd(mode):
    """The end terms' kept constants are made outside the transform: torch.func.hessian on
    a layer never evaluated before (functorch's internal assert fired) equals autograd's."""
    layer = KANLayer(2, 1, grid=5, k=3, extrapolate=mode, dtype=torch.float64,
                     generator=torch.Generator().manual_seed(0))
    x = torch.tensor([-1.5, 1.7], dtype=torch.float64)

    def f(v):
        return layer(v[None])[0, 0]

    hessian = torch.func.hessian(f)(x)
    xe = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(xe), xe, create_graph=True)
    want = torch.stack([torch.autograd.grad(g[i], xe, retain_graph=True)[0] for i in range(2)])
    assert torch.allclose(hessian, want, atol=1e-12)
    assert float(want.abs().max()) > 0


@pytest.mark.parametrize("mode", ["quadratic", "extended", "extended_quadratic"])
def test_end_terms_are_kept_across_a_dtype_round_trip_and_remade_for_new_knot_values(mode):
    """The end terms are made once per knot values, dtype and device: ``to`` float32 and back
    (a new knot tensor each way) and a ``copy_`` of the same values reuse them; other
    values make them anew.  The outputs are those of a fresh layer in every case."""
    from unittest import mock
    from kanlab.nn import _extrapolation
    import copy
    # a float32 layer, as fit's float64 phase widens it and narrows it around each callback
    layer = KANLayer(2, 1, grid=5, k=3, extrapolate=mode, dtype=torch.float32,
                     generator=torch.Generator().manual_seed(0)).to(F64)
    x = torch.tensor([[-1.5, 0.3], [1.7, -2.0], [0.1, 0.2]], dtype=F64)
    made = []
    inner = {"quadratic": "_make_end_curvature"}.get(mode)
    if inner is not None:
        original = _extrapolation._make_end_curvature
        patch = mock.patch.object(_extrapolation, inner,
                                  lambda lay: made.append(1) or original(lay))
    else:
        original = _extrapolation.extension_tables
        patch = mock.patch.object(_extrapolation, "extension_tables",
                                  lambda *a, **k: made.append(1) or original(*a, **k))
    with patch:
        y64 = layer(x)
        layer.to(torch.float32)
        y32 = layer(x.float())
        layer.to(F64)
        assert torch.equal(layer(x), y64)
        assert torch.equal(layer.to(torch.float32)(x.float()), y32)
        layer.to(F64)
        assert len(made) == 2  # float64 and float32, once each
        with torch.no_grad():
            layer.knots.copy_(layer.knots.clone())  # same values, version bumped
        assert torch.equal(layer(x), y64) and len(made) == 2
        fresh = copy.deepcopy(layer)
        fresh.__dict__.pop(f"_end_tables_{mode}", None)
        fresh.__dict__.pop("_end_curvature_cache", None)
        with torch.no_grad():
            layer.knots.mul_(1.25)  # other values: made anew
            fresh.knots.mul_(1.25)
        assert len(made) == 2
        got = layer(x)
        assert len(made) == 3
    assert torch.equal(got, fresh(x)) and not torch.equal(got, y64)

"""KANLayer(extrapolate="extended_quadratic"): beyond its grid a spline is pykan's (the
B-splines of the extension intervals) on the first k - 1 of them and hands over to the
quadratic continuation across the outermost one, ``E + r (Q - E)``; never 0 beyond, C² for
cubics.  Checked against an oracle built from the textbook recursion alone."""
from __future__ import annotations

import math

import pytest
import torch

from kanlab.nn import KAN, KANLayer
from kanlab.splines import bspline_basis, local_basis, scatter_local, uniform_knots

F64 = torch.float64
MODE = "extended_quadratic"


def oracle(x: torch.Tensor, knots: torch.Tensor, k: int) -> torch.Tensor:
    """The bases ``(B, n_basis)`` at ``x`` ``(B,)`` on one knot row ``(m,)``, from the
    recursion: E on the whole knot vector, Q the degree-2 Taylor polynomial at the nearest
    end, r the quintic smoothstep across the outermost extension interval."""
    n = knots.shape[-1] - k - 1
    lo, hi = knots[k], knots[n]
    out = bspline_basis(x, knots, k)  # E (and the bases inside)
    for end, beyond, ramp_from, ramp_to in ((lo, x < lo, knots[1], knots[0]),
                                            (hi, x > hi, knots[n + k - 1], knots[n + k])):
        d = (x - end)[:, None]
        e = end.reshape(1)
        q = sum(bspline_basis(e, knots, k, derivative=i) * d ** i / math.factorial(i)
                for i in range(min(2, k) + 1))
        u = ((x - ramp_from) / (ramp_to - ramp_from)).clamp(0, 1)[:, None]
        r = u ** 3 * (10 - 15 * u + 6 * u ** 2)
        out = torch.where(beyond[:, None], out + r * (q - out), out)
    return out


def knot_row(uniform: bool) -> torch.Tensor:
    knots = uniform_knots(5, 3, (-1.0, 1.0), dtype=F64)[None].clone()
    if not uniform:
        knots[0, 4:7] += torch.tensor([0.05, -0.04, 0.07], dtype=F64)
    return knots


@pytest.mark.parametrize("uniform", [True, False])
def test_local_basis_equals_the_oracle_everywhere(uniform):
    """Inside, on the extension intervals, across the ramp and far beyond (values)."""
    knots = knot_row(uniform)
    x = torch.linspace(-4.0, 4.0, 241, dtype=F64) + 0.0123
    values, start = local_basis(x[:, None], knots, 3, uniform=uniform, extrapolate=MODE)
    dense = scatter_local(values, start, knots.shape[-1] - 4)[:, 0]
    want = oracle(x, knots[0], 3)
    assert float((dense - want).abs().max()) <= 1e-11 * (1 + float(want.abs().max()))


@pytest.mark.parametrize("derivative", [1, 2, 3])
def test_local_basis_derivatives_equal_the_oracles_by_autograd(derivative):
    """Leibniz's rule in local_basis against autograd through the oracle."""
    knots = knot_row(False)
    x = (torch.linspace(-3.5, 3.5, 97, dtype=F64) + 0.0123).requires_grad_(True)
    want = oracle(x, knots[0], 3)
    for _ in range(derivative):  # each basis depends on its own x only: sum, then grad
        want = torch.stack([torch.autograd.grad(want[:, j].sum(), x, create_graph=True)[0]
                            for j in range(want.shape[1])], dim=1)
    values, start = local_basis(x.detach()[:, None], knots, 3, extrapolate=MODE,
                                derivative=derivative)
    dense = scatter_local(values, start, knots.shape[-1] - 4)[:, 0]
    want = want.detach()
    assert float((dense - want).abs().max()) <= 1e-9 * (1 + float(want.abs().max()))


def test_never_fades_to_zero_and_is_quadratic_far_out():
    """Beyond the outermost knot it is the quadratic continuation exactly, where
    "extended" is 0; on the first extension interval it is "extended" exactly."""
    knots = knot_row(True)
    far = torch.tensor([[-3.0], [3.0]], dtype=F64)  # outermost knots at -/+2.2
    near = torch.tensor([[-1.2], [1.3]], dtype=F64)  # within the first extension interval
    dense = lambda x, mode: scatter_local(*local_basis(x, knots, 3, extrapolate=mode), 8)  # noqa: E731
    assert torch.allclose(dense(far, MODE), dense(far, "quadratic"), atol=1e-12)
    assert float(dense(far, "extended").abs().max()) == 0.0
    assert torch.allclose(dense(near, MODE), dense(near, "extended"), atol=1e-12)
    assert float((dense(near, MODE) - dense(near, "quadratic")).abs().max()) > 1e-3


def layer_with_coefficients(nonuniform: bool, seed=0) -> KANLayer:
    gen = torch.Generator().manual_seed(seed)
    layer = KANLayer(3, 2, grid=5, k=3, extrapolate=MODE, generator=gen, dtype=F64)
    with torch.no_grad():
        layer.coef.copy_(torch.randn(layer.coef.shape, generator=gen, dtype=F64))
    if nonuniform:
        knots = layer.knots.clone()
        knots[:, 4:7] += torch.tensor([0.05, -0.04, 0.07], dtype=F64)
        layer.set_grid(knots, layer.coef.detach().clone())
    return layer


@pytest.mark.parametrize("nonuniform", [False, True])
def test_layer_forward_and_features_equal_the_oracle(nonuniform):
    """forward (kernels + end terms) and features give the oracle's spline plus the base."""
    layer = layer_with_coefficients(nonuniform)
    x = torch.rand(300, 3, generator=torch.Generator().manual_seed(1), dtype=F64) * 8 - 4
    basis = torch.stack([oracle(x[:, i], layer.knots[i], 3) for i in range(3)], dim=1)
    base, spline = layer.edge_weight()
    want = (layer.base_fun(x) @ base.t() + torch.einsum("bif,oif->bo", basis, spline)).detach()
    scale = float(want.abs().max())
    assert float((layer(x).detach() - want).abs().max()) <= 1e-11 * scale
    via_features = torch.einsum("bif,oif->bo", layer.features(x), layer.feature_weight())
    assert float((via_features.detach() - want).abs().max()) <= 1e-11 * scale


def test_layer_gradcheck_and_gradgradcheck():
    """First and second derivatives in x: inside, on the extension, on the ramp, beyond."""
    layer = layer_with_coefficients(True)
    x = torch.tensor([[-1.7, 0.3, 1.2], [0.2, -2.05, 2.4], [1.9, -1.3, 3.5]], dtype=F64,
                     requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,), eps=1e-6, atol=1e-7)
    assert torch.autograd.gradgradcheck(layer, (x,), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("point", [-2.2, -1.8, -1.0, 1.0, 1.8, 2.2])
def test_layer_is_c2_at_the_end_the_ramp_and_the_outermost_knot(point):
    """d²y/dx² just either side of each joint agrees (the end, where the ramp starts, the
    outermost knot); the third derivative jumps there, as inside a cubic spline."""
    layer = layer_with_coefficients(False, seed=3)
    x = torch.tensor([[point - 1e-7] * 3, [point + 1e-7] * 3], dtype=F64, requires_grad=True)
    (dy,) = torch.autograd.grad(layer(x).sum(), x, create_graph=True)
    (d2y,) = torch.autograd.grad(dy.sum(), x)
    assert float((dy[1] - dy[0]).detach().abs().max()) < 1e-4
    assert float((d2y[1] - d2y[0]).abs().max()) < 1e-3 * (1 + float(d2y.abs().max()))


def test_layer_under_torch_func_matches_eager():
    layer = layer_with_coefficients(False)
    x = torch.tensor([[-1.6, 0.4, 1.1], [0.3, 1.95, -3.4]], dtype=F64)
    eager = torch.autograd.functional.jacobian(lambda v: layer(v).sum(0), x)
    func = torch.func.jacrev(lambda v: layer(v).sum(0))(x)
    assert torch.allclose(eager, func, atol=1e-12)


def test_degree_zero_is_refused():
    with pytest.raises(ValueError, match="k >= 1"):
        KANLayer(2, 1, grid=3, k=0, extrapolate=MODE)


def test_network_takes_one_continuation_per_layer():
    model = KAN([2, 3, 2, 1], grid=3, extrapolate=[MODE, MODE, "quadratic"])
    assert [layer.extrapolate for layer in model.layers] == [MODE, MODE, "quadratic"]
    assert model.get_config()["extrapolate"] == [MODE, MODE, "quadratic"]
    with pytest.raises(ValueError, match="3 layers"):
        KAN([2, 3, 2, 1], extrapolate=[MODE, "quadratic"])
    with pytest.raises(TypeError, match="sequence of strings"):
        KAN([2, 1], extrapolate=[3])


def test_per_layer_continuations_survive_a_checkpoint(tmp_path):
    from kanlab.io import load, save
    model = KAN([2, 3, 2, 1], grid=3, extrapolate=[MODE, MODE, "quadratic"])
    save(model, tmp_path / "m.kan")
    back = load(tmp_path / "m.kan")
    assert [layer.extrapolate for layer in back.layers] == [MODE, MODE, "quadratic"]
    x = torch.rand(16, 2) * 6 - 3  # beyond the grids too
    assert torch.allclose(back(x), model(x))

"""extrapolate="bounded": ``s(e) + s'(e)·a(δ) + s''(e)·b(δ)`` beyond the nearest end ``e``
(``δ = x - e``), ``a(δ) = L·tanh(δ/L)``, ``b(δ) = L²·(1 − sech(δ/L))``, L the end's knot
interval: C² at the ends (the quadratic up to O(δ³)) and bounded far out."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from kanlab import KAN
from kanlab.nn import KANLayer
from kanlab.nn._fused_forward import fused_reason
from kanlab.splines import bspline_basis, local_basis, scatter_local, uniform_knots
from kanlab.splines._bounded import BOUNDED_INTERVALS, bounded_levers
from _continued_layers import derivatives, levered_layer

F64 = torch.float64


def levers(delta: np.ndarray, L: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """The oracle: ``a`` and ``b`` and their derivatives at the signed distance ``delta``
    (both formulas hold on either side: ``a`` is odd, ``b`` even), plain numpy."""
    T, S = np.tanh(delta / L), 1 / np.cosh(delta / L)
    a = [L * T, 1 - T ** 2, -2 * T * (1 - T ** 2) / L, (1 - T ** 2) * (6 * T ** 2 - 2) / L ** 2]
    b = [L ** 2 * (1 - S), L * S * T, S * (1 - 2 * T ** 2), S * (6 * T ** 3 - 5 * T) / L]
    return a[order], b[order]


def knot_rows(k: int, uniform: bool) -> torch.Tensor:
    rows = torch.stack([uniform_knots(6, k, (-1.0, 1.0), dtype=F64),
                        uniform_knots(6, k, (0.5, 3.0), dtype=F64)])
    if not uniform:  # graded: the knots squeezed towards the left end, unequal end intervals
        lo, hi = rows[:, :1], rows[:, -1:]
        u = (rows - lo) / (hi - lo)
        rows = lo + (hi - lo) * u ** torch.tensor([[1.3], [1.6]], dtype=F64)
    return rows


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_bounded_bases_are_value_plus_levered_slope_and_curvature(k, uniform):
    """Beyond either end, the bases and their first three derivatives in x are
    ``B(e)·[order 0] + a⁽ⁿ⁾(δ)·B'(e) + b⁽ⁿ⁾(δ)·B''(e)`` from the Cox–de Boor reference and
    numpy's tanh/cosh; inside, the bases themselves."""
    knots = knot_rows(k, uniform)
    n = knots.shape[-1] - k - 1
    lo, hi = knots[:, k], knots[:, n]
    L = np.stack([(knots[:, k + 1] - lo).numpy(), (hi - knots[:, n - 1]).numpy()])
    L = L * BOUNDED_INTERVALS
    x = torch.stack([lo - 0.3, hi + 0.8, lo - 6.0, hi + 0.001, hi + 25.0, lo - 1e-4,
                     (lo + hi) / 2])  # (7, F)
    inside = ((x >= lo) & (x <= hi)).numpy()[..., None]
    end = torch.where(x < lo, lo, torch.where(x > hi, hi, x))
    delta = (x - end).numpy()[..., None]
    Lx = np.where((x > hi).numpy(), L[1], L[0])[..., None]
    at_end = [bspline_basis(end, knots, k, derivative=j).numpy() for j in range(3)]
    for order in range(4):
        a, b = levers(delta, Lx, order)
        beyond = (at_end[0] if order == 0 else 0) + a * at_end[1] + b * at_end[2]
        expected = np.where(inside, bspline_basis(x, knots, k, derivative=order).numpy(), beyond)
        values, start = local_basis(x, knots, k, uniform=uniform, extrapolate="bounded",
                                    derivative=order)
        got = scatter_local(values, start, n).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_levers_match_finite_differences_and_stay_finite_far_out():
    """:func:`bounded_levers`' derivative formulas against central differences of its own
    values, and the values accurate near the end (``b ≈ d²/2``) and finite 1e6 lengths out."""
    L = torch.tensor(0.37, dtype=F64)
    d = torch.tensor([0.01, 0.2, 0.9, 3.0, 7.5], dtype=F64)
    eps = 1e-5
    for order in range(1, 4):
        hi, lo = bounded_levers(d + eps, L, order - 1), bounded_levers(d - eps, L, order - 1)
        got = bounded_levers(d, L, order)
        for j in range(2):
            torch.testing.assert_close(got[j], (hi[j] - lo[j]) / (2 * eps), rtol=1e-6, atol=1e-6)
    a, b = bounded_levers(torch.tensor([1e-6, 1e6], dtype=F64), L)
    assert abs(float(b[0]) / 0.5e-12 - 1) < 1e-9 and abs(float(a[0]) / 1e-6 - 1) < 1e-9
    assert float(a[1]) == pytest.approx(float(L)) and float(b[1]) == pytest.approx(float(L) ** 2)
    for order in range(4):
        assert all(bool(torch.isfinite(v).all()) for v in bounded_levers(
            torch.tensor([0.0, 1e6], dtype=F64), L, order))


def bounded_layer(dtype=F64, seed=0, nonuniform=False) -> KANLayer:
    return levered_layer("bounded", dtype, seed, nonuniform)


def test_gradcheck_second_order_through_the_layer():
    """gradgradcheck of the layer's output in x and the coefficients beyond both ends (a PINN's
    second derivatives and their gradients)."""
    layer = KANLayer(2, 1, grid=4, k=3, extrapolate="bounded", dtype=F64,
                     generator=torch.Generator().manual_seed(2))
    x = torch.tensor([[-1.6, 2.3], [0.2, -1.05], [3.5, 0.4]], dtype=F64, requires_grad=True)
    coef = layer.coef.detach().clone().requires_grad_(True)

    def f(v, c):
        with torch.no_grad():
            layer.coef.copy_(c.detach())
        return torch.func.functional_call(layer, {"coef": c}, (v,))

    assert torch.autograd.gradcheck(f, (x, coef))
    assert torch.autograd.gradgradcheck(f, (x, coef))


def test_c2_at_both_ends_and_bounded_far_out():
    """Value, slope and curvature of the layer's output are continuous across both ends;
    far out the output levels off at ``s(e) ± s'(e)·L + s''(e)·L²`` (the edge's base function
    aside), where "quadratic" grows as d²."""
    layer = bounded_layer()
    knots = layer.knots
    lo, hi = float(knots[0, 3]), float(knots[0, -4])
    nb = layer.n_basis

    def f(v):
        return layer(v.expand(-1, 3))[..., :1]

    eps = 1e-7
    for end, out in ((lo, -1), (hi, 1)):
        x = torch.tensor([[end - out * eps], [end + out * eps]], dtype=F64)
        y = [f(x)] + derivatives(f, x, 2)
        for j, v in enumerate(y):
            assert abs(float(v[0] - v[1])) < 1e-5 * max(1.0, abs(float(v[0]))), (end, j)
    far = torch.tensor([[hi + 1e3] * 3, [hi + 1e5] * 3, [lo - 1e3] * 3], dtype=F64)
    spline = layer.features(far)[..., -nb:]
    torch.testing.assert_close(spline[0], spline[1], rtol=0, atol=1e-9)  # (s'·δ cancels)
    assert float(spline.abs().max()) < 10


def test_max_abs_bounds_the_bases_far_out():
    """The edge basis's bound on the bases (checks, fits) holds and stays finite far out."""
    layer = bounded_layer()
    x = torch.tensor([[-1e4, 50.0, 0.3]], dtype=F64)
    nb = layer.n_basis
    got = layer.features(x)[..., -nb:].abs().amax(-1)[0]
    bound = layer.edge_basis.max_abs(layer.knots, 3, torch.tensor(1e4, dtype=F64), "bounded")
    assert bool((got <= bound).all()) and float(bound.max()) < 100


def test_refine_keeps_the_function_just_beyond_the_grid():
    """refine keeps value, slope and curvature at the ends: rows a few thousandths beyond
    keep their outputs to O(δ³)."""
    model = KAN([2, 3, 1], grid=5, k=3, seed=0, extrapolate="bounded", dtype=F64)
    x = torch.tensor([[1.003, -1.004], [-1.002, 0.2]], dtype=F64)
    fine = model.refine(10)
    assert [layer.extrapolate for layer in fine.layers] == ["bounded"] * 2
    with torch.no_grad():
        torch.testing.assert_close(fine(x), model(x), rtol=0, atol=1e-6)


def test_compile_matches_eager():
    """torch.compile sees the same term as eager (functorch's hessian: test_extrapolation.py)."""
    layer = KANLayer(2, 1, grid=5, k=3, extrapolate="bounded", dtype=F64,
                     generator=torch.Generator().manual_seed(0))
    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
    xs = torch.tensor([[-1.5, 4.7], [0.1, -3.0]], dtype=F64)
    torch.testing.assert_close(compiled(xs), layer(xs), rtol=0, atol=1e-12)


def test_state_dict_round_trip_config_and_fused_path():
    """The continuation travels with state_dict (its index in EXTRAPOLATIONS) and the config;
    the fused path steps aside with the per-layer result."""
    model = KAN([2, 3, 1], grid=5, k=3, seed=0, extrapolate="bounded", dtype=F64)
    fresh = KAN([2, 3, 1], grid=5, k=3, seed=1, extrapolate="quadratic", dtype=F64)
    fresh.load_state_dict(model.state_dict())
    assert [layer.extrapolate for layer in fresh.layers] == ["bounded"] * 2
    x = torch.linspace(-6, 6, 25, dtype=F64)[:, None].repeat(1, 2)
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), model(x), rtol=0, atol=0)
    assert KAN(**{**model.get_config(), "dtype": F64}).layers[1].extrapolate == "bounded"
    assert "bounded" in fused_reason(model, x)
    torch.testing.assert_close(model(x), model.forward_layers(x), rtol=0, atol=0)

"""extrapolate="tapered": the quadratic continuation with ``d²/2`` replaced by
``φ(d) = L²·(exp(−d/L) − 1 + d/L)`` (L the end's knot interval): C² at the ends, a straight
line far out, so an end curvature's leverage grows as ``L·d`` instead of ``d²/2``."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from kanlab import KAN
from kanlab.nn import KANLayer
from kanlab.nn._fused_forward import fused_reason
from kanlab.splines import bspline_basis, local_basis, scatter_local, uniform_knots
from _continued_layers import (assert_forward_and_features_give, derivatives, levered_layer,
                               reference_output)

F64 = torch.float64


def phi(d: np.ndarray, L: np.ndarray, order: int) -> np.ndarray:
    """The oracle: φ and its derivatives in the distance ``d >= 0`` (plain numpy)."""
    if order == 0:
        return L ** 2 * (np.exp(-d / L) - 1 + d / L)
    if order == 1:
        return L * (1 - np.exp(-d / L))
    return (-1 / L) ** (order - 2) * np.exp(-d / L)


def knot_rows(k: int, uniform: bool) -> torch.Tensor:
    rows = torch.stack([uniform_knots(5, k, (-1.0, 1.0), dtype=F64),
                        uniform_knots(5, k, (0.5, 3.0), dtype=F64)])
    if not uniform:  # uneven interior and end intervals
        rows[:, k - 1:k + 5] += torch.tensor([0.0, 0.09, -0.05, 0.11, -0.03, 0.06], dtype=F64)
    return rows


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_tapered_bases_are_value_slope_and_phi_times_curvature(k, uniform):
    """Beyond either end, the bases and their first three derivatives in x are
    ``b + δ·b' + φ(|δ|)·b''`` (signed δ) from the Cox–de Boor reference and numpy's φ."""
    knots = knot_rows(k, uniform)
    uniform_ok = uniform
    n = knots.shape[-1] - k - 1
    lo, hi = knots[:, k], knots[:, n]
    L = np.stack([(knots[:, k + 1] - lo).numpy(), (hi - knots[:, n - 1]).numpy()])
    x = torch.stack([lo - 0.3, hi + 0.8, lo - 6.0, hi + 0.001, hi + 25.0])  # (5, F)
    above = (x > hi).numpy()
    end = torch.where(x < lo, lo, hi)
    delta = (x - end).numpy()[..., None]
    d = np.abs(delta)
    Lx = np.where(above, L[1], L[0])[..., None]
    sign = np.where(above, 1.0, -1.0)[..., None]
    b = [bspline_basis(end, knots, k, derivative=j).numpy() for j in range(3)]
    want = [b[0] + delta * b[1] + phi(d, Lx, 0) * b[2],
            b[1] + sign * phi(d, Lx, 1) * b[2],
            phi(d, Lx, 2) * b[2],
            sign * phi(d, Lx, 3) * b[2]]
    for order, expected in enumerate(want):
        values, start = local_basis(x, knots, k, uniform=uniform_ok, extrapolate="tapered",
                                    derivative=order)
        got = scatter_local(values, start, n).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def tapered_layer(dtype=F64, seed=0, nonuniform=False) -> KANLayer:
    return levered_layer("tapered", dtype, seed, nonuniform)


@pytest.mark.parametrize("how", ["tapered", "bounded"])
@pytest.mark.parametrize("nonuniform", [False, True])
def test_layer_features_and_their_autograd_derivatives_match_the_oracle(nonuniform, how):
    """The kernels' linear continuation plus the tapered (or bounded: slope corrected too)
    term, the engine's path: the spline features and their first three derivatives by
    autograd equal local_basis's bases (checked against numpy in this file and in
    test_bounded_extrapolation.py), inside and beyond both ends."""
    layer = levered_layer(how, nonuniform=nonuniform)
    x = torch.tensor([[-1.7, 0.3, 1.2], [0.25, -9.0, 2.4], [1.5, -1.3, 0.05],
                      [30.0, 1.01, -1.002]], dtype=F64)
    nb = layer.n_basis

    def spline(v):
        return layer.features(v)[..., -nb:]

    def oracle(v, order=0):
        values, start = local_basis(v, layer.knots, 3, uniform=False, extrapolate=how,
                                    derivative=order)
        return scatter_local(values, start, nb)

    torch.testing.assert_close(spline(x), oracle(x), rtol=0, atol=1e-11)
    for order, got in enumerate(derivatives(spline, x, 3), start=1):
        torch.testing.assert_close(got, oracle(x, order), rtol=0, atol=1e-9)


@pytest.mark.parametrize("how", ["tapered", "bounded"])
@pytest.mark.parametrize("dtype, tol", [(F64, 1e-12), (torch.float32, 1e-5)])
def test_layer_forward_equals_the_pure_pytorch_path(dtype, tol, how):
    """forward (kernels + term) == the reference path on the continued bases (fused == unfused)."""
    layer = levered_layer(how, dtype, nonuniform=True)
    x = torch.rand(64, 3, generator=torch.Generator().manual_seed(1), dtype=F64).to(dtype) * 8 - 4
    assert_forward_and_features_give(layer, x, reference_output(layer, x, how), tol)


def test_c2_at_both_ends_and_straight_far_out():
    """Value, slope and curvature of the layer's output are continuous across both ends;
    the curvature decays as exp(−d/L): 25 intervals out it is ~1e-11 of the end's, where
    "quadratic" keeps it."""
    layer = tapered_layer()
    knots = layer.knots
    lo, hi = float(knots[0, 3]), float(knots[0, -4])
    h = float(knots[0, 4] - knots[0, 3])

    def f(v):
        return layer(v.expand(-1, 3))[..., :1]

    eps = 1e-7
    for end, out in ((lo, -1), (hi, 1)):
        x = torch.tensor([[end - out * eps], [end + out * eps]], dtype=F64)
        y = [f(x)] + derivatives(f, x, 2)
        for j, v in enumerate(y):
            assert abs(float(v[0] - v[1])) < 1e-5, (end, j)
    nb = layer.n_basis
    curvature = derivatives(lambda v: layer.features(v)[..., -nb:],
                            torch.tensor([[hi + 25 * h] * 3, [hi] * 3], dtype=F64), 2)[1]
    assert float(curvature[0].abs().max()) < 1e-9 * float(curvature[1].abs().max())


def test_torch_func_hessian_and_compile_match_autograd():
    """functorch's hessian and torch.compile see the same term as eager autograd."""
    layer = KANLayer(2, 1, grid=5, k=3, extrapolate="tapered", dtype=F64,
                     generator=torch.Generator().manual_seed(0))
    x = torch.tensor([-1.5, 4.7], dtype=F64)

    def f(v):
        return layer(v[None])[0, 0]

    hessian = torch.func.hessian(f)(x)
    xe = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(xe), xe, create_graph=True)
    want = torch.stack([torch.autograd.grad(g[i], xe, retain_graph=True)[0] for i in range(2)])
    assert torch.allclose(hessian, want, atol=1e-12) and float(want.abs().max()) > 0
    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
    xs = torch.tensor([[-1.5, 4.7], [0.1, -3.0]], dtype=F64)
    torch.testing.assert_close(compiled(xs), layer(xs), rtol=0, atol=1e-12)


def test_state_dict_round_trip_and_config_keep_tapered():
    """The continuation travels with state_dict (its index in EXTRAPOLATIONS) and the config;
    the loaded model computes the same function beyond the grid."""
    model = KAN([2, 3, 1], grid=5, k=3, seed=0, extrapolate="tapered", dtype=F64)
    fresh = KAN([2, 3, 1], grid=5, k=3, seed=1, extrapolate="quadratic", dtype=F64)
    fresh.load_state_dict(model.state_dict())
    assert [layer.extrapolate for layer in fresh.layers] == ["tapered"] * 2
    x = torch.linspace(-6, 6, 25, dtype=F64)[:, None].repeat(1, 2)
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), model(x), rtol=0, atol=0)
    assert KAN(**{**model.get_config(), "dtype": F64}).layers[1].extrapolate == "tapered"


def test_the_fused_path_steps_aside_with_the_per_layer_result():
    model = KAN([2, 5, 1], grid=5, k=3, seed=0, extrapolate="tapered", dtype=F64)
    x = torch.linspace(-3, 3, 20, dtype=F64)[:, None].repeat(1, 2)
    assert "tapered" in fused_reason(model, x)
    torch.testing.assert_close(model(x), model.forward_layers(x), rtol=0, atol=0)


def test_leverage_far_out_is_linear_in_the_distance():
    """The point of the mode: φ(d) <= d²/2 everywhere and φ(d)/d -> L far out."""
    knots = knot_rows(3, True)
    L = float(knots[0, 4] - knots[0, 3])
    d = torch.tensor([0.0, 0.1 * L, L, 10 * L, 1000 * L], dtype=F64)
    from kanlab.splines._taper import taper
    got = taper(d, torch.tensor(L, dtype=F64))
    assert bool((got <= d * d / 2 + 1e-15).all())
    assert math.isclose(float(got[-1] / d[-1]), L * (1 - 1 / 1000), rel_tol=1e-9)

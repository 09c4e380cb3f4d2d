"""refine keeps a layer's outputs beyond its grid, where its inputs may lie (pykan's refine does not).

A refine to a grid that does not nest (3 -> 10) is a least-squares projection on
the base interval; beyond it the layer continues from the end's value, slope and
curvature, which the projection now holds exactly.  Beyond the grid the outputs
are then kept to rounding (the continuation is a polynomial in the distance,
made of exactly those end values), so the tolerance is float64 rounding scaled
by the outputs' size.  Inside the grid the projection's own error remains.
"""
from __future__ import annotations

import copy

import pytest
import torch

from kanlab.nn import KANLayer
from kanlab.nn._refine import refine_layer
from kanlab.splines._fit import project_coefficients

F64 = torch.float64


def _layer(extrapolate: str, seed: int = 0) -> KANLayer:
    """A cubic [3 -> 2] layer on [-1, 1], G = 3, with smooth O(1) random splines."""
    g = torch.Generator().manual_seed(seed)
    layer = KANLayer(3, 2, grid=3, k=3, extrapolate=extrapolate, generator=g, dtype=F64)
    with torch.no_grad():
        layer.coef.copy_((0.5 * torch.randn(layer.coef.shape, generator=g, dtype=F64)).cumsum(-1))
    return layer.requires_grad_(False)


def _inputs(lo: float, hi: float, n: int = 400, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return lo + (hi - lo) * torch.rand(n, 3, generator=g, dtype=F64)


def _beyond(layer: KANLayer, x: torch.Tensor, margin: float) -> torch.Tensor:
    """Rows of ``x`` whose every input lies more than ``margin`` beyond the base interval."""
    lo, hi = layer.knots[:, layer.k], layer.knots[:, -layer.k - 1]
    return ((x < lo - margin) | (x > hi + margin)).all(-1)


@pytest.mark.parametrize("extrapolate", ["quadratic", "linear"])
def test_refine_keeps_outputs_beyond_the_grid(extrapolate):
    """Inputs up to 4x beyond a [-1, 1] grid keep the layer's outputs through refine(3 -> 10)."""
    layer = _layer(extrapolate)
    x = _inputs(-5.0, 5.0)
    x = x[_beyond(layer, x, 0.0)]
    before = layer(x)
    fine = copy.deepcopy(layer)
    refine_layer(fine, 10)
    scale = float(before.abs().max())
    torch.testing.assert_close(fine(x), before, rtol=0, atol=1e-10 * scale)


def test_refine_keeps_the_extended_quadratic_beyond_its_extension():
    """With pykan's extension intervals handing over to the quadratic, the outputs are kept
    beyond the old outermost knots (inside them the two extension intervals differ)."""
    layer = _layer("extended_quadratic")
    x = _inputs(-5.0, 5.0)
    width = float(layer.knots[0, -1] - layer.knots[0, -layer.k - 1])  # k old intervals
    x = x[_beyond(layer, x, width)]
    assert x.shape[0] > 0
    before = layer(x)
    fine = copy.deepcopy(layer)
    refine_layer(fine, 10)
    torch.testing.assert_close(fine(x), before, rtol=0, atol=1e-10 * float(before.abs().max()))


def test_refine_inside_the_grid_stays_close_to_the_plain_projection():
    """Holding the ends costs little inside the grid: within 1.5x of the unconstrained
    projection's largest change (and below 1 % of the outputs)."""
    layer = _layer("quadratic")
    x = _inputs(-1.0, 1.0)
    before = layer(x)
    fine = copy.deepcopy(layer)
    refine_layer(fine, 10)
    plain = copy.deepcopy(fine)
    with torch.no_grad():
        coef = project_coefficients(layer.knots, layer.coef.permute(1, 2, 0), plain.knots, 3)
        plain.coef.copy_(coef.permute(2, 0, 1))
    held_err = float((fine(x) - before).abs().max())
    plain_err = float((plain(x) - before).abs().max())
    assert held_err <= 1.5 * plain_err
    assert held_err < 1e-2 * float(before.abs().max())


def test_refine_to_a_multiple_of_the_grid_stays_exact():
    """From G to 2G (breakpoints nest) the refined layer is the same function everywhere."""
    layer = _layer("quadratic")
    x = _inputs(-4.0, 4.0)
    fine = copy.deepcopy(layer)
    refine_layer(fine, 6)
    before = layer(x)
    torch.testing.assert_close(fine(x), before, rtol=0, atol=1e-10 * float(before.abs().max()))

"""Tests for kanlab.splines._end_constraints: projections that hold a spline's ends."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from kanlab.splines import extend_points, project_coefficients
from kanlab.splines._end_constraints import (constrained_least_squares, end_rows, held_orders,
                                             project_keeping_ends)
from kanlab.splines._bspline import bspline_basis

F64 = torch.float64


def _knots(grid: int, k: int, feats: int = 2) -> torch.Tensor:
    points = torch.linspace(-1.0, 1.0, grid + 1, dtype=F64).expand(feats, -1)
    return extend_points(points, k)


def _coef(knots: torch.Tensor, k: int, p: int = 3, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    n = knots.shape[-1] - k - 1
    return torch.randn(knots.shape[0], n, p, generator=g, dtype=F64).cumsum(1)


def test_constrained_least_squares_matches_the_kkt_system():
    """The null-space solution equals numpy's solve of the KKT system [[AᵀA, Cᵀ], [C, 0]]."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(2, 30, 8, generator=g, dtype=F64)
    y = torch.randn(2, 30, 3, generator=g, dtype=F64)
    c = torch.randn(2, 4, 8, generator=g, dtype=F64)
    d = torch.randn(2, 4, 3, generator=g, dtype=F64)
    x = constrained_least_squares(a, y, c, d)
    for b in range(2):
        A, Y, C, D = (t[b].numpy() for t in (a, y, c, d))
        kkt = np.block([[A.T @ A, C.T], [C, np.zeros((4, 4))]])
        ref = np.linalg.solve(kkt, np.vstack([A.T @ Y, D]))[:8]
        np.testing.assert_allclose(x[b].numpy(), ref, rtol=0, atol=1e-10)


def test_constrained_least_squares_refuses_dependent_constraints():
    """Two equal constraint rows: None (the caller falls back), not a wrong answer."""
    a, y = torch.randn(10, 5, dtype=F64), torch.randn(10, 1, dtype=F64)
    c = torch.ones(2, 5, dtype=F64)
    assert constrained_least_squares(a, y, c, torch.zeros(2, 1, dtype=F64)) is None


@pytest.mark.parametrize("k", [2, 3])
def test_projection_holds_value_slope_and_curvature_at_both_ends(k):
    """G = 3 -> 10: derivatives 0..2 at both ends equal the old spline's, against the textbook
    B-spline derivatives; the plain projection moves them."""
    old, new = _knots(3, k), _knots(10, k)
    coef = _coef(old, k)
    held = project_keeping_ends(old, coef, new, k, orders=3)
    plain = project_coefficients(old, coef, new, k)
    ends = torch.tensor([-1.0, 1.0], dtype=F64)
    moved = 0.0
    for f in range(2):
        for d in range(3):
            want = bspline_basis(ends, old[f], k, derivative=d) @ coef[f]  # (2, p)
            got = bspline_basis(ends, new[f], k, derivative=d) @ held[f]
            torch.testing.assert_close(got, want, rtol=0, atol=1e-9 * float(want.abs().max() + 1))
            moved = max(moved, float((bspline_basis(ends, new[f], k, derivative=d)
                                      @ plain[f] - want).abs().max()))
    assert moved > 1e-4


def test_end_rows_are_the_bases_derivatives_at_the_ends():
    """end_rows against bspline_basis at lo and hi (one-sided from inside)."""
    knots = _knots(4, 3, feats=1)
    rows = end_rows(knots, 3, 3)[0]  # (6, n)
    ends = torch.tensor([-1.0, 1.0], dtype=F64)
    for d in range(3):
        ref = bspline_basis(ends, knots[0], 3, derivative=d)
        torch.testing.assert_close(rows[d], ref[0], rtol=0, atol=1e-12)
        torch.testing.assert_close(rows[3 + d], ref[1], rtol=0, atol=1e-12)


def test_held_orders_leave_freedom_and_skip_vanishing_derivatives():
    """Fewer held rows than coefficients, and no order above the degree."""
    assert held_orders(3, 13, 3) == 3
    assert held_orders(3, 5, 3) == 2   # G' = 2: 4 rows < 5 coefficients
    assert held_orders(3, 4, 3) == 1   # G' = 1
    assert held_orders(1, 11, 3) == 2  # a linear spline has no curvature


def test_nested_grids_return_the_plain_projection_bit_for_bit():
    """G -> 2G: the plain projection keeps the ends already, and is returned unchanged."""
    old, new = _knots(3, 3), _knots(6, 3)
    coef = _coef(old, 3)
    assert torch.equal(project_keeping_ends(old, coef, new, 3), project_coefficients(old, coef, new, 3))

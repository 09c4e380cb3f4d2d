"""extrapolate="quadratic": the spline continues beyond its base interval as its degree-2
Taylor polynomial at the nearest end, so a cubic spline stays C² there (losses on u'')."""
from __future__ import annotations

import pytest
import torch

from kanlab.splines import bspline_basis, dense_basis, local_basis, scatter_local, uniform_knots

F64 = torch.float64


def knot_rows(k: int, uniform: bool) -> torch.Tensor:
    """Two knot rows (F=2): uniform ones, or uneven ones (interior points moved)."""
    rows = torch.stack([uniform_knots(5, k, (-1.0, 1.0), dtype=F64),
                        uniform_knots(5, k, (0.5, 3.0), dtype=F64)])
    if not uniform:
        rows[:, k + 1:k + 5] += torch.tensor([0.07, -0.05, 0.11, -0.03], dtype=F64)
    return rows


def ends(knots: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = knots.shape[-1] - k - 1
    return knots[:, k], knots[:, n]


def dense(x, knots, k, uniform, derivative=0):
    values, start = local_basis(x, knots, k, uniform=uniform, extrapolate="quadratic",
                                derivative=derivative)
    return scatter_local(values, start, knots.shape[-1] - k - 1)


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_quadratic_extrapolation_is_the_taylor_polynomial(k, uniform):
    """Beyond the base interval the bases (and their first three derivatives) are the
    degree-2 Taylor polynomial at the end, from the Cox–de Boor reference."""
    knots = knot_rows(k, uniform)
    lo, hi = ends(knots, k)
    x = torch.stack([lo - 0.4, hi + 0.7, lo - 2.0, hi + 0.01])  # (4, F)
    end = torch.where(x < lo, lo, hi)
    d = (x - end).unsqueeze(-1)
    b = [bspline_basis(end, knots, k, derivative=j) for j in range(3)]
    expected = [b[0] + d * b[1] + d * d / 2 * b[2], b[1] + d * b[2], b[2], torch.zeros_like(b[0])]
    for order, want in enumerate(expected):
        got = dense(x, knots, k, uniform, derivative=order)
        torch.testing.assert_close(got, want, rtol=0, atol=1e-11)


@pytest.mark.parametrize("uniform", [True, False])
def test_quadratic_extrapolation_is_c2_at_the_ends(uniform):
    """Values, slopes and curvatures agree on both sides of each end (cubic: the third
    derivative jumps, as it does at every knot)."""
    k = 3
    knots = knot_rows(k, uniform)
    lo, hi = ends(knots, k)
    eps = 1e-7
    for end in (lo, hi):
        inside = torch.where(end == lo, end + eps, end - eps)[None]
        outside = torch.where(end == lo, end - eps, end + eps)[None]
        for order in range(3):
            a, b = dense(inside, knots, k, uniform, order), dense(outside, knots, k, uniform, order)
            scale = float(bspline_basis(end[None], knots, k, derivative=order).abs().max())
            assert float((a - b).abs().max()) < 1e-5 * max(scale, 1.0)


def test_quadratic_equals_linear_for_degree_one():
    """A piecewise-linear spline has no curvature to continue: "quadratic" is "linear"."""
    knots = knot_rows(1, True)
    x = torch.linspace(-3, 5, 17, dtype=F64)[:, None].expand(-1, 2)
    for order in range(3):
        got = dense(x, knots, 1, True, order)
        values, start = local_basis(x, knots, 1, uniform=True, extrapolate="linear",
                                    derivative=order)
        torch.testing.assert_close(got, scatter_local(values, start, knots.shape[-1] - 2))


@pytest.mark.parametrize("uniform", [True, False])
def test_quadratic_basis_gradcheck_and_gradgradcheck(uniform):
    """The basis autograd node: first and second derivatives in x are exact, inside the
    grid and beyond both ends."""
    k = 3
    knots = knot_rows(k, uniform)
    lo, hi = ends(knots, k)
    x = torch.stack([lo + 0.13, (lo + hi) / 2 + 0.01, hi - 0.21, lo - 0.5, hi + 0.8])
    x = x.clone().requires_grad_(True)
    w = torch.linspace(-1, 1, knots.shape[-1] - k - 1, dtype=F64)

    def spline(x):
        return (dense_basis(x, knots, k, uniform=uniform, extrapolate="quadratic") * w).sum(-1)

    assert torch.autograd.gradcheck(spline, (x,), eps=1e-6, atol=1e-7)
    assert torch.autograd.gradgradcheck(spline, (x,), eps=1e-6, atol=1e-6)

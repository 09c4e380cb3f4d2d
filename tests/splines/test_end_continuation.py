"""local_basis's Taylor continuations ("linear", "quadratic") on batches that mix points inside
the base interval with points beyond both ends, every derivative order, against an oracle from
bspline_basis: inside, the bases themselves; beyond an end, the Taylor polynomial of the bases
at that end.  (local_basis evaluates the higher orders at the two ends only.)"""
from __future__ import annotations

import math

import pytest
import torch

from kanlab.splines import bspline_basis, local_basis, scatter_local, uniform_knots

TOP = {"linear": 1, "quadratic": 2}


def _knots(k: int, uniform: bool) -> torch.Tensor:
    """Three knot rows on different ranges, (3, 6 + 2k + 1) (graded ones unless ``uniform``)."""
    rows = []
    for i, (lo, hi) in enumerate([(-1.0, 1.0), (0.5, 3.0), (-4.0, -2.5)]):
        row = uniform_knots(6, k, (lo, hi), dtype=torch.float64)
        if not uniform:  # squeeze the knots towards the left end: unequal spans
            u = (row - lo) / (hi - lo)
            row = lo + (hi - lo) * torch.sign(u) * u.abs() ** (1.3 + 0.2 * i)
        rows.append(row)
    return torch.stack(rows)


def _oracle(x: torch.Tensor, knots: torch.Tensor, k: int, extrapolate: str,
            derivative: int) -> torch.Tensor:
    n = knots.shape[-1] - k - 1
    lo, hi = knots[:, k], knots[:, n]
    xc = torch.minimum(torch.maximum(x, lo), hi)
    out = bspline_basis(xc, knots, k, derivative=derivative)
    beyond = (x != xc).unsqueeze(-1)
    if derivative > TOP[extrapolate]:
        return out.masked_fill(beyond, 0.0)
    d = (x - xc).unsqueeze(-1)
    for i in range(1, TOP[extrapolate] - derivative + 1):  # the continuation's derivative
        if derivative + i <= k:
            out = out + d ** i / math.factorial(i) * bspline_basis(xc, knots, k,
                                                                   derivative=derivative + i)
    return out


@pytest.mark.parametrize("extrapolate", ["linear", "quadratic"])
@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("k", [0, 1, 2, 3, 5])
def test_mixed_batch_matches_taylor_oracle(k, uniform, extrapolate):
    knots = _knots(k, uniform)
    n = knots.shape[-1] - k - 1
    lo, hi = knots[:, k], knots[:, n]
    g = torch.Generator().manual_seed(k)
    u = torch.rand(4, 30, 3, generator=g, dtype=torch.float64) * 1.6 - 0.3  # ~20 % beyond
    x = lo + (hi - lo) * u  # (4, 30, 3): leading dims kept
    x[0, 0], x[0, 1] = lo, hi  # the ends themselves
    for derivative in range(k + 2):
        values, start = local_basis(x, knots, k, uniform=uniform, extrapolate=extrapolate,
                                    derivative=derivative)
        got = scatter_local(values, start, n)
        expected = _oracle(x, knots, k, extrapolate, derivative)
        scale = float(expected.abs().max()) or 1.0
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-11 * scale)

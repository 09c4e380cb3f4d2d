"""The extension continuations as piecewise-polynomial tables (kanlab.splines._extension),
against scipy's B-splines on their own knots (the oracle) and against autograd through the
textbook recursion (the path they replace), values and derivatives."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.interpolate import BSpline

from kanlab.splines import bspline_basis, uniform_knots
from kanlab.splines._extension import (ExtensionFunction, evaluate_extension,
                                       extension_tables, smoothstep)

F64 = torch.float64


def knot_rows(k: int) -> torch.Tensor:
    """Two rows: a uniform grid, and a non-uniform one on another range."""
    a = uniform_knots(5, k, (-1.0, 1.0), dtype=F64)
    b = uniform_knots(5, k, (0.0, 3.0), dtype=F64).clone()
    b[k + 1:k + 3] += torch.tensor([0.11, -0.07], dtype=F64)
    b[:k] -= torch.linspace(0.2, 0.05, k, dtype=F64)  # uneven extension intervals below
    return torch.stack([a, b])


def scipy_end(x: np.ndarray, t: np.ndarray, k: int, end: int, how: str, derivative: int):
    """End ``end``'s k + 1 bases (or a derivative) at ``x`` beyond it, from scipy alone."""
    m = len(t)
    n = m - k - 1
    first = 0 if end == 0 else n - k - 1
    edge = t[k] if end == 0 else t[n]
    out = np.zeros((len(x), k + 1))

    def deriv(spline, j, at):  # scipy refuses orders above the degree: they are 0
        if j > k:
            return np.zeros_like(np.asarray(at, dtype=float))
        return spline.derivative(j)(at) if j else spline(at)

    for q in range(k + 1):
        own = t[first + q:first + q + k + 2]  # the basis on its own knots: its whole support
        b = BSpline.basis_element(own, extrapolate=False)
        inside = (x >= own[0]) & (x < own[-1])
        e = np.zeros_like(x)
        e[inside] = deriv(b, derivative, x[inside])
        if how == "extended":
            out[:, q] = e
            continue
        base = BSpline.basis_element(own, extrapolate=True)  # its end polynomial, base side
        side = np.nextafter(edge, np.inf if end == 0 else -np.inf)  # the base interval's side
        taylor = [float(deriv(base, i, side)) for i in range(min(2, k) + 1)]
        d = x - edge
        # Q and its derivatives
        qv = [sum(taylor[i] * d ** (i - j) / math.factorial(i - j)
                  for i in range(j, len(taylor))) for j in range(derivative + 1)]
        qv = [v if not np.isscalar(v) else np.full_like(x, v) for v in qv]
        ev = [np.zeros_like(x) for _ in range(derivative + 1)]
        for j in range(derivative + 1):
            ev[j][inside] = deriv(b, j, x[inside])
        lo, hi = (t[1], t[0]) if end == 0 else (t[n + k - 1], t[n + k])
        u = (x - lo) / (hi - lo)
        total = ev[derivative].copy()
        for j in range(derivative + 1):  # Leibniz: (r (Q - E))^(derivative)
            rj = smoothstep(torch.from_numpy(u), j).numpy() / (hi - lo) ** j
            total += math.comb(derivative, j) * rj * (qv[derivative - j] - ev[derivative - j])
        out[:, q] = total
    return out


@pytest.mark.parametrize("how", ["extended", "extended_quadratic"])
@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_tables_equal_scipys_bsplines_beyond_both_ends(how, k):
    """Values and derivatives 0..k+1 at points on every extension interval and beyond,
    both ends, a uniform and a non-uniform row (points off the joints)."""
    knots = knot_rows(k)
    tables = extension_tables(knots, k, how)
    n = knots.shape[-1] - k - 1
    for f in range(2):
        t = knots[f].numpy()
        for end in (0, 1):
            edge = t[k] if end == 0 else t[n]
            side = -1 if end == 0 else 1
            x = edge + side * (np.linspace(0.0, 1.6 * (t[-1] - t[n]), 57)[1:] + 1.3e-3)
            for derivative in range(k + 2):
                got = evaluate_extension(tables, torch.tensor(end), torch.tensor(f),
                                         torch.from_numpy(x), derivative).numpy()
                want = scipy_end(x, t, k, end, how, derivative)
                scale = 1 + np.abs(want).max()
                assert np.abs(got - want).max() <= 1e-10 * scale, (f, end, derivative)


@pytest.mark.parametrize("how", ["extended", "extended_quadratic"])
def test_minus_linear_is_the_continuation_less_the_end_tangent(how):
    """What a linearly continuing kernel leaves to add: C(x) - value - slope·(x - end)."""
    k = 3
    knots = knot_rows(k)
    full, rest = extension_tables(knots, k, how), extension_tables(knots, k, how, minus_linear=True)
    n = knots.shape[-1] - k - 1
    x = torch.tensor([[-1.9, -0.35], [-1.45, -1.2], [1.5, 3.9], [2.3, 5.0]], dtype=F64)
    e = (x > 0.0).long() * torch.tensor([1, 0]) + (x > 3.0).long() * torch.tensor([0, 1])
    f = torch.arange(2)
    ends = knots[f, torch.where(e == 0, k, n)]
    window_at = torch.stack([knots[:, :2 * k + 2], knots[:, n - k - 1:]])  # (2, F, 2k + 2)
    win = window_at[e, f]
    value = bspline_basis(ends, win, k)
    slope = bspline_basis(ends, win, k, derivative=1)
    want = evaluate_extension(full, e, f, x) - value - slope * (x - ends).unsqueeze(-1)
    assert torch.allclose(evaluate_extension(rest, e, f, x), want, atol=1e-12)


@pytest.mark.parametrize("how", ["extended", "extended_quadratic"])
def test_autograd_node_gradcheck_and_gradgradcheck(how):
    """ExtensionFunction: its backward is the next derivative, to second order."""
    knots = knot_rows(3)
    tables = extension_tables(knots, 3, how, minus_linear=True)
    x = torch.tensor([-1.1, -1.55, -2.05, -2.9, 1.2, 1.7, 2.1, 3.3], dtype=F64,
                     requires_grad=True)
    e = (x > 0).long()
    f = torch.zeros_like(e)

    def through(v):
        return evaluate_extension(tables, e, f, v, node=True)

    assert torch.autograd.gradcheck(through, (x,), eps=1e-6, atol=1e-7)
    assert torch.autograd.gradgradcheck(through, (x,), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("how", ["extended", "extended_quadratic"])
def test_node_and_plain_operations_agree_to_third_order(how):
    """The one-node path (eager) and the plain tensor operations (any transform) give the
    same values and the same first three derivatives by autograd."""
    knots = knot_rows(3)
    tables = extension_tables(knots, 3, how)
    x0 = torch.tensor([-1.1, -1.55, -2.05, -2.9, 1.2, 1.7, 2.1, 3.3], dtype=F64)
    e, f = (x0 > 0).long(), torch.ones(8, dtype=torch.long)
    x0 = torch.where(e == 1, x0 + 2.0, x0 + 0.1)  # row 1 spans [0, 3]
    results = []
    for node in (True, False):
        x = x0.clone().requires_grad_(True)
        y = evaluate_extension(tables, e, f, x, node=node).sum(-1)
        out = [y]
        for _ in range(3):
            (y,) = torch.autograd.grad(y.sum(), x, create_graph=True)
            out.append(y)
        results.append(torch.stack([o.detach() for o in out]))
    assert torch.allclose(results[0], results[1], atol=1e-9, rtol=1e-12)
    assert ExtensionFunction is not None

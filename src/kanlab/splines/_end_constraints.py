"""Least squares that hold a spline's ends: value, slope and curvature at both ends kept exactly.

A layer continues each spline beyond its base interval from the end's value,
slope and (``"quadratic"``) curvature, so a projection onto another grid that
keeps those keeps the continuation too, however far beyond the samples lie.
A plain least-squares projection on the base interval does not: from ``G`` to a
grid that does not nest (3 to 10) the end curvature moves, and at a distance
``d`` beyond the end the function moves by ``Δs''·d²/2``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab._threads import single_threaded
from kanlab.splines._bspline import local_basis, scatter_local
from kanlab.splines._fit import (evaluate_spline, project_coefficients, solve_least_squares,
                                 sweep_points)

__all__ = ["end_rows", "held_orders", "constrained_least_squares", "project_keeping_ends"]


def end_rows(knots: Tensor, k: int, orders: int) -> Tensor:
    """Derivatives ``0 .. orders - 1`` of every basis at both ends of the base interval.

    Parameters
    ----------
    knots : Tensor, shape (F, m)
    k : int
    orders : int

    Returns
    -------
    Tensor, shape (F, 2 * orders, n_basis)
        Rows ``[lo: d⁰, d¹, …, hi: d⁰, d¹, …]``, one-sided from inside the base interval.
    """
    n = knots.shape[-1] - k - 1
    ends = knots[:, [k, n]].t().contiguous()  # (2, F)
    rows = [scatter_local(*local_basis(ends, knots, k, derivative=d), n)  # (2, F, n)
            for d in range(orders)]
    return torch.stack(rows, dim=1).permute(2, 0, 1, 3).reshape(knots.shape[0], 2 * orders, n)


def held_orders(k: int, n_basis: int, wanted: int) -> int:
    """How many derivative orders can be held at both ends: at most ``wanted``, none above
    ``k`` (identically 0), and fewer rows than coefficients (``2·orders < n_basis``)."""
    return max(0, min(wanted, k + 1, (n_basis - 1) // 2))


def constrained_least_squares(a: Tensor, y: Tensor, c: Tensor, d: Tensor) -> Tensor | None:
    """``argmin_x ||a x - y||`` subject to ``c x = d``, batched; None if ``c`` is rank-deficient.

    Parameters
    ----------
    a : Tensor, shape (..., N, n)
    y : Tensor, shape (..., N, p)
    c : Tensor, shape (..., r, n), ``r < n``
    d : Tensor, shape (..., r, p)

    Returns
    -------
    Tensor, shape (..., n, p), or None

    Notes
    -----
    The null-space method: with ``cᵀ = Q R``, ``Q = [Q₁ Q₂]``, every solution of
    the constraints is ``x = Q₁ R⁻ᵀ d + Q₂ z``; ``z`` is the least-squares
    solution of ``(a Q₂) z = y - a Q₁ R⁻ᵀ d`` (:func:`solve_least_squares`).
    """
    r = c.shape[-2]
    q, rr = torch.linalg.qr(c.mT, mode="complete")  # (..., n, n), (..., n, r)
    r1 = rr[..., :r, :]  # (..., r, r) upper triangular
    diag = r1.diagonal(dim1=-2, dim2=-1).abs()
    if not bool((diag > 1e3 * torch.finfo(c.dtype).eps * diag.amax(-1, keepdim=True)).all()):
        return None
    q1, q2 = q[..., :r], q[..., r:]
    x_p = q1 @ torch.linalg.solve_triangular(r1.mT, d, upper=False)  # (..., n, p)
    z = solve_least_squares(a @ q2, y - a @ x_p)
    return x_p + q2 @ z


@single_threaded  # a result independent of the core count (kanlab._threads)
def project_keeping_ends(knots: Tensor, coef: Tensor, new_knots: Tensor, k: int,
                         orders: int = 3) -> Tensor:
    """Coefficients on ``new_knots`` (the same base interval) of the splines ``(knots, coef)``,
    their derivatives ``0 .. orders - 1`` at both ends kept exactly.

    Parameters
    ----------
    knots : Tensor, shape (F, m)
    coef : Tensor, shape (F, n_basis, p)
    new_knots : Tensor, shape (F, m')
        Same first and last base points as ``knots``.
    k : int
    orders : int
        3 keeps value, slope and curvature (what the ``"quadratic"``, ``"tapered"`` and
        ``"bounded"`` continuations are made of), 2 value and slope (``"linear"``); lowered
        where the new grid has too few coefficients (:func:`held_orders`).

    Returns
    -------
    Tensor, shape (F, m' - k - 1, p)

    Notes
    -----
    Where :func:`~kanlab.splines.project_coefficients` already keeps the ends to
    rounding (knot insertion, nested breakpoints) its result is returned as it
    is.  Otherwise this is the least-squares fit on the same points, in the
    subspace whose splines share the old ends' derivatives.
    """
    n_new = new_knots.shape[-1] - k - 1
    orders = held_orders(k, n_new, orders)
    plain = project_coefficients(knots, coef, new_knots, k)
    if orders == 0:
        return plain
    rows_old, rows_new = end_rows(knots, k, orders), end_rows(new_knots, k, orders)
    held = rows_old @ coef  # (F, 2·orders, p)
    # where the plain projection already keeps the ends (nested grids) it is kept as it is
    rounding = 1e3 * torch.finfo(coef.dtype).eps * (rows_old.abs() @ coef.abs())
    if bool(((rows_new @ plain - held).abs() <= rounding).all()):
        return plain
    x = sweep_points(new_knots, k, 2 * (k + 1))  # (N, F)
    y = evaluate_spline(x, knots, coef, k).transpose(0, 1)  # (F, N, p)
    a = scatter_local(*local_basis(x, new_knots, k), n_new).transpose(0, 1)  # (F, N, n')
    out = constrained_least_squares(a, y, rows_new, held)
    return plain if out is None else out

"""Curve <-> coefficients: least-squares spline fits and exact knot insertion.

Every function here is pure: tensors in, tensors out.  Coefficients are laid
out ``(..., n_basis)`` on a knot vector of length ``n_basis + k + 1``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .splines import bspline_basis, local_basis, scatter_local

__all__ = ["solve_least_squares", "fit_coefficients", "insert_knots", "project_coefficients",
           "evaluate_spline"]


def solve_least_squares(a: Tensor, y: Tensor, ridge: float = 0.0) -> Tensor:
    """Batched ``argmin_c ||a c - y||² + ridge ||c||²`` that survives rank deficiency.

    Parameters
    ----------
    a : Tensor, shape (..., N, n)
        Design matrices.
    y : Tensor, shape (..., N, p)
        Right-hand sides.
    ridge : float
        Extra Tikhonov weight, relative to the mean diagonal of ``aᵀa``.

    Returns
    -------
    c : Tensor, shape (..., n, p)

    Notes
    -----
    Solves the normal equations by Cholesky with a ridge of at least a few
    machine epsilons (relative), which leaves a well-posed fit unchanged to
    rounding and sends coefficients that no sample constrains to zero.  If the
    factorisation still fails the ridge grows a hundredfold, up to 1e-2; past
    that the data cannot determine a fit and a ``ValueError`` is raised.
    """
    if a.shape[-2] == 0:
        raise ValueError("least-squares fit needs at least one sample, got 0")
    if not (bool(torch.isfinite(a).all()) and bool(torch.isfinite(y).all())):
        raise ValueError("least-squares fit got non-finite samples (NaN or inf); "
                         "drop or clean them before fitting")
    ata = a.mT @ a  # (..., n, n)
    aty = a.mT @ y  # (..., n, p)
    scale = ata.diagonal(dim1=-2, dim2=-1).mean(-1).clamp_min(torch.finfo(a.dtype).tiny)
    eye = torch.eye(ata.shape[-1], dtype=a.dtype, device=a.device)
    rel = max(float(ridge), 8 * torch.finfo(a.dtype).eps)
    while rel <= 1e-2:
        chol, info = torch.linalg.cholesky_ex(ata + (rel * scale)[..., None, None] * eye)
        if not bool((info != 0).any()):
            c = torch.cholesky_solve(aty, chol)
            if bool(torch.isfinite(c).all()):
                return c
        rel *= 100.0
    raise ValueError("least-squares fit is singular even with a 1e-2 ridge: the samples do not "
                     "determine the spline (are they all identical?)")


def evaluate_spline(x: Tensor, knots: Tensor, coef: Tensor, k: int,
                    extrapolate: str = "linear") -> Tensor:
    """Evaluate splines with per-feature knots.

    Parameters
    ----------
    x : Tensor, shape (N, F)
    knots : Tensor, shape (F, m)
    coef : Tensor, shape (F, n_basis, p)
        ``p`` splines per feature (for a layer: one per output).

    Returns
    -------
    Tensor, shape (N, F, p)
    """
    values, start = local_basis(x, knots, k, extrapolate=extrapolate)
    basis = scatter_local(values, start, knots.shape[-1] - k - 1)  # (N, F, n_basis)
    return torch.einsum("nfb,fbp->nfp", basis, coef)


def fit_coefficients(x: Tensor, y: Tensor, knots: Tensor, k: int, ridge: float = 0.0,
                     extrapolate: str = "linear") -> Tensor:
    """Least-squares spline coefficients per feature (pykan's ``curve2coef``).

    Parameters
    ----------
    x : Tensor, shape (N, F)
        Sample points, one column per feature.
    y : Tensor, shape (N, F, p)
        Values to fit: ``p`` curves per feature.
    knots : Tensor, shape (F, m)
    k : int

    Returns
    -------
    coef : Tensor, shape (F, n_basis, p)
    """
    if x.dim() != 2 or y.dim() != 3 or y.shape[:2] != x.shape:
        raise ValueError(f"expected x of shape (N, F) and y of shape (N, F, p), got "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    values, start = local_basis(x, knots, k, extrapolate=extrapolate)
    basis = scatter_local(values, start, knots.shape[-1] - k - 1)  # (N, F, n_basis)
    return solve_least_squares(basis.transpose(0, 1), y.transpose(0, 1), ridge)


def insert_knots(knots: Tensor, coef: Tensor, k: int, new: Tensor) -> tuple[Tensor, Tensor]:
    """Insert knots without changing the spline (Boehm's algorithm).

    Parameters
    ----------
    knots : Tensor, shape (m,)
    coef : Tensor, shape (..., m - k - 1)
        Any number of splines sharing the knots.
    k : int
    new : Tensor, shape (q,)
        Knots to insert, inside ``[t[k], t[n]]``.

    Returns
    -------
    knots : Tensor, shape (m + q,)
    coef : Tensor, shape (..., m + q - k - 1)
        The same piecewise polynomial on the base interval, exactly.
    """
    t, c = knots, coef
    for u in new.tolist():
        n = t.shape[0] - k - 1
        if not (float(t[k]) <= u <= float(t[n])):
            raise ValueError(f"knot {u} lies outside the base interval [{float(t[k])}, {float(t[n])}]")
        # span l with t[l] <= u < t[l+1], l in [k, n-1]
        l = int(torch.searchsorted(t[k:n].contiguous(), torch.tensor([u], dtype=t.dtype), right=True)) + k - 1
        i = torch.arange(l - k + 1, l + 1)
        den = t[i + k] - t[i]
        alpha = torch.where(den > 0, (u - t[i]) / torch.where(den > 0, den, 1.0), torch.zeros_like(den))
        mid = (1 - alpha) * c[..., i - 1] + alpha * c[..., i]
        c = torch.cat([c[..., :l - k + 1], mid, c[..., l:]], dim=-1)
        t = torch.cat([t[:l + 1], t.new_tensor([u]), t[l + 1:]])
    return t, c


def _contains(big: Tensor, small: Tensor, tol: float) -> bool:
    """Whether the multiset ``small`` is contained in the sorted ``big`` within ``tol``."""
    j = 0
    b = big.tolist()
    for v in small.tolist():
        while j < len(b) and b[j] < v - tol:
            j += 1
        if j == len(b) or abs(b[j] - v) > tol:
            return False
        j += 1
    return True


def project_coefficients(knots: Tensor, coef: Tensor, new_knots: Tensor, k: int,
                         samples_per_interval: int | None = None) -> Tensor:
    """Coefficients on ``new_knots`` of the splines ``(knots, coef)``.

    Parameters
    ----------
    knots : Tensor, shape (F, m)
    coef : Tensor, shape (F, n_basis, p)
    new_knots : Tensor, shape (F, m')
    k : int

    Returns
    -------
    Tensor, shape (F, m' - k - 1, p)

    Notes
    -----
    When the old knot vector is contained in the new one this is Boehm's knot
    insertion and exact.  Otherwise it is a least-squares fit on points that
    fill the new base interval.  That fit is still exact (to rounding) when
    the old *breakpoints* inside the new base interval are among the new ones:
    the restriction of a spline space to its base interval is the space of all
    piecewise polynomials of degree ``k`` and continuity ``C^{k-1}`` on those
    breakpoints, whatever the knots outside, so the old function lies in the
    new space.  This is how ``refine`` from ``G`` to ``m·G`` keeps the function.
    """
    feats, m_new = new_knots.shape
    n_new = m_new - k - 1
    tol = 1e3 * torch.finfo(knots.dtype).eps * float(knots.abs().max())
    if all(_contains(new_knots[f], knots[f], tol) for f in range(feats)):
        out = []
        for f in range(feats):
            old = knots[f].tolist()
            extra, j = [], 0
            for v in new_knots[f].tolist():
                if j < len(old) and abs(old[j] - v) <= tol:
                    j += 1
                else:
                    extra.append(v)
            _, c = insert_knots(knots[f], coef[f].t(), k, new_knots[f].new_tensor(extra))
            out.append(c.t())
        return torch.stack(out)
    per = samples_per_interval or 2 * (k + 1)
    hi = new_knots[:, n_new]
    # points: every base knot plus `per` interior points per interval
    base = new_knots[:, k:n_new + 1]  # (F, G' + 1)
    frac = torch.linspace(0, 1, per + 2, dtype=knots.dtype, device=knots.device)[:-1]  # (per + 1,)
    pts = base[:, :-1, None] + (base[:, 1:] - base[:, :-1])[:, :, None] * frac  # (F, G', per + 1)
    x = torch.cat([pts.reshape(feats, -1), hi[:, None]], dim=1).t()  # (N, F)
    y = evaluate_spline(x, knots, coef, k)
    return fit_coefficients(x, y, new_knots, k)

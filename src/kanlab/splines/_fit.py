"""Curve <-> coefficients: least-squares spline fits and exact knot insertion.

Every function here is pure: tensors in, tensors out.  Coefficients are laid
out ``(..., n_basis)`` on a knot vector of length ``n_basis + k + 1``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab._threads import single_threaded
from kanlab.splines._bspline import local_basis, scatter_local

__all__ = ["solve_least_squares", "fit_coefficients", "insert_knots", "project_coefficients",
           "sweep_points", "evaluate_spline"]


@single_threaded  # a result independent of the core count (kanlab._threads)
def solve_least_squares(a: Tensor, y: Tensor, ridge: float = 0.0) -> Tensor:
    """Batched ``argmin_c ||a c - y||² + λ ||c||²`` that survives rank deficiency.

    Parameters
    ----------
    a : Tensor, shape (..., N, n)
        Design matrices.
    y : Tensor, shape (..., N, p)
        Right-hand sides.
    ridge : float
        Tikhonov weight relative to the mean squared column norm of ``a``:
        ``λ = ridge · mean_j ||a_j||²``.

    Returns
    -------
    c : Tensor, shape (..., n, p)

    Notes
    -----
    The ridge rows are appended to the system and it is solved by QR after
    scaling every column to unit norm, so the accuracy follows ``cond(a)``,
    not its square.  The ridge starts at ``max(ridge, eps²)`` (invisible for a
    well-posed fit); while ``R`` still shows a numerically dependent column it
    grows a hundredfold, up to ``max(ridge, 1e-2)``.  A column no sample
    touches gets coefficient 0.  Past that the data cannot determine a fit
    and ``ValueError`` is raised.
    """
    if a.shape[-2] == 0:
        raise ValueError("least-squares fit needs at least one sample, got 0")
    if not (bool(torch.isfinite(a).all()) and bool(torch.isfinite(y).all())):
        raise ValueError("least-squares fit got non-finite samples (NaN or inf); "
                         "drop or clean them before fitting")
    n = a.shape[-1]
    sq_norms = a.pow(2).sum(dim=-2, keepdim=True)  # (..., 1, n)
    used = sq_norms > 0
    scale = torch.where(used, torch.where(used, sq_norms, 1.0).rsqrt(), 1.0)  # unit columns
    mean_sq = sq_norms.mean(dim=-1, keepdim=True).clamp_min(torch.finfo(a.dtype).tiny)
    a_scaled = a * scale
    eps = torch.finfo(a.dtype).eps
    eye = torch.eye(n, dtype=a.dtype, device=a.device)
    y_aug = torch.cat([y, y.new_zeros(*y.shape[:-2], n, y.shape[-1])], dim=-2)
    rel = max(float(ridge), eps * eps)
    while rel <= max(float(ridge), 1e-2):
        # ridge rows λ^½ I on c become λ^½ D on the scaled unknowns
        penalty = (rel * mean_sq).sqrt().mT * scale * eye  # (..., n, n)
        q, r = torch.linalg.qr(torch.cat([a_scaled, penalty], dim=-2))
        diag = r.diagonal(dim1=-2, dim2=-1).abs()
        if not bool((diag < eps ** 0.5 * diag.amax(-1, keepdim=True)).any()):
            c = torch.linalg.solve_triangular(r, q.mT @ y_aug, upper=True)
            if bool(torch.isfinite(c).all()):
                return c * scale.mT
        rel *= 100.0
    raise ValueError("least-squares fit is singular even with a 1e-2 ridge: the samples do not "
                     "determine the spline (are they all identical?)")


def _design(x: Tensor, knots: Tensor, k: int, extrapolate: str) -> Tensor:
    """Dense basis ``(N, F, n_basis)`` of per-feature knots at ``x (N, F)``."""
    values, start = local_basis(x, knots, k, extrapolate=extrapolate)
    return scatter_local(values, start, knots.shape[-1] - k - 1)


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
    return torch.einsum("nfb,fbp->nfp", _design(x, knots, k, extrapolate), coef)


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
    basis = _design(x, knots, k, extrapolate)  # (N, F, n_basis)
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


def _extra_knots(old: Tensor, new: Tensor, k: int, tol: float) -> Tensor | None:
    """Knots to insert into ``old`` to get ``new``, or None if insertion cannot do it.

    Insertion needs ``old`` to be a sub-multiset of ``new`` (within ``tol``)
    and every extra knot inside the old base interval.
    """
    lo, hi = float(old[k]), float(old[old.shape[0] - k - 1])
    extra, j = [], 0
    old_list = old.tolist()
    for v in new.tolist():
        if j < len(old_list) and abs(old_list[j] - v) <= tol:
            j += 1
        elif lo <= v <= hi:
            extra.append(v)
        else:
            return None
    return new.new_tensor(extra) if j == len(old_list) else None


@single_threaded  # a result independent of the core count (kanlab._threads)
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
    feats = new_knots.shape[0]
    tol = 1e3 * torch.finfo(knots.dtype).eps * float(knots.abs().max())
    extras = [_extra_knots(knots[f], new_knots[f], k, tol) for f in range(feats)]
    if all(e is not None for e in extras):
        return torch.stack([insert_knots(knots[f], coef[f].t(), k, extras[f])[1].t()
                            for f in range(feats)])
    x = sweep_points(new_knots, k, samples_per_interval or 2 * (k + 1))
    y = evaluate_spline(x, knots, coef, k)
    return fit_coefficients(x, y, new_knots, k)


def sweep_points(knots: Tensor, k: int, per: int) -> Tensor:
    """Every base knot plus ``per`` points inside each base interval, ``(N, F)``."""
    feats, m = knots.shape
    n = m - k - 1
    base = knots[:, k:n + 1]  # (F, G + 1)
    frac = torch.linspace(0, 1, per + 2, dtype=knots.dtype, device=knots.device)[:-1]  # (per + 1,)
    pts = base[:, :-1, None] + (base[:, 1:] - base[:, :-1])[:, :, None] * frac  # (F, G, per + 1)
    return torch.cat([pts.reshape(feats, -1), knots[:, n, None]], dim=1).t()  # (N, F)

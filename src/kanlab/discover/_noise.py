"""Does a formula's residual look like noise?  A nearest-neighbour test, no model needed.

If ``r = y - f(x)`` is noise, independent from row to row, a row's residual
and its nearest neighbour's (in standardised inputs) are unrelated:
``mean((r_i - r_nn(i))²) ≈ 2·var(r)``.  If ``r`` still holds a smooth part
of the law, neighbours share it and the mean is smaller.  The ratio of the
two is about 1 ± 0.05 for noise at 1 000 rows; :func:`looks_like_noise` accepts
a ratio above ``threshold``.  The search stops when the best formula passes:
a network cannot do better than the noise.

With four or more inputs a row's nearest neighbour is far away, and a look-alike whose
residual is eight times the noise passed the ratio test (0.88).  The mean residual of
:data:`NEIGHBOURS` neighbours is less noisy: :func:`neighbour_mean_z` is the correlation
of a row's residual with it, in standard errors under independent noise (about
``N(0, 1)``; the caller sets a limit, e.g. 4, well beyond chance).
"""
from __future__ import annotations

import numpy as np

__all__ = ["neighbour_ratio", "neighbour_mean_z", "looks_like_noise"]

NEIGHBOURS = 10  # neighbours whose mean residual neighbour_mean_z compares with a row's


def neighbour_ratio(X, r) -> float:
    """``mean((r_i - r_nn(i))²) / (2·var(r))`` over the rows of ``X`` (standardised columns)."""
    from scipy.spatial import cKDTree
    X = np.asarray(X, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    if len(r) < 3 or not np.all(np.isfinite(r)):
        return 0.0
    var = float(np.var(r))
    if var == 0.0:
        return 1.0
    Z = _standardised(X)
    _, idx = cKDTree(Z).query(Z, k=2)
    d = r - r[idx[:, 1]]
    return float(np.mean(d * d) / (2.0 * var))


def _standardised(X):
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)


def neighbour_mean_z(X, r, k: int = NEIGHBOURS) -> float:
    """``mean(r_i·m_i) / (var(r)·sqrt(2/(n·k)))``, ``m_i`` the mean residual of row ``i``'s
    ``k`` nearest neighbours (standardised inputs; residuals centred): about N(0, 1) for
    independent noise, large where neighbours share a smooth part of ``r``."""
    from scipy.spatial import cKDTree
    r = np.asarray(r, dtype=np.float64)
    n = len(r)
    if n <= k + 1 or not np.all(np.isfinite(r)):
        return np.inf if n > k + 1 else 0.0
    var = float(np.var(r))
    if var == 0.0:
        return 0.0
    Z = _standardised(X)
    _, idx = cKDTree(Z).query(Z, k=k + 1)
    rc = r - float(np.mean(r))
    m = rc[idx[:, 1:]].mean(axis=1)
    return float(np.mean(rc * m) / (var * np.sqrt(2.0 / (n * k))))


def looks_like_noise(X, r, threshold: float = 0.85, z_limit: float = np.inf) -> bool:
    """True when ``r`` (residuals on the rows ``X``) shows no structure a neighbour shares:
    :func:`neighbour_ratio` at least ``threshold`` and :func:`neighbour_mean_z` at most
    ``z_limit`` (not computed when infinite)."""
    if neighbour_ratio(X, r) < threshold:
        return False
    return not np.isfinite(z_limit) or neighbour_mean_z(X, r) <= z_limit

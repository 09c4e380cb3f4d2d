"""Which inputs does the target depend on?  A nearest-neighbour test, no model needed.

A table often holds columns the law does not use (a timestamp, a second sensor,
a column correlated with a used one).  They cost the structure search twice: its
term library grows with the inputs (and leaves out functions of products beyond
a few inputs), and neighbours in the input space are further apart.

If ``y = f(x_S) + noise``, the rows' nearest neighbours in the standardised
columns ``S`` share ``f``: ``e(S) = mean((y_i - y_nn(i))²)`` is about
``2·var(noise)`` plus what ``f`` changes between neighbours.  Leaving out a
column that ``f`` uses adds that column's whole effect to ``e``; leaving out
one it does not use brings the neighbours closer in the columns that matter,
so ``e`` does not grow.  :func:`relevant_inputs` drops, one at a time, the
column whose removal raises ``e`` least, while that rise stays within
``tolerance``.  The answer is a hint: the search runs on these columns *as well
as* on all of them, and validation rows choose between the formulas.
"""
from __future__ import annotations

import numpy as np

__all__ = ["neighbour_error", "nearest_rows", "neighbour_spread", "relevant_inputs"]

MAX_ROWS = 2000  # rows the test uses (a seeded subsample beyond)


def nearest_rows(Z) -> np.ndarray:
    """Each row's nearest other row of ``Z`` (rows × columns), as row indices."""
    from scipy.spatial import cKDTree
    _, idx = cKDTree(Z).query(Z, k=2)
    return idx[:, 1]


def neighbour_spread(near, y) -> float:
    """``mean((y_i - y_near(i))²)``: how far ``y`` moves from each row to its neighbour."""
    d = y - y[near]
    return float(np.mean(d * d))


def neighbour_error(Z, y) -> float:
    """``mean((y_i - y_nn(i))²)``, ``nn(i)`` the nearest other row of ``Z`` (rows × columns)."""
    return neighbour_spread(nearest_rows(Z), y)


def relevant_inputs(X, y, tolerance: float = 0.05, seed: int = 0) -> list[int]:
    """Indices of the columns of ``X`` that ``y`` appears to depend on (all when unsure).

    Args:
        X: training rows, shape (n, inputs).
        y: the target on those rows, shape (n,).
        tolerance: a column is dropped while leaving it out raises the neighbour
            error by at most this fraction.
        seed: seeds the row subsample of tables beyond :data:`MAX_ROWS` rows.

    Returns:
        The kept column indices, in their order; at least one.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.shape[1] < 2 or len(y) < 20 or not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        return list(range(X.shape[1]))
    if len(y) > MAX_ROWS:
        rows = np.random.default_rng(seed).choice(len(y), MAX_ROWS, replace=False)
        X, y = X[rows], y[rows]
    std = X.std(axis=0)
    Z = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    # rank-based ties (a column of a few repeated values) are broken by a tiny jitter, so
    # that the nearest neighbour is never the row itself
    Z = Z + 1e-9 * np.random.default_rng(seed).standard_normal(Z.shape)
    keep = list(range(X.shape[1]))
    current = neighbour_error(Z, y)
    while len(keep) > 1:
        errors = [neighbour_error(Z[:, [c for c in keep if c != j]], y) for j in keep]
        best = int(np.argmin(errors))
        if errors[best] > (1.0 + tolerance) * current:
            break
        keep.pop(best)
        current = errors[best]
    return keep

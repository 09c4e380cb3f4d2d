"""Seeded row selection: the train/validation/test split (60/20/20 unless a test file is
given) and the subsample that large tables search on."""
from __future__ import annotations

import numpy as np

__all__ = ["split_rows", "subsample_rows"]


def split_rows(n: int, seed: int, fractions=(0.6, 0.2, 0.2), has_test: bool = False):
    """``(train, validation, test)`` row indices of a seeded random permutation.

    With ``has_test`` the test rows come from elsewhere: the rows are split
    into training and validation only (in the ratio of the first two
    fractions) and ``test`` is empty.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    f_train, f_val, f_test = fractions
    if has_test:
        f_train, f_val, f_test = f_train / (f_train + f_val), f_val / (f_train + f_val), 0.0
    n_val = max(1, int(round(f_val * n)))
    n_test = 0 if has_test else max(1, int(round(f_test * n)))
    n_train = n - n_val - n_test
    if n_train < 2:
        raise ValueError(f"{n} rows are too few to split into training, validation and test")
    return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]


def subsample_rows(rows, limit: int, seed) -> np.ndarray:
    """At most ``limit`` of ``rows``, drawn without replacement and sorted.

    ``rows`` holds row indices, or is an int ``n`` for ``0 .. n-1``; with no
    more than ``limit`` of them, all are returned in their order.  ``seed`` is
    what :func:`numpy.random.default_rng` takes (an int or a sequence of ints).
    """
    rows = np.arange(rows) if isinstance(rows, (int, np.integer)) else np.asarray(rows)
    if len(rows) <= limit:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, limit, replace=False))


def sample_xy(X, y, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` as float64 arrays, cut to at most ``limit`` rows drawn by
    :func:`subsample_rows` (seeded by the row count, so the same table gives the same rows)."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    rows = subsample_rows(len(y), limit, len(y))
    return (X, y) if len(rows) == len(y) else (X[rows], y[rows])

"""The structure search with differences of reciprocals: ``c·u·(1/a − 1/b)``, in sums and exponents.

A rate or a pressure at one temperature against another is often ``exp(−c·u·(1/a − 1/b))``
times a factor, with ``a`` and ``b`` of one kind.  In the log fits of
:mod:`kanlab.discover._sparse` that exponent is two terms, ``u/a`` and ``u/b``, each large
and nearly equal (``u/a ≈ 100``, their difference ≈ 1): neither explains much alone, and
a beam search loses the pair.  Here ``1/x_k − 1/x_l`` for two positive inputs of
comparable size (medians within a factor 10) is one column, alone and times or over one
other input; with the short term list and the logs of the inputs they are fitted to ``y``
as a sum of at most three terms and, where ``y`` keeps one sign, to ``log|y|``
(:func:`kanlab.discover._transformed.fit_targets`).  Proposals only: their constants are
refitted and they compete on the validation rows like every other candidate.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np

__all__ = ["inverse_difference_formulas", "inverse_difference_terms"]

FIT_ROWS = 600  # training rows of the fits (all of them refit the constants later)
VAL_ROWS = 1000  # validation rows that score them


def inverse_difference_terms(X, symbols):
    """``(values, factors)``: ``(1/x_k − 1/x_l)·x_j^p``, ``p`` in 0, 1, -1 (see above).

    Same format as :func:`kanlab.discover._terms.term_library`.
    """
    from kanlab.discover._terms import _alike, _usable
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[1]
    cols, exprs = [], []
    with np.errstate(all="ignore"):
        for k, m in combinations(range(n), 2):
            if not _alike(X[:, k], X[:, m]):
                continue
            d = 1.0 / X[:, k] - 1.0 / X[:, m]
            d_expr = 1 / symbols[k] - 1 / symbols[m]
            if not _usable(d):
                continue
            cols.append(d)
            exprs.append((d_expr,))
            for j in range(n):
                if j in (k, m) or np.any(X[:, j] == 0):
                    continue
                for p in (1, -1):
                    v = d * X[:, j] ** float(p)
                    if _usable(v):
                        cols.append(v)
                        exprs.append((d_expr, symbols[j] ** p))
    if not cols:
        return np.empty((len(X), 0)), []
    return np.column_stack(cols), exprs


def inverse_difference_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``) with differences of reciprocals (see above)."""
    from kanlab.discover._sparse import _log_features
    from kanlab.discover._split import sample_xy
    from kanlab.discover._terms import term_library
    from kanlab.discover._transformed import fit_targets
    X_train, y_train = sample_xy(X_train, y_train, FIT_ROWS)
    X_val, y_val = sample_xy(X_val, y_val, VAL_ROWS)
    X_all = np.vstack([X_train, X_val])
    y_all = np.concatenate([y_train, y_val])
    extra, extra_exprs = inverse_difference_terms(X_all, symbols)
    if not extra_exprs:
        return []
    values, exprs = term_library(X_all, symbols, simple=True)
    values, exprs = np.column_stack([values, extra]), list(exprs) + extra_exprs
    logs = _log_features(X_all, symbols)
    log_values = np.column_stack([v for v, _ in logs] + [values]) if logs else values
    log_exprs = [("log", b) for _, b in logs] + exprs
    target = (y_all, lambda u, n: u, lambda e: e)
    return fit_targets([target], (values, exprs), (log_values, log_exprs), len(y_train), y_val)

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
    from kanlab.discover._transformed import extra_term_formulas
    return extra_term_formulas(X_train, y_train, X_val, y_val, symbols, inverse_difference_terms,
                               logs=True)

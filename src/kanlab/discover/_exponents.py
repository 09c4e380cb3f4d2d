"""An input in an exponent: ``y = A·Π x^a·B(w)^m`` with ``m`` an input or a pair's product.

Compound growth ``P·(1 + r/n)^(n·t)`` raises a function of a ratio to a power that is a
product of two inputs.  In log space it is a short sum, ``log y = log A + a·log P +
n·t·log(1 + r/n)``, but its second term is a product of three inputs and a function of
a ratio inside it, beyond the term lists of :mod:`kanlab.discover._terms` (a function of
a pair times one input's power at most, and no ``log(1 + w)``); the group search
(:mod:`kanlab.discover._groups`) holds a function to a constant power only.

Here ``log|y|`` (for a target of one sign) is fitted as a sum of at most three columns
among the logs of the positive inputs and the *exponent terms* ``m·log B(w)``
(:func:`exponent_terms`): ``m`` an input, or the product or ratio of two, ``B(w)`` one of
``w``, ``1 + w``, ``1 − w`` for ``w`` a positive input, or the product or ratio of two (where
``B`` stays positive).  The beam search is that of :mod:`kanlab.discover._transformed`;
rows are weighted by ``|y|``, so errors count as in ``y``.  Proposals only: constants are
refitted and chosen on the validation rows later, like every other candidate.
"""
from __future__ import annotations

import math
from itertools import combinations, permutations

import numpy as np

__all__ = ["exponent_formulas", "exponent_terms", "MAX_COLUMNS"]

MAX_COLUMNS = 3000  # exponent terms built at most (4 inputs give about 1 400)
MAX_INPUTS = 6
FIT_ROWS = 600  # training rows of the fits (all of them refit the constants later)
VAL_ROWS = 1000  # validation rows that score them
PER_SIZE = 2  # formulas returned per number of terms
ARG_LIMIT = 40.0  # |m·log B| beyond this on a row: exp overflows or one row dominates


def _pairs(X, symbols, positive_only: bool):
    """``[(values, expr)]``: each input, and each pair's product and ratio (ratios over an
    input never 0); with ``positive_only``, those positive on every row."""
    n = X.shape[1]
    out = [(X[:, i], symbols[i]) for i in range(n)]
    for i, j in combinations(range(n), 2):
        out.append((X[:, i] * X[:, j], symbols[i] * symbols[j]))
    for i, j in permutations(range(n), 2):
        if np.all(X[:, j] != 0):
            out.append((X[:, i] / X[:, j], symbols[i] / symbols[j]))
    if positive_only:
        out = [(v, e) for v, e in out if np.all(v > 0)]
    return [(v, e) for v, e in out if np.all(np.isfinite(v)) and float(np.ptp(v)) > 0]


def exponent_terms(X, symbols, max_columns: int = MAX_COLUMNS):
    """``(values, factors)``: ``m·log B(w)`` columns (see the module's notes).

    ``factors[k]`` is ``(m, log B)`` as sympy expressions, so that ``exp(c·m·log B)`` is
    ``B^(c·m)``; same format as :func:`kanlab.discover._terms.term_library`.
    """
    import sympy
    X = np.asarray(X, dtype=np.float64)
    bases = []
    with np.errstate(all="ignore"):
        for w, e in _pairs(X, symbols, positive_only=True):
            for values, expr in ((np.log(w), sympy.log(e)), (np.log1p(w), sympy.log(1 + e)),
                                 (np.log1p(-w), sympy.log(1 - e))):
                if np.all(np.isfinite(values)) and float(np.ptp(values)) > 0:
                    bases.append((values, expr))
        cols, exprs = [], []
        for m, m_expr in _pairs(X, symbols, positive_only=False):
            for b, b_expr in bases:
                v = m * b
                if (np.all(np.isfinite(v)) and float(np.max(np.abs(v))) <= ARG_LIMIT
                        and float(np.ptp(v)) > 0):
                    cols.append(v)
                    exprs.append((m_expr, b_expr))
                    if len(cols) >= max_columns:
                        return np.column_stack(cols), exprs
    if not cols:
        return np.empty((len(X), 0)), []
    return np.column_stack(cols), exprs


def exponent_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``) ``A·Π x^a·B(w)^m`` (see above)."""
    import sympy
    from kanlab.discover._split import sample_xy
    from kanlab.discover._transformed import _paths
    if len(symbols) > MAX_INPUTS:
        return []
    X_train, y_train = sample_xy(X_train, y_train, FIT_ROWS)
    X_val, y_val = sample_xy(X_val, y_val, VAL_ROWS)
    if not (np.all(y_train > 0) or np.all(y_train < 0)):
        return []
    sign = 1.0 if y_train[0] > 0 else -1.0
    X_all = np.vstack([X_train, X_val])
    n = len(y_train)
    values, exprs = exponent_terms(X_all, symbols)
    if values.shape[1] == 0:
        return []
    logs = [(np.log(X_all[:, i]), s) for i, s in enumerate(symbols) if np.all(X_all[:, i] > 0)]
    V = np.column_stack([v for v, _ in logs] + [values])
    E = [("log", s) for _, s in logs] + [("exp", m * b) for m, b in exprs]
    t = np.log(sign * y_train)
    scored = []
    for cols, beta, c0 in _paths(V[:n], t, np.abs(y_train)):
        if not any(E[c][0] != "log" for c in cols):  # a power law alone: found elsewhere
            continue
        with np.errstate(all="ignore"):
            pred = sign * np.exp(c0 + V[n:, cols] @ beta)
            err = float(np.sqrt(np.mean((pred - y_val) ** 2)))
        if math.isfinite(err):
            scored.append((err, len(cols), (cols, beta, c0)))
    out, best = [], math.inf
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    for k in sorted({s[1] for s in scored}):
        same = sorted((s for s in scored if s[1] == k and s[0] < best), key=lambda s: s[0])
        for _, _, (cols, beta, c0) in same[:PER_SIZE]:
            expr = int(sign) * sympy.exp(F(c0))
            for b, c in zip(beta, cols):
                kind, e = E[c]
                expr *= e ** F(b) if kind == "log" else sympy.exp(F(b) * e)
            out.append(expr)
        best = min([best] + [s[0] for s in same])
    return out

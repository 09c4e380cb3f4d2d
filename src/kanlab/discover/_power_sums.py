"""A sum with one input to a fitted power: ``y = a + Σ b_j·x_j + (c + Σ d_j·x_j)·v^q``.

Empirical indices and correlations raise a measured input to a power that is no simple
fraction and add it to terms in the others: the wind-chill index
``13.12 + 0.6215·T − 11.37·v^0.16 + 0.3965·T·v^0.16``.  The term lists of
:mod:`kanlab.discover._terms` hold whole and half powers only, the log fits need a product,
and :mod:`kanlab.discover._polynomial_targets` fits a power of a *sum*, not a sum holding a
power.

Here, for each positive input ``v``, the power ``q`` is chosen on a grid of step
:data:`Q_STEP` in ``[−Q_MAX, Q_MAX]`` where a least-squares fit of ``y`` on ``1``, the other
inputs ``x_j``, ``v^q`` and the products ``x_j·v^q`` leaves the least validation error, then
refined by golden sections; the columns that matter are then chosen by the beam search of
:mod:`kanlab.discover._transformed`.  Proposals only: constants are refitted and chosen on
the validation rows later.
"""
from __future__ import annotations

import math

import numpy as np

from kanlab.discover._golden import golden_section

__all__ = ["power_sum_formulas"]

MAX_INPUTS = 4
FIT_ROWS = 600  # training rows of the fits (all of them refit the constants later)
VAL_ROWS = 1000  # validation rows that score them
Q_MAX, Q_STEP = 3.0, 0.02
PER_SIZE = 2  # formulas returned per number of terms
BEST_INPUTS = 2  # inputs v whose power is refined and whose columns are chosen


def _columns(X, i, q):
    """``[x_j…, v^q, x_j·v^q…]`` (j ≠ i) on the rows, with their sympy builders' keys."""
    v = X[:, i] ** q
    others = [X[:, j] for j in range(X.shape[1]) if j != i]
    return np.column_stack(others + [v] + [o * v for o in others])


def _error(X_tr, y_tr, X_va, y_va, i, q) -> float:
    with np.errstate(all="ignore"):
        A, B = _columns(X_tr, i, q), _columns(X_va, i, q)
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(B))):
            return math.inf
        M = np.column_stack([np.ones(len(y_tr)), A])
        coef, *_ = np.linalg.lstsq(M, y_tr, rcond=None)
        pred = coef[0] + B @ coef[1:]
        err = float(np.sqrt(np.mean((pred - y_va) ** 2)))
    return err if math.isfinite(err) else math.inf


def power_sum_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``) ``a + Σ b·x_j + (c + Σ d·x_j)·v^q``."""
    import sympy
    from kanlab.discover._split import sample_xy
    from kanlab.discover._transformed import _paths
    n_in = len(symbols)
    if not 1 <= n_in <= MAX_INPUTS:
        return []
    X_tr, y_tr = sample_xy(np.asarray(X_train, dtype=np.float64), np.asarray(y_train), FIT_ROWS)
    X_va, y_va = sample_xy(np.asarray(X_val, dtype=np.float64), np.asarray(y_val), VAL_ROWS)
    grid = np.round(np.arange(-Q_MAX, Q_MAX + Q_STEP / 2, Q_STEP), 10)
    grid = grid[np.abs(grid) > Q_STEP / 2]
    best = []
    for i in range(n_in):
        if not (np.all(X_tr[:, i] > 0) and np.all(X_va[:, i] > 0)):
            continue
        errors = [_error(X_tr, y_tr, X_va, y_va, i, q) for q in grid]
        k = int(np.argmin(errors))
        if math.isfinite(errors[k]):
            lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
            q = golden_section(lambda p: _error(X_tr, y_tr, X_va, y_va, i, p), lo, hi, 30)[0]
            best.append((_error(X_tr, y_tr, X_va, y_va, i, q), i, q))
    best.sort()
    out = []
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    for _, i, q in best[:BEST_INPUTS]:
        others = [symbols[j] for j in range(n_in) if j != i]
        power = symbols[i] ** F(q)
        exprs = others + [power] + [o * power for o in others]
        X_all = np.vstack([X_tr, X_va])
        with np.errstate(all="ignore"):
            V = _columns(X_all, i, q)
        n = len(y_tr)
        scored = []
        for cols, beta, c0 in _paths(V[:n], y_tr, np.ones(n)):
            if not any(c >= len(others) for c in cols):  # no power of v: found elsewhere
                continue
            pred = c0 + V[n:, cols] @ beta
            err = float(np.sqrt(np.mean((pred - y_va) ** 2)))
            if math.isfinite(err):
                scored.append((err, len(cols), (cols, beta, c0)))
        top = math.inf
        for size in sorted({s[1] for s in scored}):
            same = sorted((s for s in scored if s[1] == size and s[0] < top), key=lambda s: s[0])
            for _, _, (cols, beta, c0) in same[:PER_SIZE]:
                out.append(F(c0) + sum(F(b) * exprs[c] for b, c in zip(beta, cols)))
            top = min([top] + [s[0] for s in same])
    return out

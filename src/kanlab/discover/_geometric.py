"""A geometric-series factor: ``y = A·Π x^a·|1 − (1 + w/c)^(±m)|^k``, ``k = ±1``.

Sums of a geometric series put a base with an input in it to an input's power, less one,
beside a power law: a loan's payment ``L·(r/12)/(1 − (1 + r/12)^(−n))``, an annuity's
future value ``P·((1 + r)^n − 1)/r``, its present value, a sinking fund.  In logs,
``log|y| − k·log|1 − B^(±m)| = log A + Σ a·log x`` is linear once the base's scale ``c``
is known; but ``c`` (12 periods a year) sits inside a power whose exponent is an input,
beyond the exponent terms of :mod:`kanlab.discover._exponents` (``m·log(1 + w)``, no scale,
no ``1 −`` around the power) and the log fits of :mod:`kanlab.discover._sparse`.

Here ``w`` is a positive input, ``m`` another input, ``c`` 1 or on a grid of
:data:`C_GRID` points (``w/c`` of median 1e-4 to 10), refined by golden sections for the
best forms; the power law's exponents are fitted by weighted least squares on the logs of
the positive inputs (rows weighted by ``|y|``: errors count as in ``y``), every subset of
them tried for the best forms.  Proposals only: constants are refitted and chosen on the
validation rows later, like every other candidate.
"""
from __future__ import annotations

import math
from itertools import combinations

import numpy as np

from kanlab.discover._golden import golden_section

__all__ = ["geometric_formulas"]

MAX_INPUTS = 4  # inputs at most (pairs of w and m, every subset of the power law's logs)
FIT_ROWS = 600  # training rows of the fits (all of them refit the constants later)
VAL_ROWS = 1000  # validation rows that score them
C_GRID = 26  # scales c on the grid (w/c of median 10^-4 ... 10), besides c = 1
ARG_LIMIT = 40.0  # |m·log B| beyond this on a row: the power over- or underflows
REFINED = 4  # best forms whose c is refined and whose power law is pruned
RETURNED = 3  # formulas returned at most
TIE_FLOOR = 1e-7  # a smaller power law within this share of std(y) of the best is as good


def _fit(logs, t, w):
    """Weighted least squares of ``t`` on ``[1, logs]``: (coefficients, intercept) or None."""
    A = np.column_stack([np.ones(len(t))] + ([logs] if logs.shape[1] else []))
    sol, *_ = np.linalg.lstsq(A * w[:, None], t * w, rcond=None)
    if not np.all(np.isfinite(sol)):
        return None
    return sol[1:], float(sol[0])


def _factor(wv, mv, c, s):
    """``1 − (1 + w/c)^(s·m)`` on the rows, or None where it overflows or changes sign."""
    with np.errstate(all="ignore"):
        e = s * mv * np.log1p(wv / c)
        if not np.all(np.isfinite(e)) or float(np.max(np.abs(e))) > ARG_LIMIT:
            return None
        f = -np.expm1(e)
    if not (np.all(f > 0) or np.all(f < 0)):
        return None
    return f


def _score(form, data):
    """Validation RMSE of one form, with its fitted power law (or inf): ``(err, fit)``."""
    i, j, c, s, k, cols = form
    X_tr, y_tr, X_va, y_va, logs_tr, logs_va, weight = data
    f_tr, f_va = _factor(X_tr[:, i], X_tr[:, j], c, s), _factor(X_va[:, i], X_va[:, j], c, s)
    if f_tr is None or f_va is None:
        return math.inf, None
    t = np.log(np.abs(y_tr)) - k * np.log(np.abs(f_tr))
    fit = _fit(logs_tr[:, cols], t, weight)
    if fit is None:
        return math.inf, None
    a, a0 = fit
    with np.errstate(all="ignore"):
        pred = np.sign(y_tr[0]) * np.exp(a0 + logs_va[:, cols] @ a) * np.abs(f_va) ** k
        err = float(np.sqrt(np.mean((pred - y_va) ** 2)))
    return (err if math.isfinite(err) else math.inf), fit


def geometric_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``) ``A·Π x^a·|1 − (1 + w/c)^(±m)|^k``."""
    import sympy
    from kanlab.discover._split import sample_xy
    n_in = len(symbols)
    if n_in < 2 or n_in > MAX_INPUTS:
        return []
    X_tr, y_tr = sample_xy(np.asarray(X_train, dtype=np.float64), np.asarray(y_train), FIT_ROWS)
    X_va, y_va = sample_xy(np.asarray(X_val, dtype=np.float64), np.asarray(y_val), VAL_ROWS)
    if not (np.all(y_tr > 0) or np.all(y_tr < 0)) or len(y_tr) < 10:
        return []
    positive = [i for i in range(n_in) if np.all(X_tr[:, i] > 0) and np.all(X_va[:, i] > 0)]
    if not positive:
        return []
    logs_tr, logs_va = np.log(X_tr[:, positive]), np.log(X_va[:, positive])
    weight = np.abs(y_tr) / float(np.max(np.abs(y_tr)))
    data = (X_tr, y_tr, X_va, y_va, logs_tr, logs_va, weight)
    every = tuple(range(len(positive)))
    scored = []
    for i in positive:
        med = float(np.median(X_tr[:, i]))
        scales = [1.0] + list(med / np.logspace(-4, 1, C_GRID))
        for j in range(n_in):
            if j == i or float(np.ptp(X_tr[:, j])) == 0:
                continue
            for s in (1.0, -1.0):
                for k in (1.0, -1.0):
                    for c in scales:
                        err, _ = _score((i, j, c, s, k, every), data)
                        if math.isfinite(err):
                            scored.append((err, (i, j, c, s, k, every)))
    if not scored:
        return []
    scored.sort(key=lambda e: e[0])
    refined, seen = [], set()
    for err, (i, j, c, s, k, cols) in scored:
        if (i, j, s, k) in seen:
            continue
        seen.add((i, j, s, k))
        if c != 1.0:  # the scale between the grid's neighbours, on a log scale
            step = math.log(10) * 5 / (C_GRID - 1)
            lc, err = golden_section(lambda v: _score((i, j, math.exp(v), s, k, cols), data)[0],
                              math.log(c) - step, math.log(c) + step)
            c = math.exp(lc)
        # the power law's inputs: every subset, the simplest within 1 % of the best
        subsets = [(_score((i, j, c, s, k, sub), data)[0], len(sub), sub)
                   for r in range(len(every) + 1) for sub in combinations(every, r)]
        best = min(e for e, _, _ in subsets)
        if math.isfinite(best):
            tie = max(1.01 * best, best + TIE_FLOOR * float(np.std(y_va)))
            e, _, sub = min((x for x in subsets if x[0] <= tie), key=lambda x: x[1])
            refined.append((e, (i, j, c, s, k, sub)))
        if len(seen) >= REFINED:
            break
    refined.sort(key=lambda e: e[0])
    out = []
    F = lambda v: sympy.Float(float(v), 15)  # noqa: E731
    for _, (i, j, c, s, k, cols) in refined[:RETURNED]:
        _, fit = _score((i, j, c, s, k, cols), data)
        if fit is None:
            continue
        a, a0 = fit
        f = _factor(X_tr[:, i], X_tr[:, j], c, s)
        sign_f = 1 if f[0] > 0 else -1
        base = 1 + symbols[i] / (sympy.Integer(1) if c == 1.0 else F(c))
        factor = sign_f * (1 - base ** (int(s) * symbols[j]))
        expr = int(np.sign(y_tr[0])) * sympy.exp(F(a0)) * factor ** int(k)
        for b, col in zip(a, cols):
            expr *= symbols[positive[col]] ** F(b)
        out.append(expr)
    return out

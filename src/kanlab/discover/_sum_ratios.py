"""Laws that are a short sum over a sum of like inputs: ``y = P(x)/(Σ_{i∈A} c_i·x_i)``.

A weighted mean ``(m1·x1 + m2·x2 + m3·x3)/(m1 + m2 + m3)``, a reduced mass
``m1·m2/(m1 + m2)`` and a velocity after a collision ``(m1·v1 + m2·v2)/(m1 + m2)`` divide a
short sum by a sum of inputs of one kind.  Multiplied out, with the first input of the set
``A`` taken as the unit, the law is linear in its constants:

    y·x_a = Σ p_k·S_k(x) − Σ_{i∈A, i≠a} c_i·(y·x_i),

but a sparse fit that must also choose the columns ``y·x_i`` loses them: no one of them
explains much alone.  Here the denominator's columns are *given*: for every set ``A`` of
two to :data:`MAX_SET` positive inputs of one kind (medians within a factor 10, as
:func:`kanlab.discover._terms._alike` pairs them), the target and the numerator's columns
are projected off the columns ``y·x_i`` first, and a beam search
(:mod:`kanlab.discover._subsets`) chooses at most :data:`MAX_TERMS` numerator terms among
the products of one or two inputs to the power ±1 and the squares.  Rows are weighted by
``1/Σ_A x_i`` (an error ``e`` in ``y`` is about ``Q·e`` in ``y·Q``).  Each subset is scored
on the validation rows in ``y``'s own units; the best few are returned as sympy formulas,
whose constants are refitted on the raw rows later.
"""
from __future__ import annotations

import math
from itertools import combinations

import numpy as np

from kanlab.discover._split import sample_xy

__all__ = ["sum_ratio_formulas", "like_sets"]

MAX_SET = 4  # inputs in the denominator's sum at most
MAX_SETS = 60  # sets tried at most (six inputs of one kind give 50)
MAX_TERMS = 4  # numerator terms at most
BEAM = 8  # subsets kept per size by the beam search
WIDE = 40  # pairs (then triples) kept after trying every pair of columns
FIT_ROWS = 600  # training rows the fits use
VAL_ROWS = 1000  # validation rows that score them
MOST = 4  # formulas returned
MIN_DENOMINATOR = 1e-3  # |Q| on a validation row, relative to its median, at least


def like_sets(X) -> list[tuple[int, ...]]:
    """Sets of 2 to :data:`MAX_SET` positive inputs, every two of one kind (see above)."""
    from kanlab.discover._terms import _alike
    n = X.shape[1]
    out = []
    for size in range(2, MAX_SET + 1):
        for idx in combinations(range(n), size):
            if all(_alike(X[:, i], X[:, j]) for i, j in combinations(idx, 2)):
                out.append(idx)
                if len(out) >= MAX_SETS:
                    return out
    return out


def _numerator_terms(X, symbols):
    """``(values, exprs)``: products of one or two inputs to the power ±1, and squares."""
    from kanlab.discover._terms import _usable, unit_products
    values, exprs = unit_products(X, symbols, sizes=(1, 2))
    cols, more = [], []
    for i, sym in enumerate(symbols):
        v = X[:, i] ** 2
        if _usable(v):
            cols.append(v)
            more.append((sym ** 2,))
    if cols:
        values = np.column_stack([values] + cols)
    return values, list(exprs) + more


def sum_ratio_formulas(X_train, y_train, X_val, y_val, symbols, most: int = MOST) -> list:
    """Formulas ``P/(x_a + Σ c_i·x_i)`` (sympy, in ``symbols``), best on validation first."""
    from kanlab.discover._subsets import _pruned, _stepwise, projected_off
    X_tr, y_tr = sample_xy(X_train, y_train, FIT_ROWS)
    X_va, y_va = sample_xy(X_val, y_val, VAL_ROWS)
    X_all = np.vstack([X_tr, X_va])
    sets = like_sets(X_all)
    if not sets:
        return []
    S, exprs = _numerator_terms(X_all, symbols)
    if not exprs:
        return []
    n_tr = len(y_tr)
    S_tr, S_va = S[:n_tr], S[n_tr:]
    scored = []  # (validation RMSE, constants, (set, denominator coefficients, p, c0))
    for idx in sets:
        a, others = idx[0], list(idx[1:])
        w = 1.0 / np.sum(X_tr[:, list(idx)], axis=1)
        w = w / np.sqrt(np.sum(w * w))
        F = -y_tr[:, None] * X_tr[:, others] * w[:, None]  # the denominator's columns (given)
        one = w[:, None]  # P's constant
        G = np.column_stack([F, one])
        Q, _ = np.linalg.qr(G)
        target = y_tr * X_tr[:, a] * w
        tc = target - Q @ (Q.T @ target)
        Sw = S_tr * w[:, None]
        R = projected_off(Sw, Q)
        if not (np.all(np.isfinite(R)) and np.all(np.isfinite(tc))):
            continue
        paths = {}
        for cols, _ in _stepwise(R, tc, MAX_TERMS, BEAM, WIDE):
            for c, _ in _pruned(R, tc, cols):
                paths.setdefault(tuple(c), list(c))
        for cols in paths.values():
            A = np.column_stack([G, Sw[:, cols]])
            coef, *_ = np.linalg.lstsq(A, target, rcond=None)
            c = coef[:len(others)]
            c0, p = float(coef[len(others)]), coef[len(others) + 1:]
            Qv = X_va[:, a] + X_va[:, others] @ c
            scale = float(np.median(np.abs(Qv)))
            if not scale > 0 or np.min(np.abs(Qv)) < MIN_DENOMINATOR * scale:
                continue
            with np.errstate(all="ignore"):
                pred = (c0 + S_va[:, cols] @ p) / Qv
                err = float(np.sqrt(np.mean((pred - y_va) ** 2)))
            if math.isfinite(err):
                scored.append((err, len(cols) + len(others), (idx, c, cols, p, c0)))
    # the best of each size (constants) that beats every smaller one: noise-free data are
    # fitted to rounding by every set and numerator that holds the law's
    out, best, floor = [], math.inf, 1e-9 * (float(np.std(y_va)) or 1.0)
    for size in sorted({s[1] for s in scored}):
        err, _, parts = min((s for s in scored if s[1] == size), key=lambda s: s[0])
        if err < 0.99 * best - floor:
            out.append((err, parts))
            best = err
    out.sort(key=lambda o: o[0])
    return [_to_sympy(parts, exprs, symbols) for _, parts in out[:most]]


def _to_sympy(parts, exprs, symbols):
    import sympy
    idx, c, cols, p, c0 = parts
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    P = F(c0) + sum(F(b) * sympy.Mul(*exprs[k]) for k, b in zip(cols, p))
    Q = symbols[idx[0]] + sum(F(b) * symbols[i] for i, b in zip(idx[1:], c))
    return P / Q

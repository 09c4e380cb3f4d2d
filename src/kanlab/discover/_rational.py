"""Laws that are a ratio of two short sums: ``T(y) = P(x)/Q(x)``, found by linear fits.

``(m1 - m2)/(m1 + m2)·v1``, ``(u + v)/(1 + u·v/c²)``, ``f·sqrt((1 + b)/(1 - b))`` and
``a·b/(b - a)`` are neither a short sum of library terms nor a product of powers and one
function.  Written as ``T(y)·Q = P`` they are linear in the unknown coefficients: with
``Q = s + Σ q_k·S_k`` (``s`` a *multiplier*: 1 or a power of one input, ``S_k`` terms)
and ``P = p_0 + Σ p_k·S_k``,

    T(y)·s = p_0 + Σ p_k·S_k - Σ q_k·(T(y)·S_k),

a sparse linear fit of ``T(y)·s`` over the columns ``S_k`` and ``T(y)·S_k`` (the
linearised rational fit; Padé approximants are its one-variable case).  ``T`` is the
identity or, for a target of one sign, the square (a root of a ratio).  The terms are the
short list of :func:`kanlab.discover._terms.term_library` (powers up to 2, products of
two).  For each multiplier and transform the subsets come from the beam search of
:mod:`kanlab.discover._subsets`; each is scored on the validation rows in ``y``'s own
units (``T(y) = P/Q`` there, no refit), and the best few are returned as sympy formulas,
whose constants are refitted on the raw rows later (:mod:`kanlab.discover._pipeline`).
"""
from __future__ import annotations

import math

import numpy as np

from kanlab.discover._split import sample_xy

__all__ = ["rational_formulas"]

MAX_TERMS = 5  # columns of P and Q together at most (besides P's constant)
BEAM = 8  # subsets kept per size by the beam search
WIDE = 40  # pairs (then triples) kept after trying every pair of columns
FIT_ROWS = 600  # training rows the fits use
VAL_ROWS = 1000  # validation rows that score them
MULTIPLIER_POWERS = (1, -1, 2)  # s = x^p (and s = 1)
MOST = 4  # formulas returned
MAX_INPUTS = 4  # tables of more inputs are not searched (the term lists grow too long)
BASE_TERMS = 2  # columns chosen besides a quadratic denominator
MIN_DENOMINATOR = 1e-3  # |Q| on a validation row, relative to its median, at least


def _multipliers(X, symbols):
    """``[(values, expr)]``: 1 and small powers of every input that is never 0."""
    out = [(np.ones(len(X)), 1)]
    for i, sym in enumerate(symbols):
        col = X[:, i]
        if np.all(col != 0) and float(np.ptp(col)) > 0:
            out += [(col ** float(p), sym ** p) for p in MULTIPLIER_POWERS]
    return out


def _transforms(y):
    """``[(name, t, inverse numpy, inverse sympy)]``: the identity and, for y of one sign, y²."""
    import sympy
    out = [("id", y, lambda u: u, lambda u: u)]
    s = float(np.sign(np.median(y)))
    if s != 0.0 and np.all(s * y > 0):
        out.append(("square", y * y, lambda u, s=s: s * np.sqrt(u),
                    lambda u, s=s: s * sympy.sqrt(u)))
    return out


def _is_power(factors) -> bool:
    """Whether a term is a product of powers of inputs (no function)."""
    return all(f.is_Symbol or (f.is_Pow and f.base.is_Symbol) for f in factors)


def rational_formulas(X_train, y_train, X_val, y_val, symbols, most: int = MOST) -> list:
    """Formulas ``T⁻¹(P/Q)`` (sympy, in ``symbols``), best on the validation rows first."""
    import sympy
    from kanlab.discover._subsets import _pruned, _stepwise, over_quadratic, quadratic_monomial
    from kanlab.discover._terms import term_library
    if np.shape(X_train)[1] > MAX_INPUTS:
        return []
    X_tr, y_tr = sample_xy(X_train, y_train, FIT_ROWS)
    X_va, y_va = sample_xy(X_val, y_val, VAL_ROWS)
    n_tr = len(y_tr)
    X_all = np.vstack([X_tr, X_va])
    values, exprs = term_library(X_all, symbols, simple=True)
    if values.shape[1] == 0:
        return []
    S_tr, S_va = values[:n_tr], values[n_tr:]
    scored = []  # (validation RMSE, size, formula parts)
    for name, t, inv_np, inv_sym in _transforms(y_tr):
        for s_all, s_expr in _multipliers(X_all, symbols):
            s_tr, s_va = s_all[:n_tr], s_all[n_tr:]
            # Q's terms: products of powers free of the multiplier's input (T(y)·s·g(x) with
            # g nearly constant would fit T(y)·s by itself)
            used = sympy.sympify(s_expr).free_symbols
            q_cols = [k for k in range(len(exprs)) if _is_power(exprs[k])
                      and not any(f.free_symbols & used for f in exprs[k])]
            if s_expr != 1:  # Q may hold a constant too
                q_block = np.column_stack([t[:, None] * S_tr[:, q_cols], t])
            else:
                q_block = t[:, None] * S_tr[:, q_cols]
            M = np.hstack([S_tr, q_block])
            target = t * s_tr
            # an error e in T(y) is about s·e in T(y)·s
            w = 1.0 / np.abs(s_tr)
            w = w / np.sqrt(np.sum(w * w))
            mean = (w * w) @ M / np.sum(w * w)
            std = np.sqrt((w * w) @ (M - mean) ** 2 / np.sum(w * w))
            usable = std > 1e-12 * (np.abs(mean) + 1e-300)
            std = np.where(usable, std, 1.0)
            D = (M - mean) / std * w[:, None]
            D[:, ~usable] = 0.0
            t_mean = float((w * w) @ target / np.sum(w * w))
            tc = (target - t_mean) * w
            if not np.all(np.isfinite(D)) or not np.all(np.isfinite(tc)):
                continue
            # and every quadratic monomial of Q at once (a Lorentzian's (x - x0)² + γ²: four
            # terms of Q that a beam growing one column at a time loses)
            base = [S_tr.shape[1] + i for i, k in enumerate(q_cols)
                    if quadratic_monomial(sympy.Mul(*exprs[k]))]
            paths = [cols for cols, _ in _stepwise(D, tc, MAX_TERMS, BEAM, WIDE)]
            paths += over_quadratic(D, tc, base, BASE_TERMS, BEAM, WIDE)
            found = {}
            for cols in paths:
                for c, b in _pruned(D, tc, cols):
                    found.setdefault(tuple(c), (c, b))
            n_s = S_tr.shape[1]
            for cols, coef in found.values():
                beta = coef / std[cols]
                c0 = t_mean - float(beta @ mean[cols])
                p = [(k, b) for k, b in zip(cols, beta) if k < n_s]
                q = [(k - n_s, b) for k, b in zip(cols, beta) if k >= n_s]
                if not q:  # no denominator: a plain sum, which the structure search covers
                    continue
                err = _val_error(p, q, c0, s_va, S_va, q_cols, inv_np, y_va)
                if math.isfinite(err):
                    scored.append((err, len(cols),
                                   (p, q, c0, s_expr, q_cols, inv_sym)))
    # the best two of each size that beat every smaller size (noise-free data are fitted
    # exactly by every size above the law's: those add nothing)
    scale = float(np.std(y_va)) or 1.0
    out, best = [], math.inf
    for size in sorted({item[1] for item in scored}):
        same = sorted((item for item in scored if item[1] == size), key=lambda item: item[0])
        kept = [item for item in same[:2] if item[0] < 0.99 * best - 1e-9 * scale]
        out += kept
        best = min([best] + [item[0] for item in same])
    out.sort(key=lambda item: item[0])
    out = out[:most]
    return [_to_sympy(parts, exprs) for _, _, parts in out]


def _denominator(q, s_va, S_va, q_cols):
    Q = s_va.copy()
    for k, b in q:
        column = S_va[:, q_cols[k]] if k < len(q_cols) else np.ones(len(s_va))
        Q = Q - b * column
    return Q


def _val_error(p, q, c0, s_va, S_va, q_cols, inv_np, y_va) -> float:
    P = c0 + sum(b * S_va[:, k] for k, b in p) if p else np.full(len(s_va), c0)
    Q = _denominator(q, s_va, S_va, q_cols)
    scale = float(np.median(np.abs(Q)))
    if not scale > 0 or np.min(np.abs(Q)) < MIN_DENOMINATOR * scale:
        return math.inf  # a pole among the rows: not a law of these data
    with np.errstate(all="ignore"):
        pred = inv_np(P / Q)
        err = float(np.sqrt(np.mean((pred - y_va) ** 2)))
    return err if math.isfinite(err) else math.inf


def _to_sympy(parts, exprs):
    import sympy
    p, q, c0, s_expr, q_cols, inv_sym = parts
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    P = F(c0) + sum(F(b) * sympy.Mul(*exprs[k]) for k, b in p)
    Q = s_expr
    for k, b in q:
        Q = Q - F(b) * (sympy.Mul(*exprs[q_cols[k]]) if k < len(q_cols) else 1)
    return inv_sym(P / Q)

"""Sums of sines and cosines of products, each times a product of powers.

``x0·cos(ω·t) + v0·sin(ω·t)/ω`` and ``I0·sin(ω·t)/ω`` are sums of terms
``h(x)·S(x)``: ``h`` a sine or cosine of one input or of a product or ratio of two
(``ω·t``), ``S`` a product of at most two powers of the inputs (``v0/ω``).  The term
list of :mod:`kanlab.discover._terms` holds a function of a pair times one power at
most, so such a term has three factors there and is missing.  Here every ``h`` is paired
with every simple ``S`` (powers ±1, ±2 of one input, ±1 of two), the target is fitted
as a sparse sum of those columns (the beam search of :mod:`kanlab.discover._subsets`),
and each subset is scored on the validation rows.  The best few are returned as sympy
formulas; their constants are refitted on the raw rows later.
"""
from __future__ import annotations

import math
from itertools import combinations, product

import numpy as np

from kanlab.discover._split import sample_xy

__all__ = ["wave_formulas"]

MAX_TERMS = 3  # terms of a sum at most
BEAM = 12  # subsets kept per size by the beam search
FIT_ROWS = 600  # training rows the fits use
VAL_ROWS = 1000  # validation rows that score them
ARG_LIMIT = 40.0  # sines and cosines of arguments beyond this are noise
MOST = 4  # formulas returned
MAX_COLUMNS = 12_000  # products built at most


def _phases(X, symbols):
    """``[(values, expr)]``: sin and cos of each input and of products and ratios of two."""
    import sympy
    args = [(X[:, i], symbols[i]) for i in range(X.shape[1])]
    for i, j in combinations(range(X.shape[1]), 2):
        for a, b in product((1, -1), repeat=2):
            if (a < 0 and np.any(X[:, i] == 0)) or (b < 0 and np.any(X[:, j] == 0)):
                continue
            if a < 0 and b < 0:
                continue  # 1/(x·y): its sine is rarely a law's
            args.append((X[:, i] ** float(a) * X[:, j] ** float(b),
                         symbols[i] ** a * symbols[j] ** b))
    out = []
    with np.errstate(all="ignore"):
        for v, e in args:
            if np.all(np.isfinite(v)) and float(np.max(np.abs(v))) <= ARG_LIMIT:
                # the argument must span a good part of a period, or sin u is u
                if float(np.ptp(v)) >= 0.5:
                    out += [(np.sin(v), sympy.sin(e)), (np.cos(v), sympy.cos(e))]
    return out


def _amplitudes(X, symbols):
    """``[(values, expr)]``: 1, powers ±1, ±2 of one input, products of ±1 powers of two."""
    out = [(np.ones(len(X)), _one())]
    n = X.shape[1]
    nonzero = [bool(np.all(X[:, i] != 0)) for i in range(n)]
    for i in range(n):
        for p in (1, 2, -1, -2):
            if p > 0 or nonzero[i]:
                out.append((X[:, i] ** float(p), symbols[i] ** p))
    for i, j in combinations(range(n), 2):
        for a, b in product((1, -1), repeat=2):
            if (a > 0 or nonzero[i]) and (b > 0 or nonzero[j]):
                out.append((X[:, i] ** float(a) * X[:, j] ** float(b),
                            symbols[i] ** a * symbols[j] ** b))
    return out


def _one():
    import sympy
    return sympy.Integer(1)


def wave_formulas(X_train, y_train, X_val, y_val, symbols, most: int = MOST) -> list:
    """Formulas ``c0 + Σ c_k·h_k·S_k`` (sympy, in ``symbols``), best on validation first."""
    import sympy
    from kanlab.discover._subsets import _pruned, _stepwise
    X_tr, y_tr = sample_xy(X_train, y_train, FIT_ROWS)
    X_va, y_va = sample_xy(X_val, y_val, VAL_ROWS)
    X_all = np.vstack([X_tr, X_va])
    phases = _phases(X_all, symbols)
    if not phases:
        return []
    cols, exprs = [], []
    with np.errstate(all="ignore"):
        for (hv, he), (sv, se) in product(phases, _amplitudes(X_all, symbols)):
            v = hv * sv
            if np.all(np.isfinite(v)) and float(np.ptp(v)) > 0:
                cols.append(v)
                exprs.append(he * se)
                if len(cols) >= MAX_COLUMNS:
                    break
    V = np.column_stack(cols)
    n_tr = len(y_tr)
    tr = V[:n_tr]
    mean, std = tr.mean(0), tr.std(0)
    std[std == 0] = 1.0
    D = (tr - mean) / std
    t_mean = float(np.mean(y_tr))
    tc = y_tr - t_mean
    found = {}
    for c, _ in _stepwise(D, tc, MAX_TERMS, BEAM):
        for sub, b in _pruned(D, tc, c):
            found.setdefault(tuple(sub), (sub, b))
    scored = []
    for sub, coef in found.values():
        beta = coef / std[sub]
        c0 = t_mean - float(beta @ mean[sub])
        pred = c0 + V[n_tr:, sub] @ beta
        err = float(np.sqrt(np.mean((pred - y_va) ** 2)))
        if math.isfinite(err):
            scored.append((err, len(sub), sub, beta, c0))
    scored.sort(key=lambda s: (s[0], s[1]))
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    out, best = [], math.inf
    for size in sorted({s[1] for s in scored}):  # the best of each size that beats the smaller
        err, _, sub, beta, c0 = min((s for s in scored if s[1] == size), key=lambda s: s[0])
        if err < best * 0.99:
            out.append((err, F(c0) + sum(F(b) * exprs[k] for k, b in zip(sub, beta))))
            best = err
    out.sort(key=lambda o: o[0])
    return [e for _, e in out[:most]]

"""Sums of terms that are a product of powers times one function: ``Σ c_k·h_k(x)·S_k(x)``.

``x0·cos(ω·t) + v0·sin(ω·t)/ω``, ``v·t·sin θ - g·t²/2``, ``m·L·(1 - cos θ)``,
``x·ln x + (1 - x)·ln(1 - x)`` and, squared, ``a² + b² - 2·a·b·cos C`` are sums of terms
``h(x)·S(x)``: ``h`` is 1 or a function of one argument, ``S`` a product of at most two
powers of the inputs (``v·t``, ``v0/ω``, ``x``; of three inputs too for small tables).  The term list of
:mod:`kanlab.discover._terms` holds a function times one power at most (of another input),
so such a term has three factors there, or a factor of the function's own input, and is
missing.  Here every ``h`` is paired with every simple ``S`` (powers ±1, ±2 of one input,
±1 of two, for up to four inputs the products of three); the functions ``h`` are:

- sines and cosines of an input or of a product or ratio of two (``ω·t``), where the
  argument spans half a radian or more (else ``sin u`` is ``u``);
- ``exp(±x)`` of one input, on the same condition;
- ``log x`` of a positive input, and ``log(1 - x)`` and ``(1 - x)·log(1 - x)`` of an input
  inside (0, 1) (a fraction: mole fractions, probabilities, efficiencies).

The target ``y`` and, where ``y`` keeps one sign, ``y²`` (a root of a sum) are fitted as a
sparse sum of those columns (the beam search of :mod:`kanlab.discover._subsets`, the
square's rows weighted by ``1/|y|`` so that errors count as errors in ``y``), and each
subset is scored on the validation rows in ``y``'s units.  The best few are returned as
sympy formulas; their constants are refitted on the raw rows later.
"""
from __future__ import annotations

import math
from itertools import combinations, product

import numpy as np

from kanlab.discover._split import sample_xy
from kanlab.discover._terms import ARG_LIMIT, WAVE_LIMIT

__all__ = ["wave_formulas", "function_terms"]

MAX_TERMS = 5  # terms of a sum at most
BEAM = 12  # subsets kept per size by the beam search
WIDE = 60  # pairs (then triples) kept after trying every pair of columns (up to 1200 columns)
FIT_ROWS = 600  # training rows the fits use
VAL_ROWS = 1000  # validation rows that score them
MIN_SPAN = 0.5  # an argument spans at least this, or its function is nearly linear in it
MOST = 4  # formulas returned (per target transform)
BASE_TERMS = 3  # columns chosen besides them
MAX_COLUMNS = 12_000  # products built at most
MAX_TRIPLE_INPUTS = 4  # inputs up to which products of three inputs are amplitudes too


def _arguments(X, symbols):
    """``[(values, expr, single)]``: each input and products and ratios of two."""
    args = [(X[:, i], symbols[i], True) for i in range(X.shape[1])]
    for i, j in combinations(range(X.shape[1]), 2):
        for a, b in product((1, -1), repeat=2):
            if (a < 0 and np.any(X[:, i] == 0)) or (b < 0 and np.any(X[:, j] == 0)):
                continue
            if a < 0 and b < 0:
                continue  # 1/(x·y): its sine is rarely a law's
            args.append((X[:, i] ** float(a) * X[:, j] ** float(b),
                         symbols[i] ** a * symbols[j] ** b, False))
    return args


def _functions(X, symbols):
    """``[(values, expr)]``: 1 and the functions ``h`` listed in the module's docstring."""
    import sympy
    out = [(np.ones(len(X)), sympy.Integer(1))]
    with np.errstate(all="ignore"):
        for v, e, single in _arguments(X, symbols):
            if not (np.all(np.isfinite(v)) and float(np.max(np.abs(v))) <= WAVE_LIMIT
                    and float(np.ptp(v)) >= MIN_SPAN):
                continue
            out += [(np.sin(v), sympy.sin(e)), (np.cos(v), sympy.cos(e))]
            if single and float(np.max(np.abs(v))) <= ARG_LIMIT:
                out += [(np.exp(v), sympy.exp(e)), (np.exp(-v), sympy.exp(-e))]
        for i, sym in enumerate(symbols):
            col = X[:, i]
            if np.all(col > 0) and float(np.ptp(col)) > 0:
                out.append((np.log(col), sympy.log(sym)))
                if np.all(col < 1):  # and (1 - x)·log(1 - x), the mirror of x·log x
                    out += [(np.log1p(-col), sympy.log(1 - sym)),
                            ((1 - col) * np.log1p(-col), (1 - sym) * sympy.log(1 - sym))]
    return out


def _amplitudes(X, symbols):
    """``[(values, expr)]``: 1, powers ±1, ±2 of one input, products of ±1 powers of two
    (and, for up to :data:`MAX_TRIPLE_INPUTS` inputs, products of three)."""
    import sympy
    out = [(np.ones(len(X)), sympy.Integer(1))]
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
    if n <= MAX_TRIPLE_INPUTS:  # q·v·B (times sin θ)
        for idx in combinations(range(n), 3):
            out.append((np.prod(X[:, list(idx)], axis=1), sympy.Mul(*[symbols[i] for i in idx])))
    return out


def function_terms(X, symbols, max_columns: int = MAX_COLUMNS):
    """``(values, exprs)``: the columns ``h·S`` (rows × terms) and their sympy expressions.

    Constant and non-finite columns are left out; at most ``max_columns``.
    """
    X = np.asarray(X, dtype=np.float64)
    cols, exprs = [], []
    with np.errstate(all="ignore"):
        for (hv, he), (sv, se) in product(_functions(X, symbols), _amplitudes(X, symbols)):
            v = hv * sv
            if np.all(np.isfinite(v)) and float(np.ptp(v)) > 1e-12 * float(np.max(np.abs(v))):
                cols.append(v)
                exprs.append(he * se)
                if len(cols) >= max_columns:
                    break
    if not cols:
        return np.empty((len(X), 0)), []
    return np.column_stack(cols), exprs


def _beats(err, resid, best, best_resid, floor) -> bool:
    """:func:`kanlab.discover._select.earns_terms` (its ``EARN_SE``): without it, a
    five-term look-alike of ``v²`` beat ``m·v²/2 + m·g·h`` by 1.05 % on 400 validation rows."""
    from kanlab.discover._select import earns_terms
    return earns_terms(err, resid, best, best_resid, floor)


def _targets(y):
    """``[(t, inverse numpy, inverse sympy, row weights)]``: ``y`` and, of one sign, ``y²``."""
    import sympy
    out = [(y, lambda u: u, lambda e: e, np.ones(len(y)))]
    s = float(np.sign(np.median(y)))
    if s != 0.0 and np.all(s * y > 0):
        w = 1.0 / np.abs(y)  # an error e in y is 2·|y|·e in y²
        out.append((y * y, lambda u, s=s: s * np.sqrt(u), lambda e, s=s: s * sympy.sqrt(e),
                    w / float(np.max(w))))
    return out


def wave_formulas(X_train, y_train, X_val, y_val, symbols, most: int = MOST) -> list:
    """Formulas ``T⁻¹(c0 + Σ c_k·h_k·S_k)`` (sympy, in ``symbols``), best on validation first."""
    import sympy
    from kanlab.discover._subsets import (_pruned, _stepwise, over_quadratic, quadratic_monomial,
                                          swapped, weighted_design)
    X_tr, y_tr = sample_xy(X_train, y_train, FIT_ROWS)
    X_va, y_va = sample_xy(X_val, y_val, VAL_ROWS)
    V, exprs = function_terms(np.vstack([X_tr, X_va]), symbols)
    if not exprs:
        return []
    n_tr = len(y_tr)
    tr = V[:n_tr]
    base = [k for k, e in enumerate(exprs) if quadratic_monomial(e)]
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    floor = 1e-9 * (float(np.std(y_va)) or 1.0)
    found_all = []
    for t, inv_np, inv_sym, w in _targets(y_tr):
        D, tc, mean, std, t_mean = weighted_design(tr, t, w)
        paths = [c for c, _ in _stepwise(D, tc, MAX_TERMS, BEAM, WIDE)]
        paths += [swapped(D, tc, c) for c in paths if len(c) > 1]
        paths += over_quadratic(D, tc, base, BASE_TERMS, BEAM, WIDE)
        found = {}
        for c in paths:
            for sub, b in _pruned(D, tc, c):
                found.setdefault(tuple(sub), (sub, b))
        scored = []
        for sub, coef in found.values():
            beta = coef / std[sub]
            c0 = t_mean - float(beta @ mean[sub])
            with np.errstate(all="ignore"):
                resid = inv_np(c0 + V[n_tr:, sub] @ beta) - y_va
                err = float(np.sqrt(np.mean(resid ** 2)))
            if math.isfinite(err):
                scored.append((err, len(sub), sub, beta, c0, resid))
        out, best, best_resid = [], math.inf, None
        for size in sorted({s[1] for s in scored}):  # the best of each size beating the smaller
            err, _, sub, beta, c0, resid = min((s for s in scored if s[1] == size),
                                               key=lambda s: s[0])
            if _beats(err, resid, best, best_resid, floor):
                out.append((err, inv_sym(F(c0) + sum(F(b) * exprs[k]
                                                     for k, b in zip(sub, beta)))))
                best, best_resid = err, resid
        out.sort(key=lambda o: o[0])
        found_all += [e for _, e in out[:most]]
    return found_all

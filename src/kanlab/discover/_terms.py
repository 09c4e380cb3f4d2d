"""A library of candidate terms: small products of powers and functions of the inputs.

A *factor* is one input raised to a small rational power (``x^2``,
``x^-1/2``), a library function of one input (``log x``, ``sin x``,
``exp(-x)``), the log of a ratio of two inputs of one kind (``log(V2/V1)``),
or, for up to four inputs, a function of a product or ratio of two inputs
(``cos(k·d)``, ``exp(-E/T)``).  A *term* is a product of at most
three factors of different inputs.  :func:`term_library` returns the terms'
values on the rows (numpy) together with their sympy expressions, so that a
sparse linear fit over the terms (:mod:`kanlab.discover._sparse`) is at once a
formula.  Only terms that are finite and not constant on the rows are kept;
fractional powers need an all-positive input and negative ones an input that
is never 0.
"""
from __future__ import annotations

from itertools import combinations, product

import numpy as np

__all__ = ["term_library", "phase_terms", "spherical_terms", "unit_products", "MAX_TERMS_BUILT", "ARG_LIMIT",
           "WAVE_LIMIT"]

MAX_TERMS_BUILT = 12_000  # terms beyond this are not built (6 inputs give about 7 000)
_INT_POWERS = (1, 2, 3, -1, -2, -3)
_HALF_POWERS = ((1, 2), (-1, 2), (3, 2), (-3, 2))
_PAIR_POWERS = (1, -1, 2, -2)
ARG_LIMIT = 40.0  # exp(±u) of an argument beyond this overflows or is one row's spike
# sin/cos of an argument up to this (16 turns): a bounded column, so no overflow, and a
# damped oscillation cos(ω·t) runs over many periods (ω·t up to 50 and more); beyond it
# the column is a random sign on any table a law is fitted from
WAVE_LIMIT = 100.0


def _power_factors(i, col, sym):
    """``(values, expr, is_power)`` of the powers of one input allowed by its values."""
    import sympy
    positive, nonzero = bool(np.all(col > 0)), bool(np.all(col != 0))
    out = []
    for p in _INT_POWERS:
        if p > 0 or nonzero:
            out.append((col ** float(p), sym ** p, True))
    if positive:
        for p, q in _HALF_POWERS:
            out.append((col ** (p / q), sym ** sympy.Rational(p, q), True))
    return out


def _function_factors(arg, arg_expr, positive_allowed, decay_limit=ARG_LIMIT,
                      hyperbolic=False):
    """Library functions of one argument whose values on these rows are usable
    (``exp(-arg)`` of an argument ≥ 0 up to ``decay_limit``, a decay that may die out;
    ``cosh`` and ``sinh`` with ``hyperbolic``)."""
    import sympy
    out = []
    big = float(np.max(np.abs(arg))) if len(arg) else 0.0
    if positive_allowed and np.all(arg > 0):
        out.append((np.log(arg), sympy.log(arg_expr), False))
    if ARG_LIMIT < big <= decay_limit and np.all(arg >= 0):
        out.append((np.exp(-arg), sympy.exp(-arg_expr), False))
    if big <= WAVE_LIMIT:
        out += [(np.sin(arg), sympy.sin(arg_expr), False), (np.cos(arg), sympy.cos(arg_expr), False)]
    if big <= ARG_LIMIT:
        out += [(np.exp(arg), sympy.exp(arg_expr), False),
                (np.exp(-arg), sympy.exp(-arg_expr), False)]
    if hyperbolic and big <= ARG_LIMIT:
        # a sum of the two exponentials with equal weights (a·cosh(x/a)) is one term then,
        # where a greedy sparse fit of e^u and e^-u takes neither first; of a pair's product
        # or ratio only: cosh of a single input joined a normalised Gaussian's exponent as a
        # look-alike of its log terms
        out += [(np.cosh(arg), sympy.cosh(arg_expr), False),
                (np.sinh(arg), sympy.sinh(arg_expr), False)]
    return out


def _pair_factors(X, symbols, i, j, decay_limit=ARG_LIMIT):
    """``g(x_i^a·x_j^b)`` for g in sin, cos, exp(±·), with small integer powers."""
    out = []
    ci, cj = X[:, i], X[:, j]
    for a, b in product(_PAIR_POWERS, repeat=2):
        if (a < 0 and np.any(ci == 0)) or (b < 0 and np.any(cj == 0)):
            continue
        if abs(a) == 2 and abs(b) == 2:
            continue
        with np.errstate(all="ignore"):
            arg = ci ** float(a) * cj ** float(b)
        if not np.all(np.isfinite(arg)):
            continue
        out += _function_factors(arg, symbols[i] ** a * symbols[j] ** b, False, decay_limit,
                                 hyperbolic=True)
    return out


def _alike(a, b) -> bool:
    """Both inputs positive and of comparable size (medians within a factor 10): quantities
    of one kind, whose ratio a law may take the log of (``ln(V2/V1)``)."""
    if not (np.all(a > 0) and np.all(b > 0)):
        return False
    return 0.1 <= float(np.median(a) / np.median(b)) <= 10.0


def _usable(values) -> bool:
    return bool(np.all(np.isfinite(values))) and float(np.ptp(values)) > 1e-12 * (
        float(np.max(np.abs(values))) + 1e-300)


def term_library(X, symbols, max_terms: int = MAX_TERMS_BUILT, simple: bool = False,
                 decay_limit: float = ARG_LIMIT):
    """``(values, factors)``: terms as columns of ``values`` (rows × terms) and their factors.

    ``factors[k]`` is a tuple of sympy expressions whose product is term ``k``
    (``sympy.Mul(*factors[k])``; multiplied only for the terms a fit keeps,
    since building thousands of sympy products takes seconds).

    Args:
        X: the rows (training rows, original units).
        symbols: one sympy symbol per column of ``X``.
        max_terms: stop adding terms beyond this many (the simplest come first).
        simple: only powers up to 2 (whole or half), functions of one input alone, and
            products of two powers: a short list in which a sparse fit is rarely misled
            (the full list holds many near copies of every term).
        decay_limit: ``exp(-u)`` of an argument ``u ≥ 0`` is kept up to this (other
            functions stop at 40): a decay over a long time, ``exp(-k·t)`` with
            ``k·t`` up to 100, is a term although it is 0 on some rows.
    """
    import sympy
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[1]
    with np.errstate(all="ignore"):
        per_var = []
        for i in range(n):
            powers = _power_factors(i, X[:, i], symbols[i])
            if simple:
                powers = [f for f in powers if abs(f[1].as_base_exp()[1]) <= 2]
            funcs = _function_factors(X[:, i], symbols[i], True, decay_limit)
            per_var.append((powers, funcs))
        pairs = {}
        if n <= 4 and not simple:
            for i, j in combinations(range(n), 2):
                pairs[(i, j)] = _pair_factors(X, symbols, i, j, decay_limit)
        cols, exprs = [], []

        def add(values, expr) -> bool:
            if len(cols) >= max_terms:
                return False
            if _usable(values):
                cols.append(values)
                exprs.append(expr)
            return True

        for i in range(n):  # one factor
            for v, e, _ in per_var[i][0] + per_var[i][1]:
                add(v, (e,))
        for i, j in combinations(range(n), 2):  # a log of a ratio of like quantities
            if _alike(X[:, i], X[:, j]):
                add(np.log(X[:, i] / X[:, j]), (sympy.log(symbols[i] / symbols[j]),))
        for fs in pairs.values():
            for v, e, _ in fs:
                add(v, (e,))
        for i, j in combinations(range(n), 2):  # two factors, at most one of them a function
            for (vi, ei, pi), (vj, ej, pj) in product(per_var[i][0] + per_var[i][1],
                                                      per_var[j][0] + per_var[j][1]):
                if (pi and pj) or (not simple and (pi or pj)):
                    add(vi * vj, (ei, ej))
        for (i, j), fs in pairs.items():  # a function of a pair times a power of an input
            for k in range(n):
                for (vf, ef, _), (vk, ek, _) in product(fs, per_var[k][0][:4]):
                    add(vf * vk, (ef, ek))
        for i, j, k in combinations(range(n) if not simple else (), 3):  # three powers (±1, ±2)
            small = [[f for f in per_var[m][0] if f[1].as_base_exp()[1] in (1, -1, 2, -2)]
                     for m in (i, j, k)]
            for (vi, ei, _), (vj, ej, _), (vk, ek, _) in product(*small):
                if not add(vi * vj * vk, (ei, ej, ek)):
                    break
    if not cols:
        return np.empty((len(X), 0)), []
    return np.column_stack(cols), exprs


def unit_products(X, symbols, sizes=(3, 4)):
    """``(values, factors)``: products of ``sizes`` different inputs, each to the power 1 or -1.

    Ratios of products (``m1·c1/(m2·c2)``, a ratio of two weights that are products) are
    beyond the short list of :func:`term_library` (two factors) and its full list (three).
    A power -1 needs an input that is never 0.  Same format as :func:`term_library`; at
    most 400 terms for 6 inputs.
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[1]
    nonzero = [bool(np.all(X[:, i] != 0)) for i in range(n)]
    cols, exprs = [], []
    with np.errstate(all="ignore"):
        for size in sizes:
            for idx in combinations(range(n), size):
                for signs in product((1, -1), repeat=size):
                    if any(s < 0 and not nonzero[i] for i, s in zip(idx, signs)):
                        continue
                    values = np.prod([X[:, i] ** float(s) for i, s in zip(idx, signs)], axis=0)
                    if _usable(values):
                        cols.append(values)
                        exprs.append(tuple(symbols[i] ** s for i, s in zip(idx, signs)))
    if not cols:
        return np.empty((len(X), 0)), []
    return np.column_stack(cols), exprs


PHASE_MAX_TERMS = 1_000  # products of two sines/cosines built at most (6 inputs give about 500)


def phase_terms(X, symbols, max_terms: int = PHASE_MAX_TERMS):
    """``(values, factors)``: products of a sine or cosine of one argument and one of another.

    A sine of a sum or difference (a phase, ``A·sin(k·x - ω·t)``) is, by the angle-sum
    identities, a short sum of such products: ``sin(k·x)·cos(ω·t) - cos(k·x)·sin(ω·t)``.
    The arguments are single inputs and products of two (``k·x``); the two arguments of a
    term share no input.  Same format as :func:`term_library`.
    """
    import sympy
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[1]
    args = [((i,), X[:, i], symbols[i]) for i in range(n)]
    args += [((i, j), X[:, i] * X[:, j], symbols[i] * symbols[j])
             for i, j in combinations(range(n), 2)]
    trig = []
    with np.errstate(all="ignore"):
        for idx, v, e in args:
            if np.all(np.isfinite(v)) and float(np.max(np.abs(v))) <= ARG_LIMIT:
                trig += [(set(idx), np.sin(v), sympy.sin(e)), (set(idx), np.cos(v), sympy.cos(e))]
    cols, exprs = [], []
    for (ia, va, ea), (ib, vb, eb) in combinations(trig, 2):
        if ia & ib:
            continue
        values = va * vb
        if _usable(values):
            cols.append(values)
            exprs.append((ea, eb))
            if len(cols) >= max_terms:
                break
    if not cols:
        return np.empty((len(X), 0)), []
    return np.column_stack(cols), exprs


SPHERICAL_INPUTS = 3  # sines and cosines of this many different inputs in a product at most


def spherical_terms(X, symbols):
    """``(values, factors)``: products of a sine or cosine of each of one to three inputs.

    The spherical law of cosines, ``cos c = cos a·cos b + sin a·sin b·cos C``, and the
    angles it gives (a solar elevation ``asin(sin φ·sin δ + cos φ·cos δ·cos H)``, a
    great-circle distance) are, after ``sin`` or ``cos`` of ``y``, a short sum of products
    of three trig factors: beyond :func:`phase_terms` (two) and :func:`term_library` (one
    function per term).  The arguments are single inputs of at most :data:`ARG_LIMIT`.
    Same format as :func:`term_library`; 232 terms for 6 inputs.
    """
    import sympy
    X = np.asarray(X, dtype=np.float64)
    usable = [i for i in range(X.shape[1])
              if np.all(np.isfinite(X[:, i])) and float(np.max(np.abs(X[:, i]))) <= ARG_LIMIT]
    trig = {i: ((np.sin(X[:, i]), sympy.sin(symbols[i])), (np.cos(X[:, i]), sympy.cos(symbols[i])))
            for i in usable}
    cols, exprs = [], []
    for size in range(1, SPHERICAL_INPUTS + 1):
        for idx in combinations(usable, size):
            for choice in product(*(trig[i] for i in idx)):
                values = np.prod([v for v, _ in choice], axis=0)
                if _usable(values):
                    cols.append(values)
                    exprs.append(tuple(e for _, e in choice))
    if not cols:
        return np.empty((len(X), 0)), []
    return np.column_stack(cols), exprs

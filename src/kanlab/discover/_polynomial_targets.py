"""Targets that a law makes a polynomial in its inputs: ``t = g(y)·m`` (or ``log(h/y ∓ 1)·m``).

:mod:`kanlab.discover._polynomial_roots` fits each as a short sum of monomials and maps it
back to ``y``.  The families:

- a *root*, ``t = |y|^p·m`` (``p`` in :data:`POWERS`, ``m`` 1 or an input to a power of
  :data:`MULTIPLIER_POWERS`): an amplitude over the root of a sum of squares;
- an *angle*, ``t = cos(y)·m`` for ``0 < y < π`` or ``sin(y)·m`` for ``|y| < π/2`` (``m``
  also a product of two inputs): the law of cosines,
  ``acos((a² + b² − c²)/(2ab))``, is ``cos(y)·a·b = (a² + b² − c²)/2``;
- a *logistic*, ``t = log(h/y − 1)·m`` for a height ``h`` (1 or an input) above ``y`` on
  every row: ``K/(1 + exp(−r(t − t0)))`` is ``log(K/y − 1) = r·t0 − r·t``, a Fermi-Dirac
  occupation ``1/(exp((E − μ)/T) + 1)`` is ``T·log(1/y − 1) = E − μ``; and its sibling
  ``t = log(h/y + 1)·m``, ``h/(exp(u) − 1)`` (Bose-Einstein, Planck);
- a *growth*, ``t = log(y/h + 1)·m``: ``y = h·(exp(P/m) − 1)``, an exponential less its
  start (a diode's current ``I0·(exp(V/(n·Vt)) − 1)``, a charging capacitor's deficit);
- a root with a *fitted* power, ``t = (|y|/m)^q`` (``m`` 1 or an input to a power of
  :data:`DIVISOR_POWERS`, ``q`` chosen where a quadratic in the inputs fits ``t`` best):
  an isentropic ratio ``p·(1 + (γ − 1)/2·M²)^(γ/(γ − 1))`` is ``(y/p)^(2/7) = 1 + 0.2·M²``.

Each target carries the weights ``|dy/dt|`` (errors in ``t`` count as in ``y``) and its way
back: ``back(u)`` (NaN where ``u`` has no preimage) and ``formula(P)`` in sympy.  The angles
and logistics are many (every multiplier and height) and, under noise, a dense quartic fits
some of them to the noise by luck: they are ``low_only``, tried where a polynomial of low
degree holds them (a log-odds linear in a ratio, the law of cosines' quadratic).
"""
from __future__ import annotations

import math
from itertools import combinations
from typing import Callable, NamedTuple

import numpy as np

from kanlab.discover._golden import golden_section

__all__ = ["Target", "polynomial_targets", "POWERS", "MULTIPLIER_POWERS"]

POWERS = (-2, -1, 2)  # t = y^p (p = 1: y a polynomial, the term lists hold it)
MULTIPLIER_POWERS = (1, -1, 2, -2)  # m = x^q
MIN_INSIDE = 0.75  # share of rows a logistic's height must lie above (noise lifts the rest)
MIN_SLOPE = 0.05  # |sin y| (|cos y|) floored here in an angle's weights: rows at the ends
DIVISOR_POWERS = (1, -1, 2, -2, 0.5, -0.5)  # a fitted root's m = x^a
Q_GRID = np.round(np.arange(-3.0, 3.0001, 0.1), 10)  # a fitted root's powers q first tried
SEARCH_ROWS = 400  # rows the power is chosen on
Q_NEAR = 0.02  # ... |q| under this, or this close to 1 or to a power of POWERS: left out
FITTED_ROOTS = 2  # fitted roots returned (the best quadratic fits, distinct divisors)


class Target(NamedTuple):
    t: np.ndarray  # the transformed target, every row
    w: np.ndarray  # row weights |dy/dt|, largest 1
    back: Callable  # (u, rows) -> y on those rows (NaN without a preimage)
    formula: Callable  # sympy polynomial P -> the formula for y
    low_only: bool  # tried only where a polynomial of low degree holds it (angles, logistics)


def polynomial_targets(X, y, symbols) -> list[Target]:
    """Every target of the families above that is finite and not constant on all rows."""
    out = []
    with np.errstate(all="ignore"):
        # a fitted root's power was chosen by a quadratic already: not low_only
        for low_only, family in ((False, _roots), (True, _angles), (True, _logistics),
                                 (True, _growths), (False, _fitted_roots)):
            for t, w, back, formula in family(X, y, symbols):
                if np.all(np.isfinite(t)) and float(np.ptp(t)) > 0 \
                        and np.all(np.isfinite(w)) and float(np.max(w)) > 0:
                    out.append(Target(t, w / float(np.max(w)), back, formula, low_only))
    return out


def _multipliers(X, symbols, pairs: bool):
    """``(values, sympy)``: 1, each input of one sign to the powers above, and (``pairs``)
    the products of two such inputs."""
    signed = [i for i in range(X.shape[1]) if np.all(X[:, i] > 0) or np.all(X[:, i] < 0)]
    out = [(np.ones(len(X)), 1)]
    out += [(X[:, i] ** float(q), symbols[i] ** q) for i in signed for q in MULTIPLIER_POWERS]
    if pairs:
        out += [(X[:, i] * X[:, j], symbols[i] * symbols[j]) for i, j in combinations(signed, 2)]
    return out


def _roots(X, y, symbols):
    import sympy
    if not (np.all(y > 0) or np.all(y < 0)):
        return
    sign = 1.0 if np.all(y > 0) else -1.0
    for p in POWERS:
        base = np.abs(y) ** float(p)
        for m, m_expr in _multipliers(X, symbols, pairs=False):
            t = base * m

            def back(u, rows, m=m, p=p):
                r = u / m[rows]
                return sign * np.where(r > 0, np.abs(r) ** (1.0 / p), np.nan)

            def formula(P, m_expr=m_expr, p=p):
                return int(sign) * (P / m_expr) ** sympy.Rational(1, p)
            yield t, np.abs(y) / (abs(p) * np.abs(t)), back, formula


def _angles(X, y, symbols):
    import sympy
    for fn, inv, sym_inv, slope, applies in (
            (np.cos, np.arccos, sympy.acos, np.sin, np.all((y > 0) & (y < math.pi))),
            (np.sin, np.arcsin, sympy.asin, np.cos, np.all(np.abs(y) < math.pi / 2))):
        if not applies:
            continue
        for m, m_expr in _multipliers(X, symbols, pairs=True):
            def back(u, rows, m=m, inv=inv):
                r = u / m[rows]
                return np.where(np.abs(r) <= 1, inv(np.clip(r, -1, 1)), np.nan)

            def formula(P, m_expr=m_expr, sym_inv=sym_inv):
                return sym_inv(P / m_expr)
            yield fn(y) * m, 1 / (np.maximum(np.abs(slope(y)), MIN_SLOPE) * np.abs(m)), \
                back, formula


def _logistics(X, y, symbols):
    """``t = log(h/y + s)·m``: ``y = h/(exp(P/m) − s)``; ``s = −1`` a logistic (``h`` above
    ``y``), ``s = 1`` a Bose-Einstein or Planck form (``1/(exp(u) − 1)``)."""
    import sympy
    heights = [(np.ones(len(y)), 1)] + [(X[:, i], sym) for i, sym in enumerate(symbols)]
    for s in (-1, 1):
        for h, h_expr in heights:
            # noise may lift a few rows near a logistic's top past h: they get no weight
            ok = (y > 0) & (h > 0) & (h / np.where(y > 0, y, 1.0) + s > 0)
            if np.mean(ok) < MIN_INSIDE:
                continue
            log_ratio = np.where(ok, np.log(np.where(ok, h / np.where(ok, y, 1.0) + s, 1.0)), 0.0)
            slope = np.where(ok, y * (h + s * y) / h, 0.0)  # |dy/d log(h/y + s)|
            for m, m_expr in _multipliers(X, symbols, pairs=False):

                def back(u, rows, h=h, m=m, s=s):
                    return h[rows] / (np.exp(u / m[rows]) - s)

                def formula(P, h_expr=h_expr, m_expr=m_expr, s=s):
                    return h_expr / (sympy.exp(P / m_expr) - s)
                yield log_ratio * m, slope / np.abs(m), back, formula


def _growths(X, y, symbols):
    """``t = log(y/h + 1)·m``: ``y = h·(exp(P/m) − 1)`` (``h`` 1 or a positive input)."""
    import sympy
    heights = [(np.ones(len(y)), 1)] + [(X[:, i], sym) for i, sym in enumerate(symbols)
                                        if np.all(X[:, i] > 0)]
    for h, h_expr in heights:
        inside = y / h + 1
        ok = inside > 0  # noise may push a few rows near y = -h past it: no weight
        if np.mean(ok) < MIN_INSIDE:
            continue
        log_ratio = np.where(ok, np.log(np.where(ok, inside, 1.0)), 0.0)
        slope = np.where(ok, np.abs(y + h), 0.0)  # |dy/d log(y/h + 1)|
        for m, m_expr in _multipliers(X, symbols, pairs=False):

            def back(u, rows, h=h, m=m):
                return h[rows] * (np.exp(u / m[rows]) - 1)

            def formula(P, h_expr=h_expr, m_expr=m_expr):
                return h_expr * (sympy.exp(P / m_expr) - 1)
            yield log_ratio * m, slope / np.abs(m), back, formula


def _fitted_roots(X, y, symbols):
    """``t = (|y|/m)^q`` with ``q`` fitted: ``y = ±m·P^(1/q)`` (see the module's text).

    For each divisor ``m`` the power ``q`` is the one of :data:`Q_GRID` whose target a
    quadratic in the inputs fits best (rows weighted by ``|dy/dt|``, errors in ``y``; on
    :data:`SEARCH_ROWS` rows); the :data:`FITTED_ROOTS` best divisors' powers are refined by
    golden sections and returned.
    """
    import sympy
    if not (np.all(y > 0) or np.all(y < 0)) or X.shape[1] == 0:
        return
    sign = 1.0 if np.all(y > 0) else -1.0
    signed = [i for i in range(X.shape[1]) if np.all(X[:, i] > 0)]
    divisors = [(np.ones(len(y)), 1)] + [(X[:, i] ** float(a), symbols[i] ** sympy.nsimplify(a))
                                         for i in signed for a in DIVISOR_POWERS]
    some = np.linspace(0, len(y) - 1, min(len(y), SEARCH_ROWS)).astype(int)
    Q = _quadratic_design(X[some])
    found = []
    for m, m_expr in divisors:
        base = np.abs(y) / m
        if not np.all(np.isfinite(base)) or float(np.min(base)) <= 0:
            continue
        errs = [_quadratic_error(Q, base[some], q) for q in Q_GRID]
        if np.all(~np.isfinite(errs)):
            continue
        k = int(np.nanargmin(errs))
        found.append((errs[k], k, base, m_expr))
    for _, k, base, m_expr in sorted(found, key=lambda f: f[0])[:FITTED_ROOTS]:
        q = golden_section(lambda v: _quadratic_error(Q, base[some], v), Q_GRID[max(k - 1, 0)],
                           Q_GRID[min(k + 1, len(Q_GRID) - 1)])[0]
        if abs(q) < Q_NEAR or any(abs(q - p) < Q_NEAR for p in (1,) + POWERS):
            continue
        t = base ** q

        def back(u, rows, m_base=np.abs(y) / base, q=q):
            return sign * m_base[rows] * np.where(u > 0, np.abs(u) ** (1.0 / q), np.nan)

        def formula(P, m_expr=m_expr, q=q):
            return int(sign) * m_expr * P ** sympy.Float(1.0 / q, 17)
        yield t, np.abs(y) / (abs(q) * np.abs(t)), back, formula


def _quadratic_design(X) -> np.ndarray:
    """1, the inputs, and their products of two (columns scaled to unit RMS)."""
    cols = [np.ones(len(X))] + [X[:, i] for i in range(X.shape[1])]
    cols += [X[:, i] * X[:, j] for i in range(X.shape[1]) for j in range(i, X.shape[1])]
    A = np.column_stack(cols)
    return A / np.sqrt(np.mean(A ** 2, axis=0))


def _quadratic_error(A, base, q: float) -> float:
    """RMS error in ``base`` (``|y|/m``) of the quadratic fit of ``base^q``, weighted by
    ``|d base/dt|`` (errors in ``t`` as in ``y``)."""
    with np.errstate(all="ignore"):
        t = base ** q
        w = base / (abs(q) * t)
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(w))) or abs(q) < 1e-9:
            return math.inf
        coef, *_ = np.linalg.lstsq(A * w[:, None], t * w, rcond=None)
        r = (A @ coef - t) * w
        err = float(np.sqrt(np.mean(r ** 2)))
    return err if math.isfinite(err) else math.inf

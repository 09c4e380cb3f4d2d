"""Laws that are a power law times a rational function of one derived variable.

``v1·(m1 - m2)/(m1 + m2)`` is ``v1·(r - 1)/(r + 1)`` with ``r = m1/m2``;
``f·sqrt((1 + b)/(1 - b))`` is ``f·R(b)^(1/2)``; ``K·p/(1 + K·p)`` is ``r/(1 + r)`` with
``r = K·p``.  Such a law is ``y = A·Π x^a·(P(r)/Q(r))^k`` with ``P`` and ``Q`` polynomials
of low degree in one *derived variable* ``r``: an input, a ratio of two positive inputs
of one kind, or a product of two positive inputs.

1. *the power law in front*: ``log|y|`` is fitted by ``a·log x`` (the positive inputs
   outside ``r``) plus a cubic spline of ``r``, weighted by ``|y|`` (rows near a zero of
   ``P`` count little); the exponents ``a`` are rounded to halves;
2. *the rational function*: ``t = (y/Π x^a)^(1/k)`` (``k`` = 1, or 1/2 for a target of
   one sign) is fitted as ``t·Q(r) = P(r)`` with ``Q``'s constant 1, a linear
   least-squares fit (Padé's linearisation), reweighted once by ``1/|Q|`` so that
   errors count as errors in ``t``.

Each derived variable and degree gives one formula, scored on the validation rows; the
best few are returned (sympy), and their constants are refitted on the raw rows later
(:mod:`kanlab.discover._pipeline`).
"""
from __future__ import annotations

import math
from itertools import combinations

import numpy as np

from kanlab.discover._split import sample_xy

__all__ = ["pade_formulas"]

# (degree of P, degree of Q); polynomials of degree 3 and 4 too (T⁴ - Ts⁴ = Ts⁴·(r⁴ - 1))
DEGREES = ((0, 1), (1, 1), (2, 1), (0, 2), (1, 2), (2, 2), (3, 0), (4, 0))
TIED = 1.01  # validation RMSE within this factor of the best: the lower degree is taken
FIT_ROWS = 600  # training rows the fits use
MOST = 4  # formulas returned
SNAP = 0.2  # a fitted exponent this far from a half or more: no power law in front
MIN_DENOMINATOR = 1e-3  # |Q| on a row, relative to its median, at least (else a pole)


def _alike(a, b) -> bool:
    """Both positive and of comparable size (medians within a factor 10)."""
    return bool(np.all(a > 0) and np.all(b > 0)) and 0.1 <= float(np.median(a) / np.median(b)) <= 10


def _derived(X, symbols):
    """``[(values, expr, used inputs)]``: inputs, ratios of like inputs, products of two."""
    out = []
    n = X.shape[1]
    for i in range(n):
        if float(np.ptp(X[:, i])) > 0:
            out.append((X[:, i], symbols[i], {i}))
    for i, j in combinations(range(n), 2):
        a, b = X[:, i], X[:, j]
        if _alike(a, b):
            out.append((a / b, symbols[i] / symbols[j], {i, j}))
        if np.all(a > 0) and np.all(b > 0):
            out.append((a * b, symbols[i] * symbols[j], {i, j}))
    return out


def _prefactor(X, y, r, rest):
    """Exponents (halves) of the positive inputs ``rest`` in front of ``R(r)``, or None."""
    from kanlab.discover._groups import _bspline
    keep = y != 0
    if not rest:
        return np.zeros(0)
    if keep.sum() < 20:
        return None
    Z = np.log(X[keep][:, rest])
    L = np.log(np.abs(y[keep]))
    w = np.abs(y[keep]) / float(np.max(np.abs(y[keep])))
    A = np.column_stack([Z, _bspline(r[keep])]) * w[:, None]
    coef = _lstsq(A, L * w)
    if coef is None:
        return None
    a = coef[:len(rest)]
    snapped = np.round(2 * a) / 2
    if not np.all(np.isfinite(a)) or np.max(np.abs(a - snapped)) > SNAP:
        return None
    return snapped


def _lstsq(A, b):
    """Least squares ``A·c ≈ b``, or None where the system is not finite (a power of ``r``
    beyond float64) or LAPACK's SVD does not converge."""
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
        return None
    try:
        return np.linalg.lstsq(A, b, rcond=None)[0]
    except np.linalg.LinAlgError:
        return None


def _fit(t, r, pp, qp):
    """Coefficients ``(p, q)`` of ``t·(1 + Σ q_k r^k) = Σ p_k r^k`` (powers ``pp``, ``qp``), or None."""
    P = np.column_stack([r ** k for k in pp] or [np.zeros((len(t), 0))])
    Qc = np.column_stack([-t * r ** k for k in qp] or [np.zeros((len(t), 0))])
    M = np.hstack([P, Qc])
    w = np.ones(len(t))
    coef = None
    for _ in range(2):  # then reweighted by 1/|Q|: an error e in t is e·|Q| in t·Q
        cscale = np.sqrt(np.sum((M * w[:, None]) ** 2, axis=0))
        cscale[cscale == 0] = 1.0
        c = _lstsq(M * w[:, None] / cscale, t * w)
        if c is None:
            return None
        coef = c / cscale
        Q = 1 + _polynomial(r, coef[len(pp):], qp)
        if not np.all(np.isfinite(Q)) or np.min(np.abs(Q)) < MIN_DENOMINATOR * np.median(np.abs(Q)):
            return None
        w = 1.0 / np.abs(Q)
    return coef[:len(pp)], coef[len(pp):]


def pade_formulas(X_train, y_train, X_val, y_val, symbols, most: int = MOST) -> list:
    """Formulas ``A·Π x^a·(P(r)/Q(r))^k`` (sympy, in ``symbols``), best on validation first."""
    import sympy
    X, y = sample_xy(X_train, y_train, FIT_ROWS)
    X_val = np.asarray(X_val, dtype=np.float64)
    y_val = np.asarray(y_val, dtype=np.float64)
    n = X.shape[1]
    positive = [i for i in range(n) if np.all(X[:, i] > 0) and np.all(X_val[:, i] > 0)]
    s = float(np.sign(np.median(y)))
    powers = [1] + ([sympy.Rational(1, 2)] if s != 0 and np.all(s * y > 0) else [])
    found = []  # (validation RMSE, formula)
    X_all = np.vstack([X, X_val])
    for r_all, r_expr, used in _derived(X_all, symbols):
        r, r_val = r_all[:len(y)], r_all[len(y):]
        # a power of one input of r may stand in front too (m1/(1 + m1/m2)); of both, it
        # would be a power of r times one of them
        for own in [None] + sorted(i for i in used if i in positive and len(used) > 1):
            rest = [i for i in positive if i not in used or i == own]
            item = _best_for(X, y, X_val, y_val, r, r_val, rest, powers, s)
            if item is not None:
                found.append(item[:1] + (_to_sympy(item, r_expr, rest, symbols, s),))
    found.sort(key=lambda f: f[0])
    return [expr for _, expr in found[:most]]


def _best_for(X, y, X_val, y_val, r, r_val, rest, powers, s):
    """``(validation RMSE, a, k, P's powers, Q's powers, p, q)`` of the best form for one ``r``
    and prefactor, or None."""
    with np.errstate(all="ignore"):
        a = _prefactor(X, y, r, rest)
        if a is None:
            return None
        front = np.prod(X[:, rest] ** a, axis=1) if rest else np.ones(len(y))
        front_val = np.prod(X_val[:, rest] ** a, axis=1) if rest else np.ones(len(y_val))
        scale = float(np.std(y_val)) or 1.0

        def score(k, pp, qp):
            """``(validation RMSE, p, q)`` of one form, or None."""
            t = y / front if k == 1 else (y / front) ** 2
            fit = _fit(t, r, pp, qp)
            if fit is None:
                return None
            u = _polynomial(r_val, fit[0], pp) / (1 + _polynomial(r_val, fit[1], qp))
            pred = front_val * (u if k == 1 else s * np.sqrt(u))
            err = float(np.sqrt(np.mean((pred - y_val) ** 2)))
            return (err,) + fit if math.isfinite(err) else None

        fits = []  # (validation RMSE, number of coefficients, k, P's powers, Q's powers, p, q)
        for k in powers:
            for dp, dq in DEGREES:
                pp, qp = tuple(range(dp + 1)), tuple(range(1, dq + 1))
                got = score(k, pp, qp)
                if got is not None:
                    fits.append((got[0], len(pp) + len(qp), k, pp, qp) + got[1:])
        if not fits:
            return None
        # the lowest degree among those tied with the best (noise-free data fit exactly at
        # every degree above the law's: (r - 1)(0.08·r + 1)/((r + 1)(0.08·r + 1)))
        top = min(f[0] for f in fits)
        tied = lambda e: e <= TIED * top + 1e-9 * scale  # noqa: E731
        err, _, k, pp, qp, p, q = min((f for f in fits if tied(f[0])), key=lambda f: f[1:2] + f[:1])
        # then P's powers that add nothing dropped, one at a time (T⁴ - Ts⁴: no T³, T², T)
        while len(pp) > 1:
            tries = [(score(k, fewer, qp), fewer) for fewer in combinations(pp, len(pp) - 1)]
            tries = [(got, fewer) for got, fewer in tries if got is not None and tied(got[0])]
            if not tries:
                break
            (err, p, q), pp = min(tries, key=lambda item: item[0][0])
    return err, a, k, pp, qp, p, q


def _polynomial(r, coef, powers):
    return sum(c * r ** j for j, c in zip(powers, coef)) if len(coef) else np.zeros_like(r)


def _to_sympy(item, r_expr, rest, symbols, s):
    import sympy
    _, a, k, pp, qp, p, q = item
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    P = sum(F(c) * r_expr ** j for j, c in zip(pp, p))
    Q = 1 + sum(F(c) * r_expr ** j for j, c in zip(qp, q))
    A = sympy.Mul(*[symbols[i] ** sympy.Rational(int(round(2 * e)), 2) for i, e in zip(rest, a)])
    return A * (P / Q if k == 1 else s * sympy.sqrt(P / Q))

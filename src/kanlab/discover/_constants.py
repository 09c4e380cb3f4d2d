"""Constants of a formula: refit them on raw data, then round them where validation allows.

A formula read off a KAN carries approximate constants (each edge's
``c·f(a·x + b) + d``, the scaling substituted back).  :func:`refit` treats
every floating-point number of the expression as a free parameter and solves
the nonlinear least-squares problem on the training rows (scipy's
``least_squares``); with the right structure and noise-free data that is
exact to machine precision.  :func:`round_constants` then tries, constant by
constant, the simplest nearby value (integer, small fraction, fraction of π)
and keeps it when the validation error does not grow; the remaining floats
keep the fewest significant digits that validation accepts.
"""
from __future__ import annotations

import math

import numpy as np

from kanlab.symbolic._formula import formula_rmse as rmse_of  # noqa: F401 (re-exported)
from kanlab.symbolic._formula import formula_values as evaluate  # noqa: F401 (re-exported)

__all__ = ["evaluate", "rmse_of", "refit", "round_constants", "rounding_tolerance",
           "complexity"]


DIGITS_SHARE = 0.25  # of the rounding tolerance, for cutting digits (see round_constants)
PI_NUMERATOR = 12  # p/q·π offered as a simple value only for |p| up to this
EXPONENT_WINDOW = 0.3  # simple exponents offered this far from the fitted one (_nice_exponents)
MAX_EXPONENT_DENOMINATOR = 12  # of a rational exponent offered by _nice_exponents


def rounding_tolerance(expr, val_rmse: float, n_train: int, floor: float) -> float:
    """How far rounding may move the predictions: two standard errors of the fitted formula.

    With ``p`` constants fitted on ``n_train`` rows at noise ``σ`` (estimated
    by the validation RMSE), the fit itself is uncertain by about
    ``σ·sqrt(p/n_train)`` in RMS; a simple number within twice that is as
    good an answer as the fitted one.  ``floor`` covers noise-free data.
    """
    import sympy
    p = max(len(expr.atoms(sympy.Float)), 1)
    return max(2.0 * val_rmse * math.sqrt(p / max(n_train, 1)), floor)


def complexity(expr) -> int:
    """Nodes of the expression tree (operations, symbols and numbers each count 1)."""
    import sympy
    return sum(1 for _ in sympy.preorder_traversal(expr))


def _parameterize(expr):
    """``(expr with floats replaced by symbols p0.., params, values)``."""
    import sympy
    floats = sorted(expr.atoms(sympy.Float), key=lambda f: sympy.default_sort_key(f))
    params = [sympy.Symbol(f"_p{k}") for k in range(len(floats))]
    return expr.xreplace(dict(zip(floats, params))), params, np.array([float(f) for f in floats])


def _fit_params(template, free, p0, fixed, symbols, X, y, max_nfev: int = 200):
    """Least-squares values of the ``free`` parameters of ``template`` (``p0`` on failure)."""
    from scipy.optimize import least_squares
    from kanlab.symbolic._formula import to_numpy
    f = to_numpy(template.xreplace(fixed), [*symbols, *free])
    X = np.asarray(X, dtype=np.float64)
    scale = float(np.std(y)) or 1.0

    def residual(p):
        with np.errstate(all="ignore"):
            pred = np.asarray(f(np.hstack([X, np.broadcast_to(p, (len(X), len(p)))])), dtype=float)
            r = (np.broadcast_to(pred, y.shape) - y) / scale
        return np.where(np.isfinite(r), r, 1e6)

    p0 = np.asarray(p0, dtype=float)
    if not free:
        return p0
    try:
        with np.errstate(all="ignore"):  # finite-difference steps of huge parameters
            sol = least_squares(residual, p0, method="lm" if len(y) >= len(p0) else "trf",
                                max_nfev=max_nfev * (len(p0) + 1), xtol=1e-15, ftol=1e-15,
                                gtol=1e-15)
    except (ValueError, FloatingPointError, OverflowError, ZeroDivisionError):
        return p0
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(sol.x)) or np.sum(sol.fun ** 2) > np.sum(residual(p0) ** 2):
            return p0
    return sol.x


def _fill(template, fixed, free, values):
    import sympy
    return template.xreplace(fixed).xreplace({s: sympy.Float(float(v), 17)
                                              for s, v in zip(free, values)})


def refit(expr, symbols, X, y, max_nfev: int = 200):
    """``expr`` with its floats refitted on ``(X, y)`` by least squares (unchanged on failure)."""
    template, params, p0 = _parameterize(expr)
    if not params:
        return expr
    values = _fit_params(template, params, p0, {}, symbols, X, y, max_nfev)
    return _fill(template, {}, params, values)


def _nice_values(value: float, max_denominator: int = 12, within: float = 0.02,
                 per_kind: int = 2):
    """Simple numbers within ``within`` (relative) of ``value``, simplest first.

    Integers, then fractions ``p/q`` by growing ``q``, then the reciprocal of a whole
    number ``1/k``, then ``p/q·π`` (the first ``per_kind`` of each kind); the caller
    keeps the first that the validation rows accept, so an exponent of 1.9992 becomes 2,
    not 7π/11.  Other closed forms (``1/(2π)``, ``sqrt(2)``, ``log 2``) are
    :func:`~kanlab.discover._closed_forms.closed_forms`, tried after these.
    """
    import sympy
    if abs(value) < 1e-12:
        return [sympy.Integer(0)]
    out = []
    for unit, symbol in ((1.0, sympy.Integer(1)), (math.pi, sympy.pi)):
        found = []
        for q in range(1, max_denominator + 1):
            p = round(value / unit * q)
            if p == 0 or abs(p) > 1000 or math.gcd(p, q) != 1:  # 35950207169/4 is not simple
                continue
            if unit != 1.0 and abs(p) > PI_NUMERATOR:  # 25π/4 for 19.62 (2g) is not simple
                continue
            if abs(p / q * unit - value) <= within * abs(value):
                found.append(sympy.Rational(p, q) * symbol)
        out += found[:per_kind]
        if unit == 1.0 and found and found[0].q == 1 and abs(value) >= 1:
            # the other whole number beside the value (343.6: 344 and 343); the caller lets
            # the validation rows choose between them
            other = int(found[0]) + (1 if value > int(found[0]) else -1)
            if other != 0 and abs(other - value) <= within * abs(value):
                out.insert(out.index(found[0]) + 1, sympy.Integer(other))
        if unit == 1.0 and abs(value) < 1:  # 0.0029154519 = 1/343: a whole number's reciprocal
            k = round(1 / value)
            if max_denominator < abs(k) <= 100_000 and abs(1 / k - value) <= within * abs(value):
                out.append(sympy.Rational(1, k))
    return out


def _nice_exponents(value: float, window: float = EXPONENT_WINDOW) -> list:
    """Integers, then halves, thirds and quarters within ``window`` of an exponent, nearest
    first in each kind, then :func:`_nice_values`'s close fractions with denominators up to
    :data:`MAX_EXPONENT_DENOMINATOR`; never 0 (the caller tries it first), never a multiple
    of π or another closed form.

    An exponent of an input that spans a narrow range is loosely determined (g over
    9.7–9.9 fitted as g**-0.9425 beside a factor 1.754, where the law has 2/g): the window
    is absolute and wider than :func:`_nice_values`'s, and the validation rows decide.
    """
    import sympy
    out = []
    for q in range(1, 5):
        found = [sympy.Rational(p, q) for p in range(math.floor((value - window) * q),
                                                      math.ceil((value + window) * q) + 1)
                 if p != 0 and math.gcd(p, q) == 1 and abs(p / q - value) <= window]
        out += sorted(found, key=lambda v: abs(float(v) - value))
    # then the close fractions of larger denominators (a fifth: (E·t²/ρ)**(1/5)), never a
    # whole number's reciprocal beyond them: C**(1/53) for a fitted 0.0189 reads as a law
    return out + [v for v in _nice_values(value) if v not in out and v.is_Rational
                  and v != 0 and v.q <= MAX_EXPONENT_DENOMINATOR]


def _tiers(values) -> list:
    """``values`` in runs of equal simplicity: neighbouring whole numbers form one run."""
    out = []
    for v in values:
        if out and v.is_Integer and v != 0 and out[-1][-1].is_Integer and out[-1][-1] != 0:
            out[-1].append(v)
        else:
            out.append([v])
    return out


def round_constants(expr, symbols, train, val, tol: float, digits_range=(2, 16)):
    """Round ``expr``'s constants where the predictions move by at most ``tol``.

    Args:
        train, val: ``(X, y)`` pairs; after each snap to a simple number the
            other constants are refitted on ``train``; of two whole numbers beside a
            constant (343.6: 344 and 343) that both pass, the one with the smaller
            validation error is kept.
        tol: the largest acceptable RMS change of the predictions on the
            validation rows (the caller sets it from the noise level and the
            constants' standard errors, see :func:`rounding_tolerance`) for snapping
            to simple numbers; cutting the remaining constants to fewer digits may move
            them by :data:`DIGITS_SHARE` of it more (and ``tol`` in all).

    Returns the rounded expression (the input when nothing could be rounded).
    """
    import sympy
    reference = evaluate(expr, symbols, val[0])

    def accepted(trial, limit=tol, since=None) -> bool:
        """Moved at most ``tol`` from the fitted predictions (and ``limit`` from ``since``)."""
        values = evaluate(trial, symbols, val[0])
        ok = True
        for base, most in ((reference, tol), (since, limit)):
            if base is not None:
                moved = values - base
                ok = ok and bool(np.all(np.isfinite(moved))) and float(
                    np.sqrt(np.mean(moved ** 2))) <= most
        return ok

    template, params, values = _parameterize(expr)
    fixed, free = {}, list(params)
    values = dict(zip(params, values))
    # exponents first, then small values: a fitted m**0.998 over m in 1e-27..1e-26 is a factor
    # 0.9 away from m; snapping the factor first would lock the exponent at 0.998
    in_exponent = {q for pw in template.atoms(sympy.Pow) for q in pw.exp.free_symbols}
    order = sorted(params, key=lambda q: (q not in in_exponent, abs(values[q])))
    # three passes.  The structure first: exponents to simple values, and constants the data
    # do not need (an offset, a term) to 0.  Then, after the constants left are refitted to
    # the structure, their values: a factor snapped before an offset was dropped keeps the
    # offset's share (1/11612 for the 1/11606 the final structure fits).  Last, closed forms
    # (1/(2π), sqrt(2), log 2) for the constants still free: tried earlier, a factor near
    # 1/sqrt(2π) took the share of the error that kept an exponent's -1/2 out
    refitted = False
    passes = [(q, "structure") for q in order] + [(q, "values") for q in order] + [
        (q, "closed") for q in order if q not in in_exponent]
    for p, stage in passes:
        if p not in free:
            continue
        structure = stage == "structure"
        if not structure and not refitted:  # pass 2 starts
            values.update(zip(free, _fit_params(template, free, [values[q] for q in free],
                                                fixed, symbols, *train)))
            refitted = True
        # 0 first: an offset or a term that the data do not need is dropped
        # (a tiny constant may be a law's own, 6.6e-34; a tiny exponent, x**8.5e-18, never is)
        zero = [sympy.Integer(0)] * int(structure and (abs(values[p]) >= 1e-12
                                                       or p in in_exponent))
        if (p in in_exponent) != structure:
            simple = []
        elif structure:
            simple = _nice_exponents(values[p])
        elif stage == "values":
            simple = _nice_values(values[p])
        else:
            from kanlab.discover._closed_forms import closed_forms
            simple = closed_forms(values[p])
        for tier in _tiers(zero + simple):
            rest = [q for q in free if q is not p]
            best = None  # (validation RMSE, value, refitted rest) of the tier's accepted values
            for nice in tier:
                trial_fixed = fixed | {p: nice}
                try:
                    fitted = _fit_params(template, rest, [values[q] for q in rest], trial_fixed,
                                         symbols, *train, max_nfev=30)
                    trial = _fill(template, trial_fixed, rest, fitted)
                    ok = accepted(trial)
                except ValueError:  # the value makes a constant infinite (1/0): not this one
                    ok = False
                if ok:
                    err = rmse_of(trial, symbols, *val)
                    if best is None or err < best[0]:
                        best = (err, nice, fitted)
            if best is not None:
                fixed, free = fixed | {p: best[1]}, rest
                values.update(zip(rest, best[2]))
                break
    current = _fill(template, fixed, free, [values[q] for q in free])
    floats = list(current.atoms(sympy.Float))
    if not floats:
        return current
    snapped = evaluate(current, symbols, val[0])
    for digits in range(*digits_range):
        # the decimal string at full precision: prints as written, evaluates as printed.
        # Fewer digits only shorten the print (a simple number may well be the law's own,
        # 9.8 is not more likely than 9.8078): they may move the predictions by a quarter as
        # much, half a standard error (9.8078 -> 9.8 moved a sum's predictions past the
        # noise's limit, 9.81 stays; a print of 344.3 for 344.265 moved a formula already
        # two standard errors off past it)
        trial = current.xreplace({f: sympy.Float(f"{float(f):.{digits}g}", 15) for f in floats})
        if accepted(trial, DIGITS_SHARE * tol, since=snapped):
            return trial
    return current

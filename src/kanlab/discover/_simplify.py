"""The shortest equivalent printed form of a formula, checked on rows.

A formula assembled from a transform of ``y`` and a sparse fit is right but rarely
written as a physicist would: ``1/sqrt(1/(m²v²) - a/m²)`` is ``m·v/sqrt(1 - a·v²)``
(for positive ``m, v``), ``-f/(v/343 - 1)`` is ``343·f/(343 - v)``.
:func:`simplest` tries sympy's rewritings (``together``, ``factor``, ``cancel``, and
``simplify`` when asked and the formula is small; each under the bounds of
:mod:`._sympy_bounds`), turns floats that are whole
numbers (``1.0``) into integers, and keeps the form with the fewest nodes whose
values agree with the original on the given rows.  A rewriting can be wrong where
sympy's assumptions are (a branch of a root, a sign): the check on the rows is what
makes a form acceptable, not sympy's word.
"""
from __future__ import annotations

import numpy as np

__all__ = ["simplest", "linearised", "THOROUGH_NODES"]

THOROUGH_NODES = 40  # sympy.simplify only below this size: its time grows fast with it
_MAX_NODES = 80  # no rewriting at all beyond this size


def _whole_floats(expr):
    """``expr`` with floats that are whole numbers (``1.0``, ``-2.0``) made integers."""
    import sympy
    swap = {f: sympy.Integer(int(f)) for f in expr.atoms(sympy.Float)
            if float(f).is_integer() and abs(float(f)) < 1e15}
    return expr.xreplace(swap) if swap else expr


def _fractional_power(expr) -> bool:
    """Whether ``expr`` holds a power with a non-integer rational exponent."""
    return any(p.exp.is_Rational and not p.exp.is_integer for p in expr.atoms(__import__(
        "sympy").Pow))


def _simplify_opaque(expr):
    """``sympy.simplify`` with trigonometric and hyperbolic calls held as opaque symbols.

    simplify's trigonometric pass (``futrig``) can run for an hour on a small formula
    with a sine of a sum (``A·sin(k·x − ω·t)`` read off with five constants); the
    algebra around such calls is what a shorter printed form needs.
    """
    import sympy
    from sympy.functions.elementary.hyperbolic import HyperbolicFunction
    from sympy.functions.elementary.trigonometric import (InverseTrigonometricFunction,
                                                          TrigonometricFunction)
    kinds = (TrigonometricFunction, InverseTrigonometricFunction, HyperbolicFunction)
    calls = sorted((f for f in expr.atoms(sympy.Function) if isinstance(f, kinds)),
                   key=lambda f: -sympy.count_ops(f))
    held = {}
    for call in calls:  # outermost first: an inner call inside a held one stays held with it
        if not any(call in h.atoms(sympy.Function) for h in held):
            held[call] = sympy.Dummy("f", real=True)
    return sympy.simplify(expr.xreplace(held)).xreplace({d: f for f, d in held.items()})


def _float_sum_exponent(expr) -> bool:
    """Whether ``expr`` holds ``exp`` of a sum with a non-whole float in it.

    factor() splits ``exp(a·u + b·v)`` into powers of ``exp(u)``, ``exp(v)`` with the
    floats as rational exponents (1.17974 = 117974/100000): a dense polynomial of that
    degree.  ``exp((-1.17974·M·h + 11.5104·T - 2478540000·T/p0²)/T)`` filled 23 GB of
    memory (a candidate on a held-out law).
    """
    import sympy
    for call in expr.atoms(sympy.exp):
        arg = call.args[0]
        if arg.has(sympy.Add) and any(f != int(f) for f in arg.atoms(sympy.Float)):
            return True
    return False


MAX_POWER_OF_SUM = 6  # |numerator| and denominator of a sum's exponent at most, for factor()


def _high_power_of_sum(expr) -> bool:
    """Whether ``expr`` holds a sum raised to a rational power beyond :data:`MAX_POWER_OF_SUM`."""
    import sympy
    for p in expr.atoms(sympy.Pow):
        base, e = p.as_base_exp()
        if base.is_Add and e.is_Rational and (abs(e.p) > MAX_POWER_OF_SUM
                                              or e.q > MAX_POWER_OF_SUM):
            return True
    return False


def _powers_of_numbers(expr):
    """``exp(c·log(b)·u)`` written ``b**(c·u)`` for a positive rational ``b``.

    A rate snapped to ``log 2`` (:mod:`._closed_forms`) is a half-life:
    ``exp(-log(2)·t/T)`` is ``2**(-t/T)``.  sympy's rewritings other than ``simplify``
    leave it as it is.
    """
    import sympy
    swap = {}
    for call in expr.atoms(sympy.exp):
        arg = call.args[0]
        logs = [f for f in sympy.Mul.make_args(arg) if isinstance(f, sympy.log)
                and f.args[0].is_Rational and f.args[0] > 0]
        if len(logs) == 1:
            swap[call] = logs[0].args[0] ** (arg / logs[0])
    return expr.xreplace(swap) if swap else expr


def _tangents(expr):
    """``sin(u)^a·cos(u)^(-a)`` written ``tan(u)^a`` in every product (``cos/sin`` too).

    A fit of ``log|y|`` over ``log|sin θ|`` and ``log|cos θ|`` reads ``tan θ`` as their
    ratio (``sqrt(r)/sqrt(cos(θ)/sin(θ))``); sympy's rewritings leave it so.  Of opposite
    powers ``a`` and ``b``, the common part ``min(|a|, |b|)`` becomes a power of ``tan``.
    """
    import sympy

    def walk(e):
        if not e.args:
            return e
        e = e.func(*(walk(a) for a in e.args))
        if e.is_Pow and e.base.is_Pow and e.base.exp == -1 and e.base.base.has(sympy.tan):
            return e.base.base ** (-e.exp)  # sqrt(1/tan u) is 1/sqrt(tan u) (the rows check)
        if not e.is_Mul:
            return e
        sines, cosines, rest = {}, {}, []
        for f in e.args:
            base, p = f.as_base_exp()
            if isinstance(base, sympy.sin) and p.is_Rational:
                sines[base.args[0]] = sines.get(base.args[0], 0) + p
            elif isinstance(base, sympy.cos) and p.is_Rational:
                cosines[base.args[0]] = cosines.get(base.args[0], 0) + p
            else:
                rest.append(f)
        if not any(u in cosines and sines[u] * cosines[u] < 0 for u in sines):
            return e
        for u in list(sines):
            a, b = sines[u], cosines.pop(u, 0)
            if a * b < 0:
                common = min(abs(a), abs(b))
                t = common if a > 0 else -common
                rest.append(sympy.tan(u) ** t)
                a, b = a - t, b + t
            rest += [sympy.sin(u) ** a, sympy.cos(u) ** b]
        rest += [sympy.cos(u) ** b for u, b in cosines.items()]
        return sympy.Mul(*rest)

    return walk(expr)


def _exponentials_spread(expr):
    """``expr`` multiplied out, the exponentials of each product merged, and the common
    factors other than exponentials taken out again: ``A·(e^(2t) − 1)·e^(−3t)`` is
    ``A·(e^(−t) − e^(−3t))``."""
    import sympy
    out = sympy.expand(expr, deep=False)
    held = {f: sympy.Dummy("e") for f in out.atoms(sympy.exp)}
    return sympy.factor_terms(out.xreplace(held)).xreplace({d: f for f, d in held.items()})


def _cost(expr) -> int:
    """Nodes, plus 2 for each product of an exponential and a sum holding another: a
    growing exponential that a decaying one cancels (``(e^(2t) − 1)·e^(−3t)``) reads worse
    and overflows sooner than the same law written as a sum of decays."""
    import sympy
    from kanlab.discover._constants import complexity
    mixed = 0
    for m in expr.atoms(sympy.Mul):
        if any(isinstance(f, sympy.exp) for f in m.args) and any(
                f.is_Add and f.has(sympy.exp) for f in m.args):
            mixed += 1
    return complexity(expr) + 2 * mixed


def _rewritings(expr, thorough: bool, substitutions=()):
    """Rewritten forms of ``expr`` (not yet checked), also of ``expr`` under each of the
    value-preserving ``substitutions`` (an input's exact copy in other units)."""
    import sympy
    from kanlab.discover._constants import complexity
    from kanlab.discover._sympy_bounds import MAX_DEGREE, STEP_CPU_S, polynomial_degree, within
    steps = [sympy.together, sympy.factor, sympy.cancel, _powers_of_numbers]
    if len(expr.atoms(sympy.exp)) > 1:
        steps.append(_exponentials_spread)
    if expr.has(sympy.sin, sympy.cos):  # sin a·cos b + cos a·sin b is sin(a + b) (a phase)
        from sympy.simplify.fu import TR10i
        steps.append(TR10i)
    sources = list(dict.fromkeys([expr, _whole_floats(expr), _whole_floats(_tangents(expr))]
                                 + [_whole_floats(expr.xreplace(s)) for s in substitutions]))
    # factor() of a function whose argument holds a fractional power runs for minutes
    # (exp((112000*E**(3/2)/sqrt(T) - 51800000*mu**2/T**2)/T): polynomials in E**(1/2),
    # T**(1/2) of huge degree); together and cancel stay quick there
    if any(_fractional_power(fn) for fn in expr.atoms(sympy.Function)) or _float_sum_exponent(
            expr):
        steps.remove(sympy.factor)
    # factor() and cancel() of a high power of a sum expand it into a polynomial of many
    # variables: (1 + 0.01·x·y/z + 0.2·w·x)^10 ran past a minute; together() keeps it whole;
    # so do powers of one base of a high common degree (exp(-M/95), exp(-M/2578): 2673)
    if _high_power_of_sum(expr) or max(map(polynomial_degree, sources)) > MAX_DEGREE:
        steps = [sympy.together]
    if thorough and complexity(expr) <= THOROUGH_NODES and expr.has(sympy.Add) and len(steps) > 1:
        steps.append(_simplify_opaque)
    out = list(sources)
    for step in steps:
        for source in sources:  # each step on the original and on the whole-number form
            try:  # under a CPU deadline too: a size gate cannot foresee every slow case
                new = within(STEP_CPU_S, step, source)
            except (sympy.PolynomialError, TypeError, ValueError, RecursionError,
                    AttributeError, NotImplementedError):
                continue
            if new is not None:
                out.append(_whole_floats(new))
    return out


def simplest(expr, symbols, X, thorough: bool = False, rtol: float = 1e-9):
    """The form of ``expr`` with the fewest nodes that has the same values on the rows ``X``.

    Args:
        expr: a sympy expression in ``symbols``.
        symbols: one symbol per column of ``X``.
        X: rows on which every rewriting must reproduce ``expr`` (to ``rtol``).
        thorough: also try ``sympy.simplify`` on a small formula with a sum in it (a
            fraction of a second; used once, on the chosen formula).

    Where two inputs are exact affine copies on ``X`` (:mod:`._copies`), the forms with
    one written in terms of the other are rewritten too.  A product of an exponential and
    a sum of others counts 2 nodes more (:func:`_cost`): ``A·(e^(−t) − e^(−3t))`` is printed
    rather than ``A·(e^(2t) − 1)·e^(−3t)``.  Returns ``expr`` itself when no rewriting is
    shorter and equal on the rows.
    """
    import sympy
    from kanlab.discover._constants import complexity, evaluate
    from kanlab.discover._copies import copy_substitutions
    if complexity(expr) > _MAX_NODES:
        return expr
    reference = evaluate(expr, symbols, X)
    finite = np.isfinite(reference)
    best, size = expr, _cost(expr)
    copies = copy_substitutions(expr, symbols, X)
    for other in _rewritings(expr, thorough, copies):
        if _cost(other) >= size or other.has(sympy.zoo, sympy.nan, sympy.I):
            continue
        values = evaluate(other, symbols, X)
        if np.array_equal(np.isfinite(values), finite) and np.allclose(
                values[finite], reference[finite], rtol=rtol, atol=1e-300):
            best, size = other, _cost(other)
    return best


SMALL_ARGUMENT = 0.3  # |u| on every row up to which sin u, tan u, ... are offered as u
TINY_ARGUMENT = 1e-6  # |u| on every row up to which exp u is offered as 1 + u, log(1 + u) as u


def linearised(expr, symbols, X):
    """``expr`` with functions of small arguments replaced by their first-order terms
    on the rows ``X``, then multiplied out.

    ``f(u)`` becomes ``u`` for ``f`` in sin, tan, asin, atan, sinh, tanh, asinh, atanh
    wherever ``|u| <= SMALL_ARGUMENT`` on every row: each is ``u·(1 + O(u²))`` there, so
    a fit cannot tell ``q·v·B`` from ``B·sin(q·v)`` within noise when ``q·v`` stays
    below 1e-3.  ``exp(u)`` becomes ``1 + u`` and ``log(w)`` becomes ``w - 1`` where
    ``|u|``, ``|w - 1| <= TINY_ARGUMENT``: their second-order terms are below
    rounding there, and ``c·exp(λ) − 1`` with ``λ ~ 1e-11`` reads ``c·λ + (c − 1)``.
    The result is a *candidate*, not a rewriting: its constants are refitted and it
    competes on validation error and complexity (the simpler form wins a tie).
    Returns ``expr`` itself when no call qualifies.
    """
    import sympy
    from kanlab.discover._constants import evaluate
    odd = (sympy.sin, sympy.tan, sympy.asin, sympy.atan, sympy.sinh, sympy.tanh,
           sympy.asinh, sympy.atanh)
    swap = {}
    for call in expr.atoms(*odd, sympy.exp, sympy.log):
        arg = call.args[0]
        is_log = isinstance(call, sympy.log)
        try:
            u = evaluate(arg - 1 if is_log else arg, symbols, X)
        except ValueError:  # a constant beyond float64 (a rescaled fit's): not offered
            continue
        if not np.all(np.isfinite(u)):
            continue
        small = float(np.max(np.abs(u))) if len(u) else np.inf
        if isinstance(call, odd) and small <= SMALL_ARGUMENT:
            swap[call] = arg
        elif small <= TINY_ARGUMENT:
            swap[call] = arg - 1 if is_log else 1 + arg
    if not swap:
        return expr
    out = expr.xreplace(swap)
    if any(isinstance(call, (sympy.exp, sympy.log)) for call in swap):
        from kanlab.discover._sympy_bounds import STEP_CPU_S, within
        expanded = within(STEP_CPU_S, sympy.expand, out)  # c·(1 + u) − 1 is c·u + (c − 1)
        out = out if expanded is None else expanded
    return out

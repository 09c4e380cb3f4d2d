"""Formula output: round the constants of a symbolic formula, print it, evaluate it.

A formula read off a KAN carries every edge's fitted constants
(``c · f(a·x + b) + d`` per edge), many of which only matter in products:
``exp(a·(c·sin(…) + d) + b)`` is ``e^(a·d + b) · exp(a·c·sin(…))``.
:func:`round_formula` therefore first multiplies such constants out
(``expand`` with ``power_exp``), then replaces every floating-point number by
the simplest nearby value — 0, an integer, a small fraction, a small
fraction of π — or, failing that, rounds it to ``digits`` significant
digits, and finally recombines powers and exponentials.
"""
from __future__ import annotations

from fractions import Fraction
import math

from kanlab._validation import check_int

__all__ = ["round_formula", "nice_number", "to_latex", "to_numpy", "to_torch"]


def nice_number(value: float, digits: int = 4, max_denominator: int = 12):
    """The simplest sympy number within ``10**-digits`` (relative, or absolute near 0) of ``value``.

    Tried in order: 0, an integer, ``p/q`` and ``p/q · π`` with ``q <= max_denominator``;
    otherwise ``value`` rounded to ``digits`` significant digits.
    """
    import sympy
    if not math.isfinite(value):
        raise ValueError(f"cannot round the non-finite constant {value!r}")
    tol = 10.0 ** -digits
    if abs(value) < tol:
        return sympy.Integer(0)
    close = lambda a, b: abs(a - b) <= tol * max(1.0, abs(b))  # noqa: E731
    if close(value, round(value)):
        return sympy.Integer(round(value))
    for unit, symbol in ((1.0, sympy.Integer(1)), (math.pi, sympy.pi)):
        frac = Fraction(value / unit).limit_denominator(max_denominator)
        if frac != 0 and close(value, float(frac) * unit):
            return sympy.Rational(frac.numerator, frac.denominator) * symbol
    return sympy.Float(float(f"{value:.{digits}g}"), digits)


def round_formula(expr, digits: int = 4, max_denominator: int = 12):
    """``expr`` with its constants multiplied out and replaced by nice numbers (see module doc).

    Parameters
    ----------
    expr
        a sympy expression, e.g. from :meth:`kanlab.KAN.symbolic_formula`.
    digits
        constants within ``10**-digits`` of a nice number become it;
        the others keep ``digits`` significant digits.
    """
    import sympy
    digits = check_int(digits, "digits", low=1)
    expr = sympy.sympify(expr)
    for _ in range(3):  # rounding can expose new products of constants (e.g. 1.0*x)
        expanded = sympy.expand(expr, deep=True, power_exp=True, power_base=False, log=False,
                                mul=True, multinomial=True, trig=False)
        rounded = expanded.xreplace({f: nice_number(float(f), digits, max_denominator)
                                     for f in expanded.atoms(sympy.Float)})
        rounded = sympy.powsimp(rounded, combine="exp")
        if rounded == expr:
            break
        expr = rounded
    return sympy.factor_terms(_fold_exp_coefficients(expr, digits, max_denominator))


def _fold_exp_coefficients(expr, digits: int, max_denominator: int):
    """``c · exp(u)`` with a huge or tiny positive ``c`` printed as ``exp(u + log c)``.

    Multiplying constants out turns ``exp(a·x + b)`` into ``e^b · exp(a·x)``;
    for large ``b`` that shows a 30-digit coefficient.
    """
    import sympy

    def fold(term):
        coeff, rest = term.as_coeff_Mul()
        exps = [f for f in sympy.Mul.make_args(rest) if isinstance(f, sympy.exp)]
        if len(exps) != 1 or not coeff.is_positive or not (
                abs(math.log10(float(coeff))) > 3):
            return term
        inner = exps[0].args[0] + nice_number(math.log(float(coeff)), digits, max_denominator)
        return rest.subs(exps[0], sympy.exp(inner, evaluate=False))

    return expr.replace(lambda e: isinstance(e, sympy.Mul), fold)


def to_latex(expr) -> str:
    """LaTeX of a formula (``sympy.latex``)."""
    import sympy
    return sympy.latex(expr)


def _symbols(variables):
    import sympy
    return [v if isinstance(v, sympy.Symbol) else sympy.Symbol(str(v)) for v in variables]


def to_numpy(expr, variables):
    """A function ``(N, n_var) ndarray -> (N,) ndarray`` evaluating ``expr``.

    ``variables`` are the sympy symbols (or names) in column order; the
    expression is compiled by walking its tree (:mod:`kanlab.symbolic._expressions`),
    no ``eval``.
    """
    from kanlab.symbolic._expressions import to_numpy as _to_numpy
    return _to_numpy(expr, _symbols(variables))


def to_torch(expr, variables):
    """A function ``(N, n_var) tensor -> (N, 1) tensor`` evaluating ``expr`` (differentiable)."""
    from kanlab.symbolic._expressions import to_torch as _to_torch
    return _to_torch(expr, _symbols(variables))

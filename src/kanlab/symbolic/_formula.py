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

__all__ = ["round_formula", "nice_number", "drop_negligible_terms", "scales_out_of_factors",
           "to_latex", "to_numpy",
           "to_torch", "formula_values", "formula_rmse"]


# integers are written out up to this magnitude; larger constants keep `digits` significant digits
MAX_INTEGER = 1e6


def nice_number(value: float, digits: int = 4, max_denominator: int = 12, scale: float = 1.0):
    """The simplest sympy number within ``10**-digits`` (relative) of ``value``.

    Tried in order: 0 (only when ``|value|`` is below ``10**-digits · scale``;
    :func:`round_formula` passes the size of the formula's largest constant
    when that is below 1), an integer
    (up to :data:`MAX_INTEGER`), ``p/q`` and ``p/q · π`` with
    ``q <= max_denominator``; otherwise ``value`` rounded to ``digits``
    significant digits.  A formula whose constants are all small (``1.5e-5``)
    therefore keeps them, and ``1e300`` stays ``1.0e+300``.
    """
    import sympy
    if not math.isfinite(value):
        raise ValueError(f"cannot round the non-finite constant {value!r}")
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a finite positive number, got {scale!r}")
    tol = 10.0 ** -digits
    if abs(value) < tol * scale or value == 0:
        return sympy.Integer(0)
    close = lambda a, b: abs(a - b) <= tol * abs(b)  # noqa: E731
    if abs(value) < MAX_INTEGER and round(value) != 0 and close(value, round(value)):
        return sympy.Integer(round(value))
    for unit, symbol in ((1.0, sympy.Integer(1)), (math.pi, sympy.pi)):
        if abs(value) >= MAX_INTEGER:
            break
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
    expr = _as_expression(expr)
    for _ in range(3):  # rounding can expose new products of constants (e.g. 1.0*x)
        expanded = sympy.expand(expr, deep=True, power_exp=True, power_base=False, log=False,
                                mul=True, multinomial=True, trig=False)
        floats = expanded.atoms(sympy.Float)
        finite = [abs(float(f)) for f in floats if math.isfinite(float(f))]
        # 0 is tried below 10**-digits, relative to the largest constant when all are small
        scale = min(1.0, max((v for v in finite if v > 0), default=1.0))
        rounded = expanded.xreplace({f: _round_float(f, digits, max_denominator, scale)
                                     for f in floats})
        rounded = sympy.powsimp(rounded, combine="exp")
        if rounded == expr:
            break
        expr = rounded
    return sympy.factor_terms(_fold_exp_coefficients(expr, digits, max_denominator))


def _round_float(f, digits: int, max_denominator: int, scale: float):
    """``nice_number`` of a sympy Float; one beyond float64 keeps ``digits`` digits as it is."""
    import sympy
    value = float(f)
    if not math.isfinite(value):  # e.g. Float('1e400'): a valid sympy number, not a float64
        return sympy.Float(f, digits)
    return nice_number(value, digits, max_denominator, scale)


def _as_expression(expr):
    """A sympy expression from ``expr``; strings go through the whitelist parser, never sympify."""
    import sympy
    if isinstance(expr, str):
        from kanlab.symbolic._expressions import parse_formula, formula_names
        return parse_formula(expr, formula_names(expr))[0]
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        return sympy.Integer(expr) if isinstance(expr, int) else sympy.Float(expr)
    if not isinstance(expr, sympy.Basic):
        raise TypeError(f"round_formula expects a sympy expression or a formula string, got "
                        f"{type(expr).__name__}")
    return expr


def _fold_exp_coefficients(expr, digits: int, max_denominator: int):
    """``c · exp(u)`` with a huge or tiny positive ``c`` printed as ``exp(u + log c)``.

    Multiplying constants out turns ``exp(a·x + b)`` into ``e^b · exp(a·x)``;
    for large ``b`` that shows a 30-digit coefficient.
    """
    import sympy

    def fold(term):
        coeff, rest = term.as_coeff_Mul()
        exps = [f for f in sympy.Mul.make_args(rest) if isinstance(f, sympy.exp)]
        if len(exps) != 1 or not coeff.is_positive:
            return term
        log_c = float(sympy.log(coeff).evalf(20))  # finite even for a coefficient beyond float64
        if not (math.isfinite(log_c) and abs(log_c) > 3 * math.log(10)):
            return term
        inner = exps[0].args[0] + nice_number(log_c, digits, max_denominator)
        return rest.subs(exps[0], sympy.exp(inner, evaluate=False))

    return expr.replace(lambda e: isinstance(e, sympy.Mul), fold)


def drop_negligible_terms(expr, variables, x, tol: float):
    """``expr`` without the terms of its sums that do not change its values on ``x``.

    A formula read off a KAN composes every edge's ``c · f(a·x + b) + d``, and
    fitted constants that should be 0 come out as ``1e-18``.  They keep the
    factors of a product apart: ``-23.7·(-0.311·x₁ - 9e-18)·(0.136·x₂ + 4e-19)``
    is ``1.0000·x₁·x₂``, but rounding each constant separately gives
    ``1001·x₁·x₂/1000``.  Each term of a sum (a constant, or e.g.
    ``5e-18·x₂``) is removed, smallest on ``x`` first, when the whole formula
    then still agrees with ``expr`` on ``x`` to within ``tol`` (largest
    absolute change: the re-check on data); sympy then multiplies the
    remaining constants of a product together.

    Parameters
    ----------
    expr
        a sympy expression.
    variables
        its input symbols, in the column order of ``x``.
    x : array-like, shape (N, len(variables))
        samples to check on (at most 512 evenly spaced rows are used).
    tol : float
        largest change of the formula's values allowed, in its own units.

    Returns
    -------
    The simplified expression (``expr`` itself when nothing can be dropped).
    """
    import numpy as np
    import sympy
    from kanlab.symbolic._evaluation import expr_text
    tol = float(tol)
    if not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(variables) or x.shape[0] == 0:
        raise ValueError(f"x must have shape (N, {len(variables)}) with N >= 1, got {x.shape}")
    x = x[np.linspace(0, x.shape[0] - 1, min(512, x.shape[0])).astype(int)]

    def values(e):
        try:
            with np.errstate(all="ignore"):
                return np.broadcast_to(np.asarray(to_numpy(e, variables)(x), dtype=np.float64),
                                       (x.shape[0],))
        except ValueError:  # a trial that leaves log(-c) = log(c) + I·pi: not a real formula
            return np.full(x.shape[0], np.nan)

    def size(term):
        v = values(term)
        return float(np.max(np.abs(v))) if np.isfinite(v).all() else math.inf

    reference = values(expr)
    if not np.isfinite(reference).all():
        return expr
    for _ in range(3):  # dropping a term can expose another (a merged product's offset)
        terms = {(add, t) for add in sympy.preorder_traversal(expr) if isinstance(add, sympy.Add)
                 for t in add.args}
        changed = False
        for add, t in sorted(terms, key=lambda pair: (size(pair[1]), expr_text(pair[1], None))):
            if add not in set(sympy.preorder_traversal(expr)):
                continue  # an earlier drop rebuilt this sum
            trial = expr.xreplace({add: sympy.Add(*[a for a in add.args if a != t])})
            new = values(trial)
            if np.isfinite(new).all() and float(np.max(np.abs(new - reference))) <= tol:
                expr, changed = trial, True
        if not changed:
            break
    return expr


def scales_out_of_factors(expr):
    """``expr`` with the scale of every sum inside a product moved to the product's coefficient.

    A multiplication node multiplies its inputs, each an edge's ``c · f(a·x + b) + d``, so
    a product of sums comes out as ``(2e-7 - 0.9223·m)·(1.4e-5 - 1.0842·g)``: its value is
    ``1.00001·m·g``, but any rounding of the constants one by one (pykan's ``ex_round``
    rounds every float to ``n`` decimals) multiplies the factors' rounding errors,
    ``0.922 · 1.084 = 0.9994``.  Each sum that multiplies something non-constant is divided
    by the coefficient of its largest non-constant term (largest ``|coefficient|``, ties by
    the printed term), which joins the product's coefficient:
    ``1.00001·(m - 2.2e-7)·(g - 1.3e-5)``, rounded ``m·g``.  The value is unchanged
    (up to float rounding); a product of a number and one sum is left to sympy (which
    distributes the number over the sum).  A sum under a root (a non-integer power) gives up
    its positive scale the same way: ``1.97·sqrt(0.26·x² + 0.26·y²)`` becomes
    ``1.0045·sqrt(x² + 1.0·y²)``, which rounds to pykan's ``sqrt(x² + y²)``.
    """
    import sympy
    from kanlab.symbolic._evaluation import expr_text

    def unit_scale(add):
        terms = [t for t in add.args if t.free_symbols]
        if not terms:
            return sympy.S.One, add
        # (sympy numbers compared: an exact coefficient beyond float64 has no float)
        lead = max(terms, key=lambda t: (abs(t.as_coeff_Mul()[0]), expr_text(t, None)))
        coeff, rest = lead.as_coeff_Mul()
        if coeff == 1 or coeff == 0:
            return sympy.S.One, add
        # the leading term exactly 1·rest (t / coeff could leave 0.9999999999999999·rest)
        return coeff, sympy.Add(*[rest if t is lead else t / coeff for t in add.args])

    def fold(mul):
        factors = sympy.Mul.make_args(mul)
        sums = [f for f in factors if isinstance(f, sympy.Add)]
        if not sums or not any(f.free_symbols for f in factors if f not in sums[:1]):
            return mul
        scale, out = sympy.S.One, []
        for f in factors:
            if isinstance(f, sympy.Add):
                c, f = unit_scale(f)
                scale = scale * c
            out.append(f)
        return sympy.Mul(scale, *out)

    def root(power):  # (c·u)**p = c**p · u**p for c > 0: a root's scale goes in front too
        base, p = power.as_base_exp()
        if not (isinstance(base, sympy.Add) and base.free_symbols and p.is_number
                and p.is_real and float(p) != round(float(p))):  # a root (2.0 is no root)
            return power
        c, unit = unit_scale(base)
        if c == 1 or not c > 0:
            return power
        return c ** p * unit ** p

    expr = expr.replace(lambda e: isinstance(e, sympy.Pow), root)
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
    expression is compiled by walking its tree (:mod:`kanlab.symbolic._evaluation`),
    no ``eval``.
    """
    from kanlab.symbolic._evaluation import to_numpy as _to_numpy
    return _to_numpy(expr, _symbols(variables))


def formula_values(expr, variables, X):
    """``expr`` on the rows of ``X`` ``(N, n_var)`` (columns in the order of ``variables``),
    shape ``(N,)``, float; non-finite values are allowed (no warnings)."""
    import numpy as np
    X = np.asarray(X, dtype=np.float64)
    with np.errstate(all="ignore"):
        out = np.asarray(to_numpy(expr, variables)(X), dtype=float)
    out = np.broadcast_to(out, (len(X),)) if out.ndim == 0 or out.shape != (len(X),) else out
    return np.real_if_close(out).astype(float, copy=False)


def formula_rmse(expr, variables, X, y) -> float:
    """Root-mean-square error of ``expr`` on ``(X (N, n_var), y (N,))``; ``inf`` if not finite."""
    import numpy as np
    err = formula_values(expr, variables, X) - y
    value = float(np.sqrt(np.mean(err * err)))
    return value if math.isfinite(value) else math.inf


def to_torch(expr, variables):
    """A function ``(N, n_var) tensor -> (N, 1) tensor`` evaluating ``expr`` (differentiable)."""
    from kanlab.symbolic._evaluation import to_torch as _to_torch
    return _to_torch(expr, _symbols(variables))

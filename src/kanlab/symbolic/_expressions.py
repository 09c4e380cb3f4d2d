"""Safe formulas: user text -> sympy expression, without evaluating any code.

The text is parsed with ``ast.parse(..., mode="eval")`` and only a small
grammar is accepted: numbers, variables, the constants ``pi`` and ``e``
(``E``), ``+ - * / **`` (``^`` also means power), unary ``+``/``-`` and calls
of the functions in :data:`FUNCTIONS`.  Nothing is ever passed to ``eval``,
``exec``, ``sympy.sympify`` or ``sympy.lambdify``; the sympy expression is
built node by node (and evaluated by walking its tree, in
:mod:`kanlab.symbolic._evaluation`).

Variables are named either ``x, y, z`` or ``x1, x2, ..., xn`` (not both in
one formula).  The inputs are the first ``n`` names of the style, where the
highest name used sets ``n``: ``"y**2"`` is a function of ``(x, y)`` that
ignores ``x``, ``"x3"`` one of ``(x1, x2, x3)``.  Pass ``variables`` to
choose other names or another order.
"""
from __future__ import annotations

import ast
import math
import re
from typing import Callable, Sequence

import sympy

from kanlab._validation import clip_repr

__all__ = ["parse_formula", "formula_names", "FUNCTIONS", "CONSTANTS"]

MAX_LENGTH = 2000  # characters; formulas are typed by people
MAX_DEPTH = 100  # nesting of the syntax tree
MAX_VARIABLES = 1000
MAX_BITS = 100_000  # an exact number raised to an integer power may not exceed this size


def _sigmoid(x):
    return 1 / (1 + sympy.exp(-x))


# name -> (sympy builder, number of arguments)
FUNCTIONS: dict[str, tuple[Callable, int]] = {
    "sin": (sympy.sin, 1), "cos": (sympy.cos, 1), "tan": (sympy.tan, 1),
    "exp": (sympy.exp, 1), "log": (sympy.log, 1), "ln": (sympy.log, 1),
    "sqrt": (sympy.sqrt, 1), "abs": (sympy.Abs, 1),
    "sinh": (sympy.sinh, 1), "cosh": (sympy.cosh, 1), "tanh": (sympy.tanh, 1),
    "arcsin": (sympy.asin, 1), "asin": (sympy.asin, 1),
    "arccos": (sympy.acos, 1), "acos": (sympy.acos, 1),
    "arctan": (sympy.atan, 1), "atan": (sympy.atan, 1),
    "arcsinh": (sympy.asinh, 1), "asinh": (sympy.asinh, 1),
    "arccosh": (sympy.acosh, 1), "acosh": (sympy.acosh, 1),
    "arctanh": (sympy.atanh, 1), "atanh": (sympy.atanh, 1),
    "sigmoid": (_sigmoid, 1), "sign": (sympy.sign, 1), "sgn": (sympy.sign, 1),
    "besselj": (sympy.besselj, 2),  # besselj(n, x): Bessel function of the first kind
}
CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "e": sympy.E, "E": sympy.E}

_XYZ = ("x", "y", "z")
_NUMBERED = re.compile(r"x([1-9][0-9]*)")
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
              ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitXor: "^",
              ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>",
              ast.Not: "not", ast.Invert: "~"}
_SYNTAX = {ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.Subscript: "indexing",
           ast.ListComp: "comprehension", ast.SetComp: "comprehension",
           ast.DictComp: "comprehension", ast.GeneratorExp: "comprehension",
           ast.Compare: "comparison", ast.BoolOp: "'and'/'or'", ast.IfExp: "'if' expression",
           ast.NamedExpr: "':='", ast.Starred: "'*' unpacking", ast.JoinedStr: "f-string",
           ast.Tuple: "tuple", ast.List: "list", ast.Dict: "dict", ast.Set: "set",
           ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "slice"}


# ----------------------------------------------------------------------------- parsing

def _check_power(base: sympy.Expr, exponent: sympy.Expr) -> None:
    """Refuse powers whose exact evaluation would make sympy compute a huge number."""
    if not exponent.is_Rational or (exponent.is_Integer and abs(int(exponent)) <= 1):
        return
    bits = max((max(abs(n.p).bit_length(), n.q.bit_length())
                for n in base.atoms(sympy.Rational)), default=0)
    if bits * abs(float(exponent)) > MAX_BITS:
        raise ValueError(f"number too large: power with exponent {exponent}")


class _Builder:
    """Turns an ``ast`` expression into a sympy expression, node by node."""

    def __init__(self, variables: Sequence[str] | None) -> None:
        self.variables = None if variables is None else list(variables)
        self.names: set[str] = set()  # variable names met

    def build(self, node: ast.AST, depth: int = 0) -> sympy.Expr:
        if depth > MAX_DEPTH:
            raise ValueError(f"formula is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            return self.number(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            operand = self.build(node.operand, depth + 1)
            return operand if isinstance(node.op, ast.UAdd) else -operand
        if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult,
                                                             ast.Div, ast.Pow):
            a, b = self.build(node.left, depth + 1), self.build(node.right, depth + 1)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return a / b
            _check_power(a, b)
            return a ** b
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            raise ValueError(f"unsupported operator '{_OPERATORS.get(type(node.op), '?')}'")
        what = _SYNTAX.get(type(node), type(node).__name__)
        raise ValueError(f"unsupported syntax: {what}")

    def number(self, value) -> sympy.Expr:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "string" if isinstance(value, (str, bytes)) else type(value).__name__
            raise ValueError(f"unsupported constant {value!r} ({kind}); only real numbers")
        if isinstance(value, int):
            return sympy.Integer(value)
        if not math.isfinite(value):
            raise ValueError(f"number out of range: {value!r}")
        return sympy.Float(value)

    def name(self, name: str) -> sympy.Expr:
        if name in FUNCTIONS:
            raise ValueError(f"'{name}' is a function; call it as {name}(...)")
        if self.variables is not None and name in self.variables:
            self.names.add(name)
            return sympy.Symbol(name)
        if name in CONSTANTS:
            return CONSTANTS[name]
        if self.variables is None and (name in _XYZ or _NUMBERED.fullmatch(name)):
            self.names.add(name)
            return sympy.Symbol(name)
        allowed = (", ".join(self.variables) if self.variables is not None
                   else "x, y, z or x1, x2, ...")
        raise ValueError(f"unknown name '{name}'; variables are {allowed}, constants pi and e")

    def call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            what = _SYNTAX.get(type(node.func), "calling an expression")
            raise ValueError(f"unsupported syntax: {what}")
        name = node.func.id
        if name in CONSTANTS:
            raise ValueError(f"'{name}' is a constant, not a function")
        if name not in FUNCTIONS:
            raise ValueError(f"unknown function '{name}'; known functions: "
                             f"{', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            raise ValueError(f"{name}() takes no keyword arguments")
        builder, n_args = FUNCTIONS[name]
        if len(node.args) != n_args:
            raise ValueError(f"{name}() takes {n_args} argument{'s' * (n_args > 1)}, "
                             f"got {len(node.args)}")
        args = [self.build(arg, depth + 1) for arg in node.args]
        return builder(*args)


def _default_symbols(names: set[str]) -> list[sympy.Symbol]:
    """``x, y, z`` or ``x1..xn`` up to the highest name used (see the module docstring)."""
    letters = names & set(_XYZ)
    numbered = names - letters
    if letters and numbered:
        raise ValueError(f"formula mixes {sorted(letters)} with {sorted(numbered)}; name the "
                         "variables either x, y, z or x1, x2, ...")
    if letters:
        n = max(_XYZ.index(v) for v in letters) + 1
        return [sympy.Symbol(v) for v in _XYZ[:n]]
    n = max((int(v[1:]) for v in numbered), default=0)
    if n > MAX_VARIABLES:
        raise ValueError(f"variable x{n} is beyond the limit of {MAX_VARIABLES} variables")
    return [sympy.Symbol(f"x{i}") for i in range(1, n + 1)]


def _check_variables(variables) -> list[str]:
    if isinstance(variables, str) or not all(isinstance(v, str) for v in variables):
        raise TypeError(f"variables must be a list of names, got {variables!r}")
    variables = list(variables)
    for v in variables:
        if not v.isidentifier() or v in FUNCTIONS or v in CONSTANTS:
            raise ValueError(f"invalid variable name {v!r}: it must be an identifier and not a "
                             "function or constant name")
    if len(set(variables)) != len(variables):
        raise ValueError(f"variables has duplicates: {variables}")
    return variables


def _syntax_tree(text: str) -> ast.Expression:
    """Python's syntax tree of a formula (``^`` read as ``**``); a ValueError if it has none."""
    if len(text) > MAX_LENGTH:
        raise ValueError(f"formula is longer than {MAX_LENGTH} characters")
    # '^' binds like '**' here; replacing the token keeps Python's precedence for it
    source = text.strip().replace("^", "**")
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise ValueError(f"invalid syntax in formula {clip_repr(text.strip())}: {err.msg}") from None
    except (ValueError, MemoryError, RecursionError) as err:
        raise ValueError(f"cannot parse formula: {err}") from None


def formula_names(text: str) -> list[str]:
    """The variable names a formula uses (any identifiers but functions and constants), sorted.

    For formulas whose variables are not ``x, y, z`` / ``x1..xn``, e.g. the
    printed output of :meth:`kanlab.KAN.symbolic_formula` (``x_1``); pass the
    result as ``variables`` to :func:`parse_formula`.  Only parses, never evaluates.
    """
    if not isinstance(text, str):
        raise TypeError(f"formula must be a str, got {type(text).__name__}")
    tree = _syntax_tree(text)
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in calls
                   and n.id not in FUNCTIONS and n.id not in CONSTANTS})


def parse_formula(text: str, variables: Sequence[str] | None = None
                  ) -> tuple[sympy.Expr, list[sympy.Symbol]]:
    """Parse ``text`` into a sympy expression, without evaluating any code.

    Parameters
    ----------
    text
        e.g. ``"exp(sin(pi*x) + y**2)"`` or ``"exp(sin(pi*x1)+x2^2)"``.
    variables
        names of the inputs in order; by default ``x, y, z`` or
        ``x1..xn`` up to the highest one used (see the module docstring).

    Returns
    -------
    tuple[sympy.Expr, list[sympy.Symbol]]
        ``(expr, symbols)``: the expression and its input symbols in order.

    Raises
    ------
    ValueError
        a one-line message saying what is wrong with the text.

    Examples
    --------
    >>> parse_formula("exp(sin(pi*x) + y^2)")
    (exp(y**2 + sin(pi*x)), [x, y])
    """
    if not isinstance(text, str):
        raise TypeError(f"formula must be a str, got {type(text).__name__}")
    checked = None if variables is None else _check_variables(variables)
    if not text.strip():
        raise ValueError("empty formula")
    tree = _syntax_tree(text)
    builder = _Builder(checked)
    try:
        expr = builder.build(tree.body)
    except RecursionError:
        raise ValueError("formula is nested too deeply") from None
    except (ArithmeticError, TypeError) as err:  # sympy refusing an operation
        raise ValueError(f"cannot build formula: {err}") from None
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ValueError(f"formula is undefined or infinite: {expr} (division by zero?)")
    if checked is not None:
        symbols = [sympy.Symbol(v) for v in checked]
    else:
        symbols = _default_symbols(builder.names)
    return expr, symbols

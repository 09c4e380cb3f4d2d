"""Safe formulas: user text -> sympy expression -> torch (or numpy) function.

The text is parsed with ``ast.parse(..., mode="eval")`` and only a small
grammar is accepted: numbers, variables, the constants ``pi`` and ``e``
(``E``), ``+ - * / **`` (``^`` also means power), unary ``+``/``-`` and calls
of the functions in :data:`FUNCTIONS`.  Nothing is ever passed to ``eval``,
``exec``, ``sympy.sympify`` or ``sympy.lambdify``; the sympy expression is
built node by node and evaluated by walking its tree.

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

import numpy as np
import sympy
import torch
from torch import Tensor

__all__ = ["parse_formula", "formula_names", "constant_value", "to_torch", "to_numpy",
           "FUNCTIONS", "CONSTANTS"]

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


def _clip(text: str, width: int = 60) -> str:
    """``repr`` of the stripped text, shortened for a one-line message."""
    text = text.strip()
    return repr(text if len(text) <= width else text[:width - 3] + "...")


def formula_names(text: str) -> list[str]:
    """The variable names a formula uses (any identifiers but functions and constants), sorted.

    For formulas whose variables are not ``x, y, z`` / ``x1..xn``, e.g. the
    printed output of :meth:`kanlab.KAN.symbolic_formula` (``x_1``); pass the
    result as ``variables`` to :func:`parse_formula`.  Only parses, never evaluates.
    """
    if not isinstance(text, str):
        raise TypeError(f"formula must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"formula is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"invalid syntax in formula {_clip(text)}: {err.msg}") from None
    except (ValueError, MemoryError, RecursionError) as err:
        raise ValueError(f"cannot parse formula: {err}") from None
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
    if len(text) > MAX_LENGTH:
        raise ValueError(f"formula is longer than {MAX_LENGTH} characters")
    # '^' binds like '**' here; replacing the token keeps Python's precedence for it
    source = text.strip().replace("^", "**")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise ValueError(f"invalid syntax in formula {_clip(text)}: {err.msg}") from None
    except (ValueError, MemoryError, RecursionError) as err:
        raise ValueError(f"cannot parse formula: {err}") from None
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


# ----------------------------------------------------------------------------- evaluation

def _bessel_torch(n: int) -> Callable:
    if n == 0:
        return torch.special.bessel_j0
    if n == 1:
        return torch.special.bessel_j1
    raise ValueError(f"to_torch supports besselj(n, x) for n = 0 and 1 only, got n = {n}")


def _bessel_numpy(n: int) -> Callable:
    try:
        from scipy.special import jv
    except ImportError:
        raise ValueError("to_numpy needs scipy for besselj; use to_torch") from None
    return lambda x: jv(n, x)


_TORCH = {
    sympy.exp: torch.exp, sympy.log: torch.log, sympy.sin: torch.sin, sympy.cos: torch.cos,
    sympy.tan: torch.tan, sympy.sinh: torch.sinh, sympy.cosh: torch.cosh,
    sympy.tanh: torch.tanh, sympy.asin: torch.asin, sympy.acos: torch.acos,
    sympy.atan: torch.atan, sympy.asinh: torch.asinh, sympy.acosh: torch.acosh,
    sympy.atanh: torch.atanh, sympy.Abs: torch.abs, sympy.sign: torch.sign,
    sympy.besselj: _bessel_torch, "sqrt": torch.sqrt,
}
_NUMPY = {
    sympy.exp: np.exp, sympy.log: np.log, sympy.sin: np.sin, sympy.cos: np.cos,
    sympy.tan: np.tan, sympy.sinh: np.sinh, sympy.cosh: np.cosh, sympy.tanh: np.tanh,
    sympy.asin: np.arcsin, sympy.acos: np.arccos, sympy.atan: np.arctan,
    sympy.asinh: np.arcsinh, sympy.acosh: np.arccosh, sympy.atanh: np.arctanh,
    sympy.Abs: np.abs, sympy.sign: np.sign, sympy.besselj: _bessel_numpy, "sqrt": np.sqrt,
}


def _compile(expr: sympy.Expr, index: dict[sympy.Symbol, int], table: dict) -> Callable:
    """A function of the input columns ``cols`` (a list) computing ``expr``.

    Constant subtrees are evaluated once, in float64 (:func:`constant_value`).
    """
    if not expr.free_symbols:
        value = constant_value(expr)
        return lambda cols: value
    if expr.is_Symbol:
        if expr not in index:
            raise ValueError(f"expression uses {expr}, which is not among the inputs "
                             f"{list(index)}")
        i = index[expr]
        return lambda cols: cols[i]
    args = [_compile(a, index, table) for a in expr.args]
    if expr.is_Add:
        return lambda cols: sum((f(cols) for f in args[1:]), args[0](cols))
    if expr.is_Mul:
        return lambda cols: math.prod((f(cols) for f in args[1:]), start=args[0](cols))
    if expr.is_Pow:
        base, exponent = args
        e = expr.exp
        if e == sympy.Rational(1, 2):
            return lambda cols: table["sqrt"](base(cols))
        if e == sympy.Rational(-1, 2):
            return lambda cols: 1 / table["sqrt"](base(cols))
        if e.is_Integer:
            n = int(e)
            return lambda cols: base(cols) ** n
        return lambda cols: base(cols) ** exponent(cols)
    func = table.get(expr.func)
    if func is None:
        raise ValueError(f"unsupported sympy function '{expr.func.__name__}' in {expr}")
    if expr.func == sympy.besselj:
        order = expr.args[0]
        if not (order.is_Number and float(order).is_integer()):
            raise ValueError(f"besselj order must be an integer constant, got {order}")
        bessel, arg = func(int(order)), args[1]
        return lambda cols: bessel(arg(cols))
    if len(args) != 1:
        raise ValueError(f"unsupported call {expr}")
    arg = args[0]
    return lambda cols: func(arg(cols))


def _float_of_number(expr) -> float:
    try:
        return float(expr)
    except OverflowError:  # an exact number beyond float64
        return math.inf if expr > 0 else -math.inf
    except TypeError:
        raise ValueError(f"constant {expr} is not a real number") from None


def constant_value(expr: sympy.Expr) -> float:
    """The float64 value of a constant expression, at a cost linear in its size.

    The tree is walked with numpy float64 arithmetic, never with sympy's
    arbitrary precision, so ``exp(10**25000)`` costs microseconds (and is
    refused) instead of hanging.

    Raises:
        ValueError: the value is not a finite real float64 number.
    """
    with np.errstate(all="ignore"):
        value = _constant(expr)
    if not (isinstance(value, float) and math.isfinite(value)):
        raise ValueError(f"constant {_short(expr)} is not a finite real float64 number "
                         f"(it evaluates to {value})")
    return value


def _short(expr) -> str:
    try:
        text = str(expr)
    except ValueError:  # an integer with more digits than Python prints
        return "(an expression with a number too long to print)"
    return text if len(text) <= 80 else text[:77] + "..."


def _constant(expr) -> float:
    if expr.is_Number or expr.is_NumberSymbol:
        return _float_of_number(expr)
    if expr is sympy.I or expr.has(sympy.I):
        return math.nan
    args = [_constant(a) for a in expr.args]
    if expr.is_Add:
        return float(np.sum(args))
    if expr.is_Mul:
        return float(np.prod(args))
    if expr.is_Pow:
        base, exponent = args
        return float(np.power(np.float64(base), exponent))
    func = _NUMPY.get(expr.func)
    if func is None or expr.func == sympy.besselj or len(args) != 1:
        try:
            return float(expr.evalf(20))
        except (TypeError, ValueError):
            return math.nan
    return float(func(np.float64(args[0])))


def _as_sympy(expr) -> sympy.Expr:
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        return sympy.Integer(expr) if isinstance(expr, int) else sympy.Float(expr)
    if not isinstance(expr, sympy.Expr):
        raise TypeError(f"expected a sympy expression, got {type(expr).__name__}")
    return expr


def _symbol_index(symbols: Sequence[sympy.Symbol]) -> dict[sympy.Symbol, int]:
    return {s: i for i, s in enumerate(symbols)}


def to_torch(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> Callable[[Tensor], Tensor]:
    """A torch function evaluating ``expr`` (no ``lambdify``, no ``exec``).

    Parameters
    ----------
    expr
        a sympy expression, e.g. from :func:`parse_formula`.
    symbols
        the inputs, in column order.

    Returns
    -------
    Callable[[Tensor], Tensor]
        ``f(x)`` mapping ``x : Tensor, shape (N, len(symbols))`` to ``(N, 1)``
        in ``x``'s dtype and on its device; differentiable.

    Raises
    ------
    ValueError
        ``expr`` uses a function without a torch counterpart, or a
        symbol not in ``symbols``.
    """
    fn = _compile(_as_sympy(expr), _symbol_index(symbols), _TORCH)
    n_var = len(symbols)

    def f(x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[1] != n_var:
            raise ValueError(f"expected a tensor of shape (N, {n_var}), got "
                             f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
        y = fn([x[:, i] for i in range(n_var)])  # (N,) or a Python float
        if not isinstance(y, Tensor):
            y = torch.full((x.shape[0],), y, dtype=x.dtype, device=x.device)
        return y.unsqueeze(1)  # (N, 1)

    f.__doc__ = f"{expr}, a function of ({', '.join(map(str, symbols))})"
    return f


def to_numpy(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> Callable[[np.ndarray], np.ndarray]:
    """Like :func:`to_torch` for numpy: ``x`` of shape ``(N, len(symbols))`` to ``(N,)``."""
    fn = _compile(_as_sympy(expr), _symbol_index(symbols), _NUMPY)
    n_var = len(symbols)

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != n_var:
            raise ValueError(f"expected an array of shape (N, {n_var}), got {x.shape}")
        y = fn([x[:, i] for i in range(n_var)])  # (N,) or a Python float
        return np.broadcast_to(np.asarray(y, dtype=x.dtype), (x.shape[0],)).copy()

    f.__doc__ = f"{expr}, a function of ({', '.join(map(str, symbols))})"
    return f

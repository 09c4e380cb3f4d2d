"""Evaluating sympy expressions by walking their tree: torch and numpy functions, constants.

No ``lambdify``, ``exec`` or ``eval``: :func:`to_torch` and :func:`to_numpy`
compile an expression (e.g. from :func:`kanlab.symbolic._expressions.parse_formula`)
into nested closures over the input columns, and :func:`constant_value`
evaluates a constant subtree in float64 at a cost linear in its size.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import sympy
import torch
from torch import Tensor

__all__ = ["constant_value", "expr_text", "to_torch", "to_numpy"]


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
    if expr.is_Mul:
        expr = _coefficient_into_exp(expr)
    if expr.is_Symbol:
        if expr not in index:
            raise ValueError(f"expression uses {expr_text(expr)}, which is not among the inputs "
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
    func = table.get(expr.func) or _registered(expr.func, numpy=table is _NUMPY)
    if func is None:
        raise ValueError(f"unsupported sympy function '{expr.func.__name__}' in {expr_text(expr)}")
    if expr.func == sympy.besselj:
        order = expr.args[0]
        if not (order.is_Number and float(order).is_integer()):
            raise ValueError(f"besselj order must be an integer constant, got {order}")
        bessel, arg = func(int(order)), args[1]
        return lambda cols: bessel(arg(cols))
    if len(args) != 1:
        raise ValueError(f"unsupported call {expr_text(expr)}")
    arg = args[0]
    return lambda cols: func(arg(cols))


def _coefficient_into_exp(expr: sympy.Expr) -> sympy.Expr:
    """``C·exp(u)·…`` with ``C`` beyond float64 as ``±exp(u + log|C|)·…``.

    sympy takes a number out of an exponential's argument (``exp(10721 + v)``
    becomes ``1.3e4657·exp(v)``), so a finite formula can hold a coefficient
    that overflows (or underflows) float64 next to an exponential that
    underflows; putting it back into the exponent keeps the product finite.
    Any other expression is returned as it is.
    """
    coeff, rest = expr.as_coeff_Mul()
    if not coeff.is_Number or coeff == 0 or 0 < abs(_float_of_number(coeff)) < math.inf:
        return expr
    factors = list(sympy.Mul.make_args(rest))
    k = next((k for k, f in enumerate(factors) if f.func == sympy.exp), None)
    if k is None:
        return expr
    log_c = sympy.log(abs(coeff)).evalf(30)  # a Float also for an exact 10**5000
    factors[k] = sympy.exp(factors[k].args[0] + log_c, evaluate=False)
    sign = [sympy.Integer(-1)] if coeff < 0 else []
    return sympy.Mul(*sign, *factors, evaluate=False)


def _registered(func, numpy: bool) -> Callable | None:
    """The function of the library candidate whose ``sympy_fn`` builds ``func``, if any.

    A candidate added at run time (pykan's ``add_symbolic('J0', torch.special.bessel_j0)``)
    appears in formulas as an undefined sympy function of its name; its own torch
    function (or ``numpy_fn``) evaluates it.
    """
    from kanlab.symbolic._library import LIBRARY
    candidate = LIBRARY.get(getattr(func, "__name__", None))
    if candidate is None:
        return None
    try:
        if candidate.sympy_fn(sympy.Symbol("u")).func != func:
            return None
    except Exception:  # a sympy_fn that cannot take a bare symbol names no function
        return None
    if not numpy:
        return candidate.fn
    if candidate.numpy_fn is not None:
        return candidate.numpy_fn
    return lambda a: candidate.fn(torch.as_tensor(np.asarray(a, dtype=np.float64),
                                                  device="cpu")).numpy()


def _float_of_number(expr) -> float:
    try:
        return float(expr)
    except OverflowError:  # an exact number beyond float64
        return math.inf if expr > 0 else -math.inf
    except TypeError:
        raise ValueError(f"constant {expr_text(expr)} is not a real number") from None


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
        raise ValueError(f"constant {expr_text(expr)} is not a finite real float64 number "
                         f"(it evaluates to {value})")
    return value


def expr_text(expr, limit: int | None = 80) -> str:
    """``str(expr)``, cut to ``limit`` characters (None: whole); an exact integer of more
    digits than Python converts to text (``sys.get_int_max_str_digits()``, 4300 by default)
    is evaluated all the same, only not printed."""
    try:
        text = str(expr)
    except ValueError:  # an integer with more digits than Python prints
        return "(an expression with a number too long to print)"
    return text if limit is None or len(text) <= limit else text[:limit - 3] + "..."


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
    func = _NUMPY.get(expr.func) or _registered(expr.func, numpy=True)
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

    f.__doc__ = f"{expr_text(expr, None)}, a function of ({', '.join(map(str, symbols))})"
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

    f.__doc__ = f"{expr_text(expr, None)}, a function of ({', '.join(map(str, symbols))})"
    return f

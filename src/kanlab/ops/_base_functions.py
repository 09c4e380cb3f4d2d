"""The base functions ``b`` of an edge ``w_b·b(x) + w_s·spline(x)``: one table for Python and C++.

Each :class:`BaseFunction` holds the name a user passes (``base_fun="silu"``),
the function, its derivative from vectorised tensor operations, what the
local kernels form both from (``sigmoid(x)`` for SiLU), and the code the C++
kernels switch on.  The kernels get their codes from this table: the build
(:mod:`kanlab.ops._extension`) passes one ``-DKANLAB_BASE_<NAME>=<code>`` per
entry, and ``csrc/spline_eval.h`` names its constants after those macros.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["BaseFunction", "BASE_FUNCTIONS", "KERNEL_CODES", "resolve_base_fun",
           "kernel_defines"]


@dataclass(frozen=True)
class BaseFunction:
    """One base function.

    Attributes
    ----------
    name : str
        The name users pass as ``base_fun``.
    function : callable or None
        ``b``, elementwise on tensors; None for ``"zero"`` (no base term).
    derivative : callable or None
        ``b'`` from vectorised tensor operations (the dense kernels' input).
    code : int
        The C++ kernels' code (``KANLAB_BASE_<NAME>`` in ``csrc/``); -1 is no base term.
    precompute : callable or None
        What the local kernels form ``b`` and ``b'`` from, once per call and
        elementwise (``sigmoid`` for SiLU, ``tanh`` for tanh); None: nothing.
    """

    name: str
    function: Callable[[Tensor], Tensor] | None
    derivative: Callable[[Tensor], Tensor] | None
    code: int
    precompute: Callable[[Tensor], Tensor] | None = None


def _identity(x: Tensor) -> Tensor:
    return x


def _ones(x: Tensor) -> Tensor:
    return torch.ones_like(x)


def _silu_derivative(x: Tensor) -> Tensor:
    s = torch.sigmoid(x)  # s (1 + x (1 - s))
    return (1 - s).mul_(x).add_(1).mul_(s)


def _gelu_derivative(x: Tensor) -> Tensor:
    return torch.ops.aten.gelu_backward(torch.ones_like(x), x)  # Φ(x) + x φ(x)


def _tanh_derivative(x: Tensor) -> Tensor:
    t = torch.tanh(x)
    return t.mul_(t).neg_().add_(1)


BASE_FUNCTIONS: dict[str, BaseFunction] = {b.name: b for b in (
    BaseFunction("silu", F.silu, _silu_derivative, 1, torch.sigmoid),
    BaseFunction("gelu", F.gelu, _gelu_derivative, 2),
    BaseFunction("tanh", torch.tanh, _tanh_derivative, 3, torch.tanh),
    BaseFunction("identity", _identity, _ones, 0),
    BaseFunction("zero", None, None, -1),
)}


def resolve_base_fun(base_fun) -> tuple[str, Callable[[Tensor], Tensor] | None]:
    """Map ``base_fun`` (a name, ``None`` or a callable) to ``(name, function)``.

    A callable is named ``"custom"``: it runs on the pure-PyTorch path only.
    """
    if base_fun is None:
        return "zero", None
    if isinstance(base_fun, str):
        if base_fun not in BASE_FUNCTIONS:
            raise ValueError(f"unknown base_fun {base_fun!r}; expected one of "
                             f"{sorted(BASE_FUNCTIONS)}, None or a callable")
        return base_fun, BASE_FUNCTIONS[base_fun].function
    if callable(base_fun):
        return "custom", base_fun
    raise TypeError(f"base_fun must be a name, None or a callable, got {type(base_fun).__name__}")


# The kernels' code of each base function they know (a "custom" callable is not among
# them), read from the table once: a plain dict lookup per layer call.
KERNEL_CODES: dict[str, int] = {b.name: b.code for b in BASE_FUNCTIONS.values()}


def kernel_defines() -> list[str]:
    """The compiler flags that give ``csrc/`` the table's codes: ``-DKANLAB_BASE_SILU=1``, ..."""
    return [f"-DKANLAB_BASE_{b.name.upper()}={b.code}" for b in BASE_FUNCTIONS.values()]

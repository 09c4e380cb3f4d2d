"""The dense B-spline basis as one autograd node, differentiable to any order.

Composing :func:`kanlab.splines._bspline.local_basis` from tensor ops records a few
dozen tiny autograd nodes per call; for the small batches of scientific fits
that bookkeeping costs more than the arithmetic.  :class:`BSplineBasisFunction`
computes the basis without recording and differentiates it analytically:
the backward pass (and the forward-mode ``jvp``) of the derivative of order
``d`` is the basis of order ``d + 1``, itself a ``BSplineBasisFunction``, so gradients
of gradients (PDE losses, ``torch.func.jacrev`` of ``grad``, ``jacfwd``,
``hessian``) work to every order.
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab._compat import Function, forward_ad_active, in_jvp_transform
from kanlab.splines._tables import SpanTables, span_tables
from kanlab.splines._bspline import local_basis, scatter_local

__all__ = ["BSplineBasisFunction", "ForwardModeBasisFunction", "dense_basis"]


class BSplineBasisFunction(Function):
    """``(x (B, F), knots (F, m)) -> (B, F, n_basis)`` basis (or derivative) values.

    ``origin``, ``last``, ``coef`` are the :class:`SpanTables` of the knots
    (all None for uniform knots).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor, knots: Tensor, origin, last, coef, k: int, uniform: bool,
                extrapolate: str, derivative: int) -> Tensor:
        tables = None if uniform else SpanTables(origin, last, coef)
        values, start = local_basis(x, knots, k, uniform=uniform, extrapolate=extrapolate,
                                    derivative=derivative, tables=tables)
        return scatter_local(values, start, knots.shape[-1] - k - 1)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        x, knots, origin, last, coef, *options = inputs
        ctx.save_for_backward(x, knots, origin, last, coef)
        ctx.options = options

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, knots, origin, last, coef = ctx.saved_tensors
        k, uniform, extrapolate, derivative = ctx.options
        grad_x = None
        if ctx.needs_input_grad[0]:
            slope = _function().apply(x, knots, origin, last, coef, k, uniform, extrapolate,
                                      derivative + 1)
            grad_x = (grad * slope).sum(-1)  # (B, F)
        return grad_x, None, None, None, None, None, None, None, None


class ForwardModeBasisFunction(BSplineBasisFunction):
    """:class:`BSplineBasisFunction` with a ``jvp``, for forward-mode AD (``torch.func.jvp``,
    ``jacfwd``, ``hessian``, dual tensors).  A class of its own because Dynamo
    cannot trace a Function that defines ``jvp`` (``torch.compile`` uses the other)."""

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        BSplineBasisFunction.setup_context(ctx, inputs, output)
        ctx.save_for_forward(*inputs[:5])

    @staticmethod
    def jvp(ctx, x_t, *_):
        """x's tangent times the derivative basis, itself a basis Function (any order)."""
        x, knots, origin, last, coef = ctx.saved_tensors
        k, uniform, extrapolate, derivative = ctx.options
        slope = _function().apply(x, knots, origin, last, coef, k, uniform, extrapolate,
                                  derivative + 1)
        return slope * x_t.unsqueeze(-1)


def _function() -> type[BSplineBasisFunction]:
    """:class:`ForwardModeBasisFunction` while forward-mode AD is on (a dual level of
    ``torch.autograd.forward_ad`` open, or a ``torch.func`` jvp transform running),
    else :class:`BSplineBasisFunction`."""
    if torch.compiler.is_compiling():
        return BSplineBasisFunction
    if forward_ad_active() or in_jvp_transform():
        return ForwardModeBasisFunction
    return BSplineBasisFunction


def dense_basis(x: Tensor, knots: Tensor, k: int, *, uniform: bool = False,
                extrapolate: str = "linear", derivative: int = 0,
                tables: SpanTables | None = None) -> Tensor:
    """Every basis function (or its derivative) of each row's knots at each point.

    Parameters
    ----------
    x : Tensor, shape (B, F)
    knots : Tensor, shape (F, m)
    k : int
    uniform, extrapolate, derivative, tables
        As in :func:`kanlab.splines._bspline.local_basis`; ``tables`` is computed here
        when the knots are not uniform and it is not given.

    Returns
    -------
    Tensor, shape (B, F, m - k - 1)
        Differentiable in ``x`` to any order; at most ``k + 1`` non-zeros per row.
    """
    if uniform:
        origin = last = coef = None
    else:
        if tables is None:
            tables = span_tables(knots, k)
        origin, last, coef = tables.origin, tables.last, tables.coef
    if torch.jit.is_tracing():
        # torch.jit.trace cannot record a custom autograd Function (its C++ apply fails with
        # "unordered_map::at"): record the tensor ops of the forward pass instead.  The same
        # values; the traced graph differentiates them op by op.
        return BSplineBasisFunction.forward(x, knots, origin, last, coef, k, uniform,
                                            extrapolate, derivative)
    return _function().apply(x, knots, origin, last, coef, k, uniform, extrapolate, derivative)

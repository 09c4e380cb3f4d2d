"""The fused KAN layer: spline features and their contraction with the weights in one node.

``y[b, o] = Σ_i mask_oi (scale_base_oi b(x_bi) + scale_sp_oi Σ_s coef_ois B_s(x_bi))``

:class:`KANLinearFunction` computes this with the C++ kernels of
:mod:`kanlab.ops._extension` and saves only ``x`` and the parameters for the
backward pass (the local strategy also its packed weights, parameter-sized),
which recomputes what it needs.  Two strategies, chosen per
layer by a cost model (:mod:`kanlab.ops._strategies`):

* *dense* (wide layers on small grids): the features ``[b(x), B_0(x), ...,
  B_{n-1}(x)]`` of a block of inputs are written densely for the whole batch
  and multiplied by the combined weights ``[scale_base | scale_sp · coef]`` of
  those inputs, one GEMM per block; blocks are sized so no transient is bigger
  than a few MiB whatever the batch and layer size.
* *local* (narrow layers, or any layer on a large grid): only the ``k + 1``
  non-zero bases of a point (and the base function) are touched; per input,
  a block of points is sorted by span so the weight rows of a span stay in
  registers (``csrc/local_support.cpp``).  The cost no longer grows with ``G``.

The pure-PyTorch composition (:func:`reference`) is the fallback and the
oracle; it is used instead of the kernels when they are unavailable, on
other devices, under ``torch.compile``/``torch.export``/tracing and under
``torch.func`` transforms.  The backward pass, when a graph is being built
(double backward, e.g. PDE losses), differentiates :func:`reference`, so
gradients of gradients are exact to every order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor
from torch.autograd import forward_ad

from kanlab.ops import _extension as extension
from kanlab.ops._base_functions import KERNEL_CODES
from kanlab._compat import Function, forward_ad_active, is_fake, is_functorch_wrapped
from kanlab.splines._basis_function import dense_basis
from kanlab.ops._strategies import (Plan, base_derivative, base_values, dense_backward,
                                dense_forward, local_backward, local_forward, rows_backward,
                                rows_forward)
from kanlab.splines._tables import SpanTables

__all__ = ["SplineSpec", "KANLinearFunction", "kan_linear", "FeaturesFunction", "features",
           "reference", "edge_weights", "combined_weight", "kernels_usable"]


@dataclass
class SplineSpec:
    """Everything the kernels need to know about a layer's spline, besides ``x`` and weights.

    Attributes
    ----------
    knots : Tensor, shape (F, m)
    table : Tensor
        Uniform knots: the ``(k + 1, k + 1)`` cardinal matrix; otherwise the span
        polynomials ``(F, G, k + 1 powers, k + 1 bases)``.
    tables : SpanTables or None
        The span tables (None for uniform knots), for :func:`reference`.
    k, uniform, extrapolate
        As in :func:`kanlab.splines._bspline.local_basis`.
    base_name, base_fun
        The base function ``b`` (``base_fun`` None for ``"zero"``), see
        :mod:`kanlab.ops._base_functions`.
    edge_functions : callable or None
        The edge functions ``(B, F) -> (B, F, n)`` when they are not the
        B-splines on ``knots`` (the other edge bases of :mod:`kanlab.nn`); such
        layers run the reference only, as the kernels compute B-splines.
    """

    knots: Tensor
    table: Tensor
    tables: SpanTables | None
    k: int
    uniform: bool
    extrapolate: str
    base_name: str
    base_fun: Callable[[Tensor], Tensor] | None
    edge_functions: Callable[[Tensor], Tensor] | None = None

    @property
    def n_basis(self) -> int:
        return self.knots.shape[-1] - self.k - 1

    @property
    def n_features(self) -> int:
        """Features per input ``S``: ``G + k``, plus one with a base function."""
        return self.n_basis + (self.base_fun is not None)

    def kernel_args(self) -> tuple:
        """The kernels' spline arguments (made once per spec: a forward pass and its backward)."""
        args = self.__dict__.get("_kernel_args")
        if args is None:
            empty = self.knots.new_empty(0)
            origin = empty if self.uniform else self.tables.origin.contiguous()
            last = empty.long() if self.uniform else self.tables.last.contiguous()
            args = (self.knots.contiguous(), self.table.contiguous(), origin, last, self.k,
                    self.uniform, self.extrapolate == "linear", KERNEL_CODES[self.base_name])
            self.__dict__["_kernel_args"] = args
        return args


def edge_weights(coef: Tensor, scale_base: Tensor, scale_sp: Tensor,
                 mask: Tensor | None) -> tuple[Tensor, Tensor]:
    """Every edge's effective weights ``(scale_base·mask (O, F), scale_sp·mask·coef (O, F, n))``.

    ``mask`` None leaves the edges unmasked.
    """
    if mask is None:
        return scale_base, coef * scale_sp.unsqueeze(-1)
    return scale_base * mask, coef * (scale_sp * mask).unsqueeze(-1)


def combined_weight(coef: Tensor, scale_base: Tensor, scale_sp: Tensor, mask: Tensor | None,
                    has_base: bool) -> Tensor:
    """``(O, F, S)`` weights of the :func:`features`: ``[scale_base·mask | scale_sp·mask·coef]``
    (without the base column when there is no base function)."""
    base, spline = edge_weights(coef, scale_base, scale_sp, mask)
    if not has_base:
        return spline
    return torch.cat([base.unsqueeze(-1), spline], dim=-1)


def _reference_features(x: Tensor, spec: SplineSpec) -> Tensor:
    """Pure-PyTorch :func:`features`."""
    if spec.edge_functions is not None:
        basis = spec.edge_functions(x)
    else:
        basis = dense_basis(x, spec.knots, spec.k, uniform=spec.uniform,
                            extrapolate=spec.extrapolate, tables=spec.tables)
    if spec.base_fun is None:
        return basis
    return torch.cat([spec.base_fun(x).unsqueeze(-1), basis], dim=-1)


def features(x: Tensor, spec: SplineSpec) -> Tensor:
    """Features ``(*, F, S)`` of ``x`` ``(*, F)``: the base function first (if any), then
    the bases; by the kernels (:class:`FeaturesFunction`) where usable, else pure PyTorch."""
    if (spec.edge_functions is None and spec.base_fun is not None and x.dim() == 2
            and kernels_usable(x, spec)):
        return FeaturesFunction.apply(x.contiguous(), spec)
    return _reference_features(x, spec)


def reference(x: Tensor, coef: Tensor, scale_base: Tensor, scale_sp: Tensor, mask: Tensor,
              spec: SplineSpec) -> Tensor:
    """The layer's output ``(B, O)`` from differentiable tensor operations only."""
    w = combined_weight(coef, scale_base, scale_sp, mask, spec.base_fun is not None)
    return _reference_features(x, spec).flatten(1) @ w.flatten(1).t()


_KERNEL_DTYPES = (torch.float32, torch.float64)


def _spec_fits_kernels(spec: SplineSpec) -> bool:
    """The part of :func:`kernels_usable` that depends on the spec alone: B-splines, a
    base function the kernels know, real (not fake or transformed) knots.  Kept on the
    spec, which a layer makes once per knot state."""
    fits = spec.__dict__.get("_fits_kernels")
    if fits is None:
        knots = spec.knots
        fits = (spec.edge_functions is None and spec.base_name in KERNEL_CODES
                and not is_fake(knots) and not is_functorch_wrapped(knots))
        spec.__dict__["_fits_kernels"] = fits
    return fits


def kernels_usable(x: Tensor, spec: SplineSpec, *params: Tensor) -> bool:
    """Whether :class:`KANLinearFunction` may run its C++ kernels on these tensors."""
    # First: under torch.compile nothing below may run (dynamo cannot trace the functorch test).
    if torch.compiler.is_compiling() or torch.jit.is_tracing() or torch.jit.is_scripting():
        return False
    if not _spec_fits_kernels(spec):  # e.g. other edge bases: the kernels compute B-splines
        return False
    if x.device.type != "cpu" or x.dtype not in _KERNEL_DTYPES or x.numel() == 0:
        return False
    for t in (x, *params):
        if is_fake(t) or is_functorch_wrapped(t):
            return False
    if _dual(x, *params):  # forward-mode AD: the reference path has the jvp
        return False
    return extension.ops() is not None


def _dual(*tensors: Tensor) -> bool:
    """Whether forward-mode AD (``torch.autograd.forward_ad``) gives any of these a tangent."""
    if not forward_ad_active():  # no dual level open: nothing has a tangent
        return False
    return any(forward_ad.unpack_dual(t).tangent is not None for t in tensors)


def _contiguous(*tensors: Tensor) -> tuple:
    # Called inside the Function's forward and (non-graph) backward, where autograd records
    # nothing: no detach needed, and contiguous tensors (the usual case) pass as they are.
    return tuple(t if t.is_contiguous() else t.contiguous() for t in tensors)


def kan_linear(x: Tensor, coef: Tensor, scale_base: Tensor, scale_sp: Tensor, mask: Tensor,
               spec: SplineSpec) -> Tensor:
    """The layer's output ``y`` ``(B, O)`` for ``x`` ``(B, F)``: the C++ kernels
    (:class:`KANLinearFunction`) where :func:`kernels_usable` says so, the Triton
    kernels on CUDA when triton is installed, else the pure-PyTorch :func:`reference`.
    ``mask`` receives no gradient."""
    if kernels_usable(x, spec, coef, scale_base, scale_sp, mask):
        save = torch.is_grad_enabled() and (x.requires_grad or coef.requires_grad
                                            or scale_base.requires_grad or scale_sp.requires_grad)
        return KANLinearFunction.apply(x.contiguous(), coef, scale_base, scale_sp, mask, spec,
                                       save)[0]
    if x.is_cuda:
        from kanlab.ops import _triton  # lazily: triton is optional (and _triton imports this module)
        if _triton.usable(x, spec, coef, scale_base, scale_sp, mask):
            return _triton.kan_linear_triton(x.contiguous(), coef, scale_base, scale_sp, mask, spec)
    return reference(x, coef, scale_base, scale_sp, mask, spec)


class KANLinearFunction(Function):
    """``(x (B, F), coef (O, F, n), scale_base, scale_sp, mask (O, F), spec, save)
    -> (y (B, O), *kept)``.

    ``kept`` is what the backward pass reuses from the forward one: for the
    local strategy the packed weights ``(F, S, Op)``, x's columns and their base
    precomputation (:func:`kanlab.ops._strategies.local_forward`); for the
    dense one, when ``save`` (a backward pass will follow), the features,
    combined weights (2-D) and base precomputation
    (:func:`kanlab.ops._strategies.dense_forward`) or empty tensors; they are not
    differentiable.  Call through
    :func:`kan_linear` (``x`` contiguous).  ``mask`` receives no gradient (it is a buffer).
    """

    @staticmethod
    def forward(x, coef, scale_base, scale_sp, mask, spec, save=False):
        ops = extension.loaded()  # kan_linear checked the switches (kernels_usable)
        plan = Plan(x, coef, spec)
        params = _contiguous(coef, scale_base, scale_sp, mask)
        if plan.rows:  # nothing kept: the backward pass recomputes from x (apply runs
            return (rows_forward(x, params, spec, ops),)  # forward with grad mode off)
        with torch.no_grad():
            if plan.local:
                return local_forward(x, params, spec, ops)
            return dense_forward(x, params, spec, plan, ops, save)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        x, coef, scale_base, scale_sp, mask, spec = inputs[:6]
        ctx.save_for_backward(x, coef, scale_base, scale_sp, mask, *output[1:])
        ctx.mark_non_differentiable(*output[1:])
        # No zero-filled gradients of the kept tensors (parameter-sized for w).
        ctx.set_materialize_grads(False)
        ctx.spec = spec

    @staticmethod
    def backward(ctx, gy, *_):
        if gy is None:  # the output does not reach the loss
            return None, None, None, None, None, None, None
        x, coef, scale_base, scale_sp, mask, *kept = ctx.saved_tensors
        spec = ctx.spec
        needs = ctx.needs_input_grad[:4]
        if torch.is_grad_enabled():  # create_graph: differentiate the differentiable reference
            return (*_differentiable_backward(gy, x, coef, scale_base, scale_sp, mask, spec,
                                              needs), None, None, None)
        ops = extension.loaded()  # the forward pass ran the kernels
        params = _contiguous(coef, scale_base, scale_sp, mask)
        if not kept:  # the rows strategy keeps nothing
            out = rows_backward(gy, x, params, spec, ops, needs)
        elif kept[0].dim() == 3:  # the local strategy's packed weights: its plan, as in forward
            out = local_backward(gy, params, spec, ops, needs, *kept)
        else:
            out = dense_backward(gy, x, params, spec, Plan(x, coef, spec), ops, needs, *kept[:3])
        if spec.base_fun is None and out[2] is not None:
            out[2].zero_()  # scale_base does not enter the output without a base function
        return (*out, None, None, None)


class FeaturesFunction(Function):
    """``(x (B, F), spec) -> (B, F, S)``: :func:`features` computed by the kernels.

    For a regularised fit, which needs the features themselves (edge RMS) and
    not only their product with the weights.  Backward is ``contract_dx``;
    with ``create_graph`` it differentiates :func:`features`.  Call only when
    :func:`kernels_usable` is true, with a base function, and ``x`` contiguous.
    """

    @staticmethod
    def forward(x, spec):
        out = x.new_empty(x.shape[0], x.shape[1] * spec.n_features)
        with torch.no_grad():
            extension.ops().features_out(x, out, base_values(x, spec), *spec.kernel_args(), False)
        return out.view(x.shape[0], x.shape[1], spec.n_features)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[0])
        ctx.spec = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: differentiate the reference
            with torch.enable_grad():
                (gx,) = torch.autograd.grad(_reference_features(x, ctx.spec), x, grad,
                                            create_graph=True)
            return gx, None
        flat = grad.reshape(x.shape[0], -1).contiguous()
        return extension.ops().contract_dx(x, flat, base_derivative(x, ctx.spec),
                                           *ctx.spec.kernel_args(), False), None


def _differentiable_backward(gy, x, coef, scale_base, scale_sp, mask, spec, needs):
    return reference_grads(lambda *t: reference(*t, mask, spec),
                           (x, coef, scale_base, scale_sp), needs, gy)


def reference_grads(fn, inputs: tuple, needs, gy) -> list:
    """The gradients of ``fn(*inputs)`` against ``gy`` through the pure-PyTorch reference,
    with a graph (double backward); ``None`` where not needed, zeros where unused."""
    wanted = [t for t, need in zip(inputs, needs) if need]
    with torch.enable_grad():
        y = fn(*inputs)
        grads = iter(torch.autograd.grad(y, wanted, gy, create_graph=True, allow_unused=True))
    out = []
    for t, need in zip(inputs, needs):
        g = next(grads) if need else None
        out.append(torch.zeros_like(t) if need and g is None else g)
    return out

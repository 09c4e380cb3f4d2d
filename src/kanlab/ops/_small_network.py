"""A whole small KAN as one autograd node and one C++ call per pass.

At [2, 5, 1] on 1000 points the arithmetic is a few hundred microseconds;
run layer by layer, each layer adds its input checks, its spec and kernel
look-ups, an autograd node and several operator dispatches, which together
cost as much again.  :func:`network_output` runs every layer's rows kernels
(``csrc/rows.cpp``) from one operator, ``network_forward`` (``csrc/network.cpp``),
under one autograd node (:class:`NetworkFunction`).  The node saves the network's
input, the parameters and the inputs of the later layers; its backward pass is one
``network_backward`` call, which runs the layers' rows backward kernels from the
last to the first.  With ``create_graph`` (double backward) it differentiates
:func:`network_reference`, the per-layer pure-PyTorch composition, so
gradients of gradients stay exact.

Which models may take this path is decided in :mod:`kanlab.nn._fused_forward`
(:func:`~kanlab.nn._fused_forward.fused_reason`); this module only computes.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Sequence

import torch
from torch import Tensor

from kanlab._compat import Function
from kanlab.ops import _extension as extension
from kanlab.ops._kan_linear import SplineSpec, reference, reference_grads

__all__ = ["NetworkSpec", "ValuesOutOfRange", "NetworkFunction", "network_output",
           "network_reference"]


class ValuesOutOfRange(Exception):
    """The input of layer ``layer`` (0: the network's input) failed the kernels' value
    check: some value beyond the limit, or NaN.  ``values`` is that input."""

    def __init__(self, layer: int, values: Tensor) -> None:
        super().__init__(f"the input of layer {layer} has values beyond the check's limit")
        self.layer = layer
        self.values = values


class NetworkSpec:
    """The layers' specs and masks, and the network kernels' per-layer argument lists.

    Parameters
    ----------
    specs
        every layer's :class:`~kanlab.ops.SplineSpec`, B-splines on which the kernels run.
    masks
        every layer's ``(out, in)`` edge mask (no gradient).
    limit
        the value check's bound: the kernels stop when a layer's input has a value
        beyond ``±limit`` (or NaN) and :func:`network_output` raises
        :class:`ValuesOutOfRange`; 0 checks nothing.
    """

    __slots__ = ("specs", "masks", "limit", "lists")

    def __init__(self, specs: Sequence[SplineSpec], masks: Sequence[Tensor], limit: float) -> None:
        self.specs = tuple(specs)
        self.masks = tuple(masks)
        self.limit = float(limit)
        args = [spec.kernel_args() for spec in self.specs]
        # (knots, table, origin, last, k, uniform, linear, base), each a list over the layers
        self.lists = tuple(list(column) for column in zip(*args))


def _forward(x: Tensor, net: NetworkSpec, params: Sequence[Tensor]) -> list[Tensor]:
    """``[y, input of layer 1, ...]`` from one kernel call; raises :class:`ValuesOutOfRange`."""
    outs, failed = extension.loaded().network_forward(
        x, params[0::3], params[1::3], params[2::3], net.masks, *net.lists, net.limit)
    if failed >= 0:
        raise ValuesOutOfRange(failed, x if failed == 0 else outs[failed])
    return outs


def network_output(x: Tensor, net: NetworkSpec, params: Sequence[Tensor]) -> Tensor:
    """The network's output ``(B, out)`` for ``x`` ``(B, in)``, contiguous, by the kernels.

    ``params`` is ``(coef, scale_base, scale_sp)`` of every layer in turn.  One
    autograd node when a gradient may be wanted, else no node at all.  The caller
    has checked that the kernels apply (:mod:`kanlab.nn._fused_forward`).

    Raises
    ------
    ValuesOutOfRange
        a layer's input failed the value check of ``net.limit``.
    """
    if torch.is_grad_enabled() and (x.requires_grad or any(map(_requires_grad, params))):
        return NetworkFunction.apply(x, net, *params)[0]
    with torch.no_grad():
        return _forward(x, net, params)[0]


_requires_grad = attrgetter("requires_grad")


def network_reference(x: Tensor, net: NetworkSpec, params: Sequence[Tensor]) -> Tensor:
    """The same output from differentiable tensor operations only, layer by layer."""
    for l, spec in enumerate(net.specs):
        x = reference(x, *params[3 * l:3 * l + 3], net.masks[l], spec)
    return x


class NetworkFunction(Function):
    """``(x (B, in), net, coef_0, scale_base_0, scale_sp_0, coef_1, ...) -> (y, *hidden)``.

    ``hidden`` are the inputs of layers 1 .. L-1, kept for the backward pass and not
    differentiable.  Call through :func:`network_output` (``x`` contiguous).
    """

    @staticmethod
    def forward(x, net, *params):
        return tuple(_forward(x, net, params))

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        x, net, *params = inputs
        ctx.save_for_backward(x, *params, *output[1:])
        ctx.mark_non_differentiable(*output[1:])
        ctx.set_materialize_grads(False)
        ctx.net = net

    @staticmethod
    def backward(ctx, gy, *_):
        net = ctx.net
        n = 3 * len(net.specs)
        if gy is None:  # the output does not reach the loss
            return (None,) * (2 + n)
        saved = ctx.saved_tensors
        x, params = saved[0], saved[1:1 + n]
        needs = ctx.needs_input_grad
        wanted = (needs[0], *needs[2:])
        if torch.is_grad_enabled():  # create_graph: differentiate the reference
            grads = _differentiable_backward(gy, x, net, params, wanted)
        else:
            need_w = [any(needs[i:i + 3]) for i in range(2, 2 + n, 3)]
            grads = extension.loaded().network_backward(
                saved[:1] + saved[1 + n:], gy, params[0::3], params[1::3], params[2::3],
                net.masks, *net.lists, needs[0], need_w)
            if not all(wanted):
                grads = [g if need else None for g, need in zip(grads, wanted)]
        return (grads[0], None, *grads[1:])


def _differentiable_backward(gy, x, net, params, wanted) -> list:
    return reference_grads(lambda x, *p: network_reference(x, net, p), (x, *params), wanted, gy)

"""The forward pass's input checks: shape, layout, device and dtype always; the values (NaN,
inf, and inputs so large a layer would overflow) while :func:`kanlab.config.set_checks` /
:func:`kanlab.config.checks` have them on (see the policy in :mod:`kanlab._validation`).
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab import config
from kanlab._compat import is_functorch_wrapped, recording_graph, static_size
from kanlab._validation import NonFiniteError

__all__ = ["check_layer_input", "check_layer_values", "output_bound", "OVERFLOW_HEADROOM"]

# Inputs up to finfo.max / OVERFLOW_HEADROOM skip the overflow bound: a layer
# would have to amplify them by more than ~1e12 to overflow.  Larger inputs get
# the exact bound of output_bound, which is cheap but touches every weight.
OVERFLOW_HEADROOM = 2.0 ** 40
_LIMITS: dict = {}  # dtype -> finfo.max / OVERFLOW_HEADROOM, the bound of the quick check


def _traced(x: Tensor) -> bool:
    """True under torch.compile/export, torch.jit.trace or a torch.func transform, where
    ``bool(tensor)`` is illegal (or, traced, would be frozen into the graph)."""
    if recording_graph():
        return True
    return is_functorch_wrapped(x)


def check_layer_input(layer, x: Tensor) -> None:
    """:meth:`KANLayer.check_input`: ``x`` a dense ``(*, in_features)`` tensor on the
    layer's device and dtype (metadata only), then :func:`check_layer_values`."""
    if not isinstance(x, Tensor):
        raise TypeError(f"KANLayer expects a torch.Tensor, got {type(x).__name__}")
    # static_size: under torch.jit.trace the width check stays, without a TracerWarning
    if x.dim() == 0 or static_size(x, -1) != layer.in_features:
        raise ValueError(f"expected input of shape (*, {layer.in_features}), "
                         f"got {tuple(static_size(x, d) for d in range(x.dim()))}")
    if x.layout != torch.strided:
        raise TypeError(f"expected a dense tensor, got layout {x.layout}; convert with "
                        "x.to_dense()")
    knots = layer.knots
    if x.device != knots.device:
        raise TypeError(f"expected input on {knots.device} (the layer's device), got "
                        f"{x.device}; move it with x.to({str(knots.device)!r})")
    if x.dtype != knots.dtype:
        raise TypeError(f"expected input of dtype {knots.dtype} (the layer's dtype), got "
                        f"{x.dtype}; convert with x.to({knots.dtype}) or the model "
                        f"with .to({x.dtype})")
    check_layer_values(layer, x)


def check_layer_values(layer, x: Tensor) -> None:
    """Value checks of one layer input ``x`` ``(*, in_features)`` (when enabled).

    Raises :class:`NonFiniteError` when ``x`` holds NaN or inf, or when it is so
    large that the layer's output could overflow its dtype (see
    :func:`output_bound`).  One reduction and two scalar reads in the common case.
    """
    if not config.get().checks or _traced(x) or x.numel() == 0 or x.is_meta:
        return
    x = x.detach()
    low, high = x.aminmax()  # one pass, no temporary; NaN propagates
    low, high = low.item(), high.item()  # (two scalar reads: cheaper than more tensor ops)
    limit = _LIMITS.get(x.dtype)
    if limit is None:
        limit = _LIMITS[x.dtype] = torch.finfo(x.dtype).max / OVERFLOW_HEADROOM
    if -limit <= low and high <= limit:  # False for NaN too
        return
    amax = max(high, -low)
    x2 = x.reshape(-1, x.shape[-1])
    if not bool(torch.isfinite(x2).all()):
        cols = (~torch.isfinite(x2)).any(0).nonzero().flatten().tolist()
        raise NonFiniteError(f"{type(layer).__name__} got non-finite input (NaN or inf) in "
                             f"features {cols}; in a hidden layer this means the previous "
                             "layer overflowed")
    bound = output_bound(layer, x2)
    if not bool(bound < torch.finfo(x.dtype).max):
        raise NonFiniteError(f"{type(layer).__name__} input magnitude up to {float(amax):.3g} "
                             f"would overflow {x.dtype} (output bound {float(bound):.3g}); "
                             "rescale the inputs or use float64")


@torch.no_grad()
def output_bound(layer, x: Tensor) -> Tensor:
    """An upper bound of ``max |layer(x)|``, in float64, for finite ``x`` ``(B, in)``.

    Per input ``i``, every basis function is bounded by the layer's edge basis
    (:meth:`kanlab.nn.EdgeBasis.max_abs`: for B-splines ``1 + d_i · S_i``, where
    ``d_i`` is the largest distance of an input from the knots and ``S_i`` the
    largest end slope of a basis, 0 when ``extrapolate="constant"``); the base
    function is bounded by its largest value on the batch.  The bound
    also covers every intermediate product and partial sum of the forward
    pass, so below the dtype's maximum nothing can overflow into inf or NaN.
    """
    amax = x.abs().amax(0).to(torch.float64)  # (in,)
    basis_bound = layer.edge_basis.max_abs(layer.knots, layer.k, amax, layer.extrapolate)
    base_w, spline_w = layer.edge_weight()
    bound = (spline_w.to(torch.float64).abs().sum(-1) * basis_bound).sum(-1)  # (out,)
    if layer.base_fun is not None:
        base_amax = layer.base_fun(x).abs().amax(0).to(torch.float64)  # (in,)
        bound = bound + (base_w.to(torch.float64).abs() * base_amax).sum(-1)
        bound = torch.maximum(bound, base_amax.max())
    # the extrapolated bases themselves must be representable, even on masked edges
    return torch.maximum(bound.max(), basis_bound.max()).nan_to_num(nan=float("inf"))

"""Input checks shared by the layer, the grid update and training.

Policy (see docs/reliability.md):

* Structural checks (type, shape, dtype) are always on: they read only
  metadata, so they cost nothing and never synchronise a GPU.
* Value checks in the forward pass (NaN, inf, and finite inputs so large that
  the linear extension of the splines would overflow the dtype) cost one
  reduction over the input and one host sync per layer.  They are on by
  default and can be switched off for speed with :func:`set_checks` or, for a
  block of code, the :func:`checks` context manager.  They are skipped inside
  ``torch.compile`` and ``torch.func`` transforms (``vmap``, ``jacrev``), where
  data-dependent Python control flow is not allowed; run the model once
  outside the transform to validate the data.
* ``fit``, ``update_grid`` and ``create_dataset`` always check values: they do
  it once per call, not once per step.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
from torch import Tensor

__all__ = ["NonFiniteError", "set_checks", "checks_enabled", "checks", "check_samples",
           "check_layer_values", "OVERFLOW_HEADROOM"]

_CHECKS = True

# Inputs up to finfo.max / OVERFLOW_HEADROOM skip the overflow bound: a layer
# would have to amplify them by more than ~1e12 to overflow.  Larger inputs get
# the exact bound of _output_bound, which is cheap but touches every weight.
OVERFLOW_HEADROOM = 2.0 ** 40


class NonFiniteError(ValueError):
    """Values are NaN or inf, or so large that a layer's output would overflow its dtype.

    A subclass of ``ValueError``; :func:`kanlab.fit` catches it inside a step
    (hidden activations that overflowed) and treats it as a non-finite loss.
    """


def set_checks(enabled: bool) -> bool:
    """Switch the forward pass's value checks on or off for the whole process.

    Args:
        enabled: ``True`` (the default state) scans every layer input for NaN,
            inf and overflow; ``False`` keeps only the free shape and dtype checks.

    Returns:
        The previous setting, so a caller can restore it.
    """
    global _CHECKS
    if not isinstance(enabled, bool):
        raise TypeError(f"set_checks expects a bool, got {type(enabled).__name__}")
    previous, _CHECKS = _CHECKS, enabled
    return previous


def checks_enabled() -> bool:
    """Whether the forward pass currently checks values (see :func:`set_checks`)."""
    return _CHECKS


@contextmanager
def checks(enabled: bool = True) -> Iterator[None]:
    """Context manager form of :func:`set_checks`; restores the previous setting on exit.

    Examples:
        >>> import kanlab
        >>> with kanlab.checks(False):
        ...     pass  # forward passes here skip the NaN/inf scan
    """
    previous = set_checks(enabled)
    try:
        yield
    finally:
        set_checks(previous)


def _traced(x: Tensor) -> bool:
    """True under torch.compile or a torch.func transform, where ``bool(tensor)`` is illegal."""
    if torch.compiler.is_compiling():
        return True
    wrapped = getattr(torch._C._functorch, "is_functorch_wrapped_tensor", None)
    return bool(wrapped(x)) if wrapped is not None else False


def check_samples(x, n_features: int, dtype: torch.dtype, what: str) -> None:
    """Raise unless ``x`` is a finite, non-empty ``(B, n_features)`` tensor of ``dtype``.

    Used where a batch of samples is required (grid updates, datasets); the
    value check is always done here, whatever :func:`set_checks` says.

    Raises:
        TypeError: not a tensor, or the wrong dtype.
        ValueError: wrong shape or empty.
        NonFiniteError: NaN or inf values (a ``ValueError``).
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{what} expects a torch.Tensor of shape (B, {n_features}), "
                        f"got {type(x).__name__}")
    if x.dim() != 2 or x.shape[1] != n_features or x.shape[0] == 0:
        raise ValueError(f"{what} needs a non-empty batch of shape (B, {n_features}), "
                         f"got {tuple(x.shape)}")
    if x.dtype != dtype:
        raise TypeError(f"{what} expects dtype {dtype} (the model's), got {x.dtype}; "
                        f"convert with x.to({dtype})")
    bad = ~torch.isfinite(x)
    if bool(bad.any()):
        rows, cols = bad.nonzero(as_tuple=True)
        raise NonFiniteError(f"{what} got {int(bad.sum())} non-finite values (NaN or inf), "
                             f"first at row {int(rows[0])}, column {int(cols[0])}; "
                             "clean the data first")


def check_layer_values(layer, x: Tensor) -> None:
    """Value checks of one layer input ``x`` ``(*, in_features)`` (when enabled).

    Raises :class:`NonFiniteError` when ``x`` holds NaN or inf, or when it is so
    large that the layer's output could overflow its dtype (see
    :func:`_output_bound`).  One reduction and two scalar reads in the common case.
    """
    if not _CHECKS or x.numel() == 0 or x.is_meta or _traced(x):
        return
    x = x.detach()
    low, high = x.aminmax()  # one pass, no temporary; NaN propagates
    low, high = low.item(), high.item()  # (two scalar reads: cheaper than more tensor ops)
    limit = torch.finfo(x.dtype).max / OVERFLOW_HEADROOM
    if -limit <= low and high <= limit:  # False for NaN too
        return
    amax = max(high, -low)
    x2 = x.reshape(-1, x.shape[-1])
    if not bool(torch.isfinite(x2).all()):
        cols = (~torch.isfinite(x2)).any(0).nonzero().flatten().tolist()
        raise NonFiniteError(f"{type(layer).__name__} got non-finite input (NaN or inf) in "
                             f"features {cols}; in a hidden layer this means the previous "
                             "layer overflowed")
    bound = _output_bound(layer, x2)
    if not bool(bound < torch.finfo(x.dtype).max):
        raise NonFiniteError(f"{type(layer).__name__} input magnitude up to {float(amax):.3g} "
                             f"would overflow {x.dtype} (output bound {float(bound):.3g}); "
                             "rescale the inputs or use float64")


@torch.no_grad()
def _output_bound(layer, x: Tensor) -> Tensor:
    """An upper bound of ``max |layer(x)|``, in float64, for finite ``x`` ``(B, in)``.

    Per input ``i``, every basis is at most ``1 + d_i · S_i`` in absolute value,
    where ``d_i`` is the largest distance of an input from the knots and ``S_i``
    the largest end slope of a basis (0 when ``extrapolate="constant"``); the
    base function is bounded by its largest value on the batch.  The bound
    also covers every intermediate product and partial sum of the forward
    pass, so below the dtype's maximum nothing can overflow into inf or NaN.
    """
    from .basis import dense_basis

    knots, k = layer.knots.to(torch.float64), layer.k
    n = knots.shape[-1] - k - 1
    amax = x.abs().amax(0).to(torch.float64)  # (in,)
    dist = amax + knots.abs().amax(-1)
    if getattr(layer, "basis_name", "bspline") != "bspline":
        # other bases lie in [-1, 1] on the domain and are bounded (Fourier, RBF) or
        # linear (Chebyshev) outside it: the extremes are at ±amax or at most 1
        ends = torch.stack([-amax, amax]).to(layer.knots.dtype)  # (2, in)
        edge = layer.edge_basis.evaluate(ends, layer.knots, k).to(torch.float64)
        basis_bound = edge.abs().amax(dim=(0, 2)).clamp_min(1.0)
    elif layer.extrapolate == "linear" and k > 0:
        ends = knots[:, [k, n]].t().contiguous()  # (2, in)
        slope = dense_basis(ends, knots, k, derivative=1).abs().amax(dim=(0, 2))  # (in,)
        basis_bound = 1.0 + dist * slope
    else:
        basis_bound = torch.ones_like(dist)
    base_w, spline_w = layer.edge_weight()
    bound = (spline_w.to(torch.float64).abs().sum(-1) * basis_bound).sum(-1)  # (out,)
    if layer.base_fun is not None:
        base_amax = layer.base_fun(x).abs().amax(0).to(torch.float64)  # (in,)
        bound = bound + (base_w.to(torch.float64).abs() * base_amax).sum(-1)
        bound = torch.maximum(bound, base_amax.max())
    # the extrapolated bases themselves must be representable, even on masked edges
    return torch.maximum(bound.max(), basis_bound.max()).nan_to_num(nan=float("inf"))

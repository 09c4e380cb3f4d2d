"""The ``"quadratic"`` continuation of a :class:`~kanlab.nn.KANLayer` on top of the kernels.

The kernels continue every B-spline beyond its base interval as the straight line
with the end value and slope.  ``extrapolate="quadratic"`` adds ``s''(end)·d²/2`` at a
distance ``d`` beyond the nearest end, so a cubic layer is C² everywhere; this module
computes that term, exactly the difference between the quadratically and the linearly
continued bases of :func:`kanlab.splines.local_basis`.  Differentiable to any order
(``d`` comes from a clamp, whose derivative is 1 beyond the end and 0 inside).
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab._compat import is_fake, is_functorch_wrapped

__all__ = ["beyond_grid", "end_curvature", "curvature_features", "curvature_output"]


def beyond_grid(layer, x: Tensor) -> bool:
    """Whether the term is needed: the layer continues quadratically and some of ``x``
    ``(B, in)`` lies beyond its base interval (assumed under transforms, where the
    values are unknown)."""
    if layer.extrapolate != "quadratic" or not layer.edge_basis.fused:
        return False
    if torch.compiler.is_compiling() or is_fake(x) or is_functorch_wrapped(x):
        return True
    knots, k = layer.knots, layer.k
    n = knots.shape[-1] - k - 1
    return bool(((x < knots[:, k]) | (x > knots[:, n])).any())


def end_curvature(layer) -> Tensor:
    """Second derivatives of every basis at both ends of the base interval,
    ``(2, in, n_basis)``, kept on the layer until its knots change."""
    knots, k = layer.knots, layer.k
    # the key holds the knot tensor itself: an id() could be reused by the next grid's knots
    key = (knots, knots._version, knots.dtype, knots.device)
    cache = layer.__dict__.get("_end_curvature_cache")
    if (cache is not None and cache[0][0] is knots and cache[0][1:] == key[1:]
            and not torch.compiler.is_compiling()):
        return cache[1]
    n = knots.shape[-1] - k - 1
    ends = knots[:, [k, n]].t().contiguous()  # (2, in)
    curv = layer.edge_basis.evaluate(ends, knots, k, uniform=layer._uniform,
                                     extrapolate="linear", tables=layer._tables(),
                                     derivative=2).detach()
    if not torch.compiler.is_compiling():  # traced: made afresh, never kept
        layer.__dict__["_end_curvature_cache"] = (key, curv)
    return curv


def _half_squared_overshoot(layer, x: Tensor) -> tuple[Tensor, Tensor]:
    """``d²/2`` below and above the base interval (0 inside) for ``x`` ``(B, in)``."""
    knots, k = layer.knots, layer.k
    n = knots.shape[-1] - k - 1
    below = (x - knots[:, k]).clamp(max=0)
    above = (x - knots[:, n]).clamp(min=0)
    return below * below / 2, above * above / 2


def curvature_features(layer, x: Tensor) -> Tensor:
    """What ``"quadratic"`` adds to the linearly continued bases at ``x`` ``(B, in)``:
    ``(B, in, n_basis)``."""
    below, above = _half_squared_overshoot(layer, x)
    curv = end_curvature(layer)
    return below.unsqueeze(-1) * curv[0] + above.unsqueeze(-1) * curv[1]


def curvature_output(layer, x: Tensor) -> Tensor:
    """What ``"quadratic"`` adds to the layer's output, ``(B, out)``: the features of
    :func:`curvature_features` times the spline weights, without the dense tensor."""
    below, above = _half_squared_overshoot(layer, x)
    ends = torch.einsum("eif,oif->eio", end_curvature(layer), layer.edge_weight()[1])
    return below @ ends[0] + above @ ends[1]

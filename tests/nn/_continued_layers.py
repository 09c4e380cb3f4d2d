"""The small layer the continuation tests (quadratic, extended, tapered) check, and their
common check: the layer's forward and features give an oracle's output."""
from __future__ import annotations

import dataclasses

import torch

from kanlab.nn import KANLayer
from kanlab.ops._kan_linear import reference

F64 = torch.float64


def continued_layer(extrapolate: str, dtype=F64, seed: int = 0, knot_shifts=None,
                    **kwargs) -> KANLayer:
    """A ``(3, 2)`` cubic layer on 5 intervals continued by ``extrapolate``, with random
    coefficients; ``knot_shifts = (first, shifts)`` moves the knots from ``first`` on (a
    non-uniform grid)."""
    gen = torch.Generator().manual_seed(seed)
    layer = KANLayer(3, 2, grid=5, k=3, extrapolate=extrapolate, generator=gen, dtype=dtype,
                     **kwargs)
    with torch.no_grad():
        layer.coef.copy_(torch.randn(layer.coef.shape, generator=gen, dtype=F64).to(dtype))
    if knot_shifts is not None:
        first, shifts = knot_shifts
        knots = layer.knots.clone()
        knots[:, first:first + len(shifts)] += torch.tensor(shifts, dtype=dtype)
        layer.set_grid(knots, layer.coef.detach().clone())
    return layer


def reference_output(layer: KANLayer, x, extrapolate: str):
    """What the pure-PyTorch reference path on bases continued by ``extrapolate`` gives."""
    spec = dataclasses.replace(layer._make_spec(), extrapolate=extrapolate, edge_functions=None)
    return reference(x, layer.coef, layer.scale_base, layer.scale_sp, layer.mask, spec).detach()


def assert_forward_and_features_give(layer: KANLayer, x, want, tol: float) -> float:
    """``layer(x)`` and ``features @ feature_weight`` equal ``want`` to ``tol`` of its
    largest magnitude (returned)."""
    scale = float(want.abs().max())
    assert float((layer(x).detach() - want).abs().max()) <= tol * scale
    via_features = torch.einsum("bif,oif->bo", layer.features(x), layer.feature_weight())
    assert float((via_features.detach() - want).abs().max()) <= tol * scale
    return scale


def levered_layer(how: str, dtype=F64, seed: int = 0, nonuniform: bool = False) -> KANLayer:
    """A layer continued ``how`` (``"tapered"`` or ``"bounded"``: the end's value, slope and
    curvature on levers), on uniform knots or with interior shifts."""
    return continued_layer(how, dtype, seed, knot_shifts=(
        3, [0.08, 0.05, -0.04, 0.07]) if nonuniform else None)


def derivatives(f, x: torch.Tensor, orders: int) -> list[torch.Tensor]:
    """``d^m f / dx^m`` elementwise for an ``f`` acting on each entry of ``x`` alone."""
    x = x.clone().requires_grad_(True)
    out, y = [], f(x)
    for _ in range(orders):
        y = torch.stack([torch.autograd.grad(y[..., j].sum(), x, create_graph=True)[0]
                         for j in range(y.shape[-1])], -1)
        out.append(y)
    return out

"""The ``"quadratic"`` and ``"extended"`` continuations of a :class:`~kanlab.nn.KANLayer`
on top of the kernels.

The kernels continue every B-spline beyond its base interval as the straight line
with the end value and slope.  ``extrapolate="quadratic"`` adds ``s''(end)·d²/2`` at a
distance ``d`` beyond the nearest end, so a cubic layer is C² everywhere; this module
computes that term, exactly the difference between the quadratically and the linearly
continued bases of :func:`kanlab.splines.local_basis`.  Differentiable to any order
(``d`` comes from a clamp, whose derivative is 1 beyond the end and 0 inside).
``extrapolate="extended"`` (the B-splines of the extension intervals, 0 beyond the
outermost knots) adds the difference between those bases and the linear ones, from
the basis itself (the textbook recursion on each end's knots, differentiable to any order);
``extrapolate="extended_quadratic"`` hands those bases over to the quadratic ones across the
extension intervals (:func:`kanlab.splines.local_basis`), on the same ``k + 1`` end bases.
``extrapolate="tapered"`` is the quadratic term with ``d²/2`` replaced by
``φ(d) = L²·(exp(−d/L) − 1 + d/L)`` (:mod:`kanlab.splines._taper`): C² at the end, linear far
out.  ``extrapolate="bounded"`` replaces ``d²/2`` by ``b(d)`` and the slope's lever ``δ`` by
``a(δ)`` (:mod:`kanlab.splines._bounded`): C² at the end, levelling off far out; its term
also corrects the kernels' slope term, ``s'(end)·(a(δ) − δ)``, on the end slopes
(:func:`end_slope`).
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab._compat import is_fake, is_functorch_wrapped, outside_transforms, recording_graph
from kanlab.splines._extension import (EXTENDED, ExtensionTables, evaluate_extension,
                                       extension_tables)
from kanlab.splines._levers import LEVERED, end_levers, lever_lengths

__all__ = ["CORRECTED", "beyond_grid", "end_curvature", "end_slope", "curvature_features",
           "curvature_output"]

# the continuations the kernels do not compute: they compute "linear" and this module adds the rest
CORRECTED = ("quadratic", "extended", "extended_quadratic", "tapered", "bounded")


def beyond_grid(layer, x: Tensor) -> bool:
    """Whether the term is needed: the layer continues quadratically (tapered, or on its
    extended knots) and some of ``x`` ``(B, in)`` lies beyond its base interval (assumed under
    transforms, where the values are unknown)."""
    if layer.extrapolate not in CORRECTED or not layer.edge_basis.fused:
        return False
    if _traced(layer, x):
        return True
    knots, k = layer.knots, layer.k
    n = knots.shape[-1] - k - 1
    return bool(((x < knots[:, k]) | (x > knots[:, n])).any())


def end_curvature(layer) -> Tensor:
    """Second derivatives of every basis at both ends of the base interval,
    ``(2, in, n_basis)``, kept on the layer until its knots change."""
    return _per_knots(layer, "_end_curvature_cache", _make_end_curvature)


def end_slope(layer) -> Tensor:
    """First derivatives of every basis at both ends of the base interval,
    ``(2, in, n_basis)``, kept on the layer until its knots change."""
    return _per_knots(layer, "_end_slope_cache", _make_end_slope)


def _per_knots(layer, slot: str, make):
    """``make(layer)``, kept on the layer under ``slot`` until its knots change.

    One entry per dtype and device, each ``(knots, version, values, out)``: the knot tensor
    itself (an id() could be reused by the next grid's knots), its version counter, and a
    copy of its values.  A new knot tensor or an in-place write that leaves the values as
    they were (``model.to`` there and back, as ``fit``'s float64 phase does around every
    callback; a restored snapshot) keeps ``out``: it depends on the values only."""
    knots = layer.knots
    if torch.compiler.is_compiling() or is_functorch_wrapped(knots):
        return make(layer)  # traced, or knots batched by torch.func: made afresh, never kept
    kept = layer.__dict__.get(slot)
    if not isinstance(kept, dict):
        kept = layer.__dict__[slot] = {}
    where = (knots.dtype, knots.device)
    entry = kept.get(where)
    if entry is not None:
        tensor, version, values, out = entry
        if tensor is knots and version == knots._version:
            return out
        if values.shape == knots.shape and torch.equal(values, knots):
            kept[where] = (knots, knots._version, values, out)
            return out
    with outside_transforms():  # a kept constant, made outside a running torch.func transform
        out = make(layer)
        kept[where] = (knots, knots._version, knots.detach().clone(), out)
    return out


def _make_end_curvature(layer) -> Tensor:
    return _at_ends(layer, 2)


def _make_end_slope(layer) -> Tensor:
    return _at_ends(layer, 1)


def _at_ends(layer, derivative: int) -> Tensor:
    knots, k = layer.knots, layer.k
    n = knots.shape[-1] - k - 1
    ends = knots[:, [k, n]].t().contiguous()  # (2, in)
    return layer.edge_basis.evaluate(ends, knots, k, uniform=layer._uniform,
                                     extrapolate="linear", tables=layer._tables(),
                                     derivative=derivative).detach()


def _levers(layer, x: Tensor) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor] | None]:
    """The end curvature's levers below and above the base interval (0 inside) for ``x``
    ``(B, in)``: ``d²/2`` (``"quadratic"``), ``φ(d)`` (``"tapered"``) or ``b(d)``
    (``"bounded"``), ``d`` the distance beyond the end; and for ``"bounded"`` the end slope's
    lever less the kernels' (``a(δ) − δ``, ``δ = x - end``; None otherwise)."""
    knots, k = layer.knots, layer.k
    n = knots.shape[-1] - k - 1
    below = (knots[:, k] - x).clamp(min=0)
    above = (x - knots[:, n]).clamp(min=0)
    how = layer.extrapolate
    if how not in LEVERED:
        return (below * below / 2, above * above / 2), None
    length = lever_lengths(knots, k, how)
    slope_below, curve_below = end_levers(how, below, length[0])
    slope_above, curve_above = end_levers(how, above, length[1])
    # "tapered"'s slope lever is the kernels' own δ: nothing to correct
    slope = None if how == "tapered" else (below - slope_below, slope_above - above)
    return (curve_below, curve_above), slope


def _end_tables(layer) -> ExtensionTables:
    """The layer's continuation less the linear one beyond each end, as piecewise polynomials
    (:func:`kanlab.splines._extension.extension_tables`), kept on the layer until its knots
    or its continuation change."""
    how = layer.extrapolate
    return _per_knots(layer, f"_end_tables_{how}",
                      lambda layer: extension_tables(layer.knots, layer.k, how, minus_linear=True))


def _traced(layer, x: Tensor) -> bool:
    """Whether ``x``'s values (or the layer's knots', batched by ``torch.func`` over stacked
    models) are unknown here: a graph is recorded or a transform runs."""
    return (recording_graph() or is_fake(x) or is_functorch_wrapped(x)
            or is_functorch_wrapped(layer.knots))


def _extended_ends(layer, x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor] | None]:
    """What ``"extended"`` (or ``"extended_quadratic"``) adds to the linearly continued bases
    at ``x`` ``(B, in)``, on the ``k + 1`` bases of each end (below the grid bases ``0..k``,
    above it the last ``k + 1``).

    Returns ``(terms, where)``: eagerly only the entries beyond an end are evaluated (one
    autograd node per derivative order), ``terms`` ``(N, k + 1)`` with ``where`` their
    (end, row, input) indices; under a transform (unknown values) every entry, ``terms``
    ``(2, B, in, k + 1)`` (0 inside the base interval) and ``where`` None."""
    tables = _end_tables(layer)
    at = tables.ends.unsqueeze(1)  # (2, 1, in)
    beyond = torch.stack([x < at[0], x > at[1]])  # (2, B, in)
    if _traced(layer, x):
        xo = torch.where(beyond, x, at)  # points inside sit at the end: no term, no gradient
        e = torch.arange(2, device=x.device).reshape(2, 1, 1)
        f = torch.arange(x.shape[-1], device=x.device)
        terms = evaluate_extension(tables, e, f, xo)
        return torch.where(beyond.unsqueeze(-1), terms, torch.zeros_like(terms)), None
    e, b, i = beyond.nonzero(as_tuple=True)
    return evaluate_extension(tables, e, i, x[b, i], node=True), (e, b, i)


def _end_weights(layer) -> Tensor:
    """The spline weights of each end's ``k + 1`` bases, ``(2, out, in, k + 1)``."""
    weight = layer.edge_weight()[1]  # (out, in, n_basis)
    r = layer.k + 1
    return torch.stack([weight[..., :r], weight[..., -r:]])


def _end_terms(layer, x: Tensor) -> Tensor:
    """:func:`_extended_ends` on every entry, ``(2, B, in, k + 1)`` (0 where not beyond)."""
    terms, where = _extended_ends(layer, x)
    if where is not None:  # (N, k + 1) back into (2, B, in, k + 1)
        terms = terms.new_zeros(2, *x.shape, terms.shape[-1]).index_put(where, terms)
    return terms


def _extended_features(layer, x: Tensor) -> Tensor:
    """:func:`_extended_ends` laid out on all the bases, ``(B, in, n_basis)``."""
    terms = _end_terms(layer, x)
    pad = torch.nn.functional.pad
    n_basis, r = layer.n_basis, terms.shape[-1]
    return pad(terms[0], (0, n_basis - r)) + pad(terms[1], (n_basis - r, 0))


def _extended_output(layer, x: Tensor) -> Tensor:
    """What ``"extended"`` adds to the layer's output, ``(B, out)``: one matrix product of
    the end terms with the end weights (a per-entry gather of the weights costs more)."""
    terms = _end_terms(layer, x).permute(1, 0, 2, 3)  # (B, 2, in, k + 1)
    weight = _end_weights(layer).permute(0, 2, 3, 1)  # (2, in, k + 1, out)
    return terms.reshape(x.shape[0], -1) @ weight.reshape(-1, weight.shape[-1])


def curvature_features(layer, x: Tensor) -> Tensor:
    """What ``"quadratic"`` (or ``"tapered"``, ``"bounded"``, ``"extended"``) adds to the
    linearly continued bases at ``x`` ``(B, in)``: ``(B, in, n_basis)``."""
    if layer.extrapolate in EXTENDED:
        return _extended_features(layer, x)
    (below, above), slope = _levers(layer, x)
    curv = end_curvature(layer)
    out = below.unsqueeze(-1) * curv[0] + above.unsqueeze(-1) * curv[1]
    if slope is not None:
        ends = end_slope(layer)
        out = out + slope[0].unsqueeze(-1) * ends[0] + slope[1].unsqueeze(-1) * ends[1]
    return out


def curvature_output(layer, x: Tensor) -> Tensor:
    """What ``"quadratic"`` (or ``"tapered"``, ``"bounded"``, ``"extended"``) adds to the
    layer's output, ``(B, out)``: the features of :func:`curvature_features` times the spline
    weights (for all but the extended ones without the dense tensor)."""
    if layer.extrapolate in EXTENDED:
        return _extended_output(layer, x)
    (below, above), slope = _levers(layer, x)
    weight = layer.edge_weight()[1]
    ends = torch.einsum("eif,oif->eio", end_curvature(layer), weight)
    out = below @ ends[0] + above @ ends[1]
    if slope is not None:
        ends = torch.einsum("eif,oif->eio", end_slope(layer), weight)
        out = out + slope[0] @ ends[0] + slope[1] @ ends[1]
    return out

"""pykan's ``initialize_from_another_model``: another model's function on this model's grid.

pykan 0.2.8 puts every layer's grid points on the other model's, interpolated
along their index (:func:`kanlab.nn.refine` places them the same way), and fits
the new spline coefficients by least squares to the other model's splines at
that model's own activations on ``x``: the function is carried where the data
are, inside and beyond the grid.  Here the fit also holds a sweep of each new
base interval (``k + 1`` points in every interval), so an interval the samples
miss keeps the other model's spline instead of being left to the solver; with
hundreds of samples the data decide the fit.  The rest of the other model
(base weights, scales, masks, symbolic edges) is copied, this model's
continuations beyond the grid are kept.
"""
from __future__ import annotations

import warnings

import torch
from torch import Tensor

from kanlab.nn import KAN as _NativeKAN
from kanlab.nn._layer import KANLayer
from kanlab.pykan._grid_points import interpolated_grid_points
from kanlab.splines import extend_points

__all__ = ["initialize_from", "grids_from"]


def _sweep(layer: KANLayer) -> Tensor:
    """``(S, in)`` points over each input's base interval: a uniform sweep, and for
    B-splines ``k + 1`` points inside every interval (a fit on them alone is well posed)."""
    k, grid = layer.k, layer.grid
    points = layer.knots[:, k:k + grid + 1]  # (in, G + 1)
    t = torch.linspace(0, 1, 4 * (grid + k), dtype=points.dtype, device=points.device)
    swept = points[:, :1] * (1 - t) + points[:, -1:] * t  # (in, S)
    if layer.basis_name != "bspline":
        return swept.t()
    offsets = (torch.arange(k + 1, dtype=points.dtype, device=points.device) + 0.5) / (k + 1)
    inner = points[:, :-1, None] * (1 - offsets) + points[:, 1:, None] * offsets  # (in, G, k + 1)
    return torch.cat([swept, inner.flatten(1)], dim=1).t()


def fit_to_layer(new: KANLayer, old: KANLayer, h: Tensor) -> Tensor:
    """``new``'s coefficients ``(out, in, n_basis)`` fitted by least squares to ``old``'s
    splines at the samples ``h`` ``(B, in)`` and over ``new``'s base intervals."""
    samples = torch.cat([h.to(new.knots), _sweep(new)])
    values = old.edge_basis.sample(samples.to(old.knots), old.knots, old.coef.permute(1, 2, 0),
                                   old.k, old.extrapolate)  # (N, in, out)
    coef = new.edge_basis.fit(samples, values.to(new.knots), new.knots, new.k, new.extrapolate)
    return coef.permute(2, 0, 1)


def _check(model, other, x) -> None:
    if list(other.n_nodes) != list(model.n_nodes) or other.k != model.k:
        raise ValueError(f"initialize_from_another_model needs the same width and k: this "
                         f"model has {model.n_nodes} nodes per level, k={model.k}; the "
                         f"other {other.n_nodes}, k={other.k}")
    if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[1] != model.n_nodes[0] \
            or x.shape[0] == 0:
        raise ValueError(f"initialize_from_another_model needs samples x of shape (B, "
                         f"{model.n_nodes[0]}), got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")


@torch.no_grad()
def initialize_from(model, other, x: Tensor) -> None:
    """Give ``model`` ``other``'s function on ``model``'s grid, fitted on ``x`` ``(B, in)``
    (see the module doc); ``other`` is left untouched."""
    _check(model, other, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a coarser grid: refitted below
        placed = _NativeKAN.refine(other, model.grid)  # other's state on model's grid points
    ours, theirs = model.affines is not None, other.affines is not None  # affine_trainable
    if theirs and not ours:
        raise ValueError("initialize_from_another_model: the other model has trained node "
                         "affine maps (affine_trainable=True) and this one has none to take "
                         "them; build this model with affine_trainable=True")
    # this model keeps its own continuations (the other's fit may have chosen its own)
    model.load_state_dict({key: t for key, t in placed.state_dict().items()
                           if not key.endswith(".extrapolate")}, strict=theirs or not ours)
    for sym, theirs_sym in zip(model.symbolic, other.symbolic):  # with their constants
        sym.moved_offsets = dict(theirs_sym.moved_offsets)  # (kanlab.nn._symbolic_offsets)
    if ours and not theirs:  # pykan copies the other's maps: the identity
        for affine in model.affines:
            affine.reset()
    x = x.to(other.layers[0].knots)
    # a masked reader's spline: fitted on the node it would read once unfixed
    # (model.written_inputs: the moved symbolic offsets handed back in the values)
    for new, old, h in zip(model.layers, other.layers, other.written_inputs(x)):
        new.set_grid(new.knots.clone(), fit_to_layer(new, old, h))


@torch.no_grad()
def grids_from(model, other, x: Tensor) -> None:
    """pykan's ``initialize_grid_from_another_model``: every layer's grid points are
    ``other``'s, interpolated to this model's grid, and its splines are fitted to
    ``other``'s on ``x`` (as :func:`initialize_from`); scales, masks and symbolic edges stay
    this model's."""
    _check(model, other, x)
    x = x.to(other.layers[0].knots)
    for new, old, h in zip(model.layers, other.layers, other.written_inputs(x)):  # as above
        k = old.k
        points = interpolated_grid_points(old.knots[:, k:k + old.grid + 1], new.grid)
        new.set_grid(extend_points(points.to(new.knots), new.k), new.coef.detach())
        new.set_grid(new.knots.clone(), fit_to_layer(new, old, h))

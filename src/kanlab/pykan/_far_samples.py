"""What a fit's first grid update carries where the training samples lie far beyond a
fresh model's grid.

The update refits every spline to the values it gave the samples before (pykan's
``update_grid_from_samples`` too).  Samples far beyond a grid that no fit has seen (raw
inputs 100–400 on pykan's default ``[-1, 1]``: 260–980 intervals out) get there what the
continuation invents: under the quadratic one ``s''(end)·d²/2``, and through a hidden
layer that square again; a ``[12, 5, 5, 3]`` forecaster on an airline-like series started
at outputs 1e12–3e16, the update carried them onto the data's grid, and the fit ended at a
training RMSE of 1.2e7 where pykan 0.2.8 reached 2.8 (pykan's spline is 0 beyond its
extension intervals, so its update refits those splines to 0 and leaves the SiLU branch).
So before the update, a layer whose samples lie more than four widths of its grid beyond it
continues ``"tapered"`` (C² at the end, straight far out: the update carries a
bounded, roughly linear function), and keeps it for the model's life; the fit's choice of
continuation (kanlab.pykan._fit_settings's CONTINUATION_CHOICE) is then made as before on the
refreshed grids.  Nearer data keep the quadratic: with one width as the bound, pykan's
Example_9 (inputs on [0.2, 5], two widths out) moved from ×0.37 to ×0.96 of its notebook's
loss in cell 2 (docs/pykan_notebook_runs.md, fitbeyond).
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab._validation import NonFiniteError
from kanlab.train._continuation_choice import beyond_widths, continuations, set_continuations

__all__ = ["FAR_CONTINUATION", "FAR_WIDTHS", "continue_far_samples"]

# the continuation of a layer whose samples lie far beyond its grid at a fit's first update
FAR_CONTINUATION = "tapered"
# "far": further beyond the nearer end than this many widths of the grid's base interval
FAR_WIDTHS = 4.0


@torch.no_grad()
def continue_far_samples(model, x: Tensor, default: str) -> list[int]:
    """Switch every B-spline layer of ``model`` still on ``default`` whose inputs on ``x``
    ``(N, n_in)`` lie more than :data:`FAR_WIDTHS` widths beyond its grid to
    :data:`FAR_CONTINUATION`, layer after layer in one pass (a layer's inputs come through
    the layers before it as switched); returns the layers switched."""
    per_layer, switched = continuations(model), []

    def visit(l: int, h: Tensor) -> None:  # h: the nodes as written (moved offsets back)
        layer = model.layers[l]
        if (layer.extrapolate == default and layer.basis_name == "bspline" and layer.k >= 1
                and beyond_widths(layer, h) > FAR_WIDTHS):
            per_layer[l] = FAR_CONTINUATION
            set_continuations(model, per_layer)
            switched.append(l)

    try:
        model.written_inputs(x.to(model.layers[0].knots), visit)
    except NonFiniteError:  # a layer overflowed on the layers before it: left as it is
        pass
    return switched

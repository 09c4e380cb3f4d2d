"""How far a grid update moved the knots, in intervals: whether L-BFGS's memory survives it.

A grid update re-expresses every spline on new knots.  L-BFGS's curvature pairs (steps and
gradient changes in coefficient space) describe the old basis; when the knots barely moved
the two bases nearly agree and the pairs still hold, when they moved by intervals the pairs
mislead.  Measured on ``[2, 1, 1]`` fits of pykan's Example_1 (docs/pykan_notebook_runs.md,
pykX): the updates of a ``G = 3`` fit from the initial model move knots by 3-16 of their
intervals (keeping the memory across all of them trapped 3 of 6 good seeds), while after
``refine(10)`` the updates past the first move them by 0.01-0.2; a new optimiser there threw
away what the refined fit had learnt (untrapped median training RMSE 7.1e-4, 5.5e-4 keeping
the memory below half an interval).  But a grid update also refits the coefficients, so the
kept pairs can mislead however little the knots moved: on in kanlab.pykan it cost Physics_4A
its formula and Interp_10 ×0.62 -> ×4.08, and it is off there as in the native API
(``FitConfig.keep_memory_below=None``; docs/pykan_notebook_runs.md, the merged suite).

Neither holds for a network whose edges are all symbolic or removed (every spline mask 0):
the update then refits only coefficients the loss does not see, the pairs (in the symbolic
affines) stay exact, and :func:`live_splines` tells the fit to keep them, as pykan keeps one
optimiser per fit.  Starting afresh there stalled pykan's experiment1 (``[2, 3, 3, 1]``, every
edge symbolic, 20 steps): a step after the restart failed its line search and stalled; train
RMSE over seeds 0-5 0.377/0.132/1.08/1.0e-5/8.0e-6/1.18, keeping the pairs
0.073/3.5e-5/0.19/8.9e-6/8.0e-6/7.23 (seed 5 trapped at a stationary point; pykan's notebook
prints 1.27e-5 for seed 1; docs/pykan_notebook_runs.md, symfit).
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["knots_of", "knot_move", "live_splines"]


def knots_of(model) -> list[Tensor]:
    """A copy of every layer's knots (``(in, m)`` each; ``None`` for a layer without)."""
    return [None if getattr(layer, "knots", None) is None else layer.knots.detach().clone()
            for layer in model.layers]


@torch.no_grad()
def knot_move(before: list[Tensor], model) -> float:
    """The largest move of a knot since ``before`` (:func:`knots_of`), in units of the
    smallest interval of that input's old grid; ``inf`` when the grids' shapes changed."""
    largest = 0.0
    for old, layer in zip(before, model.layers):
        new = getattr(layer, "knots", None)
        if old is None or new is None:
            continue
        if new.shape != old.shape:
            return float("inf")
        width = old.diff(dim=-1)
        width = torch.where(width > 0, width, torch.full_like(width, float("inf")))
        smallest = width.amin(dim=-1, keepdim=True)  # (in, 1)
        largest = max(largest, float(((new - old).abs() / smallest).max()))
    return largest


def live_splines(model) -> bool:
    """Whether any edge computes through its spline layer (a non-zero mask entry): only then
    can a grid update change the loss (symbolic and removed edges have spline mask 0)."""
    return any(bool(layer.mask.detach().ne(0).any()) for layer in model.layers)

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
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["knots_of", "knot_move"]


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

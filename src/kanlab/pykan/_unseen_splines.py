"""A first grid update's refit of the splines no output sees.

A fresh kanlab.pykan model continues its splines beyond the grid as pykan does
(``"extended"``: 0 a few intervals out).  Its first grid update refits every spline
to what it computes there, so a data range wider than the fresh grid keeps the
model's function (pde6b: a ``[3, 4, 4, 1]`` network's outputs moved by 2302
when the refit aimed at the quadratic continuation instead).

A spline whose ``scale_sp`` is 0 adds nothing to any output (pykan's
``perturb`` switches a compiled network's last-layer splines on that way), so any
refit keeps the function, and its shape is only where training starts from: for
those the refit aims at the spline's own smooth (quadratic) continuation, as it
did before pde6b's change.  Physics_1 of pykan's tutorials, whose Lagrangian
loop calls ``update_grid`` on such a network with ``q`` over twice the grid,
trains from that to a loss of 7.3e-5 in 20 L-BFGS steps (the notebook: 5.0e-5);
from the refit of the ``"extended"`` values, which are 0 there, it stalls at
0.051 (pykan 0.2.8, whose refit is that one: 0.047).
"""
from __future__ import annotations

from typing import Callable

import torch

from kanlab.pykan._continuation import grids_placed
from kanlab.train._continuation_choice import set_continuations

__all__ = ["unseen", "smooth_refit", "refit_unseen"]


def unseen(model) -> list[torch.Tensor] | None:
    """Per layer, the edges whose spline no output sees (``scale_sp == 0``, mask on); None
    when there are none."""
    found = [((layer.scale_sp.detach() == 0) & (layer.mask != 0)) for layer in model.layers]
    return found if any(bool(f.any()) for f in found) else None


def smooth_refit(model, update: Callable[[], None]) -> list[tuple]:
    """Every layer's ``(knots, coef)`` after ``update()`` (the engine's grid update) on the
    placed (quadratic) continuation; ``model`` is left as it was."""
    saved = [(layer.knots.clone(), layer.coef.detach().clone()) for layer in model.layers]
    continuations = [layer.extrapolate for layer in model.layers]
    grids_placed(model)
    try:
        update()
        return [(layer.knots.clone(), layer.coef.detach().clone()) for layer in model.layers]
    finally:
        with torch.no_grad():
            for layer, (knots, coef) in zip(model.layers, saved):
                layer.set_grid(knots, coef)
        set_continuations(model, continuations)
        model.continuation_unplaced = True


@torch.no_grad()
def refit_unseen(model, edges: list[torch.Tensor], smooth: list[tuple]) -> None:
    """Give the ``edges`` of every layer the coefficients of the ``smooth`` refit (per
    layer ``(knots, coef)``), where that layer's new knots are the same in both refits
    (a visible spline below that refitted differently moves the layer's inputs)."""
    for layer, chosen, (knots, coef) in zip(model.layers, edges, smooth):
        if knots.shape == layer.knots.shape and torch.equal(knots, layer.knots):
            layer.coef[chosen] = coef[chosen]

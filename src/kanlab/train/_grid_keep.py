"""A scheduled grid update kept only when it does not raise the training objective.

A grid update moves the knots toward the samples and refits the splines on the new knots
(a least-squares projection).  Early in a fit the projection's error is far below the fit's
own, and moving the knots pays.  Once the fit is fine (after ``refine``, or late in a long
schedule) the projection's error is of the order of the fit's, so the update makes the fit
worse and throws away the optimiser's curvature pairs.  Measured on ``[2, 1, 1]`` fits
refined from ``G = 3`` to ``G = 10`` (docs/pykan_notebook_runs.md, pykX): the updates of
the refined fit raised its training MSE by up to ×2.8, while the updates of the ``G = 3``
fit from the initial model moved it by at most 1 %.

So, with ``FitConfig.grid_update_tolerance``, the objective (data loss plus the fit's
penalties, on the step's batch) is evaluated before and after the update, and the update is
undone (knots and coefficients restored, the optimiser kept) when it raised the objective
by more than that fraction.
"""
from __future__ import annotations

import math
from typing import Callable

__all__ = ["update_unless_worse"]


def update_unless_worse(model, update: Callable[[], None], objective: Callable[[], float],
                        tolerance: float | None) -> bool:
    """Run ``update()`` (a grid update of ``model``) and undo it when ``objective()`` rose by
    more than ``tolerance`` (a fraction: ``0.05`` allows 5 %); returns whether it was kept.

    ``tolerance=None`` always keeps the update.  An objective that does not evaluate before
    the update (``inf`` or NaN) keeps it too; one that stops evaluating after it undoes it.
    """
    if tolerance is None:
        update()
        return True
    before = objective()
    state = {name: t.detach().clone() for name, t in model.state_dict().items()}
    update()
    if not math.isfinite(before):
        return True
    after = objective()
    if math.isfinite(after) and after <= before * (1.0 + tolerance):
        return True
    model.load_state_dict(state)  # knots too (the layers refresh their tables)
    return False

"""The additive spline model: a one-layer KAN fitted in closed form, the yardstick on noisy tables.

The restarts of :mod:`kanlab.discover._search` train KANs by gradient steps on
the training rows, made for laws: on a small noisy table (a few hundred rows,
ten columns) their splines follow the noise, and their validation error can
exceed the target's spread.  This model is the estimators' default
(:class:`kanlab.sklearn.KANRegressor`): a KAN ``[d, 1]`` whose ridge penalty,
grid and smoothness are chosen by exact leave-one-out error on the training
rows (:mod:`kanlab.train._additive_selection`), so it stays the ridge
regression unless the splines clearly help.  It is one more spline model,
compared with the others on the validation rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AdditiveTrial", "additive_spline", "best_spline"]


@dataclass(frozen=True)
class AdditiveTrial:
    """How the model is named in the metrics (``spline_trial``), as a restart is."""

    grid: int | None  # None: the splines were not kept (the ridge model)

    @property
    def label(self) -> str:
        form = "ridge" if self.grid is None else f"splines G={self.grid}"
        return f"KAN raw [1] additive ({form}; chosen by leave-one-out)"


def additive_spline(data: dict, seed: int) -> dict | None:
    """``{"model", "space", "val_rmse", "trial"}`` of the closed-form one-layer KAN, or None.

    ``data`` holds ``X_train, y_train, X_val, y_val`` in the original units;
    the model works in the standardised ``raw`` space, as the restarts do.
    """
    import torch
    from kanlab.discover._scaling import make_space
    from kanlab.discover._search import validation_rmse
    from kanlab.train._additive import to_module
    from kanlab.train._additive_selection import select_regression
    from kanlab.train._input_scaling import feature_kinds
    space = make_space("raw", data["X_train"], data["y_train"])
    if space is None:
        return None
    z = space.x(data["X_train"])
    target = space.y(data["y_train"])[:, None]
    kinds = feature_kinds(z, np.ptp(z, axis=0) == 0)
    if not (kinds > 0).any():
        return None
    choice = select_regression(z, target, kinds, 3)
    model = to_module(choice.design, choice.W, choice.b, seed, torch.float64)
    model.reference_input = torch.as_tensor(z, dtype=torch.float64, device="cpu")
    val = validation_rmse(model, space, data["X_val"], data["y_val"], torch)
    grid = choice.design.grid if choice.lamb_smooth is not None else None
    return {"model": model, "space": space, "val_rmse": val, "trial": AdditiveTrial(grid)}


def best_spline(splines: list, data: dict) -> dict | None:
    """The spline model to keep: the best on the validation rows, but the additive model
    unless that one beats it by more than the rows' noise.

    A restart's network is far more flexible than the additive model; on a few
    dozen validation rows its lead can be chance (statsmodels' 32-row scotland
    table: 6 validation rows chose a log-space network of test R² −0.14 over the
    additive model's 0.78).  The test is the estimators' own
    (:func:`kanlab.train._additive_selection.clearly_better`) on the per-row
    squared errors.
    """
    from kanlab.discover._result import spline_predictions
    from kanlab.train._additive_selection import clearly_better
    best = min(splines, key=lambda s: s["val_rmse"], default=None)
    additive = next((s for s in splines if isinstance(s.get("trial"), AdditiveTrial)), None)
    if best is None or additive is None or best is additive:
        return best
    X, y = data["X_val"], data["y_val"]
    errors = [(spline_predictions(s["model"], s["space"], X) - y) ** 2 for s in (best, additive)]
    if not all(np.isfinite(e).all() for e in errors):
        return best if np.isfinite(errors[0]).all() else additive
    return best if clearly_better(errors[0], errors[1]) else additive

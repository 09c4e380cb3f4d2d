"""When no formula fits: the best formula plus a spline model of what it leaves.

A formula that misses part of a law (a look-alike, a term the search did not
reach) still carries most of its structure; what it leaves, ``r = y - f(x)``,
is small and smooth, and a small KAN fits it far more closely than a KAN fits
``y`` itself.  :func:`residual_model` trains a few such KANs (the restarts of
:mod:`kanlab.discover._search`, spline models only) on the training rows'
residuals of the most accurate formula and keeps the one with the lowest
validation RMSE of ``f + spline``.  :mod:`kanlab.discover._pipeline` then
answers with whichever of the spline model and ``formula + spline`` predicts
the validation rows better; the test rows are not used for that choice.
"""
from __future__ import annotations

import math

import numpy as np

from kanlab.discover._search import Trial, run_trials

__all__ = ["residual_model", "RESIDUAL_TRIALS"]

# additive (a missed term of one input), then a wide one-hidden-layer KAN
RESIDUAL_TRIALS = (Trial("raw", (1,), grids=(5, 10, 20), steps=40, lamb=0.0, symbolic=False),
                   Trial("raw", (4, 1), grids=(5, 10), steps=30, lamb=0.0, symbolic=False))


def residual_model(base, symbols, data: dict, *, seed: int = 0, n_jobs: int | None = None,
                   trials=RESIDUAL_TRIALS) -> dict | None:
    """The best spline model of ``y - base(x)``: ``{"model", "space", "val_rmse", "base", "trial"}``.

    ``val_rmse`` is that of ``base + spline`` on ``data``'s validation rows,
    in the target's units.  None when no restart trains (or the formula is
    not finite on every training row).
    """
    from kanlab.discover._constants import evaluate
    r_tr = data["y_train"] - evaluate(base, symbols, data["X_train"])
    r_va = data["y_val"] - evaluate(base, symbols, data["X_val"])
    if not (np.all(np.isfinite(r_tr)) and np.all(np.isfinite(r_va))):
        return None
    shifted = dict(data, y_train=r_tr, y_val=r_va)
    runs = run_trials([Trial(t.space, t.width, t.seed + seed, t.grids, t.steps, t.lamb, False)
                       for t in trials], shifted, n_jobs)
    done = [r for r in runs if r["spline"] is not None and math.isfinite(r["spline"]["val_rmse"])]
    if not done:
        return None
    best = min(done, key=lambda r: r["spline"]["val_rmse"])
    # the residual model's validation RMSE on r is that of base + spline on y
    return {"model": best["spline"]["model"], "space": best["spline"]["space"],
            "val_rmse": best["spline"]["val_rmse"], "base": base, "trial": best["trial"]}

"""Choosing among candidate formulas on validation error, with a complexity penalty.

Every candidate is scored by its complexity (nodes of its expression tree)
and its validation RMSE.  The Pareto front keeps the candidates that no
other beats on both.  The choice is the simplest formula whose validation
RMSE is within ``slack`` (1 %) of the best one (or below ``floor``, the
level at which data without noise stop telling formulas apart): a more
complex formula has to earn its extra terms on rows it was not fitted on.
"""
from __future__ import annotations

__all__ = ["pareto_front", "choose"]


def pareto_front(candidates: list[dict]) -> list[dict]:
    """Candidates (``{"expr", "complexity", "val_rmse", ...}``) not dominated by another, simplest first."""
    ranked = sorted(candidates, key=lambda c: (c["complexity"], c["val_rmse"]))
    front, best = [], float("inf")
    for c in ranked:
        if c["val_rmse"] < best:
            front.append(c)
            best = c["val_rmse"]
    return front


def choose(front: list[dict], floor: float, slack: float = 0.01) -> dict | None:
    """The simplest front member within ``slack`` of the best validation RMSE (or below ``floor``)."""
    if not front:
        return None
    best = min(c["val_rmse"] for c in front)
    limit = max(best * (1.0 + slack), floor)
    return next(c for c in front if c["val_rmse"] <= limit)

"""How :func:`kanlab.symbolic.suggest` ranks its fits: the score of an accepted fit (complexity,
then R²), of the others (complexity against ``log10(1 − R²)``), and the acceptance of a fit
just short of the threshold that is simpler than the first accepted one (the rule is in
:mod:`kanlab.symbolic._fit`'s docstring)."""
from __future__ import annotations

import math

__all__ = ["accepted_score", "rank_score", "accept_simpler"]


def accepted_score(r2: float, complexity: int, r2_threshold: float) -> float:
    """An accepted fit's score: its complexity plus a slack in ``[0, 1)`` rising with ``1 − R²``
    (0.5 at the threshold), so accepted fits rank by complexity, then by R²."""
    if r2_threshold >= 1:
        return float(complexity)
    r = max(1.0 - r2, 0.0) / (1 - r2_threshold)
    return complexity + r / (1 + r)


def rank_score(r2: float, complexity: int, r2_threshold: float, weight: float) -> tuple[float, bool]:
    if r2 >= r2_threshold:
        return accepted_score(r2, complexity, r2_threshold), True
    return weight * complexity + math.log10(max(1.0 - r2, 1e-300)), False


def accept_simpler(fits: list, r2_threshold: float, weight: float) -> None:
    """Accept (in place) every fit short of the threshold that is simpler than the accepted fit
    that would rank first and leaves at most ``10^(weight·Δc)`` times its unexplained variance:
    the gain of that fit is under the price of its extra complexity
    (:mod:`kanlab.symbolic._fit`'s docstring)."""
    accepted = [f for f in fits if f is not None and f.accepted]
    if not accepted:
        return
    first = min(accepted, key=lambda f: f.score)  # the simplest accepted fit, then the best R²
    for f in fits:
        if f is None or f.accepted or f.complexity >= first.complexity:
            continue
        if 1.0 - f.r2 <= (1.0 - first.r2) * 10.0 ** (weight * (first.complexity - f.complexity)):
            f.accepted = True
            f.score = accepted_score(f.r2, f.complexity, r2_threshold)

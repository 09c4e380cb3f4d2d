"""The ``"tapered"`` continuation's curvature term: quadratic at the end, straight far out.

``"quadratic"`` continues a spline beyond the nearest end of its base interval as
``s(end) + s'(end)·d + s''(end)·d²/2`` at a distance ``d``; far beyond the grid (a hidden
layer's values often are: pykan's Community_1 feeds inputs 22 grid intervals out) each end
curvature then has a leverage ``d²/2`` and the fit is ill-conditioned.  ``"tapered"`` puts
``φ(d) = L²·(exp(−d/L) − 1 + d/L)`` in place of ``d²/2``: ``φ(0) = φ'(0) = 0``, ``φ''(0) = 1``
(C² at the end, as the quadratic), ``φ'' = exp(−d/L)`` fading to 0 and ``φ' → L``, so far out
the curvature's leverage is ``L·d``.  ``L`` is :data:`TAPER_INTERVALS` times the end's own
knot interval: with one interval the curvature's far leverage ``s''·h·d`` is of the order of
the slope's ``s'·d`` (``s' ~ c/h``, ``s'' ~ c/h²`` for coefficients ``c``).
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["TAPER_INTERVALS", "end_intervals", "taper_lengths", "taper"]

# L in knot intervals of the end (docs/pykan_notebook_runs.md, taper: measured on Community_1)
TAPER_INTERVALS = 1.0


def end_intervals(knots: Tensor, k: int) -> Tensor:
    """The knot interval at the lower and upper end of every knot row ``(F, m)``'s base
    interval: ``(2, F)`` (the unit of the ``"tapered"`` and ``"bounded"`` lengths)."""
    n = knots.shape[-1] - k - 1
    return torch.stack([knots[:, k + 1] - knots[:, k], knots[:, n] - knots[:, n - 1]])


def taper_lengths(knots: Tensor, k: int) -> Tensor:
    """``L`` at the lower and upper end of every knot row ``(F, m)``: ``(2, F)``."""
    return end_intervals(knots, k) * TAPER_INTERVALS


def taper(d: Tensor, length: Tensor, derivative: int = 0) -> Tensor:
    """``φ`` (or its ``derivative``-th derivative) at the distances ``d >= 0`` beyond an end,
    ``length`` the ``L`` broadcast against ``d``.  Differentiable to any order through
    ``d`` (``expm1`` keeps ``φ ≈ d²/2`` accurate near the end)."""
    t = d / length
    if derivative == 0:
        return length * length * (torch.expm1(-t) + t)
    if derivative == 1:
        return -length * torch.expm1(-t)
    return (-1.0 / length) ** (derivative - 2) * torch.exp(-t)

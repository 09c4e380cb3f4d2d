"""The levers of the continuations made of the end's value, slope and curvature.

Beyond the nearest end ``e`` of the base interval, at ``δ = x − e``, ``"tapered"`` and
``"bounded"`` continue a spline as ``s(e) + s'(e)·a(δ) + s''(e)·b(|δ|)``: ``"tapered"`` with
``a(δ) = δ`` and ``b = φ`` (:mod:`kanlab.splines._taper`), ``"bounded"`` with both levelling
off (:mod:`kanlab.splines._bounded`).  The quadratic is ``a(δ) = δ``, ``b(d) = d²/2``.  The
reference bases (:func:`kanlab.splines.local_basis`) and the kernels' correction
(:mod:`kanlab.nn._extrapolation`) both read the levers here.
"""
from __future__ import annotations

from torch import Tensor

from kanlab.splines._bounded import bounded_lengths, bounded_levers
from kanlab.splines._taper import taper, taper_lengths

__all__ = ["LEVERED", "lever_lengths", "end_levers"]

LEVERED = ("tapered", "bounded")


def lever_lengths(knots: Tensor, k: int, extrapolate: str) -> Tensor:
    """The continuation's ``L`` at the lower and upper end of every knot row: ``(2, F)``."""
    return (bounded_lengths if extrapolate == "bounded" else taper_lengths)(knots, k)


def end_levers(extrapolate: str, d: Tensor, length: Tensor,
               derivative: int = 0) -> tuple[Tensor, Tensor]:
    """``(a, b)`` (or their ``derivative``-th derivatives) at the distances ``d >= 0`` beyond
    an end; ``a`` is odd: the caller gives it the side's sign."""
    if extrapolate == "bounded":
        return bounded_levers(d, length, derivative)
    slope = d if derivative == 0 else d.new_ones(()) if derivative == 1 else d.new_zeros(())
    return slope, taper(d, length, derivative)

"""Bounds on the inner parameters ``a, b`` of a fit ``c·f(a·x + b) + d``.

A :class:`Box` ``a ∈ [a_lo, a_hi]``, ``b ∈ [b_lo, b_hi]`` (in the data's units)
keeps a fit's inner affine map in a range the caller chose, as pykan's
``fix_symbolic(a_range=..., b_range=...)`` does: a later gradient fit of the
network moves ``a`` and ``b`` in steps of about the same size whatever the data,
so a bounded ``a`` keeps the scales of consecutive layers comparable.

:meth:`Box.project` maps ``(a, b)`` into the box, first through the
candidate's own invariances (which leave the fitted function unchanged):

* ``symmetric``: ``(−a, −b)``;
* ``scale_free``: ``t·(a, b)`` for any ``t > 0`` (the one closest to ``t = 1``);
* ``shift_free``: any ``b`` (the one closest to 0);
* ``period`` ``p``: ``b + k·p``;

and only when none of them lies in the box, by clamping each parameter to its
interval (which changes the function: the fit is then the best one in the box).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from kanlab.symbolic._library import Candidate

__all__ = ["Box", "Projector", "ScaledRange", "make_box"]

_SLACK = 1e-12  # relative: conversions between units round


def _interval(value, name: str) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be None or a pair (low, high) of numbers, "
                        f"got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be a finite interval (low, high) with low < high, "
                         f"got {value!r}")
    return lo, hi


class ScaledRange(tuple):
    """A bound ``(low, high)`` on ``a`` stated for inputs that span ``[-1, 1]``.

    On inputs confined to ``max|x| = s < 1`` (a hidden node's narrow range) it stands for
    ``(low / s, high / s)``, so that ``a·x`` reaches the arguments it would reach on
    ``[-1, 1]``: a fixed ``(-10, 10)`` leaves ``tanh`` on ``x ∈ [-0.07, 0.03]`` nearly
    straight, and the fit then picks the wrong shape.  The factor ``1 / s`` is capped at
    :attr:`MAX_SCALE` (inputs that barely move carry no shape to fit).  As a tuple it is the
    pair itself (``ScaledRange(-10, 10) == (-10, 10)``).
    """

    MAX_SCALE = 100.0

    def __new__(cls, low, high):
        return super().__new__(cls, (low, high))

    def for_inputs(self, x: Tensor | None) -> tuple:
        """The bound on inputs ``x``: the pair scaled by ``1 / max|x|`` when that is under 1."""
        if x is None or x.numel() == 0:
            return tuple(self)
        s = float(x.detach().abs().max())
        if not (math.isfinite(s) and 0.0 < s < 1.0):
            return tuple(self)
        scale = min(1.0 / s, self.MAX_SCALE)
        return tuple(float(v) * scale for v in self)


def make_box(a_range=None, b_range=None, x: Tensor | None = None) -> "Box | None":
    """A :class:`Box` from two optional ``(low, high)`` pairs; None when both are None.
    ``x``: the inputs, which a :class:`ScaledRange` ``a_range`` is scaled for."""
    if isinstance(a_range, ScaledRange):
        a_range = a_range.for_inputs(x)
    a, b = _interval(a_range, "a_range"), _interval(b_range, "b_range")
    if a is None and b is None:
        return None
    return Box(*(a or (-math.inf, math.inf)), *(b or (-math.inf, math.inf)))


@dataclass(frozen=True)
class Box:
    """``a_lo ≤ a ≤ a_hi`` and ``b_lo ≤ b ≤ b_hi`` (infinite ends allowed)."""

    a_lo: float
    a_hi: float
    b_lo: float
    b_hi: float

    def inside(self, a: Tensor, b: Tensor) -> Tensor:
        """Elementwise: is ``(a, b)`` in the box (to rounding)."""
        sa = _SLACK * (a.abs() + 1)
        sb = _SLACK * (b.abs() + 1)
        return (a >= self.a_lo - sa) & (a <= self.a_hi + sa) & \
            (b >= self.b_lo - sb) & (b <= self.b_hi + sb)

    def clamp(self, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        """Each parameter clamped to its interval."""
        return a.clamp(self.a_lo, self.a_hi), b.clamp(self.b_lo, self.b_hi)

    def _ray(self, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        """``t·(a, b)`` with ``t > 0`` closest to 1 inside the box (unchanged where none is)."""
        t_lo = torch.zeros_like(a)
        t_hi = torch.full_like(a, math.inf)
        for v, lo, hi in ((a, self.a_lo, self.a_hi), (b, self.b_lo, self.b_hi)):
            safe = torch.where(v == 0, torch.ones_like(v), v)
            low = torch.where(v > 0, lo / safe, hi / safe)  # t·v ≥ lo (v > 0) or ≤ hi (v < 0)
            high = torch.where(v > 0, hi / safe, lo / safe)
            zero_ok = torch.full_like(v, 1.0 if lo <= 0 <= hi else math.nan)
            t_lo = torch.maximum(t_lo, torch.where(v == 0, zero_ok * 0, low))
            t_hi = torch.minimum(t_hi, torch.where(v == 0, zero_ok * math.inf, high))
        ok = (t_lo <= t_hi) & (t_hi > 0)
        t = torch.where(ok, torch.ones_like(a).maximum(t_lo).minimum(t_hi), 1.0)
        return a * t, b * t

    def _shift(self, cand: Candidate, b: Tensor) -> Tensor:
        if cand.shift_free:
            return torch.zeros_like(b).clamp(self.b_lo, self.b_hi)
        if cand.period is not None and math.isfinite(self.b_lo):
            # the representative b + k·p nearest above b_lo, where b itself is outside
            moved = self.b_lo + torch.remainder(b - self.b_lo, float(cand.period))
            return torch.where((b >= self.b_lo) & (b <= self.b_hi), b, moved)
        return b

    def project(self, cand: Candidate, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(a, b)`` moved into the box (same shapes): an equivalent pair when the
        candidate's invariances give one, else the clamped pair; and where the pair was
        equivalent (bool)."""
        reps = [(a, b)] + ([(-a, -b)] if cand.symmetric else [])
        out_a, out_b = None, None
        found = torch.zeros_like(a, dtype=torch.bool)
        for ra, rb in reps:
            if cand.scale_free:
                ra, rb = self._ray(ra, rb)
            rb = self._shift(cand, rb)
            if out_a is None:  # the fallback: the first representative, clamped
                out_a, out_b = self.clamp(ra, rb)
            take = self.inside(ra, rb) & ~found
            out_a, out_b = torch.where(take, ra, out_a), torch.where(take, rb, out_b)
            found = found | take
        return out_a, out_b, found


class Projector:
    """:meth:`Box.project` in the fitter's normalised coordinates ``α·x̃ + β = a·x + b``
    with ``x̃ = (x − xm)/xs``, for the search: a pair that has an equivalent pair in the
    box is left as it is (the search keeps its own canonical coordinates), the others are
    clamped into the box."""

    def __init__(self, box: Box, xm: float, xs: float) -> None:
        self.box, self.xm, self.xs = box, xm, xs

    def to_data(self, alpha: Tensor, beta: Tensor) -> tuple[Tensor, Tensor]:
        return alpha / self.xs, beta - alpha * self.xm / self.xs

    def from_data(self, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        return a * self.xs, b + a * self.xm

    def __call__(self, cand: Candidate, alpha: Tensor, beta: Tensor) -> tuple[Tensor, Tensor]:
        a, b, same = self.box.project(cand, *self.to_data(alpha, beta))
        pa, pb = self.from_data(a, b)
        return torch.where(same, alpha, pa), torch.where(same, beta, pb)

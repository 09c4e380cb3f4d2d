"""The minimum of a one-variable function on an interval, by golden sections."""
from __future__ import annotations

import math

__all__ = ["golden_section"]


def golden_section(fn, lo: float, hi: float, steps: int = 40) -> tuple[float, float]:
    """The better of the two inner points after ``steps`` golden-section steps on
    ``[lo, hi]``: ``(x, fn(x))`` (``fn`` unimodal there; otherwise a local minimum)."""
    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    x1, x2 = b - g * (b - a), a + g * (b - a)
    f1, f2 = fn(x1), fn(x2)
    for _ in range(steps):
        if f1 <= f2:
            b, x2, f2 = x2, x1, f1
            x1 = b - g * (b - a)
            f1 = fn(x1)
        else:
            a, x1, f1 = x1, x2, f2
            x2 = a + g * (b - a)
            f2 = fn(x2)
    return (x1, f1) if f1 <= f2 else (x2, f2)

"""The sign that most of a vector's values share: the one test behind every log-space fit.

A target of one sign can be fitted as ``log|y|``; noise may push a few small
values of a positive law below 0, so the searches accept a target when a
given share of its rows has the sign of its median (and leave the others out).
"""
from __future__ import annotations

import numpy as np

__all__ = ["dominant_sign"]


def dominant_sign(v, share: float = 1.0) -> float:
    """The sign of ``median(v)`` (1.0 or -1.0) when at least ``share`` of ``v`` has it, else 0.0.

    Args:
        v: array-like, shape (n,).
        share: the fraction of values (in (0, 1]) that must be strictly of that sign;
            1.0 asks for every value.

    A median of 0 (or NaN) gives 0.0.

    Examples:
        >>> dominant_sign([1.0, 2.0, -0.1], share=0.6)
        1.0
        >>> dominant_sign([1.0, 2.0, -0.1])
        0.0
    """
    v = np.asarray(v, dtype=np.float64)
    s = float(np.sign(np.median(v)))
    return s if s != 0.0 and float(np.mean(s * v > 0)) >= share else 0.0

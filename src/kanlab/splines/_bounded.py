"""The ``"bounded"`` continuation's levers: quadratic at the end, bounded far out.

``"quadratic"`` continues a spline beyond the nearest end of its base interval as
``s(e) + s'(e)·δ + s''(e)·δ²/2`` at ``δ = x - e``; rows far beyond the training range (a
forecaster's test years, whose peaks exceed the training max, land a hidden layer's values
a few grid widths out) then see the end curvature with a leverage ``δ²/2``.  ``"bounded"``
is ``s(e) + s'(e)·a(δ) + s''(e)·b(|δ|)`` with

    a(δ) = L·tanh(δ/L),      b(d) = L²·(1 − sech(d/L)),

``a(0) = 0``, ``a'(0) = 1``, ``a''(0) = 0``, ``b(0) = b'(0) = 0``, ``b''(0) = 1``, ``b'''(0) = 0``:
C² at the end (value, slope and curvature kept; the quadratic up to ``O(δ³)``), and both
bounded (``|a| < L``, ``0 <= b < L²``), so far out the spline levels off at
``s(e) ± s'(e)·L + s''(e)·L²``.  ``L`` is :data:`BOUNDED_INTERVALS` times the end's own knot
interval.  An option (``KAN(extrapolate="bounded")``), not kanlab.pykan's default: trained on,
or put in place of the quadratic after each fit, it lost on refine chains and pruned tables
what it won on sunspots (docs/pykan_notebook_runs.md, cont1).
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab.splines._taper import end_intervals

__all__ = ["BOUNDED_INTERVALS", "bounded_lengths", "bounded_levers"]

# L in knot intervals of the end (docs/pykan_notebook_runs.md, cont1: sunspots trained on it as
# the default once placed, model seed 1, test RMSE 45 / 24 with 1, 94 / 40 with 3; pykan 0.2.8
# 30.5 / 23.2)
BOUNDED_INTERVALS = 1.0


def bounded_lengths(knots: Tensor, k: int) -> Tensor:
    """``L`` at the lower and upper end of every knot row ``(F, m)``: ``(2, F)``."""
    return end_intervals(knots, k) * BOUNDED_INTERVALS


def _tanh_derivative(n: int) -> list[float]:
    """``P_n`` with ``tanh⁽ⁿ⁾(t) = P_n(tanh t)``, coefficients from the constant up
    (``P_{n+1} = P_n'·(1 − T²)``)."""
    p = [0.0, 1.0]
    for _ in range(n):
        dp = [i * c for i, c in enumerate(p)][1:] or [0.0]
        p = [0.0] * (len(dp) + 2)
        for i, c in enumerate(dp):
            p[i] += c
            p[i + 2] -= c
    return p


def _sech_derivative(n: int) -> list[float]:
    """``Q_n`` with ``sech⁽ⁿ⁾(t) = sech t · Q_n(tanh t)``
    (``Q_{n+1} = −T·Q_n + (1 − T²)·Q_n'``)."""
    q = [1.0]
    for _ in range(n):
        dq = [i * c for i, c in enumerate(q)][1:]
        nxt = [0.0] * (len(q) + 2)
        for i, c in enumerate(q):
            nxt[i + 1] -= c
        for i, c in enumerate(dq):
            nxt[i] += c
            nxt[i + 2] -= c
        q = nxt
    return q


def _poly(coefficients: list[float], t: Tensor) -> Tensor:
    out = torch.zeros_like(t)
    for c in reversed(coefficients):
        out = out * t + c
    return out


def bounded_levers(d: Tensor, length: Tensor, derivative: int = 0) -> tuple[Tensor, Tensor]:
    """``(a, b)`` (or their ``derivative``-th derivatives) at the distances ``d >= 0`` beyond
    an end, ``length`` the ``L`` broadcast against ``d``; ``a`` is odd: the caller gives it
    the side's sign.  Differentiable to any order through ``d``, finite however far out
    (``sech`` as ``2e/(1 + e²)``, ``e = exp(−t)``; ``1 − sech t = expm1(−t)²/(1 + e²)``, so
    ``b ≈ d²/2`` is accurate near the end)."""
    t = d / length
    e = torch.exp(-t)
    if derivative == 0:
        return length * torch.tanh(t), length * length * torch.expm1(-t) ** 2 / (1 + e * e)
    tanh, sech = torch.tanh(t), 2 * e / (1 + e * e)
    scale = length ** (1 - derivative)
    return (scale * _poly(_tanh_derivative(derivative), tanh),
            -length * scale * sech * _poly(_sech_derivative(derivative), tanh))

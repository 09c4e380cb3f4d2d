"""Input scaling for the one-layer fit and the estimators, safe for any finite float64 data.

Inputs: every feature is divided by its largest magnitude first (so no later
step can overflow, even for values near ±1e308), then centred on its median
and divided by a robust spread (the interquartile range / 1.349, the standard
deviation when the IQR is 0); outliers thus do not squeeze the bulk of the
data.  A constant feature maps to 0 and is left out of the model.  Scaled
values are clipped to ``±CLIP`` at prediction time, far beyond any training
value, so an extreme test point extrapolates linearly but cannot overflow.

Targets: standardised per output (mean and standard deviation, overflow-safe)
by :class:`kanlab.train._label_scale.LabelScale`, the map every kanlab entry
point uses for labels; predictions are mapped back, and one beyond the float64
range raises instead of returning ``inf``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["InputScaling", "feature_kinds", "spline_knots"]

CLIP = 1e6


def _magnitude(a: np.ndarray) -> np.ndarray:
    """Largest absolute value per column, 1 where it is 0."""
    m = np.max(np.abs(a), axis=0)
    return np.where(m > 0, m, 1.0)


@dataclass
class InputScaling:
    """``z = clip((x / magnitude - center) / scale)``, per feature."""

    magnitude: np.ndarray
    center: np.ndarray
    scale: np.ndarray
    constant: np.ndarray  # bool per feature

    @classmethod
    def fit(cls, X: np.ndarray) -> "InputScaling":
        magnitude = _magnitude(X)
        u = X / magnitude  # in [-1, 1]
        lo, med, hi = np.percentile(u, [25, 50, 75], axis=0)
        spread = (hi - lo) / 1.349
        std = u.std(axis=0)
        spread = np.where(spread > 0, spread, std)
        constant = ~(np.ptp(u, axis=0) > 0)
        scale = np.where(constant | ~(spread > 0), 1.0, spread)
        return cls(magnitude, np.where(constant, u.mean(axis=0) if len(u) else 0.0, med),
                   scale, constant)

    def transform(self, X: np.ndarray) -> np.ndarray:
        z = (X / self.magnitude - self.center) / self.scale
        z[:, self.constant] = 0.0
        return np.clip(z, -CLIP, CLIP)


def feature_kinds(z: np.ndarray, constant: np.ndarray) -> np.ndarray:
    """Per feature: 0 constant, 1 linear only (two distinct values: binary codes), 2 spline."""
    kinds = np.full(z.shape[1], 2)
    for i in range(z.shape[1]):
        if constant[i]:
            kinds[i] = 0
        elif len(np.unique(z[:, i])) <= 2:
            kinds[i] = 1
    return kinds


def spline_knots(z: np.ndarray, grid: int, k: int) -> np.ndarray:
    """Knot vectors ``(n_features, grid + 2k + 1)``, strictly increasing per row.

    The ``grid + 1`` grid points blend equal spacing between the sample
    extremes with the sample quantiles (half each, pykan's ``grid_eps = 0.5``),
    so dense regions get more knots while a cluster of repeated values (integer
    codes, outliers) cannot collapse them; ``k`` extra knots continue the end
    spacing on either side.
    """
    n_feat = z.shape[1]
    q = np.linspace(0.0, 1.0, grid + 1)
    quant = np.quantile(z, q, axis=0).T  # (F, G+1)
    lo, hi = z.min(axis=0), z.max(axis=0)
    width = np.where(hi > lo, hi - lo, 2.0)
    lo = np.where(hi > lo, lo, lo - 1.0)
    uniform = lo[:, None] + width[:, None] * q[None, :]
    points = 0.5 * uniform + 0.5 * np.where((hi > z.min(axis=0))[:, None], quant, uniform)
    step_lo = (points[:, 1] - points[:, 0])[:, None]
    step_hi = (points[:, -1] - points[:, -2])[:, None]
    j = np.arange(1, k + 1)[None, :]
    left = points[:, :1] - step_lo * j[:, ::-1]
    right = points[:, -1:] + step_hi * j
    knots = np.concatenate([left, points, right], axis=1)
    assert knots.shape == (n_feat, grid + 2 * k + 1)
    return knots

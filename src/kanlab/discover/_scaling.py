"""Where the KAN works: standardised columns, optionally in log space.

``raw``: every input and the target standardised (mean 0, std 1).
``mixed``: inputs as in ``log``, the target as in ``raw``: ``g(C·x1^a·x2^b)``
(``cos(k·d)``, ``exp(-E/(k·T))``) is then a function of one sum.
``log``: for a target of one sign, ``log|y|`` is the target and the inputs
whose values are all positive enter as ``log x``: a product of powers
``C·x1^a·x2^b`` becomes the sum ``log C + a·log x1 + b·log x2``, which a
one-layer KAN fits with linear edges.  :meth:`Space.to_original` turns a
formula in the standardised variables back into the original columns and
units.  The target's standardisation is kanlab's one label map,
:class:`kanlab.train._label_scale.LabelScale` (rule ``"standard"``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kanlab.discover._signs import dominant_sign
from kanlab.discover._sympy_bounds import STEP_CPU_S, within
from kanlab.train._label_scale import LabelScale

__all__ = ["Space", "make_space"]

MIN_SIGNED = 0.8  # log space needs this share of the target's rows to have one sign


@dataclass
class Space:
    kind: str  # "raw", "mixed" or "log"
    log_cols: np.ndarray  # bool per input: enters as log(x)
    x_mean: np.ndarray
    x_std: np.ndarray
    y_sign: float
    y_map: LabelScale  # the target (or log|target|) to its standardised values
    # the standardised training targets' range: a spline model's output is held within it,
    # widened by its own width on each side (see y_back)
    t_range: tuple = (-np.inf, np.inf)

    def _pre(self, X):
        X = np.asarray(X, dtype=np.float64)
        return np.where(self.log_cols, np.log(np.where(self.log_cols, np.abs(X), 1.0)), X)

    def usable(self, y) -> np.ndarray:
        """Rows this space can fit: all, except in log space those of the minority sign."""
        y = np.asarray(y)
        return self.y_sign * y > 0 if self.kind == "log" else np.ones(len(y), dtype=bool)

    def x(self, X) -> np.ndarray:
        return (self._pre(X) - self.x_mean) / self.x_std

    def y(self, y) -> np.ndarray:
        t = np.log(self.y_sign * y) if self.kind == "log" else np.asarray(y, dtype=np.float64)
        return self.y_map.to_fitted(t.reshape(-1, 1)).reshape(t.shape)

    def y_back(self, t) -> np.ndarray:
        """A spline model's outputs in the target's units.

        Held within the training targets' range widened by its own width on each
        side: beyond the rows it was trained on, a network of splines (through
        ``exp`` in log space) can extrapolate to any value, 1e266 on a 72-row table.
        """
        t = np.asarray(t, dtype=np.float64)
        lo, hi = self.t_range
        width = hi - lo
        t = np.clip(t, lo - width, hi + width)
        t = self.y_map.to_labels(t.reshape(-1, 1)).reshape(t.shape)
        return self.y_sign * np.exp(t) if self.kind == "log" else t

    def to_original(self, expr, z_symbols, symbols):
        """``expr`` in the standardised variables ``z_symbols`` as a formula in ``symbols``."""
        import sympy
        sub = {}
        for i, (z, s) in enumerate(zip(z_symbols, symbols)):
            pre = sympy.log(s) if self.log_cols[i] else s
            sub[z] = (pre - sympy.Float(self.x_mean[i], 17)) / sympy.Float(self.x_std[i], 17)
        t = self.y_map.formula(expr.xreplace(sub))
        # expanded under a CPU deadline (a power of a long sum multiplies out without end);
        # past it the formula stays as it is, equal in value
        expanded = within(STEP_CPU_S, sympy.expand, t)
        t = t if expanded is None else expanded
        if self.kind != "log":
            return t
        out = sympy.exp(t)
        split = within(STEP_CPU_S, lambda e: sympy.powsimp(sympy.expand(
            e, power_exp=True, mul=False, multinomial=False), combine="base"), out)
        return self.y_sign * (out if split is None else split)


def make_space(kind: str, X, y) -> Space | None:
    """The ``kind`` space fitted on training rows, or None when it does not apply.

    ``log`` needs a target of one sign and at least one all-positive input.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if kind in ("log", "mixed"):
        # the sign of most rows: noise may push a few small values of a positive law below 0;
        # those rows are left out of log-space fits (see usable)
        sign = dominant_sign(y, MIN_SIGNED)
        log_cols = np.all(X > 0, axis=0)
        if kind == "mixed":
            sign = 1.0
        if sign == 0.0 or not log_cols.any():
            return None
    elif kind == "raw":
        sign, log_cols = 1.0, np.zeros(X.shape[1], dtype=bool)
    else:
        raise ValueError(f"space must be 'raw', 'mixed' or 'log', got {kind!r}")
    space = Space(kind, log_cols, np.zeros(X.shape[1]), np.ones(X.shape[1]), sign,
                  LabelScale.none(1))
    pre = space._pre(X)
    keep = space.usable(y)
    pre, y = pre[keep], y[keep]
    t = np.log(sign * y) if kind == "log" else y
    space.x_mean, space.x_std = pre.mean(axis=0), pre.std(axis=0)
    space.x_std[space.x_std == 0] = 1.0
    if not (t.size and np.all(np.isfinite(t)) and np.all(np.isfinite(space.x_std))):
        return None
    space.y_map = LabelScale.choose(t.reshape(-1, 1), "standard")
    fitted = space.y_map.to_fitted(t.reshape(-1, 1))
    space.t_range = (float(fitted.min()), float(fitted.max()))
    return space

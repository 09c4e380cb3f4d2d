"""Labels of any scale: ``kanlab train`` fits rescaled labels and answers in the user's units.

The fit's defaults (sparsity weight, L-BFGS tolerances, the pruning and
symbolic thresholds) are tuned on labels of order one (the default function's
standard deviation is 1.4); ``1e-5*exp(...)`` or ``1e3 + exp(...)`` otherwise
train to a poor model.  The train job fits ``(y - shift) / scale``:

* ``scale`` is the power of ten nearest the labels' standard deviation (pooled
  over the outputs), so the fitted labels have a spread in [0.3, 3], and a
  function times a power of ten trains exactly like the function itself;
* ``shift`` (per output) is the mean rounded to a multiple of ``10 scale``, applied
  only when the mean is at least ``10 scale`` (an offset that would dwarf the
  variation).  The fitted labels keep a mean below 5 spreads, as functions of
  order one have (the default function's is 1.3 spreads), and a round offset
  such as the 1000 of ``1e3 + exp(...)`` is removed exactly: the fit then sees
  the function itself (rounding to ``scale``, which left ``exp(...) - 2``,
  pruned to another structure in a test).

Both are round numbers, so the formula's constants stay nice after mapping back:

* the model: the last layer's edges are multiplied by ``scale`` (spline and base
  weights, and the ``c, d`` of symbolic edges) and each output's ``shift`` is
  added to one of its edges (a symbolic edge's ``d``, or a B-spline edge's
  coefficients, whose basis sums to one on and beyond the grid), so the saved
  model predicts the labels themselves;
* the formula: ``scale * formula + shift`` before rounding;
* the RMSEs logged during training: multiplied by ``scale`` (exact).

A last level with multiplication nodes is left as it is (a product has no
output weight to fold the map into), and an edge basis other than B-splines
gets no shift (it has no constant function to add it to).
"""
from __future__ import annotations

import dataclasses
import math

import torch

__all__ = ["LabelScale"]


@dataclasses.dataclass(frozen=True)
class LabelScale:
    """``labels = scale * fitted + shift`` (``shift`` per output)."""

    shift: tuple[float, ...]
    scale: float = 1.0

    @classmethod
    def of(cls, labels: torch.Tensor, model) -> "LabelScale":
        """The map for the training labels ``(N, n_out)`` that ``model`` can absorb."""
        n_out = labels.shape[1]
        y = labels.double()
        if model.n_mult[-1] or labels.shape[0] < 2:
            return cls((0.0,) * n_out)
        spread = float(y.var(0, unbiased=False).mean().sqrt())
        if not (math.isfinite(spread) and spread > 0):
            return cls((0.0,) * n_out)
        scale = float(f"1e{round(math.log10(spread))}")
        shift = [_round_to(m, 10 * scale) if abs(m) >= 10 * scale else 0.0
                 for m in y.mean(0).tolist()]
        if model.layers[-1].basis_name != "bspline":
            shift = [0.0] * n_out
        return cls(tuple(shift), scale)

    @property
    def identity(self) -> bool:
        return self.scale == 1.0 and not any(self.shift)

    def to_dict(self) -> dict:
        return {"shift": list(self.shift), "scale": self.scale}

    def rescale(self, dataset: dict) -> dict:
        """``dataset`` with its labels mapped to ``(y - shift) / scale`` (inputs shared)."""
        if self.identity:
            return dataset
        out = dict(dataset)
        for key in ("train_label", "test_label"):
            y = dataset[key]
            out[key] = (y - torch.tensor(self.shift, dtype=y.dtype, device=y.device)) / self.scale
        return out

    def history(self, history):
        """A History (or the run log's view of one) with its RMSEs in the labels' units."""
        if self.scale == 1.0:
            return history
        return dataclasses.replace(history, train_rmse=[v * self.scale for v in history.train_rmse],
                                   test_rmse=[v * self.scale for v in history.test_rmse])

    def formula(self, expr, output: int = 0):
        """A sympy formula of the rescaled labels, in the labels' units."""
        import sympy
        if self.scale != 1.0:
            expr = sympy.Float(self.scale) * expr
        return expr + sympy.Float(self.shift[output]) if self.shift[output] else expr

    def model_to_labels(self, model) -> list[int]:
        """Fold the map into ``model`` (in place); returns the outputs left unshifted.

        An output misses its ``shift`` only when no edge reaches it any more
        (every edge into it pruned), which the caller reports.
        """
        if self.identity:
            return []
        last = model.depth - 1
        layer, symbolic = model.layers[last], model.symbolic[last]
        missing = []
        with torch.no_grad():
            layer.scale_base.mul_(self.scale)
            layer.scale_sp.mul_(self.scale)
            symbolic.affine[..., 2:].mul_(self.scale)  # c and d of c * f(a x + b) + d
            for o, shift in enumerate(self.shift):
                if shift and not _shift(layer, symbolic, o, shift):
                    missing.append(o)
        return missing


def _round_to(value: float, step: float) -> float:
    """``value`` rounded to a multiple of ``step`` (as it is when the quotient overflows)."""
    q = value / step
    if not math.isfinite(q):
        return value
    return float(f"{round(q)}e{round(math.log10(step))}")  # step is a power of ten: exact digits


def _shift(layer, symbolic, o: int, value: float) -> bool:
    """Add ``value`` to output ``o`` of a layer through one of its edges; False if none is live."""
    for i in range(symbolic.in_features):
        if symbolic.mask[o, i] != 0:
            symbolic.affine[o, i, 3] += value
            return True
    for i in range(layer.in_features):
        weight = float(layer.scale_sp[o, i] * layer.mask[o, i])
        if weight != 0 and math.isfinite(weight):
            layer.coef[o, i] += value / weight  # B-splines sum to one, also when extrapolated
            return True
    return False

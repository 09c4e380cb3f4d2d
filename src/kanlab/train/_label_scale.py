"""Labels far from order one: fit ``(y - shift) / scale`` and map the results back.

kanlab's defaults (sparsity weight, L-BFGS tolerances, pruning and symbolic
thresholds, spline grids) are tuned on labels of order one, so every entry
point that takes a user's labels fits them in *fitted units*
``t = (y - shift) / scale`` (per output) and answers in the labels' units:
``kanlab train`` (:mod:`kanlab.cli`), the scikit-learn estimators and
:mod:`kanlab.discover`.  :class:`LabelScale` is that map; this module holds
the one definition of how it is chosen (:meth:`LabelScale.choose`) and of how
predictions, a dataset, a History, a formula and a model are mapped
(:meth:`LabelScale.to_labels`, :meth:`~LabelScale.rescale`,
:meth:`~LabelScale.history`, :meth:`~LabelScale.formula`,
:meth:`~LabelScale.fold_into`).

Two rules choose the map (:meth:`LabelScale.choose`):

``"round"`` (``kanlab train``, whose formulas are printed)
    ``scale`` is the power of ten nearest the labels' standard deviation
    (pooled over the outputs), so the fitted labels have a spread in
    [0.3, 3], and a function times a power of ten trains exactly like the
    function itself.  ``shift`` (per output) is the mean rounded to a
    multiple of ``10 scale``, applied only when the mean is at least
    ``10 scale`` (an offset that would dwarf the variation): a round offset
    such as the 1000 of ``1e3 + exp(...)`` is removed exactly and the fit sees
    the function itself.  Both are round numbers, so a formula's constants
    stay nice after mapping back.
``"standard"`` (the estimators, discover)
    ``shift`` the mean and ``scale`` the standard deviation of each output
    (1 for a constant output, which then keeps its own units).

Every step is safe for any finite float64 labels, up to ±1.8e308: the
statistics are taken of the labels divided by a power of two near their
largest magnitude, and the maps divide ``shift`` and ``scale`` by one before
combining them (exact, so results are those of the plain formulas wherever
these do not overflow).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

__all__ = ["LabelScale"]

RULES = ("round", "standard")


@dataclasses.dataclass(frozen=True)
class LabelScale:
    """``labels = scale * fitted + shift``, per output.

    Attributes
    ----------
    shift, scale : tuple of float, one per output
    """

    shift: tuple[float, ...]
    scale: tuple[float, ...]

    def __post_init__(self) -> None:
        shift = tuple(float(v) for v in self.shift)
        scale = tuple(float(v) for v in self.scale)
        if len(shift) != len(scale) or not all(math.isfinite(v) for v in shift) or not all(
                math.isfinite(v) and v > 0 for v in scale):
            raise ValueError("a LabelScale needs one finite shift and one finite scale > 0 per "
                             f"output, got shift={self.shift!r}, scale={self.scale!r}")
        object.__setattr__(self, "shift", shift)
        object.__setattr__(self, "scale", scale)

    # -- the choice ---------------------------------------------------------------------------

    @classmethod
    def none(cls, n_out: int) -> "LabelScale":
        """The identity map of ``n_out`` outputs."""
        return cls((0.0,) * n_out, (1.0,) * n_out)

    @classmethod
    def choose(cls, labels, rule: str = "round") -> "LabelScale":
        """The map for training labels ``(N, n_out)`` (a tensor or an array), by ``rule``.

        See the module docstring for the two rules.  Labels that are constant,
        empty or not finite get the identity map under ``"round"``.
        """
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        y = _as_numpy(labels)
        if y.ndim != 2:
            raise ValueError(f"labels must have shape (N, n_out), got {y.shape}")
        n_out = y.shape[1]
        top = float(np.max(np.abs(y))) if y.size else 0.0
        if not (math.isfinite(top) and top > 0):
            return cls.none(n_out) if rule == "round" or not y.size else \
                cls(tuple(y.mean(0).tolist()), (1.0,) * n_out)
        e = math.frexp(top)[1]  # top < 2**e: the labels divided by 2**e lie in (-1, 1)
        u = _times_pow2(y, -e)
        mean = [_times_pow2(m, e) for m in u.mean(0).tolist()]
        if rule == "standard":
            std = [_times_pow2(s, e) for s in u.std(0).tolist()]
            return cls(tuple(mean), tuple(s if s > 0 else 1.0 for s in std))
        spread_u = float(np.sqrt(u.var(0).mean()))
        if not spread_u > 0:
            return cls.none(n_out)
        scale = float(f"1e{round(math.log10(spread_u) + e * math.log10(2))}")
        shift = [_round_to(m, 10 * scale) if abs(m) >= 10 * scale else 0.0 for m in mean]
        return cls(tuple(shift), (scale,) * n_out)

    def restricted_to(self, model) -> "LabelScale":
        """The part of this map that :meth:`fold_into` can fold into ``model``.

        A last level with multiplication nodes takes none (a product has no
        output weight to fold the map into), and an edge basis other than
        B-splines no shift (it has no constant function to add it to).
        """
        if getattr(model, "affines", None) is not None:  # the output nodes' maps take it all
            return self
        if model.arities[-1]:  # multiplication nodes on the last level
            return LabelScale.none(len(self.shift))
        if model.layers[-1].basis_name != "bspline":
            return LabelScale((0.0,) * len(self.shift), self.scale)
        return self

    # -- what it is -------------------------------------------------------------------------

    @property
    def identity(self) -> bool:
        return all(s == 1.0 for s in self.scale) and not any(self.shift)

    @property
    def unit(self) -> float:
        """The scale shared by every output (the ``"round"`` rule pools them)."""
        if len(set(self.scale)) > 1:
            raise ValueError(f"the outputs have different scales {self.scale}: no common unit")
        return self.scale[0] if self.scale else 1.0

    def to_dict(self) -> dict:
        """``{"shift": [...], "scale": ...}``: ``scale`` one number when the outputs share it."""
        shared = len(set(self.scale)) <= 1
        return {"shift": list(self.shift), "scale": self.unit if shared else list(self.scale)}

    # -- mapping ------------------------------------------------------------------------------

    def to_fitted(self, y):
        """``(y - shift) / scale`` for labels ``(N, n_out)`` (tensor or array, same type back)."""
        e = self._exponent
        shift, scale = _like(self.shift, y, -e), _like(self.scale, y, -e)
        return (_times_pow2(y, -e) - shift) / scale

    def to_labels(self, t):
        """``scale * t + shift`` for fitted values ``(N, n_out)`` (tensor or array).

        Values beyond the float64 range come back as ``±inf`` (no warning);
        the caller decides whether that is an error.
        """
        e = self._exponent
        shift, scale = _like(self.shift, t, -e), _like(self.scale, t, -e)
        with np.errstate(over="ignore", invalid="ignore"):
            return _times_pow2(t * scale + shift, e)

    def rescale(self, dataset: dict) -> dict:
        """``dataset`` with its labels in fitted units (the inputs shared)."""
        if self.identity:
            return dataset
        out = dict(dataset)
        for key in ("train_label", "test_label"):
            out[key] = self.to_fitted(dataset[key])
        return out

    def history(self, history):
        """A History (or the run log's view of one) with its RMSEs in the labels' units."""
        unit = self.unit
        if unit == 1.0:
            return history
        return dataclasses.replace(history, train_rmse=[v * unit for v in history.train_rmse],
                                   test_rmse=[v * unit for v in history.test_rmse])

    def formula(self, expr, output: int = 0):
        """A sympy formula of output ``output`` in fitted units, in the labels' units."""
        scale, shift = self.scale[output], self.shift[output]
        if scale != 1.0:
            expr = _sympy_number(scale) * expr
        return expr + _sympy_number(shift) if shift else expr

    def fold_into(self, model) -> list[int]:
        """Fold the map into ``model`` (in place), so that it predicts the labels themselves.

        The last layer's edges are multiplied by ``scale`` (spline and base
        weights, and the ``c, d`` of symbolic edges) and each output's ``shift``
        is added to one of its edges (a symbolic edge's ``d``, or a B-spline
        edge's coefficients, whose basis sums to one on and beyond the grid).
        A model with node affine maps (``node_affine``) takes the map in its output nodes'
        ``node_scale`` and ``node_bias`` instead.
        Use :meth:`restricted_to` first.  Returns the outputs left unshifted:
        those that no edge reaches any more (every edge into them pruned).
        """
        if self.identity:
            return []
        if getattr(model, "affines", None) is not None:  # node_affine: y -> scale·y + shift
            out = model.affines[-1]
            with torch.no_grad():
                scale = torch.tensor(self.scale).to(out.node_scale)
                out.node_scale.mul_(scale)
                out.node_bias.mul_(scale).add_(torch.tensor(self.shift).to(out.node_bias))
            return []
        last = model.depth - 1
        layer, symbolic = model.layers[last], model.symbolic[last]
        missing = []
        with torch.no_grad():
            scale = torch.tensor(self.scale, dtype=layer.scale_sp.dtype,
                                 device=layer.scale_sp.device)[:, None]  # (out, 1)
            layer.scale_base.mul_(scale)
            layer.scale_sp.mul_(scale)
            symbolic.affine[..., 2:].mul_(scale[:, :, None])  # c and d of c * f(a x + b) + d
            for o, shift in enumerate(self.shift):
                if shift and not _shift(layer, symbolic, o, shift):
                    missing.append(o)
        return missing

    @property
    def _exponent(self) -> int:
        """``e`` with every |shift| and scale below ``2**e`` (so dividing by it cannot overflow)."""
        return math.frexp(max((abs(v) for v in self.shift + self.scale), default=1.0))[1]


def _as_numpy(labels) -> np.ndarray:
    if isinstance(labels, torch.Tensor):
        return labels.detach().cpu().double().numpy()
    return np.asarray(labels, dtype=np.float64)


def _times_pow2(x, e: int):
    """``x * 2**e``, exact; in two factors, since ``2.0**e`` alone overflows for ``|e| > 1023``."""
    half = e // 2
    return x * 2.0 ** half * 2.0 ** (e - half)


def _like(values, x, e: int):
    """``values * 2**e`` as a row broadcasting against ``x`` ``(N, n_out)``, of ``x``'s type."""
    row = [_times_pow2(v, e) for v in values]
    if isinstance(x, torch.Tensor):
        return torch.tensor(row, dtype=x.dtype, device=x.device)
    return np.asarray(row, dtype=np.result_type(np.asarray(x).dtype, np.float64))


def _sympy_number(value: float):
    """``value`` as a sympy Float: 15 digits when they hold it exactly, else 17."""
    import sympy
    return sympy.Float(value, 15 if float(f"{value:.15g}") == value else 17)


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

"""The result of :func:`kanlab.discover`: the formula, the Pareto front, the model, the metrics."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DiscoveryResult", "spline_predictions"]


@dataclass
class DiscoveryResult:
    """What :func:`kanlab.discover.discover` found.

    Attributes:
        formula: the chosen sympy expression in the columns' symbols (None
            when no candidate could be read off).
        formula_str: ``str(formula)``; ``sympy.sympify(formula_str,
            locals=result.sympy_locals)`` gives it back.
        formula_latex: LaTeX of the formula.
        formula_fits: whether the formula predicts the validation rows as
            well as the best spline model (otherwise :meth:`predict` uses the
            spline model and the formula is only the best approximation found).
        pareto: ``[{"formula", "complexity", "val_rmse"}]``, simplest first.
        model: the best spline :class:`kanlab.KAN` (on the scaled inputs of ``space``).
        space: the scaling of that model (:class:`kanlab.discover._scaling.Space`).
        names: the input columns, verbatim; ``symbols`` their identifiers;
            ``name_map`` the names that had to change.
        metrics: split sizes, seed, validation and test errors, timings.
        warnings: dropped columns and rows, and similar notes.
        residual: where no formula fits, ``{"model", "space", "base", "val_rmse"}``: a
            spline model of what the formula ``base`` leaves (``y - base(x)``), kept when
            ``base + model`` predicts the validation rows better than the spline model
            (see :mod:`kanlab.discover._hybrid`); else None.

    :attr:`answer` names the model that :meth:`predict` uses and whose test
    errors the metrics report as ``answer_test_rmse`` and ``answer_test_r2``.
    """

    formula: object
    formula_fits: bool
    pareto: list
    model: object
    space: object
    names: list
    symbols: list
    name_map: dict
    metrics: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    _sympy_symbols: list = field(default_factory=list, repr=False)
    residual: dict | None = None

    @property
    def answer(self) -> str:
        """``"formula"`` (it fits), ``"formula+spline"`` (see ``residual``) or ``"spline"``."""
        if self.formula_fits:
            return "formula"
        return "formula+spline" if self.residual is not None else "spline"

    @property
    def formula_str(self) -> str | None:
        return None if self.formula is None else str(self.formula)

    @property
    def formula_latex(self) -> str | None:
        if self.formula is None:
            return None
        import sympy
        return sympy.latex(self.formula)

    @property
    def sympy_locals(self) -> dict:
        """``locals`` for ``sympy.sympify`` that keep every column a plain symbol."""
        return dict(zip(self.symbols, self._sympy_symbols))

    def predict_formula(self, X) -> np.ndarray:
        from kanlab.discover._constants import evaluate
        if self.formula is None:
            raise ValueError("no formula was found; use predict_spline")
        return evaluate(self.formula, self._sympy_symbols, _columns(X, len(self.names)))

    def predict_spline(self, X) -> np.ndarray:
        return spline_predictions(self.model, self.space, _columns(X, len(self.names)))

    def predict_residual(self, X) -> np.ndarray:
        """``base(x) + spline(x)`` of :attr:`residual` (ValueError when there is none)."""
        from kanlab.discover._constants import evaluate
        if self.residual is None:
            raise ValueError("no formula + spline model was kept; use predict_spline")
        X = _columns(X, len(self.names))
        return (evaluate(self.residual["base"], self._sympy_symbols, X)
                + spline_predictions(self.residual["model"], self.residual["space"], X))

    def predict(self, X) -> np.ndarray:
        """The predictions of :attr:`answer`: the formula when it fits, else the better of
        the formula + spline model and the spline model (chosen on validation rows)."""
        answer = self.answer
        if answer == "formula":
            return self.predict_formula(X)
        return self.predict_residual(X) if answer == "formula+spline" else self.predict_spline(X)

    def __str__(self) -> str:
        return self.formula_str if self.formula is not None else "<no formula>"


def spline_predictions(model, space, X) -> np.ndarray:
    """A spline model's predictions for the rows ``X`` (original columns and units)."""
    import torch
    ids = getattr(model, "input_ids", list(range(X.shape[1])))
    z = torch.as_tensor(space.x(X), dtype=torch.float64, device="cpu")[:, ids]
    out = np.empty(len(X))
    with torch.no_grad():
        for s in range(0, len(X), 8192):
            out[s:s + 8192] = model(z[s:s + 8192])[:, 0].numpy()
    return space.y_back(out)


def _columns(X, n: int) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1 and n == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != n:
        raise ValueError(f"X must have {n} columns (the inputs the result was fitted on), got "
                         f"shape {X.shape}")
    return X

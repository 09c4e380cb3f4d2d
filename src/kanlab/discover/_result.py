"""The result of :func:`kanlab.discover`: the formula, the Pareto front, the model, the metrics."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DiscoveryResult"]


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
        import torch
        X = _columns(X, len(self.names))
        ids = getattr(self.model, "input_ids", list(range(X.shape[1])))
        z = torch.as_tensor(self.space.x(X), dtype=torch.float64)[:, ids]
        out = np.empty(len(X))
        with torch.no_grad():
            for s in range(0, len(X), 8192):
                out[s:s + 8192] = self.model(z[s:s + 8192])[:, 0].numpy()
        return self.space.y_back(out)

    def predict(self, X) -> np.ndarray:
        """The formula's predictions when it fits, else the spline model's."""
        return self.predict_formula(X) if self.formula_fits else self.predict_spline(X)

    def __str__(self) -> str:
        return self.formula_str if self.formula is not None else "<no formula>"


def _columns(X, n: int) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1 and n == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != n:
        raise ValueError(f"X must have {n} columns (the inputs the result was fitted on), got "
                         f"shape {X.shape}")
    return X

"""``KANRegressor(symbolic=True)``: the formula behind the fitted data, by :func:`kanlab.discover`.

The estimator does not search formulas itself: it hands its training rows
and its feature names to the discover pipeline and keeps the result
(``formula_``, ``formula_str_``, ``formula_fits_``, ``discovery_``).
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["attach_formula", "feature_names"]


def feature_names(estimator) -> list[str]:
    """``feature_names_in_`` when fitted on a DataFrame, else ``x0, x1, ...``."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    return [f"x{i}" for i in range(estimator.n_features_in_)]


def attach_formula(estimator, X, y) -> None:
    """Run :func:`kanlab.discover` on ``(X, y)`` and set the estimator's formula attributes.

    Raises:
        ValueError: ``y`` has several outputs, or the rows cannot be searched
            (fewer than 20, a constant target: the discover pipeline's message).
    """
    from kanlab.discover import discover
    from kanlab.discover._table import DataError
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"symbolic=True searches one formula: y must be 1-D, got shape {y.shape}")
    X = np.asarray(X, dtype=np.float64)
    seed = estimator.random_state if isinstance(estimator.random_state, (int, np.integer)) else 0
    try:
        result = discover(X, y, names=feature_names(estimator), seed=int(seed))
    except DataError as err:
        raise ValueError(f"symbolic=True: {err}") from None
    for note in result.warnings:
        warnings.warn(f"symbolic=True: {note}", UserWarning, stacklevel=3)
    estimator.discovery_ = result
    estimator.formula_ = result.formula
    estimator.formula_str_ = result.formula_str
    estimator.formula_fits_ = result.formula_fits

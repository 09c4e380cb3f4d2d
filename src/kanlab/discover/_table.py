"""A table of measurements: the checked numeric columns, their names and what was dropped.

:func:`make_table` is the one place where bad data are turned into
:class:`DataError` messages (one line each): duplicate names, a missing
target, non-numeric cells, NaN or inf cells, too few rows.  Constant columns
are dropped with a warning string (returned, not printed: the library prints
nothing).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DataError", "Table", "make_table", "MIN_ROWS"]

MIN_ROWS = 20  # fewer rows cannot fill a training, a validation and a test split


class DataError(ValueError):
    """The data cannot be used; the message says what is wrong, on one line."""


@dataclass
class Table:
    """Numeric inputs ``X`` (rows × columns), target ``y``, and how they were obtained."""

    X: np.ndarray
    y: np.ndarray
    names: list[str]
    target: str
    warnings: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    dropped_rows: int = 0

    @property
    def n_rows(self) -> int:
        return len(self.y)


def _numeric(values, name: str, row_labels) -> np.ndarray:
    """``values`` as float64, or a DataError naming the column and the first bad row."""
    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        return np.asarray(arr, dtype=np.float64)  # no copy when the column is float64 already
    out = np.empty(len(arr), dtype=np.float64)
    for r, v in enumerate(arr):
        try:
            if isinstance(v, (bool, np.bool_)):
                raise TypeError
            out[r] = float(v)
        except (TypeError, ValueError):
            raise DataError(f"column {name!r} has a non-numeric cell {str(v)!r} in row "
                            f"{row_labels[r]}") from None
    return out


def make_table(columns: dict | None = None, *, X=None, y=None, names=None, target: str = "y",
               features=None, dropna: bool = False, row_labels=None,
               min_rows: int = MIN_ROWS) -> Table:
    """Check the data and build a :class:`Table`.

    Either ``columns`` (an ordered ``{name: values}`` with the target among
    them; ``features`` selects inputs, default every other column) or
    ``X`` (rows × inputs), ``y`` and optional ``names``.

    ``row_labels`` names the rows in messages (default: 1-based data rows).

    Raises:
        DataError: one line saying what is wrong and what is expected.
    """
    if columns is None:
        X = np.asarray(X)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2:
            raise DataError(f"X must be a 2-d array (rows × columns), got shape {X.shape}")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or len(y) != len(X):
            raise DataError(f"y must be one value per row of X ({len(X)} rows), got shape "
                            f"{y.shape}")
        if names is None:
            names = [f"x{i + 1}" for i in range(X.shape[1])]
        names = [str(n) for n in names]
        if len(names) != X.shape[1]:
            raise DataError(f"names gives {len(names)} names for {X.shape[1]} columns of X")
        if target in names:
            target = target + "_target"
        columns = {**{n: X[:, i] for i, n in enumerate(_unique(names))}, target: y}
        features = names
    else:
        names = list(columns)
        _unique(names)
        if target not in columns:
            raise DataError(f"target column {target!r} is not in the data; its columns are: "
                            + ", ".join(names))
        if features is None:
            features = [n for n in names if n != target]
        else:
            features = list(features)
            _unique(features)
            missing = [f for f in features if f not in columns]
            if missing:
                raise DataError(f"feature column(s) {', '.join(map(repr, missing))} not in the "
                                "data; its columns are: " + ", ".join(names))
            if target in features:
                raise DataError(f"the target {target!r} cannot also be a feature")
    if not features:
        raise DataError("no input columns: the data need at least one column besides the target")
    n = len(columns[target])
    labels = row_labels if row_labels is not None else range(1, n + 1)
    data = {name: _numeric(columns[name], name, labels) for name in [*features, target]}
    return _finish(data, list(features), target, dropna, labels, min_rows)


def _unique(names: list[str]) -> list[str]:
    seen, dup = set(), []
    for n in names:
        if n in seen and n not in dup:
            dup.append(n)
        seen.add(n)
    if dup:
        raise DataError("duplicate column names: " + ", ".join(map(repr, dup))
                        + "; every column needs its own name")
    return names


def _finish(data: dict, features: list[str], target: str, dropna: bool, labels,
            min_rows: int) -> Table:
    X = np.column_stack([data[f] for f in features]) if features else np.empty((0, 0))
    y = data[target]
    bad = ~(np.isfinite(X).all(axis=1) & np.isfinite(y))
    dropped_rows = 0
    if bad.any():
        rows = [labels[r] for r in np.flatnonzero(bad)]
        if not dropna:
            shown = ", ".join(map(str, rows[:10])) + (f" and {len(rows) - 10} more"
                                                      if len(rows) > 10 else "")
            raise DataError(f"{len(rows)} row(s) hold NaN or inf cells (rows {shown}); "
                            "fix them or pass --dropna (dropna=True) to drop them")
        X, y, dropped_rows = X[~bad], y[~bad], int(bad.sum())
    if len(y) < min_rows:
        raise DataError(f"{len(y)} usable rows are too few: the model needs at least {min_rows} "
                        "(training, validation and test rows)")
    warnings, dropped_cols, keep = [], [], []
    for c, name in enumerate(features):
        if np.ptp(X[:, c]) == 0:
            warnings.append(f"column {name!r} is constant ({X[0, c]:g}) and is dropped")
            dropped_cols.append(name)
        else:
            keep.append(c)
    if not keep:
        raise DataError("every input column is constant: there is nothing to learn from")
    if np.ptp(y) == 0:
        raise DataError(f"the target {target!r} is constant ({y[0]:g}): there is nothing to learn")
    if dropped_rows:
        warnings.append(f"dropped {dropped_rows} row(s) with NaN or inf cells")
    return Table(X[:, keep], y, [features[c] for c in keep], target, warnings, dropped_cols,
                 dropped_rows)

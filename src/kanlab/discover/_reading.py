"""Reading a table of measurements from CSV/TSV (pandas), ``.npz`` or Parquet (pyarrow).

Every failure becomes a one-line :class:`~kanlab.discover._table.DataError`:
a missing, unreadable or empty file, no header row, and whatever
:func:`~kanlab.discover._table.make_table` finds in the cells.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from kanlab.discover._table import DataError, Table, make_table

__all__ = ["read_table", "read_columns"]


def read_table(path, target: str | None = None, features=None, *, dropna: bool = False,
               min_rows: int | None = None, shard: tuple[int, int] | None = None) -> Table:
    """Read ``path`` and check it (see :func:`kanlab.discover._table.make_table`).

    ``target`` is required for CSV/TSV/Parquet; ``.npz`` files carry ``X`` and
    ``y`` (and optionally ``names``), their target is called ``target`` or ``y``.
    ``shard=(rank, world)`` keeps the data rows ``rank, rank + world, ...`` only
    (``kanlab train --ddp --data``: each process reads its own rows; messages
    still name the file's lines).
    """
    columns, labels, npz_target = read_columns(path, shard)
    if npz_target is not None:
        target = target or npz_target
        if target != npz_target and target not in columns:
            target = npz_target
    if target is None:
        raise DataError("--target is required: name the column to predict; the columns are: "
                        + ", ".join(columns))
    kwargs = {} if min_rows is None else {"min_rows": min_rows}
    return make_table(columns, target=target, features=features, dropna=dropna,
                      row_labels=labels, **kwargs)


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def read_columns(path, shard: tuple[int, int] | None = None) -> tuple[dict, list, str | None]:
    """``({name: values}, row labels, target name or None)`` of a data file.

    ``shard=(rank, world)``: only every ``world``-th data row from ``rank`` on.
    A numeric CSV/TSV is parsed for those rows only; other files are read
    whole and then cut.
    """
    if shard is not None:
        rank, world = shard
        if not (isinstance(rank, int) and isinstance(world, int) and 0 <= rank < world):
            raise ValueError(f"shard must be (rank, world) with 0 <= rank < world, got {shard!r}")
        if world == 1:
            shard = None
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file {str(path)!r} does not exist")
    if path.is_dir():
        raise DataError(f"data file {str(path)!r} is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise DataError(f"data file {str(path)!r} is not readable (permission denied)")
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} is not a regular file (a FIFO, device or "
                        "socket)")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"data file {str(path)!r} is empty")
    memory = _memory_bytes()
    if memory is not None and size > memory // 2:  # parsing needs several times the text
        raise DataError(f"data file {str(path)!r} is {size / 2 ** 30:.3g} GiB, more than half "
                        f"of this machine's {memory / 2 ** 30:.3g} GiB of memory; sample its "
                        "rows into a smaller file")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _cut(_read_npz(path), shard)
    if suffix in (".parquet", ".pq"):
        return _cut(_read_parquet(path), shard)
    return _read_text(path, "\t" if suffix in (".tsv", ".tab") else None, shard)


def _cut(read, shard):
    """The rows of ``shard`` of a ``(columns, labels, target)`` triple."""
    if shard is None:
        return read
    columns, labels, target = read
    rank, world = shard
    return ({k: v[rank::world] for k, v in columns.items()}, labels[rank::world], target)


def _read_text(path: Path, sep: str | None, shard=None):
    try:
        import pandas as pd
    except ImportError:
        raise DataError("reading CSV/TSV needs pandas: pip install 'kanlab[data]'") from None
    fast = _read_numeric_text(path, sep, pd, shard)
    if fast is not None:
        return fast
    try:  # header=None: the first row is read as data, so duplicate names are not renamed
        frame = pd.read_csv(path, sep=sep or ",", header=None, dtype=str,
                            keep_default_na=False, skipinitialspace=True)
    except UnicodeDecodeError:
        raise DataError(f"data file {str(path)!r} is not text (cannot decode it as UTF-8)") \
            from None
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {str(path)!r} has no rows or header") from None
    except (pd.errors.ParserError, ValueError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"cannot read {str(path)!r} as a table: {first}") from None
    other = _other_separator(frame, sep)
    if other is not None:
        return _read_text(path, other, shard)
    names = [str(c).strip() for c in frame.iloc[0]]
    body = frame.iloc[1:]
    _check_header(path, names, len(body))
    from kanlab.discover._table import _unique
    _unique(names)
    columns = {name: _parse_cells(body[col].to_numpy()) for name, col in zip(names, body.columns)}
    labels = range(2, len(body) + 2)  # line numbers in the file (header is line 1)
    return _cut((columns, labels, None), shard)


# cells read as NaN by the fast path (the cell-by-cell path accepts any case of these)
_NA = ["", "na", "NA", "Na", "nan", "NaN", "NAN", "n/a", "N/A", "null", "NULL", "Null"]


def _read_numeric_text(path: Path, sep: str | None, pd, shard=None):
    """The common case, a header and numbers only, read by pandas' C parser straight into float64.

    Returns None when the file is anything else (no header, duplicate or empty
    names, a non-numeric cell, ragged rows, not UTF-8 ...): the cell-by-cell
    path then reads it and names the problem.  A 1e6-row × 10-column CSV
    takes about 90 MB of arrays this way instead of a Python string per cell.
    """
    try:
        head = pd.read_csv(path, sep=sep or ",", header=None, nrows=1, dtype=str,
                           keep_default_na=False, skipinitialspace=True)
        other = _other_separator(head, sep)
        if other is not None:
            sep = other
            head = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str,
                               keep_default_na=False, skipinitialspace=True)
        names = [str(c).strip() for c in head.iloc[0]]
        if len(set(names)) != len(names) or any(n == "" for n in names) or all(
                _is_number(n) for n in names):
            return None
        rank, world = shard or (0, 1)
        skip = 1 if world == 1 else (lambda i: i == 0 or (i - 1) % world != rank)
        frame = pd.read_csv(path, sep=sep or ",", header=None, skiprows=skip,
                            names=list(range(len(names))), dtype=np.float64, engine="c",
                            keep_default_na=False, na_values=_NA, skipinitialspace=True,
                            index_col=False)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError):
        return None
    if len(frame) == 0 or frame.shape[1] != len(names):
        return None
    columns = {name: frame[col].to_numpy(dtype=np.float64, copy=False)
               for name, col in zip(names, frame.columns)}
    rank, world = shard or (0, 1)  # labels: the file's line numbers (the header is line 1)
    return columns, range(2 + rank, 2 + rank + world * len(frame), world), None


def _other_separator(head, sep: str | None) -> str | None:
    """A tab or ``;`` when a file read with commas has one column whose header holds it."""
    if sep is not None or head.shape[1] != 1:
        return None
    first = str(head.iloc[0, 0])
    return next((c for c in ("\t", ";") if c in first), None)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _parse_cells(cells: np.ndarray) -> np.ndarray:
    """Strings to floats where they parse; 'nan'/'inf' and empty cells to NaN/inf; others kept."""
    try:  # fast path: every cell a number (numpy parses the strings in C)
        return np.asarray(cells).astype(np.float64)
    except (TypeError, ValueError):
        pass
    out = np.empty(len(cells), dtype=object)
    for r, v in enumerate(cells):
        s = v.strip() if isinstance(v, str) else v
        if s == "" or (isinstance(s, str) and s.lower() in ("na", "nan", "n/a", "null")):
            out[r] = np.nan
        else:
            try:
                out[r] = float(s)
            except (TypeError, ValueError):
                out[r] = s
    try:
        return out.astype(np.float64)
    except (TypeError, ValueError):
        return out


def _check_header(path: Path, names: list[str], n_rows: int) -> None:
    def number(s):
        try:
            float(s)
            return True
        except ValueError:
            return False
    if names and all(number(n) for n in names):
        raise DataError(f"data file {str(path)!r} has no header row: its first line holds "
                        "numbers; add a line of column names")
    if any(n.startswith("Unnamed:") or n == "" for n in names):
        raise DataError(f"data file {str(path)!r} has an empty column name in its header row")
    if n_rows == 0:
        raise DataError(f"data file {str(path)!r} has a header but no data rows")


def _read_npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (ValueError, OSError, EOFError) as err:
        raise DataError(f"cannot read {str(path)!r} as .npz: {str(err).splitlines()[0]}") from None
    if "X" not in arrays or "y" not in arrays:
        raise DataError(f"{str(path)!r} must hold arrays 'X' and 'y' (optionally 'names'); "
                        f"it holds: {', '.join(arrays) or 'nothing'}")
    X, y = np.asarray(arrays["X"]), np.asarray(arrays["y"])
    if X.ndim == 1:
        X = X[:, None]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise DataError(f"{str(path)!r}: X must be rows × columns and y one value per row, got "
                        f"shapes {X.shape} and {y.shape}")
    names = ([str(n) for n in np.asarray(arrays["names"]).ravel()] if "names" in arrays
             else [f"x{i + 1}" for i in range(X.shape[1])])
    if len(names) == X.shape[1] + 1:  # names include the target's
        *names, target = names
    else:
        target = "y"
    if len(names) != X.shape[1]:
        raise DataError(f"{str(path)!r}: 'names' gives {len(names)} names for {X.shape[1]} "
                        "columns of X")
    if len(y) == 0:
        raise DataError(f"data file {str(path)!r} has no rows")
    from kanlab.discover._table import _unique
    _unique(names + [target])
    columns = {n: X[:, i] for i, n in enumerate(names)} | {target: y}
    return columns, list(range(len(y))), target


def _read_parquet(path: Path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError("reading Parquet needs pyarrow: pip install 'kanlab[parquet]'") from None
    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises its own ArrowInvalid/OSError family
        raise DataError(f"cannot read {str(path)!r} as Parquet: {str(err).splitlines()[0]}") \
            from None
    names = [str(n) for n in table.column_names]
    from kanlab.discover._table import _unique
    _unique(names)
    if table.num_rows == 0:
        raise DataError(f"data file {str(path)!r} has no rows")
    columns = {}
    for name in names:
        values = table.column(name).to_numpy(zero_copy_only=False)
        columns[name] = values if values.dtype.kind in "fiu" else _parse_cells(
            np.asarray(values, dtype=object))
    return columns, list(range(table.num_rows)), None

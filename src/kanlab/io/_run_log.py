"""Per-step run logs: ``history.csv`` in every run directory, TensorBoard events on request.

:class:`RunLog` turns the per-step state of :func:`kanlab.fit` (through
``FitConfig.callback``) into rows with the columns :data:`COLUMNS` and hands
them to its loggers:

* :class:`CSVLogger` writes ``history.csv``.  The header is written
  atomically when the log opens (an old file is replaced whole); every row
  is then appended with a single ``write(2)`` of a complete line, without
  user-space buffering.  A crash or a kill at any moment therefore leaves a
  file of whole rows that every CSV reader accepts; only a power loss or OS
  crash mid-write could leave a torn last line, which :func:`read_history`
  drops.  The file is fsynced when the log closes.
* :class:`TensorBoardLogger` writes event files with
  ``torch.utils.tensorboard``, which needs the optional ``tensorboard``
  package (``pip install "kanlab[tensorboard]"``).
"""
from __future__ import annotations

import os
import time
import weakref
from pathlib import Path
from typing import Callable, Sequence

from kanlab.io._atomic import atomic_write_text

__all__ = ["COLUMNS", "CSVLogger", "TensorBoardLogger", "RunLog", "read_history",
           "check_tensorboard"]

COLUMNS = ("global_step", "stage", "grid", "step", "train_rmse", "test_rmse", "reg",
           "grid_update", "wall_time")
"""``global_step``: steps done over the whole run; ``stage``: index of the grid in the
schedule; ``grid``: intervals per spline; ``step``: steps done in this stage;
``train_rmse``/``test_rmse``/``reg``: as in :class:`kanlab.History`; ``grid_update``:
1 when the grid was updated since the previous row; ``wall_time``: seconds since the
log was opened."""

_INT_COLUMNS = ("global_step", "stage", "grid", "step", "grid_update")
_TENSORBOARD_HINT = ('TensorBoard logging needs the tensorboard package: '
                     'pip install "kanlab[tensorboard]" (or pip install tensorboard)')


def _format(value) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same float; nan, inf
    return str(value)


class CSVLogger:
    """Append-only CSV of :data:`COLUMNS`, one complete line per ``write(2)``.

    Parameters
    ----------
    path
        the file; an existing one is replaced, unless ``append``.
    append
        keep the rows of an existing file (a resumed run) and add to them.
    """

    def __init__(self, path: str | os.PathLike, append: bool = False) -> None:
        self.path = Path(path)
        if not (append and self.path.is_file()):
            atomic_write_text(self.path, ",".join(COLUMNS) + "\n")
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        # a log abandoned by an exception still releases its descriptor
        self._release = weakref.finalize(self, os.close, self._fd)

    def log(self, row: dict) -> None:
        """Append one row; ``row`` must hold every column of :data:`COLUMNS`."""
        if self._fd is None:
            raise ValueError(f"{self.path} is closed")
        missing = [c for c in COLUMNS if c not in row]
        if missing:
            raise ValueError(f"row lacks columns {missing}; expected {list(COLUMNS)}")
        data = (",".join(_format(row[c]) for c in COLUMNS) + "\n").encode()
        while data:  # write(2) may write less than asked (never in practice on a file)
            data = data[os.write(self._fd, data):]

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                self._release()  # closes fd, once


def check_tensorboard() -> None:
    """Raise ``ImportError`` with the install command unless TensorBoard logging can work."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError as err:
        raise ImportError(f"{_TENSORBOARD_HINT} ({err})") from None


class TensorBoardLogger:
    """Scalars ``rmse/train``, ``rmse/test``, ``reg`` and ``grid`` against ``global_step``.

    Parameters
    ----------
    logdir
        directory of the event files (``tensorboard --logdir`` it).
    """

    def __init__(self, logdir: str | os.PathLike) -> None:
        check_tensorboard()
        from torch.utils.tensorboard import SummaryWriter
        self.logdir = Path(logdir)
        self._writer = SummaryWriter(log_dir=str(self.logdir))

    def log(self, row: dict) -> None:
        step = row["global_step"]
        for tag, key in (("rmse/train", "train_rmse"), ("rmse/test", "test_rmse"),
                         ("reg", "reg"), ("grid", "grid")):
            self._writer.add_scalar(tag, row[key], global_step=step)

    def close(self) -> None:
        self._writer.close()


class RunLog:
    """Rows from ``fit`` callbacks, fanned out to loggers; a context manager that closes them.

    Parameters
    ----------
    loggers
        objects with ``log(row)`` and ``close()``.
    clock
        seconds, for the ``wall_time`` column.

    Examples
    --------
    >>> with RunLog([CSVLogger(out / "history.csv")]) as run_log:     # doctest: +SKIP
    ...     fit(model, data, FitConfig(callback=run_log.fit_callback(stage=0, grid=5)))
    """

    def __init__(self, loggers: Sequence, clock: Callable[[], float] = time.perf_counter) -> None:
        self.loggers = list(loggers)
        self._clock = clock
        self._start = clock()
        self.steps_done = 0  # global steps at the end of the last logged step

    def fit_callback(self, stage: int, grid: int) -> Callable:
        """A ``FitConfig.callback`` for one ``fit`` call: logs a row at every evaluated step."""
        offset = self.steps_done
        seen = {"rows": 0, "grid_updates": 0}

        def callback(step: int, model, history) -> None:
            self.steps_done = offset + step + 1
            if len(history.step) == seen["rows"]:  # no evaluation at this step
                return
            seen["rows"] = len(history.step)
            updated = len(history.grid_update_steps) > seen["grid_updates"]
            seen["grid_updates"] = len(history.grid_update_steps)
            self.log({"global_step": offset + history.step[-1], "stage": stage, "grid": grid,
                      "step": history.step[-1], "train_rmse": history.train_rmse[-1],
                      "test_rmse": history.test_rmse[-1], "reg": history.reg[-1],
                      "grid_update": updated, "wall_time": self._clock() - self._start})

        return callback

    def log(self, row: dict) -> None:
        for logger in self.loggers:
            logger.log(row)

    def close(self) -> None:
        errors = []
        for logger in self.loggers:  # close them all even if one fails
            try:
                logger.close()
            except Exception as err:  # noqa: BLE001 - re-raised below
                errors.append(err)
        if errors:
            raise errors[0]

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_history(path: str | os.PathLike) -> dict[str, list]:
    """Columns of a ``history.csv`` as lists (ints and floats); a torn last line is dropped."""
    text = Path(path).read_text()
    lines = text.split("\n")
    if lines and lines[-1] != "":  # no final newline: the last row was cut short
        lines = lines[:-1]
    lines = [line for line in lines if line]
    if not lines or tuple(lines[0].split(",")) != COLUMNS:
        raise ValueError(f"{path} is not a kanlab history.csv: expected the header "
                         f"{','.join(COLUMNS)!r}")
    columns: dict[str, list] = {c: [] for c in COLUMNS}
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(",")
        if len(fields) != len(COLUMNS):
            raise ValueError(f"{path}, line {number}: expected {len(COLUMNS)} fields, "
                             f"got {len(fields)}")
        for name, field in zip(COLUMNS, fields):
            columns[name].append(int(field) if name in _INT_COLUMNS else float(field))
    return columns

"""The run directory of ``kanlab train``: its lock, its progress record and its checkpoints.

A run directory holds at most one run at a time:

* ``run.lock`` is locked (``flock``) by the process that writes the
  directory for as long as it runs, so a second run with the same ``--out``
  is refused at once instead of interleaving its files with the first;
* ``progress.json`` is written (atomically) before any work and after every
  finished stage.  It names the checkpoint the run continues from
  (``checkpoint-<stage>.safetensors``, written before it, so the pair is
  always consistent; ``null`` before the first stage ends: the model is then
  rebuilt from the stored options), how many rows of ``history.csv`` belong
  to that checkpoint (rows beyond are dropped on resume), and ``status``:
  ``"running"``, ``"interrupted"`` or ``"completed"``.

A run stopped at any moment, by a signal, ``kill -9``, a full disk or a lost
``--ddp`` rank, therefore leaves a directory that ``--resume`` continues from
its last finished stage (or, after SIGINT/SIGTERM, from the step it reached).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import stat
from pathlib import Path

from kanlab._validation import is_count
from kanlab.io._atomic import atomic_write_bytes, atomic_write_text

__all__ = ["RunDirBusy", "lock_run_dir", "release_run_dir", "existing_run", "clear_run",
           "save_progress", "load_progress", "check_resumable", "truncate_history",
           "PROGRESS", "LOCK"]

PROGRESS = "progress.json"
LOCK = "run.lock"
HISTORY = "history.csv"
_CHECKPOINT_PREFIX = "checkpoint-"
_CHECKPOINT_SUFFIX = ".safetensors"
_HELD: dict[str, int] = {}  # run directories this process has locked -> lock file descriptor


class RunDirBusy(RuntimeError):
    """Another process is running in this run directory (or its lock file cannot be used)."""


MAX_PROGRESS_BYTES = 10_000_000  # progress.json holds options and per-stage records: kilobytes


def _read_regular(path: Path, limit: int = MAX_PROGRESS_BYTES) -> str:
    """UTF-8 text of the regular file ``path`` (a link to one is fine), without blocking.

    A FIFO, device, socket or directory in its place, or a file over
    ``limit`` bytes, is a ``ValueError``; a missing file ``FileNotFoundError``.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path.name} is not a regular file (a directory, FIFO or device)")
        if info.st_size > limit:
            raise ValueError(f"{path.name} is {info.st_size} bytes, more than the {limit} a "
                             "kanlab run writes")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    return data.decode("utf-8")


def lock_run_dir(out: Path) -> None:
    """Take the run directory's lock for this process (a no-op if it holds it already).

    Raises:
        RunDirBusy: another process holds it.
    """
    key = os.path.realpath(out)
    if key in _HELD:
        return
    try:
        import fcntl
    except ImportError:  # no flock (Windows): concurrent runs are not detected
        return
    path = os.path.join(key, LOCK)
    try:  # never through a link, never blocking on a FIFO
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0), 0o666)
    except OSError as err:
        raise RunDirBusy(f"cannot lock run directory {str(out)!r}: {LOCK} cannot be opened "
                         f"({err.strerror or err}; a directory or a symbolic link in its "
                         "place?); remove it") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise RunDirBusy(f"cannot lock run directory {str(out)!r}: {LOCK} is not a regular "
                         "file; remove it")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        finally:
            os.close(fd)
        raise RunDirBusy(f"run directory {str(out)!r} is in use by another kanlab run (pid "
                         f"{holder}); wait for it to end or choose another --out") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _HELD[key] = fd


def release_run_dir(out: Path) -> None:
    """Release the lock taken by :func:`lock_run_dir` (a no-op if not held)."""
    fd = _HELD.pop(os.path.realpath(out), None)
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the flock


def existing_run(out: Path) -> str | None:
    """``"completed"``, ``"unfinished"`` or None: what run ``out`` already holds."""
    path = out / PROGRESS
    if os.path.lexists(path):
        try:
            state = json.loads(_read_regular(path))
            return "completed" if isinstance(state, dict) and \
                state.get("status") == "completed" else "unfinished"
        except (OSError, ValueError, RecursionError):
            return "unfinished"
    if (out / "metrics.json").exists() or (out / "model.safetensors").exists():
        return "completed"
    return None


def _checkpoints(out: Path) -> list[Path]:
    return sorted(out.glob(f"{_CHECKPOINT_PREFIX}*{_CHECKPOINT_SUFFIX}"))


def clear_run(out: Path) -> None:
    """Remove the files of the run in ``out`` (for ``--overwrite``); the figures are replaced later."""
    for name in (PROGRESS, "metrics.json", HISTORY, "model.safetensors"):
        (out / name).unlink(missing_ok=True)
    for path in _checkpoints(out):
        path.unlink(missing_ok=True)
    shutil.rmtree(out / "tensorboard", ignore_errors=True)


def _history_rows(out: Path) -> int:
    try:
        with open(out / HISTORY, "rb") as f:
            return max(sum(1 for _ in f) - 1, 0)
    except FileNotFoundError:
        return 0


def truncate_history(out: Path, rows: int) -> None:
    """Keep the header and the first ``rows`` rows of ``history.csv`` (rows past the checkpoint)."""
    path = out / HISTORY
    if not path.is_file():
        return
    lines = path.read_bytes().splitlines(keepends=True)  # bytes: damaged rows need no decoding
    if len(lines) > rows + 1:
        atomic_write_bytes(path, b"".join(lines[:rows + 1]))


def save_progress(out: Path, model, state: dict, status: str, tag: str | None = None) -> None:
    """Checkpoint ``model`` (when given) as ``checkpoint-<tag>``, then ``progress.json`` naming it.

    Older checkpoints are removed only once ``progress.json`` no longer names
    them, so a stop at any instant leaves a consistent pair.
    """
    if model is not None:
        name = f"{_CHECKPOINT_PREFIX}{tag}{_CHECKPOINT_SUFFIX}"
        model.save(out / name)
        state["checkpoint"] = name
    if model is not None or "history_rows" not in state:  # the rows that belong to the checkpoint
        state["history_rows"] = _history_rows(out)
    atomic_write_text(out / PROGRESS,
                      json.dumps(state | {"status": status}, indent=1, default=str) + "\n")
    for path in _checkpoints(out):
        if path.name != state.get("checkpoint"):
            path.unlink(missing_ok=True)


def _is_history(record) -> bool:
    """Whether ``record`` is a stored :class:`kanlab.train.History`: known fields, right types."""
    from dataclasses import fields

    from kanlab.train._history import History
    if not isinstance(record, dict):
        return False
    kinds = {f.name: f.type for f in fields(History)}
    for key, value in record.items():
        kind = kinds.get(key)
        if kind is None:
            return False
        if kind.startswith("list"):
            numbers = isinstance(value, list) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            if not numbers:
                return False
        elif kind == "float" and not (isinstance(value, (int, float))
                                      and not isinstance(value, bool)):
            return False
        elif kind == "str" and not isinstance(value, str):
            return False
        elif kind == "int | None" and not (value is None or is_count(value)):
            return False
    return True


def load_progress(out: Path) -> dict:
    """The progress record of the run in ``out``, checked; ValueError saying what is wrong."""
    path = out / PROGRESS
    try:
        text = _read_regular(path)
    except FileNotFoundError:
        raise ValueError(f"cannot resume {out}: it has no {PROGRESS} (not a kanlab run "
                         "directory); start the run again with the same --out") from None
    except (OSError, ValueError) as err:
        raise ValueError(f"cannot resume {out}: {PROGRESS} cannot be read ({err})") from None
    if os.path.lexists(out / HISTORY) and not (out / HISTORY).is_file():
        raise ValueError(f"cannot resume {out}: {HISTORY} is not a regular file (a directory, "
                         "FIFO, device or broken link); remove it")
    try:
        state = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise ValueError(f"cannot resume {out}: {PROGRESS} is corrupted ({str(err)[:100]})") \
            from None
    if not isinstance(state, dict):
        raise ValueError(f"cannot resume {out}: {PROGRESS} holds a JSON "
                         f"{type(state).__name__}, expected an object")
    if state.get("status") == "completed":
        raise ValueError(f"cannot resume {out}: that run already completed")
    expected = {"config": dict, "next": int, "steps_done": int, "records": list,
                "histories": list}
    for key, kind in expected.items():
        if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool) or (
                kind is int and state[key] < 0):
            raise ValueError(f"cannot resume {out}: {PROGRESS} lacks a valid {key!r} "
                             f"(expected {'a count' if kind is int else 'a JSON ' + kind.__name__})")
    if not all(isinstance(h, list) and len(h) == 2 and _is_history(h[1])
               for h in state["histories"]):
        raise ValueError(f"cannot resume {out}: {PROGRESS} has malformed 'histories'")
    wall = state.setdefault("wall_time", 0.0)
    if not isinstance(wall, (int, float)) or not math.isfinite(wall):
        raise ValueError(f"cannot resume {out}: {PROGRESS} has an invalid 'wall_time'")
    if not isinstance(state.setdefault("symbolic", None), (dict, type(None))):
        raise ValueError(f"cannot resume {out}: {PROGRESS} has an invalid 'symbolic'")
    if "checkpoint" not in state:  # written before checkpoints were named in it
        state["checkpoint"] = "model.safetensors"
    name = state["checkpoint"]
    if name is not None and (not isinstance(name, str) or os.path.basename(name) != name
                             or not (out / name).is_file()):
        raise ValueError(f"cannot resume {out}: its checkpoint {name!r} is missing")
    if not is_count(state.setdefault("history_rows", _history_rows(out))):
        raise ValueError(f"cannot resume {out}: {PROGRESS} has an invalid 'history_rows'")
    return state


def check_resumable(out: Path) -> dict:
    """:func:`load_progress` plus the stored options and the checkpoint itself, checked."""
    from dataclasses import fields

    from kanlab.cli._train_job import TrainConfig, plan
    state = load_progress(out)
    names = {f.name for f in fields(TrainConfig)}
    try:
        cfg = TrainConfig(**{k: v for k, v in state["config"].items() if k in names})
        stages = plan(cfg)
    except (TypeError, ValueError, KeyError, IndexError) as err:
        raise ValueError(f"cannot resume {out}: its stored options are invalid ({err})") from None
    from kanlab.cli._stored_options import check_stored_options
    try:
        check_stored_options(state["config"])
    except ValueError as err:
        raise ValueError(f"cannot resume {out}: {err}") from None
    if state["next"] > len(stages):
        raise ValueError(f"cannot resume {out}: progress names stage {state['next'] + 1} of a "
                         f"{len(stages)}-stage run")
    if state["checkpoint"] is not None:
        from kanlab.io._checkpoint import load
        try:
            load(out / state["checkpoint"])
        except ValueError as err:
            raise ValueError(f"cannot resume {out}: {err}") from None
    return state

"""Atomic PNG output and variable names, shared by the figure modules."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from kanlab.io._atomic import atomic_writer

__all__ = ["DPI", "check_names", "save_png"]

DPI = 150  # resolution of every written PNG


def save_png(fig: Figure, path: str | os.PathLike) -> None:
    """Write ``fig`` to ``path`` as a PNG, atomically (:func:`kanlab.io._atomic.atomic_writer`)."""
    target = Path(os.fspath(path))
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(target)!r}: directory "
                                f"{str(target.parent)!r} does not exist")
    with atomic_writer(target) as handle:
        fig.savefig(handle, format="png", dpi=DPI)


def check_names(names: Sequence[str] | None, n: int, letter: str, arg: str) -> list[str]:
    """``names`` checked to hold ``n`` entries, or mathtext ``$x_{1}$ .. $x_{n}$`` if None."""
    if names is None:
        return [f"${letter}_{{{i + 1}}}$" for i in range(n)]
    if isinstance(names, str) or len(names) != n:
        raise ValueError(f"{arg} must be a sequence of {n} names, got {names!r}")
    return [str(name) for name in names]

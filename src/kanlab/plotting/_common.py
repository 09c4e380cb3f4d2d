"""Figures with fixed margins, atomic PNG output and variable names, shared by the figure modules."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from kanlab.io._atomic import atomic_writer

__all__ = ["DPI", "TITLE_Y", "check_names", "save_png", "figure_with_axes"]

DPI = 150  # resolution of every written PNG
# axes titles at a fixed height (axes fraction, plus the title's pad): given explicitly,
# matplotlib does not measure every tick label's extent at each draw to place them (the
# figures have no ticks above their axes); a fifth of the figures' time
TITLE_Y = 1.0


def figure_with_axes(figsize: tuple[float, float], rows: int = 1, cols: int = 1, *,
                     left: float = 0.8, right: float = 0.2, bottom: float = 0.6,
                     top: float = 0.45, wspace: float = 0.8, hspace: float = 0.6,
                     **subplots) -> tuple[Figure, object]:
    """A figure and its ``rows × cols`` axes (``fig.subplots``), with margins and gaps in inches.

    Fixed margins instead of matplotlib's constrained layout: that layout measures
    every text's extent before each draw and made up about half of the time
    ``kanlab train`` spent on its figures, whose labels have short, known sizes.
    ``subplots`` go to :meth:`~matplotlib.figure.Figure.subplots` (``sharex``,
    ``height_ratios``, ``squeeze``).
    """
    width, height = figsize
    ax_w = (width - left - right - (cols - 1) * wspace) / cols
    ax_h = (height - top - bottom - (rows - 1) * hspace) / rows
    fig = Figure(figsize=figsize)
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                        top=1 - top / height, wspace=wspace / ax_w, hspace=hspace / ax_h)
    return fig, fig.subplots(rows, cols, **subplots)


def save_png(fig: Figure, path: str | os.PathLike) -> None:
    """Write ``fig`` to ``path`` as a PNG, atomically (:func:`kanlab.io._atomic.atomic_writer`).

    Not fsynced: a figure is drawn again from the model, and ``kanlab train``'s
    four figures saved eight fsyncs (about 0.1 s of wall time on a busy disk).
    """
    target = Path(os.fspath(path))
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(target)!r}: directory "
                                f"{str(target.parent)!r} does not exist")
    with atomic_writer(target, durable=False) as handle:  # zlib level 1: a sixth larger, encoded in a
        # fraction of level 6's time (about 0.1 s less for kanlab train's four figures)
        fig.savefig(handle, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})


def check_names(names: Sequence[str] | None, n: int, letter: str, arg: str) -> list[str]:
    """``names`` checked to hold ``n`` entries, or mathtext ``$x_{1}$ .. $x_{n}$`` if None."""
    if names is None:
        return [f"${letter}_{{{i + 1}}}$" for i in range(n)]
    if isinstance(names, str) or len(names) != n:
        raise ValueError(f"{arg} must be a sequence of {n} names, got {names!r}")
    return [str(name) for name in names]

"""Train and test RMSE over one or more training stages (grid extension, Liu et al. 2024 §2.4)."""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from kanlab.train._history import History
from kanlab.plotting._common import TITLE_Y, figure_with_axes, save_png

__all__ = ["plot_history"]

TRAIN, TEST, MARK = "tab:blue", "tab:orange", "0.35"


def _check_stages(stages) -> list[tuple[int | None, History]]:
    if isinstance(stages, History):
        return [(None, stages)]
    if isinstance(stages, (str, bytes)) or not isinstance(stages, Sequence) or not stages:
        raise ValueError("stages must be a History or a non-empty list of (grid, History) pairs, "
                         f"got {stages!r}")
    for item in stages:
        if not (isinstance(item, (tuple, list)) and len(item) == 2
                and isinstance(item[1], History)):
            raise TypeError("every stage must be a (grid, History) pair, "
                            f"got {type(item).__name__}: {item!r}")
    return [(grid, history) for grid, history in stages]


def _length(history: History) -> int:
    """Steps a stage ran: its last evaluated step, or where it stopped, or its last grid update."""
    ends = [0, *history.step[-1:], *(s + 1 for s in history.grid_update_steps[-1:])]
    if history.stopped_at is not None:
        ends.append(history.stopped_at)
    return max(ends)


def plot_history(stages: History | Sequence[tuple[int, History]], *,
                 path: str | os.PathLike | None = None) -> Figure:
    """Plot train and test RMSE against the step, over all training stages.

    Parameters
    ----------
    stages : History or sequence of (int, History)
        One :class:`kanlab.History`, or ``(grid, history)`` per stage in
        training order (as in grid extension: ``G = 3, 5, 10, ..``).  Each
        history counts its steps from 1.
    path : str or PathLike, optional
        Where to write the PNG (atomically).

    Returns
    -------
    Figure
        One axes, log y: train (solid) and test (dashed) RMSE against the
        cumulative step.  Dashed vertical lines separate the stages, each stage
        labelled ``G=..`` above the axes (or by the stage name, when a string is given in place of the grid); triangles on the x axis mark the grid
        updates inside a stage (``grid_update_steps``, drawn after that many
        steps of the stage).
    """
    stages = _check_stages(stages)
    fig, ax = figure_with_axes((8.5, 4.6), left=0.85, right=0.15, top=0.75)
    axis_x = ax.get_xaxis_transform()  # x in data, y in axes fraction
    steps, train, test, updates, bounds = [], [], [], [], [0]
    for grid, history in stages:
        offset = bounds[-1]
        steps += [offset + s for s in history.step]
        train += list(history.train_rmse)
        test += list(history.test_rmse)
        updates += [offset + s for s in history.grid_update_steps]
        bounds.append(offset + _length(history))

    ax.plot(steps, train, color=TRAIN, lw=1.8, label="train")
    ax.plot(steps, test, color=TEST, lw=1.8, ls="--", label="test")
    if updates:
        ax.plot(updates, np.full(len(updates), 0.015), "^", color=MARK, ms=5, ls="none",
                transform=axis_x, clip_on=False, label="grid update")
    for s, (grid, _) in enumerate(stages):
        if s > 0:
            ax.axvline(bounds[s], color=MARK, ls="--", lw=1.0)
        if grid is not None:
            ax.text((bounds[s] + bounds[s + 1]) / 2, 1.01,
                    grid if isinstance(grid, str) else f"G={grid}", transform=axis_x,
                    ha="center", va="bottom", fontsize=10)
    ax.set_yscale("log")
    ax.set_xlim(0, max(bounds[-1], 1))
    ax.set_xlabel("step" + (" (cumulative over stages)" if len(stages) > 1 else ""))
    ax.set_ylabel("RMSE")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper right", fontsize=9, framealpha=0.9)
    if train and test:
        ax.set_title(f"final RMSE: train {train[-1]:.3g}, test {test[-1]:.3g}", pad=22,
                     y=TITLE_Y)
    if path is not None:
        save_png(fig, path)
    return fig

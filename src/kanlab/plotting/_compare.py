"""Model against the true function: curves (1 input), heatmaps (2) or slices (more)."""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

import numpy as np
import torch
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import Tensor

from kanlab._validation import check_int

from kanlab.plotting._common import TITLE_Y, check_names, figure_with_axes, save_png

__all__ = ["plot_compare"]

TRUTH, MODEL, ERROR = "black", "tab:orange", "tab:red"


def _check_ranges(ranges, n_in: int) -> np.ndarray:
    r = np.asarray(ranges, dtype=np.float64)
    if r.shape != (n_in, 2):
        raise ValueError(f"ranges must hold one (lo, hi) pair per input, {n_in} in all, "
                         f"got {ranges!r}")
    if not np.isfinite(r).all() or not (r[:, 0] < r[:, 1]).all():
        raise ValueError(f"every range must be finite with lo < hi, got {r.tolist()}")
    return r


@torch.no_grad()
def _evaluate(model, f: Callable[[Tensor], Tensor], x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Truth and model at ``x`` ``(N, n_in)``: output 0 of each, shape ``(N,)``."""
    xt = torch.as_tensor(x, dtype=model.dtype, device=model.device)
    pred = model(xt)  # (N, n_out)
    truth = f(xt)
    if not isinstance(truth, Tensor):
        raise TypeError(f"f must return a torch.Tensor, got {type(truth).__name__}")
    if truth.dim() == 1:
        truth = truth.unsqueeze(1)
    if truth.shape != pred.shape:
        raise ValueError(f"f must map {tuple(xt.shape)} to {tuple(pred.shape)} (like the model), "
                         f"got {tuple(truth.shape)}")
    return truth[:, 0].cpu().numpy().astype(np.float64), pred[:, 0].cpu().numpy()


def _rmse(truth: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - truth) ** 2)))


def _error_norm(err: np.ndarray) -> Normalize:
    """Log colour scale for ``|error|`` over at most 4 decades; linear if it is all zero."""
    positive = err[err > 0]
    if positive.size == 0:
        return Normalize(0.0, 1.0)
    vmax = float(positive.max())
    vmin = max(float(positive.min()), 1e-4 * vmax)  # zero crossings would dominate
    return LogNorm(vmin, vmax) if vmin < vmax else Normalize(0.0, vmax)


def _compare_1d(r: np.ndarray, names: list[str], model, f, n: int) -> tuple[Figure, float]:
    x = np.linspace(r[0, 0], r[0, 1], n)
    truth, pred = _evaluate(model, f, x[:, None])
    fig, (ax, err_ax) = figure_with_axes((7.5, 5.2), 2, 1, left=0.9, top=0.5, hspace=0.15,
                                         sharex=True, height_ratios=(3, 1))
    ax.plot(x, truth, color=TRUTH, lw=2.2, label="truth")
    ax.plot(x, pred, color=MODEL, lw=1.6, ls="--", label="model")
    ax.set_ylabel("output")
    ax.legend(loc="best", fontsize=9)
    err = np.abs(pred - truth)
    err_ax.plot(x, err, color=ERROR, lw=1.0)
    if (err > 0).any():
        err_ax.set_yscale("log")
    err_ax.set(xlabel=names[0], ylabel="|model − truth|")
    return fig, _rmse(truth, pred)


def _compare_2d(r: np.ndarray, names: list[str], model, f, n: int) -> tuple[Figure, float]:
    u, v = np.linspace(r[0, 0], r[0, 1], n), np.linspace(r[1, 0], r[1, 1], n)
    g0, g1 = np.meshgrid(u, v)  # (n, n); row = index along input 1
    truth, pred = _evaluate(model, f, np.stack([g0.ravel(), g1.ravel()], axis=1))
    truth, pred = truth.reshape(n, n), pred.reshape(n, n)
    err = np.abs(pred - truth)
    norm = _error_norm(err)
    shared = Normalize(min(truth.min(), pred.min()), max(truth.max(), pred.max()))
    extent = (r[0, 0], r[0, 1], r[1, 0], r[1, 1])
    panels = (("truth", truth, shared, "viridis"), ("model", pred, shared, "viridis"),
              ("|model − truth|", np.maximum(err, getattr(norm, "vmin", 0.0)), norm, "magma"))
    fig, axes = figure_with_axes((14, 4.2), 1, 3, left=0.65, right=0.6, top=0.65,
                                 wspace=1.05)
    for ax, (title, values, panel_norm, cmap) in zip(axes, panels):
        image = ax.imshow(values, origin="lower", extent=extent, aspect="auto", cmap=cmap,
                          norm=panel_norm, interpolation="nearest")
        fig.colorbar(image, ax=ax, shrink=0.9)
        ax.set(xlabel=names[0], ylabel=names[1])
        ax.set_title(title, y=TITLE_Y)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(5))
    return fig, _rmse(truth, pred)


def _compare_slices(r: np.ndarray, names: list[str], model, f, n: int) -> tuple[Figure, float]:
    n_in = r.shape[0]
    cols, rows = min(n_in, 3), math.ceil(n_in / 3)
    fig, axes = figure_with_axes((4.3 * cols, 3.4 * rows + 0.4), rows, cols, left=0.85,
                                 top=0.75, wspace=0.6, hspace=0.9, squeeze=False)
    axes = axes.ravel()
    centre = r.mean(axis=1)  # (n_in,)
    sq_err = []
    for d, ax in enumerate(axes):
        if d >= n_in:
            ax.remove()
            continue
        x = np.repeat(centre[None], n, axis=0)  # (n, n_in)
        x[:, d] = np.linspace(r[d, 0], r[d, 1], n)
        truth, pred = _evaluate(model, f, x)
        sq_err.append((pred - truth) ** 2)
        ax.plot(x[:, d], truth, color=TRUTH, lw=2.2, label="truth")
        ax.plot(x[:, d], pred, color=MODEL, lw=1.6, ls="--", label="model")
        ax.set_xlabel(names[d])
        ax.set_title(f"along {names[d]}", y=TITLE_Y)
        if d % cols == 0:
            ax.set_ylabel("output")
        if d == 0:
            ax.legend(loc="best", fontsize=9)
    return fig, float(np.sqrt(np.mean(sq_err)))


def plot_compare(model, f: Callable[[Tensor], Tensor], *, ranges: Sequence[tuple[float, float]],
                 var_names: Sequence[str] | None = None, path: str | os.PathLike | None = None,
                 n: int = 101) -> Figure:
    """Compare the model with the true function ``f`` over ``ranges``.

    Parameters
    ----------
    model : KAN
        Maps ``(N, n_in)`` to ``(N, n_out)``.
    f : callable
        The truth: a tensor ``(N, n_in)`` of the model's dtype and device to
        ``(N, n_out)`` (or ``(N,)`` when ``n_out = 1``).
    ranges : sequence of (float, float), length n_in
        ``(lo, hi)`` of every input.
    var_names : sequence of str, optional
        Input names (mathtext allowed); default ``$x_{1}$ ..``.
    path : str or PathLike, optional
        Where to write the PNG (atomically).
    n : int
        Points per input direction (``n × n`` for two inputs).

    Returns
    -------
    Figure
        One input: truth and model curves, ``|error|`` (log) in a panel below.
        Two inputs: heatmaps of truth, model (one colour scale) and ``|error|``
        (log scale), each with a colorbar.  More: one slice per input through
        the centre of ``ranges``, truth against model.  The title gives the
        RMSE over the plotted points; with several outputs only the first is
        plotted, and the title says so.
    """
    n_in, n_out = model.n_nodes[0], model.n_nodes[-1]
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    n = check_int(n, "n", low=2)
    r = _check_ranges(ranges, n_in)
    names = check_names(var_names, n_in, "x", "var_names")
    if n_in == 1:
        (fig, rmse), where = _compare_1d(r, names, model, f, n), f"{n} points"
    elif n_in == 2:
        (fig, rmse), where = _compare_2d(r, names, model, f, n), f"a {n}×{n} grid"
    else:
        fig, rmse = _compare_slices(r, names, model, f, n)
        where = "slices, each other input at the centre of its range"
    output = f"; first of {n_out} outputs" if n_out > 1 else ""
    fig.suptitle(f"model vs truth: RMSE {rmse:.3g} on {where}{output}")
    if path is not None:
        save_png(fig, path)
    return fig

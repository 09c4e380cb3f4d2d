"""The KAN diagram: nodes in layers and every edge's learned curve in a small inset.

Liu et al., "KAN: Kolmogorov–Arnold Networks" (2024), Fig. 2.1 and §2.5.1:
inputs at the bottom, outputs at the top, each edge drawn with an opacity
``tanh(beta · |φ_ij| / max |φ|)`` that shows how much it matters.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import Tensor

from kanlab.plotting._common import check_names, save_png

__all__ = ["plot_network"]

N_POINTS = 64  # samples per inset curve
MAX_INSET = 0.55  # inches: inset side on a narrow network
MIN_SLOT = 0.2  # inches per inset slot on a wide network, before the width cap
MAX_WIDTH = 40.0  # inches (6000 px): beyond ~200 edges a layer, insets become specks
EDGE_COLOR, SYMBOLIC_COLOR = "black", "tab:red"


@dataclass
class _Layout:
    """Geometry in inches: columns of nodes and insets, one band per layer."""

    width: list[int]
    edges: list[int]  # insets per layer: in_features × out_features (outputs include factors)

    def __post_init__(self) -> None:
        # The widest row (a layer's edges, or its nodes) sets the figure width.
        slots = max(max(self.edges), max(self.width))
        self.fig_w = max(5.0, min(0.5 * slots, max(10.0, MIN_SLOT * slots), MAX_WIDTH))
        self.margin_x = 0.3
        usable = self.fig_w - 2 * self.margin_x
        self.inset = min(MAX_INSET, 0.75 * usable / slots)
        # Height of one layer; a wide figure gets taller bands so fanned-out lines stay steep.
        self.band = max(1.4, 3.0 * self.inset, 0.12 * self.fig_w)
        self.bottom, self.top = 0.5, 0.45  # room for the variable names
        self.fig_h = self.bottom + self.band * (len(self.width) - 1) + self.top

    def spacing(self, n: int) -> float:
        """Distance between neighbours in a row of ``n`` equally spaced items."""
        return (self.fig_w - 2 * self.margin_x) / n

    def x(self, n: int, i: int) -> float:
        """Centre of item ``i`` of a row of ``n`` equally spaced items."""
        return self.margin_x + (i + 0.5) * self.spacing(n)

    def y(self, level: float) -> float:
        """Height of node row ``level`` (0 = inputs); ``l + 0.5`` is layer ``l``'s inset row."""
        return self.bottom + level * self.band


@torch.no_grad()
def _edge_curves(model, x: Tensor | None, beta: float,
                 metric: str = "backward") -> list[tuple[np.ndarray, ...]]:
    """Per layer: inputs ``(P, in)``, edge values ``(P, out, in)`` and edge alphas ``(out, in)``.

    With data ``x`` the alphas follow ``metric``: the attribution scores
    (``"backward"``, :func:`kanlab.nn._pruning.attribute`), the standard
    deviation of every edge's output (``"forward_u"``) or that over
    ``std(input) + 0.1`` (``"forward_n"``); without data, the root-mean-square
    of each edge over its plotted interval.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if x is None:
        inputs, scores = [None] * len(model.layers), None
    else:
        if not isinstance(x, Tensor) or x.dim() != 2:
            raise ValueError(f"x must be a tensor of shape (B, {model.n_nodes[0]}), "
                             f"got {getattr(x, 'shape', type(x).__name__)}")
        from kanlab.nn._pruning import attribute
        _, inputs = model.forward_with_inputs(x)
        scores = None
        if x.shape[0] > 1:
            scores = attribute(model, x).edge_scores if metric == "backward" else \
                _forward_scores(model, inputs, metric)
    curves = []
    for l, (layer, sym, inp) in enumerate(zip(model.layers, _symbolic(model), inputs)):
        if inp is None:  # base interval of each input's knots
            lo, hi = layer.knots[:, layer.k], layer.knots[:, layer.k + layer.grid]  # (in,)
        else:
            lo, hi = inp.amin(0), inp.amax(0)  # (in,)
        pad = torch.where(hi > lo, 0.0, 0.5)  # a constant input still gets an interval
        t = torch.linspace(0, 1, N_POINTS, dtype=lo.dtype, device=lo.device).unsqueeze(1)
        xs = (lo - pad) + (hi - lo + 2 * pad) * t  # (P, in)
        ys = layer.edge_values(xs)  # (P, out, in): the spline branch, masked
        live = layer.mask > 0
        if sym is not None:
            ys = ys + sym.dense_outputs(xs)
            live = live | (sym.mask > 0)
        weight = scores[l] if scores is not None else ys.square().mean(0).sqrt()  # (out, in)
        weight = torch.nan_to_num(weight, nan=0.0, posinf=0.0) * live
        top = weight.max()
        alpha = torch.tanh(beta * weight / top) if top > 0 else live.to(weight.dtype)
        curves.append((xs.cpu().numpy(), ys.cpu().numpy(), alpha.cpu().numpy(),
                       live.cpu().numpy()))
    return curves


METRICS = ("backward", "forward_n", "forward_u")


def _forward_scores(model, inputs: list[Tensor], metric: str) -> list[Tensor]:
    """pykan's forward plot metrics: every edge's output spread (over ``std(input) + 0.1``)."""
    from kanlab.nn._pruning import edge_moments
    out = []
    for layer, sym, xl in zip(model.layers, _symbolic(model), inputs):
        if sym is None:
            std = layer.edge_values(xl).std(0, unbiased=False)
        else:
            std = edge_moments(layer, sym, xl)[1]
        if metric == "forward_n":
            std = std / (xl.std(0, unbiased=False) + 0.1)
        out.append(std)
    return out


def _owners(model, level: int, n_out: int) -> list[int]:
    """The node each output of the layer into ``level`` feeds (itself, without products)."""
    if hasattr(model, "subnode_to_node"):
        return model.subnode_to_node(level)
    return list(range(n_out))


def _symbolic(model) -> list:
    """The model's per-layer :class:`~kanlab.nn._symbolic_edges.SymbolicEdges`, or ``None`` each."""
    return list(getattr(model, "symbolic", None) or [None] * len(model.layers))


def _symbolic_name(layer, sym, j: int, i: int) -> str | None:
    """The symbolic label of edge ``i -> j``: the model's symbolic edge, or a layer's own names."""
    if sym is not None and sym.mask[j, i] != 0:
        return sym.names[j][i]
    names = getattr(layer, "symbolic_names", None)
    if names is None:
        return None
    try:
        name = names[(i, j)] if isinstance(names, Mapping) else names[j][i]
    except (IndexError, KeyError, TypeError):
        return None
    return None if name is None or name == "" else str(name)


def _fit_text(text: str, width: float, fontsize: float) -> str:
    """``text`` cut with an ellipsis to about ``width`` inches (DejaVu Sans: ~0.6 em a character)."""
    room = max(1, int(width / (0.6 * fontsize / 72)))
    return text if len(text) <= room else text[:max(room - 1, 1)] + "…"


def _draw_inset(canvas, geo: _Layout, cx: float, cy: float, xs: np.ndarray, ys: np.ndarray,
                alpha: float, name: str | None, label: str, room: float) -> None:
    """One edge's curve, scaled into a square frame centred at ``(cx, cy)`` inches.

    A symbolic ``name`` goes just above the frame, cut to ``room`` inches.

    Drawn on the canvas rather than in an inset Axes: an Axes costs ~15 ms to
    build, which adds up to seconds on a network with hundreds of edges.
    """
    s = geo.inset
    x0, y0 = cx - s / 2, cy - s / 2
    lo, hi = float(ys.min()), float(ys.max())
    if hi - lo > 1e-12 * max(1.0, abs(lo), abs(hi)):
        v = 0.12 + 0.76 * (ys - lo) / (hi - lo)  # 12 % margin, as Axes.margins would give
    else:
        v = np.full_like(ys, 0.5)  # a constant edge: a flat line through the middle
    u = (xs - xs[0]) / (xs[-1] - xs[0])
    color = SYMBOLIC_COLOR if name else EDGE_COLOR
    frame = Rectangle((x0, y0), s, s, fill=False, edgecolor=color, alpha=max(alpha, 0.15),
                      linewidth=0.6, label=f"frame {label}")
    canvas.add_patch(frame)
    canvas.plot(x0 + s * u, y0 + s * v, color=color, alpha=alpha, label=label,
                lw=float(np.clip(3.5 * s, 0.6, 1.8)), solid_capstyle="round")
    if name:
        size = float(np.clip(18 * s, 6, 9))
        canvas.text(cx, y0 + s + 0.03, _fit_text(name, 0.95 * room, size), ha="center",
                    va="bottom", color=SYMBOLIC_COLOR, fontsize=size, label=f"name {label}",
                    bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none",
                              alpha=0.85))


def plot_network(model, x: Tensor | None = None, *, in_vars: Sequence[str] | None = None,
                 out_vars: Sequence[str] | None = None, path: str | os.PathLike | None = None,
                 beta: float = 3.0, metric: str = "backward", figure: Figure | None = None,
                 title: str | None = None) -> Figure:
    """Draw the KAN diagram: nodes in layers and every edge's learned curve.

    Parameters
    ----------
    model : KAN
        The network; ``model.layers`` are :class:`kanlab.KANLayer`.
    x : Tensor, shape (B, width[0]), optional
        Samples propagated through the layers; each inset spans the range of
        its input over them and the edge importance is measured on them.  If
        None, each inset spans its input's base interval
        ``[knots[i, k], knots[i, G + k]]`` and importance is measured there.
    in_vars, out_vars : sequence of str, optional
        Names written under the inputs and above the outputs (mathtext
        allowed); default ``$x_{1}$ ..`` and ``$y_{1}$ ..``.
    path : str or PathLike, optional
        Where to write the PNG (atomically).
    beta : float
        Opacity is ``tanh(beta · s_ij / max s)`` per layer, with ``s_ij`` the
        edge's attribution score on ``x`` (:func:`kanlab.nn._pruning.attribute`),
        or without ``x`` the root-mean-square of ``φ_ij`` over its interval.
    metric : str
        ``s_ij`` with data: ``"backward"`` (attribution), ``"forward_u"``
        (standard deviation of the edge's output) or ``"forward_n"`` (that over
        ``std(input) + 0.1``), pykan's plot metrics.
    figure : Figure, optional
        An empty figure to draw on (resized to the diagram); default a new
        ``Figure`` that pyplot does not manage.
    title : str, optional
        Written centred above the output names, in a band the figure grows by.

    Returns
    -------
    Figure
        One axes (label ``"diagram"``), in inches, holding nodes, lines and one
        framed curve per unmasked edge: a ``Line2D`` labelled
        ``"edge l=.. i=.. j=.."``.

    Notes
    -----
    Layer ``l``'s ``in · out`` insets sit in one row halfway between its node
    rows, grouped by input node as in pykan, so lines never cross an inset.
    Removed edges (spline and symbolic mask both 0) are not drawn.  A
    symbolic edge (``model.symbolic[l]``, see :meth:`kanlab.KAN.fix_symbolic`)
    is drawn in red with its function's name; so is an edge whose
    ``layer.symbolic_names`` entry (``names[j][i]``, as a tensor is laid out, or ``names[(i, j)]``) is set.

    The figure is sized from the widest row: about 0.5 in per inset on small
    networks, 0.2 in on wide ones, at most 40 in; past ~200 edges in a layer
    the insets become too small to read (prune first).
    """
    if not beta > 0:
        raise ValueError(f"beta must be > 0, got {beta!r}")
    width = list(model.n_nodes)
    in_names = check_names(in_vars, width[0], "x", "in_vars")
    out_names = check_names(out_vars, width[-1], "y", "out_vars")
    curves = _edge_curves(model, x, beta, metric)
    geo = _Layout(width, [layer.in_features * layer.out_features for layer in model.layers])
    fontsize = float(min(np.clip(0.6 * geo.fig_w, 12, 16), max(7, 24 * geo.spacing(max(width)))))
    band = 0.0 if title is None else 2.2 * fontsize / 72  # inches above the diagram
    if figure is None:
        fig = Figure(figsize=(geo.fig_w, geo.fig_h + band))
    else:
        fig = figure
        fig.set_size_inches(geo.fig_w, geo.fig_h + band)
    canvas = fig.add_axes([0, 0, 1, 1], label="diagram")
    canvas.set_xlim(0, geo.fig_w)
    canvas.set_ylim(0, geo.fig_h + band)
    canvas.set_axis_off()
    if title is not None:
        canvas.text(geo.fig_w / 2, geo.fig_h + band / 2, str(title), ha="center", va="center",
                    fontsize=1.25 * fontsize, label="title")

    lines, colors = [], []
    symbolic = _symbolic(model)
    for l, (layer, (xs, ys, alpha, live)) in enumerate(zip(model.layers, curves)):
        n_in, n_out = layer.in_features, layer.out_features
        mid = geo.y(l + 0.5)
        owner = _owners(model, l + 1, n_out)
        for i in range(n_in):
            for j in range(n_out):
                if not live[j, i]:
                    continue
                cx = geo.x(n_in * n_out, i * n_out + j)  # grouped by input node
                name = _symbolic_name(layer, symbolic[l], j, i)
                rgb = to_rgb(SYMBOLIC_COLOR if name else EDGE_COLOR)
                target = geo.x(width[l + 1], owner[j])  # a factor of a product goes to its node
                lines += [[(geo.x(n_in, i), geo.y(l)), (cx, mid - geo.inset / 2)],
                          [(cx, mid + geo.inset / 2), (target, geo.y(l + 1))]]
                colors += [(*rgb, float(alpha[j, i]))] * 2
                _draw_inset(canvas, geo, cx, mid, xs[:, i], ys[:, j, i], float(alpha[j, i]),
                            name, f"edge l={l} i={i} j={j}", room=geo.spacing(n_in * n_out))
    canvas.add_collection(LineCollection(lines, colors=colors,
                                         linewidths=float(np.clip(2.5 * geo.inset, 0.5, 1.2))))

    node = min(0.12, 0.4 * geo.spacing(max(width)))  # inches
    for level, n in enumerate(width):
        canvas.scatter([geo.x(n, i) for i in range(n)], [geo.y(level)] * n,
                       s=(72 * node) ** 2, color="black", zorder=3)
        arities = getattr(model, "arities", None)  # multiplication nodes per level
        n_mult = len(arities[level]) if arities else 0
        for i in range(n - n_mult, n):  # multiplication nodes: a white × on the dot
            canvas.text(geo.x(n, i), geo.y(level), "×", ha="center", va="center", zorder=4,
                        color="white", fontsize=max(6.0, 60 * node), label=f"mult {level} {i}")
    for i, name in enumerate(in_names):
        canvas.text(geo.x(width[0], i), geo.y(0) - node, name, ha="center", va="top",
                    fontsize=fontsize)
    for j, name in enumerate(out_names):
        canvas.text(geo.x(width[-1], j), geo.y(len(width) - 1) + node, name, ha="center",
                    va="bottom", fontsize=fontsize)
    if path is not None:
        save_png(fig, path)
    return fig

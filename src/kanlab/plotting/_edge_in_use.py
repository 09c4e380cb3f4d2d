"""The B-spline figure for an edge the model really uses.

:func:`plot_bspline_basis` draws whichever edge it is given; an edge that is
masked (pruned, or replaced by a formula) then shows an empty right panel.
:func:`plot_edge_in_use` picks the edge to show: the highest-scoring edge that
is still a spline; when every edge is symbolic, the highest-scoring symbolic
edge, drawing the spline the formula replaced (its coefficients are kept
under the mask) next to the formula's curve.
"""
from __future__ import annotations

import copy
import os

import numpy as np
import torch
from matplotlib.figure import Figure

from kanlab.plotting._basis import plot_bspline_basis
from kanlab.plotting._common import TITLE_Y, save_png

__all__ = ["plot_edge_in_use", "edge_in_use"]


def edge_in_use(model, x=None) -> tuple[int, int, int, bool]:
    """``(l, j, i, is_spline)`` of the edge to show (see the module doc)."""
    from kanlab.nn._pruning import attribute
    scores = attribute(model, x).edge_scores
    best = {True: None, False: None}
    for l, (layer, sym) in enumerate(zip(model.layers, model.symbolic)):
        s = scores[l].detach().cpu()
        for spline, mask in ((True, layer.mask), (False, sym.mask)):
            active = (mask.detach().cpu() != 0)
            if active.any():
                masked = torch.where(active, s, torch.full_like(s, -1.0))
                j, i = divmod(int(masked.argmax()), s.shape[1])
                if best[spline] is None or float(masked[j, i]) > best[spline][0]:
                    best[spline] = (float(masked[j, i]), l, j, i)
    pick, spline = (best[True], True) if best[True] is not None else (best[False], False)
    if pick is None:
        return 0, 0, 0, True
    return pick[1], pick[2], pick[3], spline


def plot_edge_in_use(model, x=None, *, in_vars=None, path: str | os.PathLike | None = None
                     ) -> Figure:
    """:func:`plot_bspline_basis` of :func:`edge_in_use`'s edge, labelled with its input's name.

    ``in_vars`` names the model's inputs (used when the edge is in layer 0).
    """
    l, j, i, spline = edge_in_use(model, x)
    layer = model.layers[l]
    if not spline:  # show the spline kept under the mask
        layer = copy.deepcopy(layer)
        with torch.no_grad():
            layer.mask[j, i] = 1.0
    fig = plot_bspline_basis(layer, edge=(i, j))
    ax_basis, ax_edge = fig.axes[:2]
    name = in_vars[i] if (l == 0 and in_vars is not None) else f"node {i} of layer {l}"
    for ax in (ax_basis, ax_edge):
        ax.set_xlabel(f"{name} (scaled)" if l == 0 else name)
    kind = "spline" if spline else "symbolic; its former spline"
    if spline and _spline_part_vanishes(layer, ax_edge, j, i):
        kind = "linear: its spline part is 0"
    ax_edge.set_title(f"edge {l}:{i}→{j} ({kind})", fontsize=10, y=TITLE_Y)
    if not spline:
        sym = model.symbolic[l]
        a, b, c, d = (float(v) for v in sym.affine[j, i].detach().cpu())
        fn = sym.candidate_at(i, j).fn
        lo, hi = ax_edge.get_xlim()
        xs = torch.linspace(lo, hi, 301, dtype=torch.float64, device="cpu")  # the formula's
        with torch.no_grad():
            ys = (c * fn(a * xs + b) + d).numpy()
            full = _edge_total(layer, xs.to(layer.knots), j, i)  # ... and the layer's
        # the formula replaces the whole edge (base + spline), drawn against that total
        ax_edge.plot(xs.numpy(), full, color="tab:blue", lw=1.4, label="former edge (total)")
        ax_edge.plot(xs.numpy(), np.where(np.isfinite(ys), ys, np.nan), color="tab:red",
                     lw=1.6, ls=":", label=f"formula: {sym.candidate_at(i, j).name}")
        ax_edge.legend(loc="best", fontsize=8, framealpha=0.9)
    if path is not None:
        save_png(fig, path)
    return fig


def _spline_part_vanishes(layer, ax, j: int, i: int, rel: float = 1e-6) -> bool:
    """Draw the edge's total on ``ax`` when its spline part is 0 against it (a linear edge,
    as in a ridge model): the panel is then not a flat line.  True when it did."""
    lo, hi = ax.get_xlim()
    xs = torch.linspace(lo, hi, 301, dtype=layer.scale_base.dtype, device=layer.knots.device)
    with torch.no_grad():
        full = _edge_total(layer, xs, j, i)
        _, spline_w = layer.edge_weight()
        x = xs.unsqueeze(1).expand(len(xs), layer.in_features).contiguous()
        part = (layer.features(x)[:, i, 1:] @ spline_w[j, i]).detach().cpu().numpy()
    spread = float(np.ptp(full))
    if not (spread > 0 and float(np.ptp(part)) <= rel * spread):
        return False
    ax.plot(xs.cpu().numpy(), full, color="tab:blue", lw=1.4, label="edge (total: base + spline)")
    ax.set_ylabel("edge output")
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    return True


def _edge_total(layer, xs, j: int, i: int) -> np.ndarray:
    """Edge ``(j, i)``'s full spline-branch output (base function and spline) at ``xs``."""
    x = xs.unsqueeze(1).expand(len(xs), layer.in_features).contiguous()
    feats = layer.features(x)[:, i]  # (P, F): base feature then basis values
    base_w, spline_w = layer.edge_weight()
    w = torch.cat([base_w[j, i].reshape(1), spline_w[j, i]])
    return (feats @ w).detach().cpu().numpy()

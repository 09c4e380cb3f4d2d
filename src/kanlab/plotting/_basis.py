"""A layer's B-spline bases, and one edge's spline drawn as their weighted sum.

Liu et al., "KAN: Kolmogorov–Arnold Networks" (2024), eq. 2.10: the spline
part of edge ``i -> j`` is ``scale_sp_ji · Σ_b coef_jib B_ib(x)``.
"""
from __future__ import annotations

import os

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from kanlab.splines._bspline import bspline_basis
from kanlab.plotting._common import TITLE_Y, figure_with_axes, save_png

__all__ = ["plot_bspline_basis"]

N_POINTS = 401  # samples along x
PAD = 0.15  # shown beyond each end of the base interval, as a fraction of its length
SHADE = "0.92"  # colour outside the base interval


def _check_edge(layer, edge) -> tuple[int, int]:
    """``(j, i)`` of ``edge = (i, j)``, checked against the layer."""
    try:
        i, j = (int(v) for v in edge)
    except (TypeError, ValueError):
        raise ValueError(f"edge must be a pair (i, j), got {edge!r}") from None
    if not (0 <= i < layer.in_features and 0 <= j < layer.out_features):
        raise ValueError(f"edge (i, j) must satisfy 0 <= i < {layer.in_features} and "
                         f"0 <= j < {layer.out_features}, got {edge!r}")
    return j, i


def plot_bspline_basis(layer, *, edge: tuple[int, int] = (0, 0),
                       path: str | os.PathLike | None = None) -> Figure:
    """Plot input ``i``'s B-spline bases and edge ``(i, j)``'s spline as their weighted sum.

    Parameters
    ----------
    layer : KANLayer
        The layer; its ``knots`` row ``i``, shape ``(G + 2k + 1,)``, defines the bases.
    edge : (int, int)
        ``(i, j)``: input ``i`` and output ``j`` of the edge on the right panel.
    path : str or PathLike, optional
        Where to write the PNG (atomically).

    Returns
    -------
    Figure
        Two axes.  Left: the ``G + k`` bases ``B_b(x)`` over the base interval
        ``[knots[i, k], knots[i, G + k]]`` and 15 % beyond it (shaded), knots as
        dots.  Right: the terms ``scale_sp[j, i] · coef[j, i, b] · B_b(x)``
        (thin, same colours as their bases) and their sum (thick), plus the
        layer's own continuation of the spline outside the base interval
        (dashed), where the plain B-spline sum falls to zero.

    Notes
    -----
    The weights are those of :meth:`KANLayer.edge_weight`, so a masked edge
    shows as zero, which is what it contributes.
    """
    j, i = _check_edge(layer, edge)
    k, n = layer.k, layer.n_basis
    spline = layer.edge_basis.uses_knots  # B-splines: drawn on their knots, zero outside
    with torch.no_grad():
        knots = layer.knots[i]  # (G + 2k + 1,)
        lo, hi = float(knots[k]), float(knots[k + layer.grid])
        pad = PAD * (hi - lo)
        xs = torch.linspace(lo - pad, hi + pad, N_POINTS, dtype=knots.dtype, device=knots.device)
        x_in = xs.unsqueeze(1).expand(N_POINTS, layer.in_features).contiguous()  # (P, in)
        # other bases (kanlab.nn._edge_bases): the layer's own functions, outside too
        basis = bspline_basis(xs, knots, k) if spline else layer.basis(x_in)[:, i]  # (P, n)
        weights = layer.edge_weight()[1][j, i]  # (n,)
        terms = basis * weights  # (P, n)
        extended = layer.basis(x_in)[:, i] @ weights  # (P,), the layer's extrapolation
    xs_np, basis, terms = xs.cpu().numpy(), basis.cpu().numpy(), terms.cpu().numpy()
    outside = (xs_np < lo) | (xs_np > hi)
    extended = np.where(outside, extended.cpu().numpy(), np.nan)
    knots_np = knots.cpu().numpy() if spline else np.linspace(lo, hi, layer.grid + 1)
    shown = knots_np[(knots_np >= xs_np[0]) & (knots_np <= xs_np[-1])]
    colors = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.9, n))

    fig, (ax_basis, ax_edge) = figure_with_axes((11, 4.2), 1, 2, left=0.75, right=0.15,
                                                top=0.4, wspace=0.85)
    for ax in (ax_basis, ax_edge):
        ax.axvspan(xs_np[0], lo, color=SHADE, lw=0)
        ax.axvspan(hi, xs_np[-1], color=SHADE, lw=0)
        ax.set_xlim(xs_np[0], xs_np[-1])
        ax.set_xlabel(f"input {i}")

    for b in range(n):
        ax_basis.plot(xs_np, basis[:, b], color=colors[b], lw=1.6)
    (dots,) = ax_basis.plot(shown, np.zeros_like(shown), "o", color="black", ms=4, zorder=3,
                            clip_on=False, label="knots" if spline else "grid points")
    if spline:
        ax_basis.set_ylim(-0.04, 1.08)
        ax_basis.set_title(f"B-spline bases of input {i}  (G = {layer.grid}, k = {k}, "
                           f"{n} bases)", y=TITLE_Y)
    else:
        ax_basis.set_ylim(-1.08, 1.08)
        ax_basis.set_title(f"{layer.basis_name} basis of input {i}  (G = {layer.grid}, "
                           f"{n} functions)", y=TITLE_Y)
    ax_basis.set_ylabel(r"$B_b(x)$" if spline else r"$\varphi_b(x)$")
    ax_basis.legend(handles=[dots, Patch(color=SHADE, label="outside base interval")],
                    loc="upper right", fontsize=8, framealpha=0.9)

    for b in range(n):
        ax_edge.plot(xs_np, terms[:, b], color=colors[b], lw=0.9)
    ax_edge.plot([], [], color=colors[n // 2], lw=0.9, label="terms, one per basis")
    ax_edge.plot(xs_np, terms.sum(axis=1), color="black", lw=2.6, label="sum: spline part")
    ax_edge.plot(xs_np, extended, color="0.35", lw=1.6, ls="--",
                 label=f"layer ({layer.extrapolate if spline else layer.basis_name} extension)")
    ax_edge.axhline(0.0, color="0.6", lw=0.6, zorder=0)
    ax_edge.set_ylabel("spline part")
    masked = " (masked)" if float(layer.mask[j, i]) == 0 else ""
    ax_edge.set_title(f"edge (i={i}, j={j}){masked}: "
                      r"$\mathrm{scale\_sp}_{ji}\, c_{jib}\, B_b(x)$ and their sum", y=TITLE_Y)
    ax_edge.legend(loc="best", fontsize=8, framealpha=0.9)
    if path is not None:
        save_png(fig, path)
    return fig

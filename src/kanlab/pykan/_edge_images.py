"""pykan's per-edge images: ``<folder>/sp_<l>_<i>_<j>.png``, one per edge, from ``plot``.

pykan's ``plot(folder=...)`` draws every edge's activation on the last data into its
own small image before assembling the diagram from them, and ``fit(save_fig=True)``
plots into ``img_folder``; users read the images back (for frames of a video, a figure
of one edge).  kanlab draws its diagram directly, so the images are written here, when
``plot`` is given a ``folder`` (kanlab.pykan writes no file unless asked; pykan writes
them into ``./figures`` on every ``plot()``).

Each image is the edge's output (spline, base and symbolic parts, masked) against its
input, sorted by the input, coloured as pykan's: black for a spline edge, red for a
symbolic one, purple for both, nothing on a white frame for a removed edge.  2 × 2
inches at 100 dpi (pykan: 400), written atomically: a reader never sees a half-written
file.  matplotlib is imported here only.
"""
from __future__ import annotations

import io
import os

import torch

__all__ = ["write_edge_images", "edge_color"]


def edge_color(spline_on: bool, symbolic_on: bool) -> str:
    """pykan's colour of an edge by which of its branches are on."""
    if spline_on and symbolic_on:
        return "purple"
    if symbolic_on:
        return "red"
    return "black" if spline_on else "white"


@torch.no_grad()
def write_edge_images(model, x, folder, tick: bool = False, sample: bool = False,
                      scale: float = 0.5, dpi: int = 100) -> list[str]:
    """Write ``sp_<l>_<i>_<j>.png`` of every edge of ``model`` on ``x`` into ``folder``
    (created if missing); returns the paths written."""
    from matplotlib.figure import Figure

    from kanlab.io import atomic_write_bytes
    from kanlab.pykan._acts import activations
    os.makedirs(folder, exist_ok=True)
    caches = activations(model, x)
    fig = Figure(figsize=(2.0, 2.0))
    written = []
    for l, (layer, sym) in enumerate(zip(model.layers, model.symbolic)):
        inputs = caches["acts"][l].detach().cpu()  # (B, in)
        outputs = caches["spline_postacts"][l].detach().cpu()  # (B, out, in)
        spline_on, symbolic_on = (layer.mask != 0).cpu(), (sym.mask != 0).cpu()  # (out, in)
        for i in range(layer.in_features):
            order = torch.argsort(inputs[:, i])
            xs = inputs[order, i].numpy()
            for j in range(layer.out_features):
                color = edge_color(bool(spline_on[j, i]), bool(symbolic_on[j, i]))
                ys = outputs[order, j, i].numpy()
                fig.clear()
                ax = fig.add_subplot()
                ax.patch.set_edgecolor("white" if color == "white" else "black")
                ax.patch.set_linewidth(1.5)
                ax.plot(xs, ys, color=color, lw=5)
                if sample:
                    ax.scatter(xs, ys, color=color, s=400 * scale ** 2)
                if tick and len(xs):
                    ax.set_xticks([xs[0], xs[-1]], [f"{xs[0]:2.0f}", f"{xs[-1]:2.0f}"])
                    ax.set_yticks([ys.min(), ys.max()], [f"{ys.min():2.0f}", f"{ys.max():2.0f}"])
                else:
                    ax.set_xticks([])
                    ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_color(color)
                buf = io.BytesIO()
                fig.savefig(buf, format="png", bbox_inches="tight", dpi=dpi)
                path = os.path.join(str(folder), f"sp_{l}_{i}_{j}.png")
                atomic_write_bytes(path, buf.getvalue())
                written.append(path)
    return written

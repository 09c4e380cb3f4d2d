"""Figures of a discovery run: the network diagram, the spline in use, the fit on test rows.

matplotlib is imported through :mod:`kanlab.plotting` when these run.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write_figures", "plot_fit", "input_labels"]


def input_labels(result) -> list[str]:
    """The model's input names: the columns, marked ``log`` where the model sees ``log x``."""
    space = result.space
    return [f"log {n}" if space is not None and space.log_cols[i] else n
            for i, n in enumerate(result.names)]


def plot_fit(result, X, y, path=None):
    """Predicted against measured target on the test rows, formula and spline model."""
    from matplotlib.figure import Figure
    from kanlab.plotting._common import save_png
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax, ax_res = fig.subplots(1, 2)
    lo, hi = float(np.min(y)), float(np.max(y))
    ax.plot([lo, hi], [lo, hi], color="0.6", lw=1, label="y = prediction")
    series = []
    if result.formula is not None:
        series.append(("formula", result.predict_formula(X), "tab:red"))
    if result.model is not None:
        series.append(("spline model", result.predict_spline(X), "tab:blue"))
    for name, pred, color in series:
        ax.plot(y, pred, ".", ms=3, alpha=0.6, color=color, label=name)
        ax_res.plot(y, pred - y, ".", ms=3, alpha=0.6, color=color, label=name)
    ax.set_xlabel(f"measured {result.metrics.get('target', 'y')}")
    ax.set_ylabel("predicted")
    ax.set_title(f"test rows ({len(y)})", fontsize=10)
    ax.legend(fontsize=8)
    ax_res.axhline(0, color="0.6", lw=1)
    ax_res.set_xlabel(f"measured {result.metrics.get('target', 'y')}")
    ax_res.set_ylabel("prediction − measured")
    ax_res.set_title("residuals", fontsize=10)
    if path is not None:
        save_png(fig, path)
    return fig


def write_figures(result, out: Path, X_train, X_test, y_test) -> dict:
    """``network.png``, ``bspline_visualization.png`` and ``fit.png`` in ``out``; their paths."""
    import torch
    from kanlab import plotting
    paths = {"fit": out / "fit.png"}
    plot_fit(result, X_test, y_test, paths["fit"])
    if result.model is not None:
        z = torch.as_tensor(result.space.x(X_train), dtype=torch.float64, device="cpu")
        labels = input_labels(result)
        paths["network"] = out / "network.png"
        paths["bspline"] = out / "bspline_visualization.png"
        plotting.plot_network(result.model, z, in_vars=labels, out_vars=[
            f"log {result.metrics['target']}" if result.space.kind == "log"
            else result.metrics["target"]], path=paths["network"])
        plotting.plot_edge_in_use(result.model, z, in_vars=labels, path=paths["bspline"])
    return paths

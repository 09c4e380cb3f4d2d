"""pykan's ``KAN.plot`` on :func:`kanlab.plotting.plot_network`.

The diagram is drawn on the data the model saw last, on a new pyplot figure (the current
one afterwards), as pykan draws it; ``KAN.plot`` returns ``None`` as pykan's.
``metric`` (``backward``, ``forward_n``, ``forward_u``; pykan 0.2.1's ``fa`` and ``act``
for the first two) chooses what shades the edges, as in pykan; ``scale`` is accepted
(kanlab sizes the figure itself), and so is older pykan's ``mask`` (the diagram always
follows the model's own edge masks).  With
``folder``, pykan's per-edge images are written there too (``tick``, ``sample`` and
``scale`` shape them: :mod:`kanlab.pykan._edge_images`).
"""
from __future__ import annotations

import os

__all__ = ["plot", "METRICS"]

METRICS = ("backward", "forward_n", "forward_u")
# pykan 0.2.1's names (mid-July 2024): "act" shaded by acts_scale (0.2.8's "forward_n"),
# "fa" (its default) by the attribution scores (0.2.8's "backward")
_RENAMED = {"act": "forward_n", "fa": "backward"}


def _label(v):
    try:
        import sympy
        if isinstance(v, sympy.Basic):
            return f"${sympy.latex(v)}$"
    except ImportError:  # pragma: no cover
        pass
    return str(v)


def plot(model, beta=3, metric="backward", scale=0.5, in_vars=None, out_vars=None, title=None,
         varscale=1.0, mask=False, folder=None, tick=False, sample=False):
    metric = _RENAMED.get(metric, metric) if isinstance(metric, str) else metric
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if metric == "backward" and model.reference_input is not None:
        # pykan's plot scores the model first (its attribute()): code reads edge_scores,
        # node_scores or feature_score after model.plot() without calling attribute itself
        # (kanlab also draws a model that has seen no data: pykan's plot raises there)
        model.attribute()
    if folder is not None:
        if not isinstance(folder, (str, os.PathLike)):
            raise TypeError(f"folder must be a path (str or os.PathLike), got "
                            f"{type(folder).__name__}")
        from kanlab.pykan._edge_images import write_edge_images
        write_edge_images(model, model._data(None), folder, tick=bool(tick),
                          sample=bool(sample), scale=float(scale))
    from kanlab.plotting import plot_network
    in_vars = None if in_vars is None else [_label(v) for v in in_vars]
    ids = list(getattr(model, "input_ids", range(model.n_nodes[0])))
    if in_vars is not None and len(in_vars) != model.n_nodes[0] and max(ids) < len(in_vars):
        in_vars = [in_vars[i] for i in ids]  # names of the original inputs, as pykan takes them
    out_vars = None if out_vars is None else [_label(v) for v in out_vars]
    import matplotlib.pyplot as plt
    # on a pyplot figure, as pykan draws: plt.savefig / plt.show after model.plot() see it
    # pykan writes the title on the diagram's axes, above the outputs; so does plot_network
    return plot_network(model, model.reference_input, in_vars=in_vars, out_vars=out_vars,
                        beta=float(beta), metric=metric, figure=plt.figure(),
                        title=None if title is None else str(title))

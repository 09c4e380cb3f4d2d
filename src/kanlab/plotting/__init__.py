"""Figures of KANs, made with matplotlib's object-oriented API.

This is the only part of kanlab that imports matplotlib, and ``import
kanlab`` does not import it.  No pyplot is used: every function builds a
:class:`matplotlib.figure.Figure`, returns it and, when ``path`` is given,
writes it as a PNG atomically, so the functions are safe headless and
leave matplotlib's global state alone.

One figure per module:

* :func:`plot_network` (``_diagram.py``): the KAN diagram with every edge's curve.
* :func:`plot_bspline_basis` (``_basis.py``): a layer's B-spline bases and one edge's spline.
* :func:`plot_compare` (``_compare.py``): model against the true function.
* :func:`plot_edge_in_use` (``_edge_in_use.py``): that figure for an edge the model uses.
* :func:`plot_history` (``_history.py``): train/test RMSE over the training stages.
"""
from kanlab.plotting._basis import plot_bspline_basis
from kanlab.plotting._compare import plot_compare
from kanlab.plotting._diagram import plot_network
from kanlab.plotting._edge_in_use import plot_edge_in_use
from kanlab.plotting._history import plot_history

__all__ = ["plot_network", "plot_bspline_basis", "plot_compare", "plot_history",
           "plot_edge_in_use"]

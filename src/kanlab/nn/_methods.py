"""The pykan-style methods of :class:`kanlab.nn.KAN`, as one mixin of thin delegates.

Each method hands the model to a function that does the work: grids and
pruning (:mod:`kanlab.nn`), formulas (:mod:`kanlab.symbolic`), training
(:mod:`kanlab.train`), checkpoints (:mod:`kanlab.io`) and figures
(:mod:`kanlab.plotting`). The last three are higher layers, so they are
imported inside the methods: this module is the only one allowed to do that
(see ``tests/architecture/layers.py``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from torch import Tensor

from kanlab import symbolic
from kanlab.nn import _grid, _pruning, _refine, _structure_edits, _symbolic_offsets

if TYPE_CHECKING:
    from kanlab.nn._network import KAN

__all__ = ["KANMethods"]


class KANMethods:
    """Grid, training, interpretability, checkpoint and plotting methods of :class:`KAN`."""

    def update_grid(self, x: Tensor, grid_eps: float | Sequence[float] | None = None,
                    max_change: float | None = None, carry: bool = False) -> None:
        """Move every layer's knots toward the samples ``x`` and keep the function
        (``max_change``, ``carry``: see :func:`kanlab.nn.update_grid`); the grids span the
        samples inside the model's :attr:`grid_fence`, the hidden ones at least the model's
        :attr:`grid_floor` of their layer's widest.  ``grid_eps`` None: every layer's own
        (:attr:`KANLayer.grid_eps`), else the model's."""
        _grid.update_grid(self, x, grid_eps, max_change, carry, fence=self.grid_fence,
                          floor=self.grid_floor)

    def refine(self, new_grid: int) -> "KAN":
        """A copy on ``new_grid`` intervals computing the same function (see :func:`kanlab.nn.refine`)."""
        return _refine.refine(self, new_grid)

    def fit(self, dataset: dict, **kwargs):
        """Train in place; keyword arguments are the fields of :class:`kanlab.FitConfig`.

        The training inputs become :attr:`reference_input`, the default data
        of :meth:`attribute`, :meth:`prune` and :meth:`auto_symbolic`.
        """
        from kanlab.train import FitConfig, fit
        history = fit(self, dataset, FitConfig(**kwargs))
        self.reference_input = dataset["train_input"]
        return history

    def attribute(self, x: Tensor | None = None):
        """Edge and node importance scores on ``x`` (see :func:`kanlab.nn.attribute`)."""
        return _pruning.attribute(self, x)

    @property
    def feature_score(self) -> Tensor:
        """Importance of every input on :attr:`reference_input`, ``(width[0],)``."""
        return self.attribute().node_scores[0]

    def prune(self, node_th: float = 1e-2, edge_th: float = 3e-2, x: Tensor | None = None) -> "KAN":
        """A smaller KAN without the unimportant hidden nodes and edges (see :func:`kanlab.nn.prune`)."""
        return _pruning.prune(self, x, node_th=node_th, edge_th=edge_th)

    def prune_input(self, threshold: float = 1e-2, x: Tensor | None = None,
                    active_inputs: Sequence[int] | None = None) -> "KAN":
        """A KAN without the unimportant inputs (see :func:`kanlab.nn.prune_input`)."""
        return _pruning.prune_input(self, x, threshold=threshold, active_inputs=active_inputs)

    def remove_edge(self, l: int, i: int, j: int) -> None:
        """Switch off the edge from node ``i`` of layer ``l`` to node ``j`` of layer ``l + 1``."""
        _pruning.remove_edge(self, l, i, j)

    def remove_node(self, l: int, i: int) -> None:
        """Switch off every edge into and out of node ``i`` of layer ``l`` (0 = inputs)."""
        _pruning.remove_node(self, l, i)

    def restore_symbolic_offsets(self) -> None:
        """Hand back the symbolic offsets the last L-BFGS fits moved downstream (the function
        is kept; see :mod:`kanlab.nn._symbolic_offsets`).  :meth:`edit_structure` does it."""
        _symbolic_offsets.restore_symbolic_offsets(self)

    def edit_structure(self):
        """``with model.edit_structure(): ...``: the one way into an edit of the symbolic
        structure (masks, functions, constants, nodes); the moved symbolic offsets are handed
        back on entry (see :mod:`kanlab.nn._structure_edits`)."""
        return _structure_edits.edit_structure(self)

    def written_inputs(self, x: Tensor, visit=None) -> list[Tensor]:
        """Every layer's input on ``x`` as the writers compute the nodes (moved symbolic
        offsets handed back in the values); ``visit(l, h)`` before layer ``l`` runs (see
        :func:`kanlab.nn._symbolic_offsets.written_inputs`)."""
        return _symbolic_offsets.written_inputs(self, x, visit)

    def suggest_symbolic(self, l: int, i: int, j: int, lib=None, topk: int = 5,
                         x: Tensor | None = None, a_range=None, b_range=None):
        """Ranked symbolic candidates for edge ``(l, i, j)`` (see :mod:`kanlab.symbolic`)."""
        return symbolic.suggest_symbolic(self, l, i, j, lib=lib, topk=topk, x=x, a_range=a_range,
                                         b_range=b_range)

    def fix_symbolic(self, l: int, i: int, j: int, name, x: Tensor | None = None,
                     fit_params: bool = True, params=None, a_range=None, b_range=None):
        """Replace edge ``(l, i, j)``'s spline by ``c·f(a·x+b)+d``; returns the fit."""
        return symbolic.fix_symbolic(self, l, i, j, name, x=x, fit_params=fit_params, params=params,
                                     a_range=a_range, b_range=b_range)

    def unfix_symbolic(self, l: int, i: int, j: int) -> None:
        """Give edge ``(l, i, j)`` back to its spline."""
        symbolic.unfix_symbolic(self, l, i, j)

    def auto_symbolic(self, lib=None, r2_threshold: float = 0.99, x: Tensor | None = None,
                      **kwargs):
        """Fix every active spline edge to its best candidate (see :func:`kanlab.symbolic.auto_symbolic`)."""
        return symbolic.auto_symbolic(self, lib=lib, r2_threshold=r2_threshold, x=x, **kwargs)

    def symbolic_formula(self, var_names=None, x: Tensor | None = None, **kwargs):
        """One sympy expression per output (see :func:`kanlab.symbolic.symbolic_formula`)."""
        return symbolic.symbolic_formula(self, var_names=var_names, x=x, **kwargs)

    def save(self, path) -> None:
        """Write a checkpoint (safetensors layout, no pickle); see :func:`kanlab.load`."""
        from kanlab.io import save
        save(self, path)

    def plot(self, x: Tensor | None = None, **kwargs):
        """The KAN diagram (see :func:`kanlab.plotting.plot_network`); ``x`` defaults to
        :attr:`reference_input`.  Returns the matplotlib Figure."""
        from kanlab.plotting import plot_network
        return plot_network(self, self.reference_input if x is None else x, **kwargs)

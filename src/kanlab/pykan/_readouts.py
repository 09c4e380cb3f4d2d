"""pykan's read-outs of a :class:`kanlab.pykan.KAN`, with pykan's types.

What a user reads off pykan's ``MultKAN`` and gets back as pykan gives it:

* ``n_edge`` and ``connection_cost`` are properties (an ``int`` and a 0-d tensor), not
  methods;
* ``get_fun`` and ``get_range`` return numpy arrays (sorted samples; 0-d extremes);
* ``base_fun`` is the base function as a callable module (``nn.SiLU()`` for ``'silu'``);
* ``input_id`` is the tensor of the original inputs that a ``prune_input`` kept;
* ``mult_homo`` says whether all multiplication nodes have one arity; ``affine_trainable``
  whether the model has pykan's trainable node affine maps (the engine's ``node_affine``);
* ``tree`` draws :func:`kanlab.pykan.hypothesis.plot_tree` of the model and returns
  ``None``.

The ``log_history`` flags of the structure methods live here too
(:meth:`Readouts.logged`): pykan saves a version after each of them unless told not to.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__ = ["Readouts"]


class _Zero(torch.nn.Module):
    """pykan's ``base_fun='zero'``: ``x · 0``."""

    def forward(self, x: Tensor) -> Tensor:
        return x * 0.0


_MODULES = {"silu": torch.nn.SiLU, "identity": torch.nn.Identity, "zero": _Zero,
            "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU}


class Readouts:
    """Mixin of :class:`kanlab.pykan.KAN`."""

    @property
    def n_edge(self) -> int:
        """The number of active edges (spline or symbolic), as pykan's property."""
        return int(sum(((l.mask != 0) | (s.mask != 0)).sum()
                       for l, s in zip(self.layers, self.symbolic)))

    @property
    def connection_cost(self) -> Tensor:
        """Sum over edges of score × horizontal distance of the nodes it joins (a 0-d tensor,
        as pykan's property); scores on the last data seen."""
        from kanlab.pykan._structure import connection_cost
        return torch.tensor(connection_cost(self))

    @property
    def base_fun(self) -> torch.nn.Module:
        """The splines' base function, a module (pykan's ``model.base_fun``); a custom callable
        as given."""
        layer = self.layers[0]
        make = _MODULES.get(layer.base_fun_name)
        return make() if make is not None else layer.base_fun

    @property
    def mult_homo(self) -> bool:
        """Whether every multiplication node has the same arity (pykan's flag)."""
        return isinstance(self.mult_arity, int)

    @property
    def affine_trainable(self) -> bool:
        """Whether the subnode and node affine maps are trained (``KAN(affine_trainable=True)``;
        otherwise they are absent, pykan's fixed identity)."""
        return self.affines is not None

    def evaluate(self, dataset) -> dict:
        """``{'test_loss': RMSE on the test set, 'n_edge', 'n_grid'}``, as pykan's."""
        with torch.no_grad():
            err = torch.sqrt(torch.mean((self(dataset["test_input"]) - dataset["test_label"]) ** 2))
        return {"test_loss": float(err), "n_edge": self.n_edge, "n_grid": self.grid}

    def _edge_samples(self, l, i, j) -> tuple[np.ndarray, np.ndarray]:
        from kanlab.symbolic import edge_samples
        x, y = edge_samples(self, int(l), int(i), int(j), self._data(None))
        return x.detach().cpu().numpy(), y.detach().cpu().numpy()

    def get_fun(self, l, i, j):
        """The samples of edge ``(l, i, j)`` on the last data, sorted by input: numpy
        ``(x, y)``; also plotted (a 3×3 figure), as pykan's."""
        x, y = self._edge_samples(l, i, j)
        order = np.argsort(x)
        x, y = x[order], y[order]
        import matplotlib.pyplot as plt
        plt.figure(figsize=(3, 3))
        plt.plot(x, y, marker="o")
        return x, y

    def get_range(self, l, i, j, verbose=True):
        """``(x_min, x_max, y_min, y_max)`` of edge ``(l, i, j)`` on the last data, 0-d numpy
        arrays as pykan's; printed with ``verbose``."""
        x, y = self._edge_samples(l, i, j)
        out = (np.asarray(x.min()), np.asarray(x.max()), np.asarray(y.min()), np.asarray(y.max()))
        if verbose:
            print("x range: [" + "%.2f" % out[0], ",", "%.2f" % out[1], "]")
            print("y range: [" + "%.2f" % out[2], ",", "%.2f" % out[3], "]")
        return out

    def tree(self, x=None, in_var=None, style="tree", sym_th=1e-3, sep_th=1e-1,
             skip_sep_test=False, verbose=False) -> None:
        """pykan's ``tree``: :func:`kanlab.pykan.hypothesis.plot_tree` of the model on ``x``
        (default: the last data seen)."""
        from kanlab.pykan.hypothesis import plot_tree
        plot_tree(self, self._data(x), in_var=in_var, style=style, sym_th=sym_th, sep_th=sep_th,
                  skip_sep_test=skip_sep_test, verbose=verbose)

    def logged(self, log_history, name: str) -> None:
        """Save a version after ``name`` (pykan's ``log_history``) unless told not to."""
        if log_history:
            self.log_history(name)

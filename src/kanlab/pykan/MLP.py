"""``kan.MLP``: pykan's multilayer perceptron baseline, with its ``fit``, ``plot`` and ``auto_swap``.

pykan's notebooks compare KANs with a plain MLP that is trained, pruned by a
sparsity penalty and drawn like a KAN (Interp_10A, Interp_10B, Physics_3).  This
is that model on :mod:`torch.nn`: ``Linear`` layers with SiLU between them.

* ``forward`` keeps what pykan's MLP keeps for its penalties and plots while
  ``save_act`` is on: ``acts`` (each layer's input), ``acts_scale`` (the
  standard deviation of each layer's output over the batch) and ``wa_forward``
  (each weight scaled by its input's standard deviation).
* ``reg(reg_metric, lamb_l1, lamb_entropy)`` is the sparsity penalty on ``|w|``
  (``"w"``), ``|wa_forward|`` (``"act"``), the attribution scores (``"fa"``) or the
  output spreads (``"a"``): its L1 norm plus row and column entropies, each row or
  column normalised by its sum plus one, in bits.
* ``fit`` trains with pykan's L-BFGS or Adam and returns pykan's dict of lists
  (``train_loss``/``test_loss`` are square roots of the loss, plus ``reg`` and the
  ``metrics``), one entry per step.
* ``connection_cost``, ``swap`` and ``auto_swap`` reorder hidden neurons to shorten
  the drawn connections (the function is unchanged).

The seed is used for the initial weights only, through a forked random state:
building an MLP leaves the global random state alone.
"""
from __future__ import annotations

import sys
import warnings

import numpy as np
import torch
from torch import nn

from kanlab.pykan._lbfgs import LBFGS
from kanlab.pykan._legacy import available_device

__all__ = ["MLP", "LBFGS"]  # LBFGS: pykan's module imports it

_METRICS = ("w", "act", "fa", "a")


def _entropy_bits(p: torch.Tensor, dim: int) -> torch.Tensor:
    return -(p * torch.log2(p + 1e-4)).sum(dim=dim)


def _sparsity(values: list[torch.Tensor], lamb_l1: float, lamb_entropy: float) -> torch.Tensor:
    """L1 plus entropy of every tensor in ``values`` (matrices: rows and columns; vectors: whole)."""
    total = values[0].new_zeros(()) if values else torch.zeros(())  # on the values' device
    for v in values:
        a = v.abs()
        total = total + lamb_l1 * a.sum()
        if a.dim() == 2:
            rows = _entropy_bits(a / (a.sum(dim=1, keepdim=True) + 1), dim=1).mean()
            cols = _entropy_bits(a / (a.sum(dim=0, keepdim=True) + 1), dim=0).mean()
            total = total + lamb_entropy * (rows + cols)
        else:
            total = total + lamb_entropy * _entropy_bits(a / (a.sum() + 1), dim=0)
    return total


class MLP(nn.Module):
    """pykan's ``MLP(width, act='silu', save_act=True, seed=0, device='cpu')``."""

    def __init__(self, width, act="silu", save_act=True, seed=0, device="cpu") -> None:
        super().__init__()
        width = [int(w) for w in width]
        if len(width) < 2 or min(width) < 1:
            raise ValueError(f"width must list at least 2 positive layer sizes, got {width}")
        if act != "silu":
            raise ValueError(f"act must be 'silu' (pykan's only MLP activation), got {act!r}")
        self.width = width
        self.depth = len(width) - 1
        # drawn on the CPU from the seeded CPU generator (the same weights on every device,
        # whatever torch's default device), then moved below
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            self.linears = nn.ModuleList(nn.Linear(width[i], width[i + 1], device="cpu")
                                         for i in range(self.depth))
        self.act_fun = nn.SiLU()
        self.save_act = bool(save_act)
        self.acts = None
        self.acts_scale = None
        self.wa_forward = None
        self.cache_data = None
        self.device = device
        self.to(device)

    def to(self, *args, **kwargs):
        args = tuple(available_device(a) if isinstance(a, (str, torch.device)) else a
                     for a in args)
        out = super().to(*args, **kwargs)
        if args and isinstance(args[0], (str, torch.device)):
            self.device = args[0]
        return out

    def refine(self, new_grid=None, grid=None) -> "MLP":
        """An MLP has no grid: the model itself, unchanged, with a warning.

        pykan's MLP has no ``refine``; notebooks that swap a KAN for an MLP keep
        calling it, and refining a grid-free model leaves its function as it is.
        """
        warnings.warn("MLP has no spline grid: refine() returns the model unchanged",
                      RuntimeWarning, stacklevel=2)
        return self

    @property
    def w(self) -> list[torch.Tensor]:
        """The weight matrices, ``(out, in)`` each."""
        return [lin.weight for lin in self.linears]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.cache_data = x
        keep = self.save_act
        if keep:
            self.acts, self.acts_scale, self.wa_forward = [], [], []
        for i, lin in enumerate(self.linears):
            if keep:
                spread = x.std(dim=0)
                self.acts.append(x.clone())
                self.wa_forward.append(lin.weight * spread[None, :])
                if i > 0:
                    self.acts_scale.append(spread)
            x = lin(x)
            if i < self.depth - 1:
                x = self.act_fun(x)
            elif keep:
                self.acts_scale.append(x.std(dim=0))
        return x

    def _inputs(self, x, caller: str) -> torch.Tensor:
        """``x``, a dataset's training inputs, or (``None``) the last input the model saw."""
        if isinstance(x, dict):
            x = x["train_input"]
        if x is None:
            if self.cache_data is None:
                raise ValueError(f"{caller} needs inputs: pass x (or a dataset) or run the model "
                                 "first")
            x = self.cache_data
        return x

    def get_act(self, x=None) -> None:
        """Run a forward pass that keeps the activations (on ``x``, a dataset or the last input)."""
        x = self._inputs(x, "get_act")
        keep, self.save_act = self.save_act, True
        try:
            self.forward(x)
        finally:
            self.save_act = keep

    def attribute(self) -> None:
        """Attribution scores from the outputs back: ``node_scores`` and ``edge_scores``."""
        if self.acts is None:
            self.get_act()
        score = torch.ones(self.width[-1], device=self.linears[0].weight.device)
        nodes, edges = [score], []
        for l in range(self.depth, 0, -1):
            edge = self.wa_forward[l - 1].abs() * (score / (self.acts_scale[l - 1] + 1e-4))[:, None]
            score = edge.sum(dim=0) / float(self.width[l - 1]) ** 0.5
            edges.append(edge)
            nodes.append(score)
        self.node_scores = nodes[::-1]
        self.edge_scores = edges[::-1]
        self.wa_backward = self.edge_scores

    def _metric_values(self, metric: str) -> list[torch.Tensor]:
        if metric not in _METRICS:
            raise ValueError(f"reg_metric must be one of {_METRICS}, got {metric!r}")
        if metric == "w":
            return self.w
        if self.acts is None:
            self.get_act()
        if metric == "fa":
            self.attribute()
            return self.wa_backward
        return self.wa_forward if metric == "act" else self.acts_scale

    def reg(self, reg_metric, lamb_l1, lamb_entropy) -> torch.Tensor:
        """pykan's MLP sparsity penalty (see the module docstring)."""
        return _sparsity(self._metric_values(reg_metric), float(lamb_l1), float(lamb_entropy))

    get_reg = reg

    def plot(self, beta=3, scale=1.0, metric="w"):
        """Draw the network: one line per weight, opacity ``tanh(beta·|p|)``, blue positive, red negative."""
        import matplotlib.pyplot as plt
        values = self._metric_values(metric)
        step = 0.5
        fig, ax = plt.subplots(figsize=(3 * scale, 3 * step * self.depth * scale))
        size = (1.0 / max(self.width)) ** 2 * 5000 * scale ** 2
        for level, n in enumerate(self.width):
            ax.scatter((np.arange(n) + 0.5) / n, np.full(n, level * step), s=size, color="black")
        for level, p in enumerate(values):
            if p.dim() != 2:
                raise ValueError(f"metric {metric!r} has no per-weight values to draw")
            p = p.detach().cpu().numpy()
            n_out, n_in = p.shape
            for i in range(n_out):
                for j in range(n_in):
                    ax.plot([(i + 0.5) / n_out, (j + 0.5) / n_in],
                            [step * (level + 1), step * level], lw=0.5 * scale,
                            alpha=float(np.tanh(beta * abs(p[i, j]))),
                            color="blue" if p[i, j] > 0 else "red")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.1 * step, step * self.depth + 0.1 * step)
        ax.axis("off")

    def fit(self, dataset, opt="LBFGS", steps=100, log=1, lamb=0.0, lamb_l1=1.0, lamb_entropy=2.0,
            loss_fn=None, lr=1.0, batch=-1, metrics=None, in_vars=None, out_vars=None, beta=3,
            device="cpu", reg_metric="w", display_metrics=None) -> dict:
        """Train; pykan's arguments and dict of lists (see the module docstring)."""
        from kanlab._threads import one_thread
        from kanlab.pykan._mlp_fit import fit_mlp
        with one_thread():  # as KAN.fit
            return fit_mlp(self, dataset, opt=opt, steps=int(steps), log=int(log),
                           lamb=float(lamb), lamb_l1=float(lamb_l1),
                           lamb_entropy=float(lamb_entropy), loss_fn=loss_fn, lr=float(lr),
                           batch=int(batch), metrics=metrics, reg_metric=reg_metric,
                           display_metrics=display_metrics, stream=sys.stderr)

    @property
    def connection_cost(self) -> torch.Tensor:
        """Sum of ``|w|`` times the horizontal distance between the neurons it joins."""
        with torch.no_grad():
            total = torch.zeros((), device="cpu")  # summed on the host
            for lin in self.linears:
                n_out, n_in = lin.weight.shape
                x_out = (torch.arange(n_out, device="cpu") + 0.5) / n_out
                x_in = (torch.arange(n_in, device="cpu") + 0.5) / n_in
                total = total + ((x_out[:, None] - x_in[None, :]).abs()
                                 * lin.weight.detach().abs().cpu()).sum()
        return total

    def swap(self, l, i1, i2) -> None:
        """Exchange neurons ``i1`` and ``i2`` of hidden layer ``l`` (the function is unchanged)."""
        l, i1, i2 = int(l), int(i1), int(i2)
        if not 0 < l < self.depth:
            raise ValueError(f"l must name a hidden layer, 1..{self.depth - 1}, got {l}")
        order = list(range(self.width[l]))
        order[i1], order[i2] = i2, i1
        with torch.no_grad():
            before, after = self.linears[l - 1], self.linears[l]
            before.weight.copy_(before.weight[order])
            before.bias.copy_(before.bias[order])
            after.weight.copy_(after.weight[:, order])

    def auto_swap_l(self, l) -> None:
        """For each neuron of hidden layer ``l`` in turn, move it where the connection cost is least."""
        for i in range(self.width[l]):
            costs = []
            for j in range(self.width[l]):
                self.swap(l, i, j)
                costs.append(float(self.connection_cost))
                self.swap(l, i, j)
            self.swap(l, i, int(np.argmin(costs)))

    def auto_swap(self) -> None:
        """:meth:`auto_swap_l` on every hidden layer."""
        for l in range(1, self.depth):
            self.auto_swap_l(l)

    def tree(self, x=None, in_var=None, style="tree", sym_th=1e-3, sep_th=1e-1,
             skip_sep_test=False, verbose=False) -> None:
        """:func:`kanlab.pykan.hypothesis.plot_tree` of the network on ``x`` (a tensor or a
        dataset; default: the last input).  pykan's raises NameError (``plot_tree`` is not
        imported in its module)."""
        from kanlab.pykan.hypothesis import plot_tree
        plot_tree(self, self._inputs(x, "tree"), in_var=in_var, style=style, sym_th=sym_th,
                  sep_th=sep_th, skip_sep_test=skip_sep_test, verbose=verbose)

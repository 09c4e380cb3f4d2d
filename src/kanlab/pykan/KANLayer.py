"""``kan.KANLayer``: pykan's standalone spline layer, in pykan's layout, on kanlab's splines.

pykan users build their own networks from ``KANLayer`` (``nn.Sequential``-like stacks
trained with torch optimisers) and read or write its tensors directly, so this class
keeps pykan's parameter layout and names as the source of truth:

* ``grid`` ``(in_dim, G + 2k + 1)``: the extended knots (a buffer; pykan's is a frozen
  ``Parameter``), ``coef`` ``(in_dim, out_dim, G + k)``, ``scale_base``, ``scale_sp`` and
  ``mask`` ``(in_dim, out_dim)``.  ``state_dict`` has pykan's keys, so a pykan layer's
  state loads into this one and back.
* Writing them (``layer.coef.data[...] = v``, ``layer.grid.data = new``, an optimiser step)
  is seen by the next forward pass: nothing is cached from them except the knot tables,
  which are rebuilt whenever ``grid`` changes (compared by value every call).

The maths is kanlab's: the forward pass evaluates the B-splines (and the base function)
with a private :class:`kanlab.nn.KANLayer` on the same knots, continued as pykan's
spline (``extrapolate="extended"``: live on the ``k`` extension intervals, 0 beyond the
outermost knots), so the C++ kernels and span tables serve it; the least-squares refits
are :func:`kanlab.pykan.spline.curve2coef` (:mod:`kanlab.splines`).  The pass itself is
pykan's dense one, as it returns every edge's value: ``(y, preacts, postacts,
postspline)``.

Differences from pykan 0.2.8, each on purpose:

* ``update_grid_from_samples`` and ``initialize_grid_from_parent`` place the grid points
  by pykan's rules (sample quantiles blended with a uniform grid by ``grid_eps``; the
  parent's points interpolated), so the grid is pykan's; pykan's ``mode='grid'`` of
  ``initialize_grid_from_parent`` refits on the new grid's own ``G + 1`` points (its
  helper ignores the ``2G`` it is asked for), here on ``2G + 1`` points as intended.
  :class:`kanlab.pykan.KAN`'s grid updates remain kanlab's own (see its docs), spanning
  every sample as these do.
* ``sparse_init=True`` starts the splines off pykan's nearest-neighbour pattern at zero
  ``scale_sp`` with the mask on (pykan up to 0.2.4, as :class:`kanlab.pykan.KAN`);
  pykan 0.2.5+ masks them for good.
* Bad arguments raise ``ValueError``/``TypeError`` saying what was expected.
"""
from __future__ import annotations

import math
import numbers
from abc import ABCMeta

import numpy as np
import torch
from torch import Tensor, nn

from kanlab.nn import KANLayer as _EngineLayer
from kanlab.pykan._args import as_int, engine_base, grid_range as checked_grid_range, index_list
from kanlab.pykan._grid_points import interpolated_grid_points, sample_grid_points
from kanlab.pykan._legacy import available_device, initial_coef
from kanlab.pykan.spline import B_batch, coef2curve, curve2coef, extend_grid
from kanlab.pykan._views import SplineView
from kanlab.pykan.utils import sparse_mask

# KANLayer and the names pykan's module brings in (``from kan.KANLayer import *``)
__all__ = ["KANLayer", "B_batch", "coef2curve", "curve2coef", "extend_grid", "sparse_mask"]

class KANLayer(nn.Module, metaclass=ABCMeta):
    """pykan's ``KANLayer``: ``in_dim × out_dim`` edges ``mask · (scale_base · b(x) +
    scale_sp · spline(x))``, summed per output.

    Parameters (pykan's)
    --------------------
    in_dim, out_dim : int
        Layer sizes.
    num : int
        Number of grid intervals ``G``.
    k : int
        Spline degree.
    noise_scale : float
        Spread of the initial spline values at the grid points (``U(-1/2, 1/2) ·
        noise_scale / G``, fitted to coefficients).
    scale_base_mu, scale_base_sigma : float
        ``scale_base`` starts at ``mu / sqrt(in_dim) + sigma · U(-1, 1) / sqrt(in_dim)``.
    scale_sp : float
        ``scale_sp`` starts at ``scale_sp / sqrt(in_dim)``.
    base_fun : callable
        The residual function ``b`` (``torch.nn.SiLU()``).
    grid_eps : float in [0, 1]
        Weight of the uniform grid in :meth:`update_grid_from_samples`.
    grid_range : [lo, hi]
        Initial grid span.
    sp_trainable, sb_trainable : bool
        Whether ``scale_sp`` / ``scale_base`` train.
    save_plot_data : bool
        Accepted (pykan's layer does not use it either).
    device : str or torch.device
    sparse_init : bool
        Start sparse (see the module docs).

    The initial draws come from torch's global generator in pykan's order, so
    ``torch.manual_seed(s)`` before the constructor gives pykan's layer for that seed.

    Shape
    -----
    ``forward(x)`` takes ``(batch, in_dim)`` and returns ``y`` ``(batch, out_dim)``,
    ``preacts``, ``postacts`` and ``postspline`` ``(batch, out_dim, in_dim)``.

    Examples
    --------
    >>> layer = KANLayer(in_dim=3, out_dim=2, num=5, k=3)
    >>> y, preacts, postacts, postspline = layer(torch.rand(10, 3) * 2 - 1)
    >>> y.shape, postacts.shape
    (torch.Size([10, 2]), torch.Size([10, 2, 3]))
    """

    def __init__(self, in_dim=3, out_dim=2, num=5, k=3, noise_scale=0.5, scale_base_mu=0.0,
                 scale_base_sigma=1.0, scale_sp=1.0, base_fun=torch.nn.SiLU(), grid_eps=0.02,
                 grid_range=(-1, 1), sp_trainable=True, sb_trainable=True, save_plot_data=True,
                 device="cpu", sparse_init=False):
        super().__init__()
        self.in_dim = in_dim = as_int("in_dim", in_dim, 1)
        self.out_dim = out_dim = as_int("out_dim", out_dim, 1)
        self.num = num = as_int("num", num, 1)
        self.k = k = as_int("k", k, 0)
        lo, hi = checked_grid_range(grid_range)
        for name, value in (("noise_scale", noise_scale), ("scale_base_mu", scale_base_mu),
                            ("scale_base_sigma", scale_base_sigma), ("scale_sp", scale_sp)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                    or not math.isfinite(value):
                raise TypeError(f"{name} must be a finite number, got {value!r}")
        if not isinstance(grid_eps, numbers.Real) or not 0.0 <= float(grid_eps) <= 1.0:
            raise ValueError(f"grid_eps must be a number in [0, 1], got {grid_eps!r}")
        engine_fun = engine_base(base_fun)
        self.base_fun = base_fun
        self.grid_eps = float(grid_eps)
        self.save_plot_data = bool(save_plot_data)
        # built on the CPU (pykan's draws come from its global generator), then moved to
        # ``device`` below, whatever torch's default device
        host = dict(dtype=torch.get_default_dtype(), device="cpu")
        dtype = host["dtype"]
        # pykan's knots: G + 1 points, then k more on each side at the same step
        points = torch.linspace(lo, hi, steps=num + 1, **host)[None, :].expand(in_dim, -1)
        self.register_buffer("grid", extend_grid(points, k_extend=k).contiguous())
        # pykan's draws, in its order: the noise at the grid points, then the base weights
        noise = (torch.rand(num + 1, in_dim, out_dim, **host) - 0.5) * noise_scale / num
        self.coef = nn.Parameter(initial_coef(noise, self.grid, k).to(dtype))
        self.register_buffer("mask", torch.ones(in_dim, out_dim, **host))
        spread = (torch.rand(in_dim, out_dim, **host) * 2 - 1) / np.sqrt(in_dim)
        self.scale_base = nn.Parameter(scale_base_mu / np.sqrt(in_dim) + scale_base_sigma * spread,
                                       requires_grad=bool(sb_trainable))
        sp = torch.full((in_dim, out_dim), float(scale_sp) / np.sqrt(in_dim), **host)
        if sparse_init:
            sp = sp * sparse_mask(in_dim, out_dim).to(dtype)
        self.scale_sp = nn.Parameter(sp, requires_grad=bool(sp_trainable))
        # the evaluator: kanlab's layer on the same knots (its own weights are never used);
        # its initial draws are undone, so the global generator moves on as pykan's does and
        # a second layer (or the data) after one seed is pykan's too
        with torch.random.fork_rng(devices=[]):
            self.__dict__["_engine"] = _EngineLayer(
                in_dim, 1, grid=num, k=k, grid_range=(lo, hi), base_fun=engine_fun,
                noise_scale=0.0, extrapolate="extended", **host)
        self.__dict__["_engine_grid"] = None
        self.to(available_device(device))

    # ------------------------------------------------------------------ evaluation
    @property
    def device(self) -> torch.device:
        return self.coef.device

    def _synced_engine(self) -> _EngineLayer:
        """The evaluator on ``grid`` as it is now (rebuilt when its values changed)."""
        grid, seen = self.grid, self.__dict__["_engine_grid"]
        if seen is not None and seen.dtype == grid.dtype and seen.device == grid.device \
                and seen.shape == grid.shape and torch.equal(seen, grid):
            return self._engine
        k, n_coef = self.k, self.coef.shape[-1]
        if grid.dim() != 2 or grid.shape != (self.in_dim, n_coef + k + 1):
            raise ValueError(f"grid must have shape ({self.in_dim}, {n_coef + k + 1}) to match "
                             f"coef {tuple(self.coef.shape)} and k={k}, got {tuple(grid.shape)}")
        engine = self._engine.to(device=grid.device, dtype=grid.dtype)
        engine.set_grid(grid.detach(), grid.new_zeros(1, self.in_dim, n_coef))
        self.__dict__["_engine_grid"] = grid.detach().clone()
        return engine

    def _check_input(self, x) -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"KANLayer expects a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"KANLayer expects input of shape (batch, {self.in_dim}), "
                             f"got {tuple(x.shape)}")

    def forward(self, x: Tensor):
        """``(y, preacts, postacts, postspline)``: ``y`` ``(batch, out_dim)``, the others
        ``(batch, out_dim, in_dim)`` (pykan's)."""
        self._check_input(x)
        engine = self._synced_engine()
        engine.check_input(x)  # dtype, device, finite values
        feats = engine.features(x)  # (B, in, [base] + G + k), base first when there is one
        n_coef = self.coef.shape[-1]
        basis = feats[..., -n_coef:]  # (B, in, G + k)
        postspline = torch.einsum("bis,ios->boi", basis, self.coef)  # (B, out, in)
        postacts = self.scale_sp.t() * postspline  # (B, out, in)
        if feats.shape[-1] > n_coef:  # the base function's column
            postacts = postacts + self.scale_base.t() * feats[..., 0].unsqueeze(1)
        postacts = self.mask.t() * postacts
        preacts = x[:, None, :].expand(x.shape[0], self.out_dim, self.in_dim)
        return postacts.sum(-1), preacts, postacts, postspline

    # ------------------------------------------------------------------ grids
    def _check_samples(self, x) -> None:
        self._check_input(x)
        if x.shape[0] < 1 or not bool(torch.isfinite(x).all()):
            raise ValueError("the samples must be a non-empty batch of finite values")

    @staticmethod
    def _check_mode(mode) -> None:
        if mode not in ("sample", "grid"):
            raise ValueError(f"mode must be 'sample' or 'grid', got {mode!r}")

    @torch.no_grad()
    def update_grid_from_samples(self, x: Tensor, mode: str = "sample") -> None:
        """Move the grid to the samples ``x`` ``(batch, in_dim)`` (pykan's rule, see
        :func:`sample_grid_points`) and refit ``coef`` by least squares to the splines' old
        values on the samples (``mode='sample'``) or on ``2G + 1`` points spread like the new
        grid (``mode='grid'``)."""
        self._check_mode(mode)
        self._check_samples(x)
        x = x.to(self.grid.dtype)
        x_pos = x.sort(dim=0).values
        y_eval = coef2curve(x_pos, self.grid, self.coef, self.k)  # (B, in, out)
        n = self.grid.shape[1] - 1 - 2 * self.k
        points = sample_grid_points(x_pos, n, self.grid_eps)
        if mode == "grid":
            x_pos = sample_grid_points(x_pos, 2 * n, self.grid_eps).t()
            y_eval = coef2curve(x_pos, self.grid, self.coef, self.k)
        self.grid = extend_grid(points, k_extend=self.k).contiguous()
        self.coef.data = curve2coef(x_pos, y_eval, self.grid, self.k).to(self.coef)

    @torch.no_grad()
    def initialize_grid_from_parent(self, parent, x: Tensor, mode: str = "sample") -> None:
        """Take ``parent``'s function (a coarser layer: anything with ``grid``, ``coef`` and
        ``k``) onto this layer's ``G`` intervals: the grid points are the parent's,
        interpolated; ``coef`` is fitted to the parent's splines on ``x`` (``'sample'``) or
        on ``2G + 1`` points along the new grid (``'grid'``)."""
        self._check_mode(mode)
        for name in ("grid", "coef", "k"):
            if not hasattr(parent, name):
                raise TypeError(f"parent must be a KANLayer (with grid, coef and k), got "
                                f"{type(parent).__name__}")
        if parent.grid.shape[0] != self.in_dim:
            raise ValueError(f"parent has {parent.grid.shape[0]} inputs, this layer {self.in_dim}")
        self._check_samples(x)
        x = x.to(self.grid.dtype)
        pk = int(parent.k)
        pgrid, pcoef = parent.grid.detach().to(self.grid), parent.coef.detach().to(self.grid)
        x_pos = x.sort(dim=0).values
        y_eval = coef2curve(x_pos, pgrid, pcoef, pk)
        parent_points = pgrid[:, pk:pgrid.shape[1] - pk]  # (in, G_parent + 1)
        n = self.grid.shape[1] - 1 - 2 * self.k
        points = interpolated_grid_points(parent_points, n)
        if mode == "grid":
            x_pos = interpolated_grid_points(parent_points, 2 * n).t()
            y_eval = coef2curve(x_pos, pgrid, pcoef, pk)
        self.grid = extend_grid(points, k_extend=self.k).contiguous()
        self.coef.data = curve2coef(x_pos, y_eval, self.grid, self.k).to(self.coef)

    # ------------------------------------------------------------------ structure
    def get_subset(self, in_id, out_id) -> "KANLayer":
        """A new layer of the inputs ``in_id`` and outputs ``out_id`` (pruning)."""
        return layer_subset(self, in_id, out_id)

    @torch.no_grad()
    def swap(self, i1: int, i2: int, mode: str = "in") -> None:
        """Exchange inputs (``mode='in'``) or outputs (``'out'``) ``i1`` and ``i2``."""
        perm, dim, names = swap_plan(self, i1, i2, mode)
        for name in names:
            t = getattr(self, name)
            t.data.copy_(t.data.index_select(dim, torch.tensor(perm, device=t.device)))

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, out_dim={self.out_dim}, num={self.num}, k={self.k}"


def _plain(t: Tensor) -> Tensor:
    """``t`` as a plain tensor (a model view's window or a Parameter), for indexing."""
    return t.as_subclass(Tensor)


@torch.no_grad()
def layer_subset(layer, in_id, out_id) -> KANLayer:
    """A standalone :class:`KANLayer` of ``layer``'s inputs ``in_id`` and outputs ``out_id``
    (pykan's ``get_subset``): ``layer`` is a standalone layer or a model's ``act_fun[l]``."""
    in_id = index_list("in_id", in_id, layer.in_dim)
    out_id = index_list("out_id", out_id, layer.out_dim)
    eps = layer.grid_eps if layer.grid_eps is not None else 0.02  # a view's: the model's
    sub = KANLayer(len(in_id), len(out_id), layer.num, layer.k, base_fun=layer.base_fun,
                   grid_eps=eps, device=layer.device)
    sub.grid = _plain(layer.grid)[in_id].clone()  # its dtype kept, as pykan's `.data =`
    for name in ("coef", "scale_base", "scale_sp"):
        own = getattr(layer, name)
        getattr(sub, name).data = _plain(own)[in_id][:, out_id].clone()
        getattr(sub, name).requires_grad_(own.requires_grad)
    sub.mask = _plain(layer.mask)[in_id][:, out_id].clone()
    return sub


def swap_plan(layer, i1, i2, mode: str) -> tuple[list[int], int, tuple[str, ...]]:
    """pykan's ``KANLayer.swap`` checked: the permutation, the dimension it acts on and the
    tensors it permutes (the grid is per input)."""
    if mode not in ("in", "out"):
        raise ValueError(f"mode must be 'in' or 'out', got {mode!r}")
    size = layer.in_dim if mode == "in" else layer.out_dim
    for i in (i1, i2):
        if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= i < size:
            raise ValueError(f"swap indices must be ints in [0, {size}), got {i1!r}, {i2!r}")
    perm = list(range(size))
    perm[i1], perm[i2] = perm[i2], perm[i1]
    names = ("grid", "coef", "scale_base", "scale_sp", "mask") if mode == "in" else \
        ("coef", "scale_base", "scale_sp", "mask")
    return perm, 0 if mode == "in" else 1, names


# a model's act_fun[l] (kanlab.pykan._views.SplineView, pykan's layout over the engine's
# layer) is a KANLayer to isinstance, as pykan's act_fun[l] is: user code finds the layers
# by walking model.modules() (kanlab.pykan._view_modules)
KANLayer.register(SplineView)

"""A model's ``act_fun[l]`` as a layer of pykan's in its own right: its ``state_dict`` and
``load_state_dict`` in pykan's keys and layout, and its own ``update_grid_from_samples``.

Research code treats ``model.act_fun[l]`` as the ``KANLayer`` it is in pykan: it saves one
layer (``torch.save(model.act_fun[1].state_dict(), ...)``), loads it into a standalone
``KANLayer`` or back into the model, moves one layer's grid to that layer's inputs
(``model.act_fun[l].update_grid_from_samples(model.acts[l])``) or onto another model's
layer (``initialize_grid_from_parent``, in subclasses' own ``initialize_grid_from_another_model``),
cuts a standalone layer out of it (``get_subset``), swaps two of its inputs or outputs, and
reads its ``device``.  ``model.symbolic_fun[l]`` likewise saves and loads pykan's ``mask`` and
``affine`` (the functions stay the edges' own, as pykan's state holds no functions) and cuts
a standalone ``Symbolic_KANLayer`` out of it (``get_subset``).  The view
(:class:`kanlab.pykan._views.SplineView`) hands out pykan's five tensors, ``grid``, ``coef``,
``mask``, ``scale_base`` and ``scale_sp``, permuted from the engine layer's; loading writes
them back into that layer.  The model's own ``state_dict`` keeps kanlab's keys (the views
are not among its registered modules); a state saved from a view with the engine's keys
(``viewed.coef``, ...) still loads, as before.
"""
from __future__ import annotations

from collections import OrderedDict

import torch
from torch import Tensor

from kanlab.nn._grid import update_layer_grid
from kanlab.pykan._grid_points import interpolated_grid_points
from kanlab.pykan._initialize import fit_to_layer
from kanlab.pykan.spline import coef2curve
from kanlab.splines import extend_points

__all__ = ["SplineViewState", "SymbolicViewState", "PYKAN_KEYS", "SYMBOLIC_KEYS"]

# pykan's KANLayer registers them in this order
PYKAN_KEYS = ("grid", "coef", "mask", "scale_base", "scale_sp")
SYMBOLIC_KEYS = ("mask", "affine")  # pykan's Symbolic_KANLayer: (out, in), (out, in, 4)


def _pykan_state(view, keys, destination, prefix, keep_vars, args):
    if args:
        raise TypeError("state_dict takes destination, prefix and keep_vars by keyword")
    out = OrderedDict() if destination is None else destination
    for name in keys:
        t = getattr(view, name).as_subclass(Tensor)
        out[prefix + name] = t if keep_vars else t.detach()
    return out


def _load_pykan_state(view, keys, layout, state_dict, prefix, strict, missing_keys,
                      unexpected_keys, error_msgs, ignored=()) -> None:
    """pykan's ``keys`` under ``prefix`` written, in the engine module's layout, as the
    child keys (``prefix + 'viewed.'``) the viewed module then loads; ``ignored`` keys are
    passed over."""
    child = prefix + "viewed."
    if any(key.startswith(child) for key in state_dict):
        return  # the engine's keys (a view's state saved before): the module loads them
    own = view._modules["viewed"].state_dict()
    for name in keys:
        key = prefix + name
        if key not in state_dict:
            missing_keys.append(key)
            continue
        value = torch.as_tensor(state_dict[key])
        expected = tuple(getattr(view, name).shape)
        if tuple(value.shape) != expected:
            error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                              f"{tuple(value.shape)} from checkpoint, the shape in current "
                              f"model is {expected}.")
            continue
        own_name, dims = layout(name)
        own[own_name] = value.permute(dims)
    if strict:
        unexpected_keys.extend(key for key in state_dict if key.startswith(prefix)
                               and key[len(prefix):] not in (*keys, *ignored))
    for key, value in own.items():
        state_dict[child + key] = value


class SplineViewState:
    """Mixin for :class:`kanlab.pykan._views.SplineView` (which supplies ``_layer``, the
    pykan-layout windows and ``SPLINE_LAYOUT`` through :meth:`_layout`)."""

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """pykan's keys ``grid, coef, mask, scale_base, scale_sp`` in pykan's layout
        ``(in, out, ...)``, sharing the model's memory as torch's ``state_dict`` does."""
        return _pykan_state(self, PYKAN_KEYS, destination, prefix, keep_vars, args)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        _load_pykan_state(self, PYKAN_KEYS, self._layout, state_dict, prefix, strict,
                          missing_keys, unexpected_keys, error_msgs)

    @property
    def device(self) -> torch.device:
        """Where the layer's tensors are (pykan's ``KANLayer.device``)."""
        return self._layer.coef.device

    def _checked_samples(self, x, what: str) -> Tensor:
        if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[1] != self.in_dim:
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"{what} expects samples of shape (batch, {self.in_dim}), got {got}")
        return x.detach().to(self._layer.knots)

    @torch.no_grad()
    def update_grid_from_samples(self, x: Tensor, mode: str = "sample") -> None:
        """This layer's grid moved to its input samples ``x`` ``(batch, in_dim)``, spanning
        every sample (pykan's rule), its splines refitted to keep their function: the
        engine's per-layer update (:func:`kanlab.nn._grid.update_layer_grid`) with this
        layer's ``grid_eps``.  ``mode`` is pykan's (``'sample'`` or ``'grid'``); the refit
        uses the samples and a sweep of the new grid either way."""
        _check_mode(mode)
        x = self._checked_samples(x, "update_grid_from_samples")
        update_layer_grid(self._layer, x, self.grid_eps, fence=None)

    @torch.no_grad()
    def initialize_grid_from_parent(self, parent, x: Tensor, mode: str = "sample") -> None:
        """pykan's: this layer's grid points are ``parent``'s (another model's ``act_fun[l]``
        or a ``KANLayer``), interpolated to this layer's grid, and its splines are fitted to
        the parent's on ``x`` ``(batch, in_dim)`` and over the new intervals (as the model's
        ``initialize_grid_from_another_model``); scales and mask stay this layer's."""
        _check_mode(mode)
        for name in ("grid", "coef", "k"):
            if not hasattr(parent, name):
                raise TypeError(f"parent must be a KANLayer or a model's act_fun[l] (with grid, "
                                f"coef and k), got {type(parent).__name__}")
        if tuple(parent.coef.shape[:2]) != (self.in_dim, self.out_dim):
            raise ValueError(f"parent has {tuple(parent.coef.shape[:2])} (in, out) edges, this "
                             f"layer ({self.in_dim}, {self.out_dim})")
        x = self._checked_samples(x, "initialize_grid_from_parent")
        new, pk = self._layer, int(parent.k)
        pgrid = parent.grid.detach().to(new.knots)
        points = interpolated_grid_points(pgrid[:, pk:pgrid.shape[1] - pk], new.grid)
        new.set_grid(extend_points(points, new.k), new.coef.detach())
        old = parent.__dict__.get("_modules", {}).get("viewed")
        if isinstance(parent, SplineViewState) and old is not None:  # a model's layer
            coef = fit_to_layer(new, old, x.to(old.knots))
        else:  # a standalone KANLayer: its splines in pykan's layout
            samples = torch.cat([x, new.knots[:, new.k:new.k + new.grid + 1].t()])
            values = coef2curve(samples, pgrid, parent.coef.detach().to(new.knots), pk)
            coef = new.edge_basis.fit(samples, values, new.knots, new.k,
                                      new.extrapolate).permute(2, 0, 1)
        new.set_grid(new.knots.clone(), coef)

    def get_subset(self, in_id, out_id):
        """A standalone :class:`kanlab.pykan.KANLayer` of the inputs ``in_id`` and outputs
        ``out_id`` of this layer (pykan's ``get_subset``)."""
        from kanlab.pykan.KANLayer import layer_subset
        return layer_subset(self, in_id, out_id)

    @torch.no_grad()
    def swap(self, i1: int, i2: int, mode: str = "in") -> None:
        """Exchange this layer's inputs (``mode='in'``) or outputs (``'out'``) ``i1`` and
        ``i2`` (pykan's ``KANLayer.swap``: this layer alone; ``model.swap`` keeps the
        function).  Written through the windows: they hand the permuted tensors to the
        model's layer."""
        from kanlab.pykan.KANLayer import swap_plan
        perm, dim, names = swap_plan(self, i1, i2, mode)
        for name in names:
            window = getattr(self, name)
            window.data = window.as_subclass(Tensor).index_select(
                dim, torch.tensor(perm, device=window.device)).clone()


class SymbolicViewState:
    """Mixin for :class:`kanlab.pykan._views.SymbolicView` (``_edited()`` hands out the
    symbolic edges, the moved offsets handed back; ``mask`` and ``affine`` are pykan's)."""

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """pykan's keys ``mask`` ``(out, in)`` and ``affine`` ``(out, in, 4)``."""
        return _pykan_state(self, SYMBOLIC_KEYS, destination, prefix, keep_vars, args)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        self._edited()  # an edit's start: the moved offsets handed back first
        _load_pykan_state(self, SYMBOLIC_KEYS, lambda name: (name, tuple(range(
            2 if name == "mask" else 3))), state_dict, prefix, strict, missing_keys,
            unexpected_keys, error_msgs, ignored=("code",))  # a standalone layer's functions:
        # the edges keep their own, as pykan's state (mask, affine) holds no functions

    @torch.no_grad()
    def get_subset(self, in_id, out_id):
        """A standalone :class:`kanlab.pykan.Symbolic_KANLayer` of the inputs ``in_id`` and
        outputs ``out_id`` of these edges, their functions and affine maps (pykan's)."""
        from kanlab.pykan.Symbolic_KANLayer import Symbolic_KANLayer
        sym = self._edited()
        whole = Symbolic_KANLayer(self.in_dim, self.out_dim, device=sym.mask.device)
        whole.to(sym.affine.dtype)
        whole.load_state_dict(sym.state_dict())
        whole.custom = dict(sym.custom)
        whole.regroup()
        return whole.get_subset(in_id, out_id)


def _check_mode(mode) -> None:
    if mode not in ("sample", "grid"):
        raise ValueError(f"mode must be 'sample' or 'grid', got {mode!r}")

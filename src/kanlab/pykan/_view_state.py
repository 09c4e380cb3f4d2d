"""A model's ``act_fun[l]`` as a layer of pykan's in its own right: its ``state_dict`` and
``load_state_dict`` in pykan's keys and layout, and its own ``update_grid_from_samples``.

Research code treats ``model.act_fun[l]`` as the ``KANLayer`` it is in pykan: it saves one
layer (``torch.save(model.act_fun[1].state_dict(), ...)``), loads it into a standalone
``KANLayer`` or back into the model, and moves one layer's grid to that layer's inputs
(``model.act_fun[l].update_grid_from_samples(model.acts[l])``).  The view
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

__all__ = ["SplineViewState", "PYKAN_KEYS"]

# pykan's KANLayer registers them in this order
PYKAN_KEYS = ("grid", "coef", "mask", "scale_base", "scale_sp")


class SplineViewState:
    """Mixin for :class:`kanlab.pykan._views.SplineView` (which supplies ``_layer``, the
    pykan-layout windows and ``SPLINE_LAYOUT`` through :meth:`_layout`)."""

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """pykan's keys ``grid, coef, mask, scale_base, scale_sp`` in pykan's layout
        ``(in, out, ...)``, sharing the model's memory as torch's ``state_dict`` does."""
        if args:
            raise TypeError("state_dict takes destination, prefix and keep_vars by keyword")
        out = OrderedDict() if destination is None else destination
        for name in PYKAN_KEYS:
            t = getattr(self, name).as_subclass(Tensor)
            out[prefix + name] = t if keep_vars else t.detach()
        return out

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        child = prefix + "viewed."
        if any(key.startswith(child) for key in state_dict):
            return  # the engine's keys (a view's state saved before): the layer loads them
        layer = self._layer
        own = layer.state_dict()
        for name in PYKAN_KEYS:
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            value = torch.as_tensor(state_dict[key])
            expected = tuple(getattr(self, name).shape)
            if tuple(value.shape) != expected:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{tuple(value.shape)} from checkpoint, the shape in current "
                                  f"model is {expected}.")
                continue
            own_name, dims = self._layout(name)
            own[own_name] = value.permute(dims)
        if strict:
            unexpected_keys.extend(key for key in state_dict if key.startswith(prefix)
                                   and key[len(prefix):] not in PYKAN_KEYS)
        for key, value in own.items():  # what the layer itself loads next (its child keys)
            state_dict[child + key] = value

    @torch.no_grad()
    def update_grid_from_samples(self, x: Tensor, mode: str = "sample") -> None:
        """This layer's grid moved to its input samples ``x`` ``(batch, in_dim)``, spanning
        every sample (pykan's rule), its splines refitted to keep their function: the
        engine's per-layer update (:func:`kanlab.nn._grid.update_layer_grid`) with this
        layer's ``grid_eps``.  ``mode`` is pykan's (``'sample'`` or ``'grid'``); the refit
        uses the samples and a sweep of the new grid either way."""
        if mode not in ("sample", "grid"):
            raise ValueError(f"mode must be 'sample' or 'grid', got {mode!r}")
        if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[1] != self.in_dim:
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"update_grid_from_samples expects samples of shape "
                             f"(batch, {self.in_dim}), got {got}")
        layer = self._layer
        update_layer_grid(layer, x.detach().to(layer.knots), self.grid_eps, fence=None)

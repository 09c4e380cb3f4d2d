"""A layer's own ``grid_eps``: the share of uniform spacing in its grid updates.

pykan keeps one per layer (``model.act_fun[l].grid_eps = 0.5``).  ``None`` (the default)
follows the caller's: a :class:`kanlab.nn.KAN`'s model-wide ``grid_eps``, or 1.0 for
:func:`kanlab.nn.update_layer_grid` on a layer alone.  An own value travels with
``copy.deepcopy``, pickling and ``state_dict``: there it is a float64 tensor of one
element under ``grid_eps`` (a plain tensor fits safetensors-style checkpoints too).  A
layer that follows the model's saves no entry, so a default model's keys are as before,
and loading a ``state_dict`` without the entry (saved before, or from such a layer)
leaves the layer's own, with ``strict=True`` too.
"""
from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor

from kanlab._validation import ArgumentTypeError
from kanlab.nn._saved_settings import setting_tensor

__all__ = ["GRID_EPS_KEY", "SavedGridEps", "check_grid_eps"]

# the state_dict entry of a layer's own grid_eps (absent while it follows the model's)
GRID_EPS_KEY = "grid_eps"


def check_grid_eps(value, name: str = "grid_eps") -> float | None:
    """``value`` as a float in [0, 1], or None; ``ValueError`` otherwise (an
    ``ArgumentTypeError``, also a ``TypeError``, for a non-number)."""
    if value is None:
        return None
    what = (f"{name} must be a number in [0, 1] (the share of uniform spacing in the grid "
            f"updates), got")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{what} {type(value).__name__} {value!r}")
    if not 0.0 <= float(value) <= 1.0:  # NaN fails too
        raise ValueError(f"{what} {value!r}")
    return float(value)


class SavedGridEps:
    """Mixin (before ``nn.Module``): the declared ``grid_eps`` setting of a layer, validated on
    every assignment and saved with its ``state_dict`` (see the module docs)."""

    @property
    def grid_eps(self) -> float | None:
        """This layer's share of uniform spacing in its grid updates (1: uniform between the
        sample extremes, 0: the sample quantiles); ``None``: the model's."""
        own = self.__dict__.get("_grid_eps")
        # pickled before the setting was declared: kanlab.pykan kept it as a plain attribute
        return self.__dict__.get("grid_eps") if own is None else own

    @grid_eps.setter
    def grid_eps(self, value) -> None:
        self.__dict__.pop("grid_eps", None)
        self.__dict__["_grid_eps"] = check_grid_eps(value)

    def grid_eps_or(self, default: float | None) -> float | None:
        """The ``grid_eps`` this layer's grid updates use: its own, else ``default`` (the
        model's, or 1.0 for a layer alone)."""
        own = self.grid_eps
        return default if own is None else own

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        own = self.grid_eps
        if own is not None:
            destination[prefix + GRID_EPS_KEY] = setting_tensor(
                self, GRID_EPS_KEY, (own,), self.knots.device, dtype=torch.float64)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        key = prefix + GRID_EPS_KEY
        if key not in state_dict:  # saved before, or following the model's: keep the own
            return
        if key in unexpected_keys:
            unexpected_keys.remove(key)
        value = state_dict[key]
        if isinstance(value, Tensor) and value.is_meta:  # shapes only: nothing to read
            return
        if (not isinstance(value, Tensor) or value.is_complex() or value.dtype == torch.bool
                or value.numel() != 1 or not math.isfinite(float(value.reshape(-1)[0]))
                or not 0.0 <= float(value.reshape(-1)[0]) <= 1.0):
            error_msgs.append(f"{key}: expected one number in [0, 1], got {value!r}")
            return
        self.grid_eps = float(value.reshape(-1)[0])

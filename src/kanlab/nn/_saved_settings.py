"""Settings kept as Python values on a module that travel with its ``state_dict``.

A layer's continuation beyond its grid (``extrapolate``) is a string read on every
forward, so it stays a plain attribute; ``state_dict`` holds it as a small int64 tensor
(a plain tensor fits safetensors-style checkpoints and ``torch.save`` alike).  The tensor
is made on the module's device once and reused until the setting or the device changes
(a host-to-device copy per ``state_dict`` would synchronise a fit's per-step snapshots);
``state_dict`` hands out a clone, so editing it leaves the cache alone.  State dicts
saved before a setting was saved lack its key: loading them keeps the module's own
value, with ``strict=True`` too.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["setting_tensor", "take_setting"]


def setting_tensor(module, key: str, values: tuple, device, dtype=torch.int64) -> Tensor:
    """``values`` as a ``dtype`` (int64) tensor on ``device`` (cached on ``module`` under
    ``key``)."""
    cache = module.__dict__.setdefault("_saved_settings", {})
    held = cache.get(key)
    if held is None or held[0] != values or held[1].device != torch.device(device):
        held = cache[key] = (values, torch.tensor(values, dtype=dtype, device=device))
    return held[1].clone()


def take_setting(state_dict, key: str, unexpected_keys: list, error_msgs: list,
                 length: int, low: int, high: int) -> list[int] | None:
    """The saved values at ``key`` (``length`` integers in ``[low, high]``), or None where
    ``state_dict`` has no such key or they are invalid (then ``error_msgs`` says why, as
    torch's ``load_state_dict`` reports)."""
    if key not in state_dict:
        return None
    if key in unexpected_keys:
        unexpected_keys.remove(key)
    value = state_dict[key]
    if isinstance(value, Tensor) and value.is_meta:  # shapes only: nothing to read
        return None
    if (not isinstance(value, Tensor) or value.is_complex() or value.dtype == torch.bool
            or value.numel() != length):
        error_msgs.append(f"{key}: expected {length} integer(s) in [{low}, {high}], got "
                          f"{value!r}")
        return None
    # a state_dict cast as a whole ({k: v.float() ...}) holds the codes as whole floats
    values = value.detach().reshape(-1).cpu().tolist()
    if not all(float(v).is_integer() and low <= v <= high for v in values):
        error_msgs.append(f"{key}: expected integers in [{low}, {high}], got {values}")
        return None
    return [int(v) for v in values]

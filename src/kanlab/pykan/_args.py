"""pykan's constructor and index arguments, checked: what kanlab.pykan's classes take from
users (a bad one is a TypeError or ValueError saying what was expected)."""
from __future__ import annotations

import numbers

import numpy as np
import torch
from torch import Tensor, nn

# torch modules that kanlab's kernels know by name (others run on the pure-PyTorch path)
_KNOWN_BASE = {nn.SiLU: "silu", nn.Identity: "identity", nn.Tanh: "tanh"}


def engine_base(base_fun):
    """kanlab's name for ``base_fun`` where it has one (``nn.SiLU()`` is ``"silu"``), else
    the callable itself; None is no base term."""
    if base_fun is None:
        return None
    for cls, name in _KNOWN_BASE.items():
        if type(base_fun) is cls:
            return name
    if isinstance(base_fun, nn.GELU) and base_fun.approximate == "none":
        return "gelu"
    if not callable(base_fun):
        raise TypeError(f"base_fun must be a callable (e.g. torch.nn.SiLU()) or None, "
                        f"got {type(base_fun).__name__}")
    return base_fun


def as_int(name: str, value, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def grid_range(grid_range) -> tuple[float, float]:
    r = np.asarray(grid_range, dtype=float).ravel() if not isinstance(grid_range, Tensor) \
        else grid_range.detach().cpu().double().numpy().ravel()
    if r.shape != (2,) or not np.isfinite(r).all() or not r[0] < r[1]:
        raise ValueError(f"grid_range must be two finite numbers [lo, hi] with lo < hi, "
                         f"got {grid_range!r}")
    return float(r[0]), float(r[1])


def index_list(name: str, ids, size: int) -> list[int]:
    ids = [int(i) for i in (ids.tolist() if isinstance(ids, Tensor) else ids)]
    if not ids or any(not -size <= i < size for i in ids):
        raise ValueError(f"{name} must be a non-empty list of indices in [0, {size}), got {ids}")
    return ids


def as_tensor_in_place(value) -> Tensor:
    """``value`` as a tensor: a tensor stays where it is, anything else (numpy arrays,
    lists) lands on the CPU whatever torch's default device (``torch.as_tensor`` would move
    a tensor there too)."""
    return value if isinstance(value, Tensor) else torch.as_tensor(value, device="cpu")

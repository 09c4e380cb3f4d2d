"""A fresh layer's knots: ``G`` equal intervals per input over its ``grid_range``."""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab.splines._bspline import uniform_knots

__all__ = ["initial_knots"]


def initial_knots(in_features: int, grid: int, k: int, grid_range, device=None,
                  dtype=None) -> Tensor:
    """``(in_features, grid + 2k + 1)`` knots; ``grid_range`` is ``(lo, hi)`` for every input
    or one pair per input.  Built on the host in float64, then moved, so every device gets
    the same knots."""
    ranges = torch.as_tensor(grid_range, dtype=torch.float64, device="cpu")
    if ranges.shape == (2,):
        ranges = ranges.expand(in_features, 2)
    if ranges.shape != (in_features, 2):
        raise ValueError(f"grid_range must be (lo, hi) or {in_features} such pairs, "
                         f"got shape {tuple(ranges.shape)}")
    rows = [uniform_knots(grid, k, tuple(r.tolist()), dtype=torch.float64, device="cpu")
            for r in ranges]
    knots = torch.stack(rows).to(dtype=dtype or torch.get_default_dtype())
    if not bool((knots[:, 1:] > knots[:, :-1]).all()):
        raise ValueError(f"grid_range {ranges.tolist()} is too narrow for {knots.dtype}: "
                         f"its {grid} intervals round to empty ones; use float64 or "
                         "shift the inputs")
    return knots.to(device=device)

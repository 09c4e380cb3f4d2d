"""pykan's rules for placing a layer's grid points: from samples, and from a parent grid."""
from __future__ import annotations

import torch
from torch import Tensor

def sample_grid_points(xs: Tensor, n: int, grid_eps: float) -> Tensor:
    """pykan's grid points from sorted samples ``xs`` ``(B, in)``: ``(in, n + 1)``.

    The adaptive points are the samples at ranks ``int(B / n · i)`` and the last one; the
    uniform ones span the same range; the grid is ``grid_eps · uniform + (1 - grid_eps) ·
    adaptive``.
    """
    batch = xs.shape[0]
    ids = [int(batch / n * i) for i in range(n)] + [-1]
    adaptive = xs[ids, :].t()  # (in, n + 1)
    h = (adaptive[:, [-1]] - adaptive[:, [0]]) / n
    uniform = adaptive[:, [0]] + h * torch.arange(n + 1, device=xs.device)[None, :]
    return grid_eps * uniform + (1 - grid_eps) * adaptive


def interpolated_grid_points(points: Tensor, n: int) -> Tensor:
    """``n + 1`` points ``(in, n + 1)`` interpolated linearly along each row of ``points``
    ``(in, m + 1)`` at equal steps of its index (pykan's grid from a parent's)."""
    m = points.shape[1] - 1
    pos = torch.linspace(0, m, n + 1, dtype=torch.float64, device=points.device)
    lo = pos.floor().long().clamp(max=max(m - 1, 0))
    frac = (pos - lo).to(points.dtype)
    hi = (lo + 1).clamp(max=m)
    return points[:, lo] + frac * (points[:, hi] - points[:, lo])

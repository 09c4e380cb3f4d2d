"""``kan.spline`` on :mod:`kanlab.splines`, in pykan's tensor layouts.

``x`` is ``(batch, in)``, ``grid`` (the knots) ``(in, G + 2k + 1)``, ``coef``
``(in, out, G + k)``; the basis is ``(batch, in, G + k)``.
"""
from __future__ import annotations

import torch

from kanlab.splines import bspline_basis, extend_points, solve_least_squares

__all__ = ["B_batch", "extend_grid", "coef2curve", "curve2coef"]


def B_batch(x, grid, k=0, extend=True, device="cpu"):
    """B-spline bases of degree ``k`` on the knots ``grid`` at ``x``: ``(batch, in, G + k)``."""
    if grid.dim() == 1:
        grid = grid[None]
    return bspline_basis(x.unsqueeze(-1), grid.unsqueeze(0).unsqueeze(-2), k).squeeze(-2)


def extend_grid(grid, k_extend=0):
    """``grid`` ``(in, G + 1)`` with ``k_extend`` more knots on each side, equally spaced."""
    return extend_points(grid, int(k_extend))


def coef2curve(x_eval, grid, coef, k, device="cpu"):
    """Spline values ``(batch, in, out)``."""
    return torch.einsum("bif,iof->bio", B_batch(x_eval, grid, k), coef.to(x_eval.dtype))


def curve2coef(x_eval, y_eval, grid, k):
    """Least-squares coefficients ``(in, out, G + k)`` of ``y_eval`` ``(batch, in, out)``."""
    basis = B_batch(x_eval, grid, k).transpose(0, 1)  # (in, batch, G + k)
    return solve_least_squares(basis, y_eval.transpose(0, 1)).transpose(1, 2)

"""Grid update (knots follow the data) and grid refinement (more intervals).

Both keep the function a model computes: ``update_grid`` up to a
least-squares fit, ``refine`` exactly whenever the new grid contains the old
grid points (``new_grid`` a multiple of ``grid``).  Liu et al. (2024), §2.4.
"""
from __future__ import annotations

import copy
import warnings

import torch
from torch import Tensor

from .layer import KANLayer
from .spline_fit import evaluate_spline, fit_coefficients, project_coefficients
from .splines import extend_points

__all__ = ["grid_points_from_samples", "update_layer_grid", "update_grid", "refine_layer", "refine"]


def grid_points_from_samples(x: Tensor, grid: int, grid_eps: float) -> Tensor:
    """Grid points that blend sample quantiles and a uniform grid.

    Parameters
    ----------
    x : Tensor, shape (B, F)
        Finite samples.
    grid : int
        Number of intervals ``G``.
    grid_eps : float
        Weight of the uniform grid, in ``[0, 1]``.

    Returns
    -------
    points : Tensor, shape (F, G + 1)
        Strictly increasing on every row whose samples are not all equal;
        rows of constant samples come back as NaN, for the caller to handle.
    """
    xs = x.sort(dim=0).values  # (B, F)
    idx = torch.linspace(0, xs.shape[0] - 1, grid + 1, device=x.device).round().long()
    adaptive = xs[idx].t()  # (F, G + 1)
    lo, hi = xs[0], xs[-1]  # (F,)
    frac = torch.linspace(0, 1, grid + 1, device=x.device, dtype=x.dtype)
    uniform = lo[:, None] + (hi - lo)[:, None] * frac  # (F, G + 1)
    points = grid_eps * uniform + (1 - grid_eps) * adaptive
    # ties between quantiles: lean on the uniform grid until the row increases strictly
    eps = grid_eps
    while not bool((points.diff(dim=-1) > 0).all()) and eps < 1.0:
        eps = min(1.0, max(2 * eps, 0.01))
        bad = ~(points.diff(dim=-1) > 0).all(-1, keepdim=True)
        points = torch.where(bad, eps * uniform + (1 - eps) * adaptive, points)
    degenerate = ~(points.diff(dim=-1) > 0).all(-1)
    return torch.where(degenerate[:, None], torch.full_like(points, float("nan")), points)


def _check_samples(x: Tensor, layer: KANLayer, what: str) -> None:
    layer.check_input(x)
    if x.dim() != 2 or x.shape[0] == 0:
        raise ValueError(f"{what} needs a non-empty batch of shape (B, {layer.in_features}), "
                         f"got {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{what} got non-finite samples (NaN or inf); clean the data first")


def _spline_coef(layer: KANLayer) -> Tensor:
    """The layer's coefficients laid out per input: ``(in, G + k, out)``."""
    return layer.coef.permute(1, 2, 0)


@torch.no_grad()
def update_layer_grid(layer: KANLayer, x: Tensor, grid_eps: float = 1.0) -> None:
    """Move a layer's knots toward its input samples and refit its splines.

    Inputs whose samples are all equal keep their grid (with a warning).
    The splines are refitted by least squares on the samples together with a
    uniform sweep of each new base interval, so the edge functions are kept
    where the data lie and stay well determined everywhere.
    """
    _check_samples(x, layer, "update_grid")
    k, grid = layer.k, layer.grid
    points = grid_points_from_samples(x, grid, grid_eps)  # (in, G + 1)
    old_points = layer.knots[:, k:k + grid + 1]
    degenerate = torch.isnan(points).any(-1)
    if bool(degenerate.any()):
        warnings.warn(f"update_grid: inputs {degenerate.nonzero().flatten().tolist()} have a "
                      "single distinct value in this batch; their grid is left unchanged",
                      RuntimeWarning, stacklevel=3)
        points = torch.where(degenerate[:, None], old_points, points)
    new_knots = extend_points(points, k)
    sweep = torch.linspace(0, 1, 4 * (grid + k), dtype=x.dtype, device=x.device)
    dense = (points[:, :1] + (points[:, -1:] - points[:, :1]) * sweep).t()  # (S, in)
    stride = max(1, x.shape[0] // 4096)  # cap the fit at ~4k data rows
    samples = torch.cat([x[::stride], dense])  # (N, in)
    values = evaluate_spline(samples, layer.knots, _spline_coef(layer), k, layer.extrapolate)
    coef = fit_coefficients(samples, values, new_knots, k, extrapolate=layer.extrapolate)
    layer.set_grid(new_knots, coef.permute(2, 0, 1))


@torch.no_grad()
def update_grid(model, x: Tensor, grid_eps: float = 1.0) -> None:
    """Update the grid of every layer in turn, feeding each the updated previous layer."""
    if not 0.0 <= float(grid_eps) <= 1.0:
        raise ValueError(f"grid_eps must lie in [0, 1], got {grid_eps!r}")
    for l, layer in enumerate(model.layers):
        update_layer_grid(layer, x, grid_eps)
        # the next layer's inputs include symbolic edges and multiplication nodes
        x = model.multiply(l + 1, model.layer_output(l, x)) if hasattr(model, "multiply") else layer(x)


def _interpolate_points(points: Tensor, new_grid: int) -> Tensor:
    """Resample increasing grid points ``(F, G + 1)`` to ``(F, new_grid + 1)``.

    Piecewise-linear in the point index, so a uniform grid stays uniform and,
    when ``new_grid`` is a multiple of ``G``, every old point is kept.
    """
    grid = points.shape[-1] - 1
    s = torch.linspace(0, grid, new_grid + 1, dtype=points.dtype, device=points.device)
    i = s.floor().long().clamp(max=grid - 1)
    frac = s - i
    return points[:, i] + frac * (points[:, i + 1] - points[:, i])


@torch.no_grad()
def refine_layer(layer: KANLayer, new_grid: int) -> None:
    """Put a layer on ``new_grid`` intervals of its base interval, keeping its splines."""
    if not isinstance(new_grid, int) or isinstance(new_grid, bool) or new_grid < 1:
        raise ValueError(f"new_grid must be a positive int, got {new_grid!r}")
    k = layer.k
    points = _interpolate_points(layer.knots[:, k:k + layer.grid + 1], new_grid)
    new_knots = extend_points(points, k)
    coef = project_coefficients(layer.knots, _spline_coef(layer), new_knots, k)
    layer.set_grid(new_knots, coef.permute(2, 0, 1))


def refine(model, new_grid: int):
    """A copy of ``model`` with ``new_grid`` intervals per spline, computing the same function.

    The base interval of every spline is kept and its grid points are
    resampled (:func:`_interpolate_points`).  From ``G`` to a multiple of
    ``G`` the function is kept to rounding error; otherwise it is the
    least-squares projection onto the finer spline space.  The original model
    is left untouched.
    """
    new = copy.deepcopy(model)
    for layer in new.layers:
        refine_layer(layer, new_grid)
    return new

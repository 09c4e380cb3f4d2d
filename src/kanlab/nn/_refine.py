"""Grid refinement: more (or fewer) intervals on the same base interval, keeping the splines."""
from __future__ import annotations

import copy
import warnings

import torch
from torch import Tensor

from kanlab.nn._layer import KANLayer
from kanlab.splines._bspline import extend_points
from kanlab._validation import check_int, check_solver_dtype

__all__ = ["refine_layer", "refine", "MAX_REFINE_FLOPS"]

MAX_REFINE_FLOPS = 2e10  # about ten seconds of one core; refine(1000) on [2, 3, 1] needs 4.5e10


def _refine_flops(layer: KANLayer, new_grid: int) -> float:
    """Rough cost of :func:`refine_layer`: a dense QR of (samples x basis) per input."""
    n = new_grid + layer.k
    samples = new_grid * (2 * (layer.k + 1) + 1) if layer.basis_name == "bspline" else 4 * n + 64
    return float(layer.in_features) * samples * n * n


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
    new_grid = check_int(new_grid, "new_grid", low=1)
    k = layer.k
    points = _interpolate_points(layer.knots[:, k:k + layer.grid + 1], new_grid)
    new_knots = extend_points(points, k)
    # the domain is kept (B-splines: exact knot insertion where the grids nest)
    coef = layer.edge_basis.transfer(layer.knots, layer.coef.permute(1, 2, 0), new_knots, k,
                                     layer.extrapolate)
    layer.set_grid(new_knots, coef.permute(2, 0, 1))


def refine(model, new_grid: int):
    """A copy of ``model`` with ``new_grid`` intervals per spline, computing the same function.

    The base interval of every spline is kept and its grid points are
    resampled (:func:`_interpolate_points`).  From ``G`` to a multiple of
    ``G`` the function is kept to rounding error; otherwise it is the
    least-squares projection onto the finer spline space that keeps each
    B-spline's value, slope and curvature at both ends
    (:func:`kanlab.splines._end_constraints.project_keeping_ends`).  The
    continuation beyond the grid is made of those, so inputs beyond the grid
    (a hidden layer's values often are) keep their outputs too: exactly for the
    ``"linear"`` and ``"quadratic"`` continuations, and for the extended ones
    beyond the old extension intervals (``"tapered"`` and ``"bounded"`` keep their end
    value, slope and curvature, their length L following the new end interval).  The original model is left untouched.

    A coarser grid cannot keep the function: the result is its least-squares
    projection and a ``UserWarning`` says so.  The cost is checked first: a
    projection whose dense least-squares work exceeds :data:`MAX_REFINE_FLOPS`
    raises ``ValueError`` before any work (refine in steps, or build a new
    model of that grid).
    """
    if not isinstance(new_grid, int) or isinstance(new_grid, bool) or new_grid < 1:
        raise ValueError(f"new_grid must be a positive int, got {new_grid!r}")
    check_solver_dtype(model.layers[0].knots.dtype, "refine")
    cost = sum(_refine_flops(layer, new_grid) for layer in model.layers)
    if cost > MAX_REFINE_FLOPS:
        raise ValueError(f"refine({new_grid}) would take about {cost:.1e} floating-point "
                         f"operations (limit {MAX_REFINE_FLOPS:.0e}): the splines are projected "
                         "by a dense least-squares fit whose cost grows with the cube of the "
                         "grid; refine to a smaller grid, or build KAN(..., grid="
                         f"{new_grid}) and train it")
    coarser = [l for l, layer in enumerate(model.layers) if new_grid < layer.grid]
    if coarser:
        warnings.warn(f"refine({new_grid}) makes the grid of layers {coarser} coarser: the "
                      "splines are replaced by their least-squares projection, which changes "
                      "the function the model computes", UserWarning, stacklevel=3)
    new = copy.deepcopy(model)
    for layer in new.layers:
        refine_layer(layer, new_grid)
    return new

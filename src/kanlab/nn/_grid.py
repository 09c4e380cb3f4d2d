"""Grid update: the knots follow the data, the function is kept up to a least-squares fit.

Where the points go is :mod:`kanlab.nn._grid_points`; refinement to more
intervals is :mod:`kanlab.nn._refine`.  Liu et al. (2024), §2.4.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import Tensor

from kanlab.nn._grid_carry import carry_targets
from kanlab.nn._grid_points import (OUTLIER_FENCE, grid_points_from_samples, too_narrow,
                                    widen_narrow_rows)
from kanlab.nn._layer import KANLayer
from kanlab.nn._saved_grid_eps import check_grid_eps
from kanlab.nn._symbolic_offsets import written_inputs
from kanlab.splines._bspline import extend_points
from kanlab._validation import NonFiniteError, check_float, check_samples, check_solver_dtype

__all__ = ["update_layer_grid", "update_grid", "update_grid_flops", "MAX_UPDATE_FLOPS", "MOVES",
           "output_change"]


def _spline_coef(layer: KANLayer) -> Tensor:
    """The layer's coefficients laid out per input: ``(in, n_basis, out)``."""
    return layer.coef.permute(1, 2, 0)


@torch.no_grad()
def update_layer_grid(layer: KANLayer, x: Tensor, grid_eps: float | None = None,
                      max_change: float | None = None, move: float = 1.0,
                      x_before: Tensor | None = None,
                      fence: float | None = OUTLIER_FENCE,
                      floor: float | None = None) -> None:
    """Move a layer's knots toward its input samples and refit its splines.

    The grid spans the samples inside Tukey's fences (:func:`kanlab.nn._grid_points.inlier_span`,
    ``fence`` times the interquartile range beyond the quartiles), so a few wild samples
    cannot stretch it; samples beyond it are handled by the layer's linear extension.
    ``fence=None`` spans every sample, as pykan's ``update_grid_from_samples`` does.
    ``floor``: no input's grid spans less than this share of the widest input's
    (:func:`kanlab.nn._grid_points.widen_narrow_rows`); :func:`update_grid` gives it to the
    hidden layers.
    ``grid_eps`` (the share of uniform spacing in the new grid points) defaults to the
    layer's own (:attr:`KANLayer.grid_eps`), else 1.0 (uniform between the extremes).
    Inputs whose samples are all equal (or whose range overflows the dtype) keep
    their grid, with a RuntimeWarning.
    The splines are refitted by least squares on the samples (clamped into
    the new base interval) together with a uniform sweep of that interval and
    ``k + 1`` points in each new interval, so
    the edge functions are kept where the data lie and stay well determined
    everywhere, whatever the batch size.

    With ``max_change`` (a per-input rule for one layer; :func:`update_grid`, what
    :func:`kanlab.train.fit` calls, judges the whole network's outputs instead), an input whose
    refitted edges would move the layer's output on ``x`` by more than
    ``max_change`` times its largest magnitude keeps its knots and its
    function exactly (:data:`MAX_REFIT_CHANGE`).

    ``move`` in ``(0, 1]`` moves the grid points only that share of the way
    from the old ones to the new ones (a damped update; both rows increase,
    so their blend does too).

    ``x_before`` ``(B, in_features)``: the same samples' inputs before the layers
    below were updated; the refit then aims at what the edges gave those
    (:func:`kanlab.nn._grid_carry.carry_targets`), not at the edges' values at ``x``.

    Raises
    ------
    TypeError, ValueError
        ``x`` is not a ``(B, in_features)`` batch of the layer's dtype.
    NonFiniteError
        ``x`` holds NaN or inf, or the refit overflowed (the layer is unchanged).
    """
    check_samples(x, layer.in_features, layer.knots.dtype, "update_grid", layer.knots.device)
    if grid_eps is None:
        grid_eps = layer.grid_eps_or(1.0)
    check_grid_eps(grid_eps)
    k, grid = layer.k, layer.grid
    points = grid_points_from_samples(x, grid, grid_eps, fence)  # (in, G + 1)
    if floor is not None:
        points = widen_narrow_rows(points, floor)
    if move != 1.0:
        points = move * points + (1 - move) * layer.knots[:, k:k + grid + 1]
    degenerate = ~torch.isfinite(extend_points(points, k)).all(-1)  # NaN rows, overflowing knots
    degenerate |= too_narrow(points, k)
    if bool(degenerate.any()):
        warnings.warn(f"update_grid: inputs {degenerate.nonzero().flatten().tolist()} have a "
                      "single distinct value in this batch (or a range too wide or too narrow "
                      f"for {x.dtype}); their grid is left unchanged", RuntimeWarning, stacklevel=3)
        points = torch.where(degenerate[:, None], layer.knots[:, k:k + grid + 1], points)
    new_knots = extend_points(points, k)
    lo, hi = points[:, :1], points[:, -1:]  # (in, 1)
    sweep = torch.linspace(0, 1, 4 * (grid + k), dtype=x.dtype, device=x.device)
    # plus k + 1 points inside every new interval, however narrow (tied quantiles
    # make some tiny): the fit then meets Schoenberg–Whitney and is well posed
    offsets = (torch.arange(k + 1, dtype=x.dtype, device=x.device) + 0.5) / (k + 1)
    inner = points[:, :-1, None] * (1 - offsets) + points[:, 1:, None] * offsets  # (in, G, k + 1)
    dense = torch.cat([lo * (1 - sweep) + hi * sweep, inner.flatten(1)], dim=1).t()  # (S, in)
    stride = max(1, x.shape[0] // 4096)  # cap the fit at ~4k data rows
    # outliers beyond the new base interval are fitted at its ends: their
    # leverage on the linear extension would otherwise dominate the fit
    data = torch.minimum(torch.maximum(x[::stride], lo.t()), hi.t())
    samples = torch.cat([data, dense])  # (N, in)
    basis = layer.edge_basis  # refit in the layer's own basis
    values = basis.sample(samples, layer.knots, _spline_coef(layer), k, layer.extrapolate)
    if x_before is not None:
        if x_before.shape != x.shape:
            raise ValueError(f"update_grid: x_before must have the shape of x {tuple(x.shape)}, "
                             f"got {tuple(x_before.shape)}")
        values = carry_targets(layer, _spline_coef(layer), x[::stride], x_before[::stride],
                               lo, hi, values)
    if not bool(torch.isfinite(values).all()):
        raise NonFiniteError(f"update_grid: the layer's splines overflow {x.dtype} on these "
                             "samples; rescale the inputs")
    coef = basis.fit(samples, values, new_knots, k, layer.extrapolate)  # (in, n_basis, out)
    if not bool(torch.isfinite(coef).all()):
        raise NonFiniteError(f"update_grid: the refitted coefficients overflow {x.dtype}")
    keep = (_changes_function(layer, x[::stride], new_knots, coef, max_change)
            if max_change is not None else None)  # (in,) bool
    if keep is not None and bool(keep.any()):  # those inputs keep their knots: the function is kept exactly
        new_knots = torch.where(keep[:, None], layer.knots, new_knots)
        coef = torch.where(keep[:, None, None], _spline_coef(layer), coef)
    layer.set_grid(new_knots, coef.permute(2, 0, 1))


# An input's new grid is refused when the refit would move its edges' outputs on the
# samples by more than this share of the layer's spline output: a coarse grid stretched
# over a wider sample range cannot carry the old function, and in a deep network such a
# jolt of one layer throws the layers above off (issue 19: a [4, 2, 1, 1] network's
# output moved by up to 1.46 at one update, on labels of std 0.58).
MAX_REFIT_CHANGE = 1e-2


def _changes_function(layer: KANLayer, x: Tensor, new_knots: Tensor, coef: Tensor,
                      max_change: float) -> Tensor:
    """Per input, whether the refitted splines differ from the old ones on ``x`` (``(in,)`` bool)."""
    scale = (layer.scale_sp * layer.mask).t().unsqueeze(0)  # (1, in, out)
    basis = layer.edge_basis
    old = basis.sample(x, layer.knots, _spline_coef(layer), layer.k, layer.extrapolate) * scale
    new = basis.sample(x, new_knots, coef, layer.k, layer.extrapolate) * scale
    err = (new - old).abs().amax(dim=(0, 2))  # (in,)
    ref = old.sum(1).abs().amax().clamp_min(torch.finfo(x.dtype).tiny)  # the layer's outputs
    return ~(err <= max_change * ref)


# damped grid moves tried, in turn, by update_grid(max_change=...) before keeping the old grid
MOVES = (1.0, 0.5, 0.25, 0.125)


def output_change(after: Tensor, before: Tensor) -> float:
    """Root-mean-square change of a network's outputs ``(B, out)``, as a share of their spread
    (the root-mean-square over outputs of each output's standard deviation over the batch)."""
    spread = before.std(0).pow(2).mean().sqrt() if before.shape[0] > 1 else before.abs().max()
    change = (after - before).pow(2).mean().sqrt()
    return float(change / spread.clamp_min(torch.finfo(before.dtype).tiny))


def _restore(model, saved: list[dict]) -> None:
    for layer, state in zip(model.layers, saved):
        layer.set_grid(state["knots"], state["coef"])
        layer.load_state_dict(state)


@torch.no_grad()
def update_grid(model, x: Tensor, grid_eps: float | Sequence[float] | None = None,
                max_change: float | None = None, carry: bool = False,
                fence: float | None = OUTLIER_FENCE, floor: float | None = None) -> None:
    """Update the grid of every layer in turn, feeding each the updated previous layer.

    ``grid_eps``: the share of uniform spacing in the new grid points (1: uniform, 0: the
    sample quantiles), one number for every layer or one per layer; ``None`` (the default)
    takes every layer's own (:attr:`KANLayer.grid_eps`), else the model's ``grid_eps``
    (1.0 for a model without one).

    With ``max_change``, the update is judged by what it does to the whole
    network: if the model's outputs on ``x`` would move by more than
    ``max_change`` times their spread (:func:`output_change`), the update is
    damped: the grid points move half the way, a quarter, an eighth
    (:data:`MOVES`), and the first move that keeps the outputs within
    ``max_change`` is kept; if none does, every layer keeps its grid.  An
    ordinary update, whose refit carries the function, goes through whole;
    only a jolt (a coarse grid that cannot carry a deep chain's function over
    the new range) is damped, and the grid still follows the samples over
    the following updates instead of staying where it was.

    With ``carry``, every layer above the first is refitted to give, at its
    new inputs, what it gave the same samples' old inputs (:func:`update_layer_grid`'s
    ``x_before``): the refit then carries the network's function, absorbing the refit
    error of the layers below instead of passing it on (a deep chain amplifies it).
    Without it each layer keeps its own function.

    ``fence``: every layer's grid spans its samples inside Tukey's fences
    (:func:`update_layer_grid`); ``None`` spans every sample.

    ``floor``: in every layer above the first, no input's grid spans less than this share of
    the widest input's of that layer (:func:`update_layer_grid`).  A hidden node the
    sparsity penalty has faded then keeps splines of moderate slope out of it, and the fit
    can grow it back or leave it; ``None`` lets its grid shrink with its values.  The
    inputs' own grids are never widened: their units are the data's.

    All or nothing: if a layer raises (bad samples, a hidden layer that
    overflows), every layer is restored before the error propagates.
    """
    if grid_eps is None:
        model_eps = getattr(model, "grid_eps", 1.0)
        per_layer = [layer.grid_eps_or(model_eps) for layer in model.layers]
    elif isinstance(grid_eps, (list, tuple)):
        per_layer = list(grid_eps)
    else:
        per_layer = [grid_eps] * len(model.layers)
    if len(per_layer) != len(model.layers):
        raise ValueError(f"grid_eps: one number, or one per layer ({len(model.layers)}), got "
                         f"{len(per_layer)}")
    for eps in per_layer:
        check_grid_eps(eps)
    if fence is not None:  # None: every sample
        fence = check_float(fence, "fence (the model's grid_fence)", low=0.0)
    if floor is not None:  # None: no floor
        floor = check_float(floor, "floor (the model's grid_floor)", low=0.0, high=1.0)
    check_solver_dtype(model.layers[0].knots.dtype, "update_grid")
    rows = x.shape[0] if isinstance(x, Tensor) and x.dim() == 2 else 1
    cost = sum(update_grid_flops(layer.in_features, layer.grid, layer.k, rows)
               for layer in model.layers)
    if cost > MAX_UPDATE_FLOPS:
        raise ValueError(f"update_grid on grid {max(l.grid for l in model.layers)} would take "
                         f"about {cost:.1e} floating-point operations (limit "
                         f"{MAX_UPDATE_FLOPS:.0e}): the splines are refitted by a dense "
                         "least-squares fit whose cost grows with the cube of the grid; use a "
                         "smaller grid, or train without grid updates (update_grid=False)")
    saved = [{name: t.clone() for name, t in layer.state_dict().items()} for layer in model.layers]

    # knots on the nodes as they are with the moved symbolic offsets handed back: a symbolic
    # reader unfixed later sees them so (kanlab.nn._symbolic_offsets)
    carried = written_inputs(model, x) if carry else None  # every layer's inputs (for carry)

    def attempt(move: float) -> None:
        def visit(l: int, h: Tensor) -> None:
            extra = {} if move == 1.0 else {"move": move}
            if carry and l > 0:
                extra["x_before"] = carried[l]
            if floor is not None and l > 0:
                extra["floor"] = floor
            update_layer_grid(model.layers[l], h, per_layer[l], fence=fence, **extra)
        # the next layer's inputs include symbolic edges and multiplication nodes
        written_inputs(model, x, visit)

    try:
        if max_change is None:
            attempt(1.0)
            return
        before = model.forward_layers(x, model.layer_output)
        for move in MOVES:
            attempt(move)
            if output_change(model.forward_layers(x, model.layer_output), before) <= max_change:
                return
            _restore(model, saved)
    except BaseException:  # KeyboardInterrupt too: a half-updated model is never left
        _restore(model, saved)
        raise


# update_grid refits every layer by dense least squares: [2, 5, 1] at grid 1000 on 1000 rows
# is 6e10 operations (20 s of one loaded core, 2 GB); grid 100000 would ask for 1.3 TB
MAX_UPDATE_FLOPS = 1e11


def update_grid_flops(in_features: int, grid: int, k: int, rows: int) -> float:
    """Rough cost of :func:`update_layer_grid`: a dense QR of (samples x basis) per input."""
    n = grid + k
    samples = min(rows, 8192) + 4 * n + grid * (k + 1)
    return float(in_features) * samples * n * n

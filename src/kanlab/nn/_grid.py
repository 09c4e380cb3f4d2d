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

from kanlab.nn._grid_carry import carry_targets
from kanlab.nn._layer import KANLayer
from kanlab.splines._bspline import extend_points
from kanlab._validation import NonFiniteError, check_int, check_samples, check_solver_dtype

__all__ = ["grid_points_from_samples", "inlier_span", "update_layer_grid", "update_grid",
           "refine_layer", "refine", "OUTLIER_FENCE", "update_grid_flops", "MAX_UPDATE_FLOPS",
           "MOVES", "output_change"]

# Tukey's "far out" fences: samples beyond q1 - 3·IQR or q3 + 3·IQR do not
# stretch the grid.  No sample of a uniform or Gaussian batch is that far out
# (Gaussian: 4.7σ), heavy tails lose a few percent (lognormal(0, 1): ~3%),
# and the breakdown point is 25%, so one wild sample in a minibatch of 16
# cannot move the grid.
OUTLIER_FENCE = 3.0
# shortest grid interval, as a share of the mean one, that sample quantiles may produce
MIN_GAP = 0.05


def _sorted_quantile(xs: Tensor, q: float) -> Tensor:
    """Linear-interpolation quantile ``q`` of each column of sorted ``xs`` ``(B, F)``."""
    pos = q * (xs.shape[0] - 1)
    i = int(pos)
    j = min(i + 1, xs.shape[0] - 1)
    return xs[i] + (pos - i) * (xs[j] - xs[i])


def inlier_span(xs: Tensor, fence: float = OUTLIER_FENCE) -> tuple[Tensor, Tensor]:
    """Index range of the samples inside Tukey's fences, per column.

    Parameters
    ----------
    xs : Tensor, shape (B, F)
        Finite samples, sorted along dim 0.
    fence : float
        Multiple of the interquartile range beyond the quartiles.

    Returns
    -------
    first, last : Tensor of int64, shape (F,)
        ``xs[first[f]:last[f] + 1, f]`` are the inliers of column ``f``.  A
        column whose inliers are all equal while its samples are not (a
        spike with a sparse spread, e.g. 90% zeros) keeps every sample.
    """
    count = xs.shape[0]
    q1, q3 = _sorted_quantile(xs, 0.25), _sorted_quantile(xs, 0.75)
    iqr = q3 - q1
    first = (xs < q1 - fence * iqr).sum(0)  # (F,)
    last = count - 1 - (xs > q3 + fence * iqr).sum(0)
    flat = xs.gather(0, last[None]) <= xs.gather(0, first[None])
    first = torch.where(flat[0], torch.zeros_like(first), first)
    last = torch.where(flat[0], torch.full_like(last, count - 1), last)
    return first, last


def grid_points_from_samples(x: Tensor, grid: int, grid_eps: float,
                             fence: float | None = OUTLIER_FENCE) -> Tensor:
    """Grid points that blend sample quantiles and a uniform grid, ignoring outliers.

    Parameters
    ----------
    x : Tensor, shape (B, F)
        Finite samples.
    grid : int
        Number of intervals ``G``.
    grid_eps : float
        Weight of the uniform grid, in ``[0, 1]``.
    fence : float or None
        Samples beyond Tukey's fences (:func:`inlier_span`) are left out;
        ``None`` uses every sample.

    Returns
    -------
    points : Tensor, shape (F, G + 1)
        Strictly increasing on every row whose inliers are not all equal;
        the first and last points are the extreme inliers.  Rows of constant
        samples, or whose width overflows the dtype, come back as NaN for the
        caller to handle.
    """
    xs = x.sort(dim=0).values  # (B, F)
    if fence is None:
        first = torch.zeros(x.shape[1], dtype=torch.long, device=x.device)
        last = torch.full_like(first, x.shape[0] - 1)
    else:
        first, last = inlier_span(xs, fence)
    frac = torch.linspace(0, 1, grid + 1, device=x.device, dtype=x.dtype)  # (G + 1,)
    idx = (first[:, None] + frac.to(torch.float64)[None] * (last - first)[:, None]).round().long()
    adaptive = xs.gather(0, idx.t()).t()  # (F, G + 1)
    lo, hi = adaptive[:, :1], adaptive[:, -1:]  # (F, 1)
    # convex combination: no overflow even when hi - lo exceeds the dtype's range
    uniform = lo * (1 - frac) + hi * frac  # (F, G + 1)
    points = grid_eps * uniform + (1 - grid_eps) * adaptive
    # ties (or near ties) between quantiles: lean on the uniform grid until no
    # interval is shorter than MIN_GAP of the mean one, which keeps the refit well
    # conditioned (a 1:200 interval ratio already defeats it in float32)
    min_gap = MIN_GAP * (hi - lo) / grid  # (F, 1)
    eps = grid_eps
    while not bool((points.diff(dim=-1) >= min_gap).all()) and eps < 1.0:
        eps = min(1.0, max(2 * eps, 0.01))
        bad = ~(points.diff(dim=-1) >= min_gap).all(-1, keepdim=True)
        points = torch.where(bad, eps * uniform + (1 - eps) * adaptive, points)
    # a width beyond the dtype's range would make the extended knots overflow
    degenerate = ~(points.diff(dim=-1) > 0).all(-1) | ~torch.isfinite(hi - lo)[:, 0]
    return torch.where(degenerate[:, None], torch.full_like(points, float("nan")), points)


def _too_narrow(points: Tensor, k: int) -> Tensor:
    """Rows ``(F, G + 1)`` whose mean spacing ``h`` the basis cannot resolve, ``(F,)`` bool.

    The span polynomials carry powers ``h**-p`` up to ``p = k + 1`` (with the
    slope), which overflow below ``h = max ** (-1 / (k + 1))`` (float32:
    ~7e-10 for k = 3); and a spacing within 64 ulps of the grid's magnitude
    leaves no room between the points.
    """
    info = torch.finfo(points.dtype)
    h = (points[:, -1] - points[:, 0]) / (points.shape[-1] - 1)
    scale = torch.maximum(points[:, 0].abs(), points[:, -1].abs())
    return (h < info.max ** (-1.0 / (k + 1))) | (h < 64 * info.eps * scale)


def _spline_coef(layer: KANLayer) -> Tensor:
    """The layer's coefficients laid out per input: ``(in, n_basis, out)``."""
    return layer.coef.permute(1, 2, 0)


@torch.no_grad()
def update_layer_grid(layer: KANLayer, x: Tensor, grid_eps: float = 1.0,
                      max_change: float | None = None, move: float = 1.0,
                      x_before: Tensor | None = None) -> None:
    """Move a layer's knots toward its input samples and refit its splines.

    The grid spans the samples inside Tukey's fences (:func:`inlier_span`),
    so a few wild samples cannot stretch it; samples beyond it are handled by
    the layer's linear extension.  Inputs whose samples are all equal (or
    whose range overflows the dtype) keep their grid, with a RuntimeWarning.
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
    k, grid = layer.k, layer.grid
    points = grid_points_from_samples(x, grid, grid_eps)  # (in, G + 1)
    if move != 1.0:
        points = move * points + (1 - move) * layer.knots[:, k:k + grid + 1]
    degenerate = ~torch.isfinite(extend_points(points, k)).all(-1)  # NaN rows, overflowing knots
    degenerate |= _too_narrow(points, k)
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
def update_grid(model, x: Tensor, grid_eps: float = 1.0, max_change: float | None = None,
                carry: bool = False) -> None:
    """Update the grid of every layer in turn, feeding each the updated previous layer.

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

    All or nothing: if a layer raises (bad samples, a hidden layer that
    overflows), every layer is restored before the error propagates.
    """
    if not 0.0 <= float(grid_eps) <= 1.0:
        raise ValueError(f"grid_eps must lie in [0, 1], got {grid_eps!r}")
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

    inputs: list[Tensor] = []  # every layer's inputs before the update (for carry)

    def record(l: int, h: Tensor) -> Tensor:
        inputs.append(h)
        return model.layer_output(l, h)
    if carry:
        model.forward_layers(x, record)

    def attempt(move: float) -> None:
        def run(l: int, x: Tensor) -> Tensor:
            extra = {} if move == 1.0 else {"move": move}
            if carry and l > 0:
                extra["x_before"] = inputs[l]
            update_layer_grid(model.layers[l], x, grid_eps, **extra)
            # the next layer's inputs include symbolic edges and multiplication nodes
            return model.layer_output(l, x)
        model.forward_layers(x, run)

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
    coef = layer.edge_basis.transfer(layer.knots, _spline_coef(layer), new_knots, k,
                                     layer.extrapolate)
    layer.set_grid(new_knots, coef.permute(2, 0, 1))


def refine(model, new_grid: int):
    """A copy of ``model`` with ``new_grid`` intervals per spline, computing the same function.

    The base interval of every spline is kept and its grid points are
    resampled (:func:`_interpolate_points`).  From ``G`` to a multiple of
    ``G`` the function is kept to rounding error; otherwise it is the
    least-squares projection onto the finer spline space.  The original model
    is left untouched.

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

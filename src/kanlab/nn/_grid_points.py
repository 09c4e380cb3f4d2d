"""Where a grid's points go: sample quantiles blended with a uniform grid, outliers left out."""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["grid_points_from_samples", "inlier_span", "too_narrow", "widen_narrow_rows",
           "OUTLIER_FENCE", "MIN_GAP"]

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


def too_narrow(points: Tensor, k: int) -> Tensor:
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


def widen_narrow_rows(points: Tensor, floor: float) -> Tensor:
    """Grid points ``(F, G + 1)`` whose rows span at least ``floor`` times the widest row.

    A narrower row (a hidden node the penalty is fading: its samples cover 1e-5 of its
    neighbours' range) becomes a uniform grid of that width centred on its own span.  Its
    splines stay where its samples are, but are no longer squeezed onto a sliver, where their
    slope (values of order one over a width of 1e-5) makes the layers below stiff for any
    optimiser.  NaN rows (constant samples) are left for the caller and do not count.
    """
    span = points[:, -1] - points[:, 0]  # (F,)
    finite = torch.isfinite(span)
    if not 0.0 < floor or not bool(finite.any()):
        return points
    need = floor * span[finite].max()
    narrow = finite & (span < need)
    if not bool(narrow.any()):
        return points
    grid = points.shape[-1] - 1
    centre = 0.5 * (points[:, :1] + points[:, -1:])  # (F, 1)
    offsets = torch.linspace(-0.5, 0.5, grid + 1, dtype=points.dtype, device=points.device)
    return torch.where(narrow[:, None], centre + need * offsets, points)

"""B-spline bases as pure tensor functions (Cox–de Boor recursion).

Conventions, used across kanlab:

* ``k`` is the spline *degree* (``k = 3`` is cubic), ``grid`` the number of
  grid intervals ``G`` and ``knots`` the knot tensor.
* A knot vector ``t`` of length ``m`` carries ``n = m - k - 1`` basis
  functions.  The *base interval* is ``[t[k], t[n]]``; on it the bases form a
  partition of unity.
* A KAN grid of ``G`` intervals on ``[lo, hi]`` is extended by ``k`` knots on
  each side (:func:`extend_points`), so ``m = G + 2k + 1`` and ``n = G + k``.

Two evaluators are provided.  :func:`bspline_basis` is the textbook recursion
over every basis function (any knots, derivatives of any order); it is the
reference.  :func:`local_basis` returns only the ``k + 1`` bases that are
non-zero at each point together with the index of the first one; it is what
the KAN layer uses, with a closed form when the knots are uniform.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from kanlab._validation import check_int

from kanlab.splines._extension import EXTENDED, evaluate_extension, extension_tables
from kanlab.splines._spans import span_derivatives
from kanlab.splines._tables import SpanTables, span_tables
from kanlab.splines._levers import LEVERED, end_levers, lever_lengths

__all__ = [
    "EXTRAPOLATIONS",
    "extend_points",
    "uniform_knots",
    "bspline_basis",
    "local_basis",
    "scatter_local",
    "check_knots",
]


# continuations beyond the base interval: the Taylor polynomial of degree 0, 1 or 2 at the
# nearest end ("quadratic" keeps a cubic spline C² there, for losses on second derivatives),
# or "extended": the B-spline sum itself over the k extension intervals of the knot vector,
# fading to 0 at its outermost knots and 0 beyond (pykan's spline; C^(k-1) everywhere), or
# "extended_quadratic": those B-splines handing over to the quadratic continuation across the
# extension intervals (C² for cubics, nowhere dead: see local_basis), or "tapered": the
# quadratic's curvature term fading to a straight line far out (kanlab.splines._taper), or
# "bounded": C² at the end like the quadratic, its slope and curvature terms levelling off far
# out (kanlab.splines._bounded; both in kanlab.splines._levers).  Append only: a saved layer's
# continuation is its index here
EXTRAPOLATIONS = ("linear", "constant", "quadratic", "extended", "extended_quadratic",
                  "tapered", "bounded")


def check_knots(knots: Tensor, k: int) -> None:
    """Raise ``ValueError`` unless ``knots`` is a valid knot vector for degree ``k``.

    Valid means: floating dtype, finite, non-decreasing along the last
    dimension, at least ``2k + 2`` entries and a base interval
    ``[t[k], t[n]]`` of positive length.
    """
    k = check_int(k, "spline degree k", low=0)
    if not isinstance(knots, Tensor) or not knots.is_floating_point():
        raise TypeError(f"knots must be a floating-point tensor, got {type(knots).__name__}"
                        + (f" of dtype {knots.dtype}" if isinstance(knots, Tensor) else ""))
    m = knots.shape[-1] if knots.dim() else 0
    if m < 2 * k + 2:
        raise ValueError(f"degree {k} needs at least {2 * k + 2} knots, got {m}")
    if not bool(torch.isfinite(knots).all()):
        raise ValueError("knots must be finite")
    if bool((knots.diff(dim=-1) < 0).any()):
        raise ValueError("Knots must be in a non-decreasing order.")
    n = m - k - 1
    if bool((knots[..., n] <= knots[..., k]).any()):
        raise ValueError("the base interval [t[k], t[n]] of the knots is empty")


def extend_points(points: Tensor, k: int) -> Tensor:
    """Extend grid points by ``k`` knots on each side, spaced like the grid.

    Parameters
    ----------
    points : Tensor, shape (..., G + 1)
        Strictly increasing grid points; ``points[..., 0]`` and
        ``points[..., -1]`` bound the base interval.
    k : int
        Spline degree.

    Returns
    -------
    knots : Tensor, shape (..., G + 2k + 1)
        The extension uses the mean spacing ``(hi - lo) / G`` so a uniform grid
        gives a uniform knot vector.
    """
    grid = points.shape[-1] - 1
    h = (points[..., -1:] - points[..., :1]) / grid  # (..., 1)
    steps = torch.arange(1, k + 1, device=points.device, dtype=points.dtype)
    left = points[..., :1] - h * steps.flip(0)
    right = points[..., -1:] + h * steps
    return torch.cat([left, points, right], dim=-1)


def uniform_knots(grid: int, k: int, grid_range=(-1.0, 1.0), *, device=None,
                  dtype=None) -> Tensor:
    """Uniform knot vector of ``grid`` intervals on ``grid_range``, extended for degree ``k``.

    Returns
    -------
    knots : Tensor, shape (grid + 2k + 1,)

    Examples
    --------
    >>> uniform_knots(2, 1, (0.0, 1.0), dtype=torch.float64)
    tensor([-0.5000,  0.0000,  0.5000,  1.0000,  1.5000], dtype=torch.float64)
    """
    grid = check_int(grid, "grid (number of intervals)", low=1)
    k = check_int(k, "spline degree k", low=0)
    lo, hi = (float(v) for v in grid_range)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"grid_range must be finite with lo < hi, got {tuple(grid_range)}")
    steps = torch.arange(-k, grid + k + 1, device=device, dtype=dtype or torch.get_default_dtype())
    return lo + steps * ((hi - lo) / grid)


def _safe_div(num: Tensor, den: Tensor) -> Tensor:
    """``num / den`` where ``den > 0``, else 0 (the Cox–de Boor convention 0/0 = 0)."""
    ok = den > 0
    return torch.where(ok, num / torch.where(ok, den, torch.ones_like(den)), torch.zeros_like(num))


def _degree_zero(x: Tensor, t: Tensor, n: int) -> Tensor:
    """Indicators of ``[t_i, t_{i+1})``, with the base interval closed on the right."""
    xe = x.unsqueeze(-1)  # (..., 1)
    left, right = t[..., :-1], t[..., 1:]
    b = (xe >= left) & (xe < right)  # (..., m - 1)
    # x == t[n] belongs to the last non-empty interval of the base interval, as in scipy.
    idx = torch.arange(t.shape[-1] - 1, device=t.device)
    nonempty = (right > left) & (idx < n)
    last = torch.where(nonempty, idx, torch.full_like(idx, -1)).amax(-1, keepdim=True)  # (..., 1)
    at_end = xe == t[..., n:n + 1]
    return torch.where(at_end, idx == last, b).to(x.dtype)


def bspline_basis(x: Tensor, knots: Tensor, k: int, derivative: int = 0) -> Tensor:
    """Every B-spline basis function of degree ``k`` (or its derivative) at ``x``.

    Parameters
    ----------
    x : Tensor, shape (...)
        Evaluation points.
    knots : Tensor, shape (m,) or (..., m)
        Non-decreasing knots; leading dimensions broadcast against ``x``.
        Repeated knots are allowed.
    k : int
        Degree.
    derivative : int
        Order of the derivative, ``0 <= derivative``; orders above ``k`` are 0.

    Returns
    -------
    Tensor, shape (..., m - k - 1)

    Notes
    -----
    Cox–de Boor: ``B_{i,0}(x) = [t_i <= x < t_{i+1}]`` and

    ``B_{i,d} = (x - t_i)/(t_{i+d} - t_i) B_{i,d-1}
    + (t_{i+d+1} - x)/(t_{i+d+1} - t_{i+1}) B_{i+1,d-1}``,

    where a term with a zero denominator is 0.  Derivatives use
    ``B'_{i,d} = d (B_{i,d-1}/(t_{i+d} - t_i) - B_{i+1,d-1}/(t_{i+d+1} - t_{i+1}))``.
    The right end of the base interval ``t[n]`` is included in the last
    interval, so the bases sum to one on the closed interval ``[t[k], t[n]]``.
    Outside ``[t[0], t[m-1])`` every basis is 0; no extrapolation is done here.

    Examples
    --------
    >>> t = torch.tensor([0., 0., 1., 2., 2.])
    >>> bspline_basis(torch.tensor([0.5, 2.0]), t, 1)
    tensor([[0.5000, 0.5000, 0.0000],
            [0.0000, 0.0000, 1.0000]])
    """
    if derivative < 0:
        raise ValueError(f"derivative order must be >= 0, got {derivative}")
    if x.dtype != knots.dtype:
        raise TypeError(f"x and knots must share a dtype, got {x.dtype} and {knots.dtype}")
    m = knots.shape[-1]
    n = m - k - 1
    if n < 1:
        raise ValueError(f"degree {k} needs at least {k + 2} knots, got {m}")
    if derivative > k:
        return x.new_zeros(*torch.broadcast_shapes(x.shape, knots.shape[:-1]), n)
    t = knots
    xe = x.unsqueeze(-1)
    b = _degree_zero(x, t, n)
    for d in range(1, k + 1):
        den_l = t[..., d:-1] - t[..., :-d - 1]  # t_{i+d} - t_i
        den_r = t[..., d + 1:] - t[..., 1:-d]  # t_{i+d+1} - t_{i+1}
        if d <= k - derivative:
            b = (_safe_div(xe - t[..., :-d - 1], den_l) * b[..., :-1]
                 + _safe_div(t[..., d + 1:] - xe, den_r) * b[..., 1:])
        else:
            b = d * (_safe_div(b[..., :-1], den_l) - _safe_div(b[..., 1:], den_r))
    return b


def local_basis(x: Tensor, knots: Tensor, k: int, *, uniform: bool = False,
                extrapolate: str = "linear", derivative: int = 0,
                tables: SpanTables | None = None) -> tuple[Tensor, Tensor]:
    """The ``k + 1`` non-zero bases (or their derivatives) at each point, and the first index.

    Parameters
    ----------
    x : Tensor, shape (..., F)
        Points; column ``f`` is evaluated on knot row ``f``.
    knots : Tensor, shape (F, m)
        Non-decreasing knots per feature with a non-empty base interval.
    k : int
        Degree.
    uniform : bool
        Promise that every knot row is equally spaced: every span then shares
        the cardinal polynomial matrix and no search is needed.  The caller
        checks the promise.
    extrapolate : {"linear", "constant", "quadratic", "extended", "extended_quadratic", \
"tapered", "bounded"}
        Outside the base interval ``[t[k], t[n]]``: ``"linear"`` continues every
        basis along its tangent at the nearest end, so a spline extends as the
        straight line with its end value and slope; ``"constant"`` freezes the
        bases at the end value; ``"quadratic"`` continues them as their
        degree-2 Taylor polynomial at the end, so a spline of degree ``k >= 2``
        stays C² across the ends; ``"extended"`` keeps the B-splines themselves
        (:func:`bspline_basis`) on the ``k`` knot intervals beyond each end, where
        the end coefficients shape the spline freely until it fades to 0 at the
        outermost knots, and 0 beyond them: ``C^(k-1)`` everywhere;
        ``"extended_quadratic"`` is ``"extended"`` on the first ``k - 1``
        extension intervals and hands over to ``"quadratic"`` across the outermost
        one, where the B-splines would fade: ``E + r (Q - E)`` with ``r`` the quintic
        smoothstep across that interval (``r = r' = r'' = 0`` where it starts, ``r = 1``,
        ``r' = r'' = 0`` at the outermost knot), ``Q`` beyond: the end coefficients
        shape the spline near the grid as pykan's do, but it never fades to 0
        (C² for ``k = 3``, ``C^min(k-1, 2)`` in general; ``k >= 1``);
        ``"tapered"`` is ``s(e) + s'(e)·δ + s''(e)·φ(|δ|)`` (:mod:`kanlab.splines._taper`:
        C² at the end, straight far out) and ``"bounded"``
        ``s(e) + s'(e)·a(δ) + s''(e)·b(|δ|)`` (:mod:`kanlab.splines._bounded`: C² at the end,
        levelling off far out) at ``δ = x - e`` beyond the nearest end ``e``.
    derivative : int
        Order of the derivative with respect to ``x`` (of the extrapolated
        bases: outside the base interval they are the derivatives of that
        continuation, 0 above its degree).
    tables : SpanTables, optional
        ``span_tables(knots, k)``, if the caller keeps it; computed otherwise.

    Returns
    -------
    values : Tensor, shape (..., F, k + 1)
        ``values[..., f, r]`` is basis ``start + r`` of row ``f``.
    start : Tensor of int64, shape (..., F)
        Index of the first non-zero basis, in ``[0, G)``.

    Notes
    -----
    On span ``[t_j, t_{j+1})`` the bases are polynomials in ``x - t_j``
    (:mod:`kanlab.splines._tables`), so every derivative is a power vector
    times the span's ``(k + 1, k + 1)`` matrix.
    """
    if extrapolate not in EXTRAPOLATIONS:
        raise ValueError(f"extrapolate must be one of {EXTRAPOLATIONS}, got {extrapolate!r}")
    if extrapolate == "extended_quadratic" and k < 1:
        raise ValueError("extrapolate='extended_quadratic' needs a degree k >= 1 (extension "
                         "intervals to hand over on); use 'quadratic' for k = 0")
    n = knots.shape[-1] - k - 1
    xc = torch.minimum(torch.maximum(x, knots[:, k]), knots[:, n])  # clamp into the base interval
    # the continuation is the Taylor polynomial of degree `top` at the nearest end
    top = {"constant": 0, "linear": 1, "quadratic": 2}.get(extrapolate, 0)
    orders = [derivative] + list(range(derivative + 1, min(top, k) + 1))
    if extrapolate in LEVERED:  # the end's value, slope and curvature, whatever the order
        orders = [derivative] + [j for j in range(min(2, k) + 1) if j != derivative]
    if not uniform and tables is None:
        tables = span_tables(knots, k)
    # Taylor continuations ("linear", "quadratic") use the higher orders at the two ends only,
    # where every clamped point sits: they are evaluated there, on (2, F) points, not on every
    # point (the same numbers: each clamped point's span and offset are its end's).  At 80 000
    # x 18 points on 12 knots, one thread: 366 ms with them on every point, 290 ms so.
    ends_only = extrapolate in ("linear", "quadratic") and len(orders) > 1
    out, start = span_derivatives(xc, knots, k, orders[:1] if ends_only else orders, uniform,
                                  tables)
    values = out[..., 0, :]
    if ends_only:
        ends = torch.stack([knots[:, k], knots[:, n]])  # (2, F): the base interval's ends
        # (2, F, orders, k + 1)
        at_ends = span_derivatives(ends, knots, k, orders, uniform, tables)[0]
        above = (x > xc).unsqueeze(-1)
        d = (x - xc).unsqueeze(-1)  # 0 inside the base interval
        for i in range(1, len(orders)):  # d^i / i! times the derivative of order derivative + i
            at = torch.where(above, at_ends[1, :, i, :], at_ends[0, :, i, :])
            values = values + (d ** i / math.factorial(i)) * at
        return values, start
    if extrapolate in EXTENDED:
        return _beyond_ends(x, xc, knots, k, extrapolate, derivative, values), start
    if extrapolate in LEVERED:
        at = {j: out[..., i, :] for i, j in enumerate(orders)}
        return _levered(x, xc, knots, k, extrapolate, derivative, at, values), start
    if derivative > top:  # beyond the ends the continuation has no such derivative
        return values.masked_fill((x != xc).unsqueeze(-1), 0.0), start
    d = (x - xc).unsqueeze(-1)
    for i in range(1, len(orders)):  # d^i / i! times the derivative of order derivative + i
        values = values + (d ** i / math.factorial(i)) * out[..., i, :]
    return values, start


def _beyond_ends(x: Tensor, xc: Tensor, knots: Tensor, k: int, extrapolate: str,
                 derivative: int, values: Tensor) -> Tensor:
    """``values`` ``(..., F, k + 1)`` with the points beyond the base interval given the
    continuation on the extension intervals (:mod:`kanlab.splines._extension`)."""
    tables = extension_tables(knots, k, extrapolate)
    f = torch.arange(knots.shape[0], device=knots.device)
    beyond = evaluate_extension(tables, (x > xc).long(), f, x, derivative)
    return torch.where((x != xc).unsqueeze(-1), beyond, values)


def _levered(x: Tensor, xc: Tensor, knots: Tensor, k: int, extrapolate: str, derivative: int,
             at: dict, values: Tensor) -> Tensor:
    """``values`` ``(..., F, k + 1)`` with the points beyond the base interval given the
    ``derivative`` of ``s + s'·a(δ) + s''·b(|δ|)`` (``δ = x - end``; ``at[j]``: the bases'
    ``j``-th derivative at the end; the levers: :func:`~kanlab.splines._levers.end_levers`)."""
    delta = (x - xc).unsqueeze(-1)
    above = (x > xc).unsqueeze(-1)
    sign = torch.where(above, 1.0, -1.0).to(values.dtype)
    lengths = lever_lengths(knots, k, extrapolate)
    length = torch.where(above, lengths[1].unsqueeze(-1), lengths[0].unsqueeze(-1))
    slope_lever, curve_lever = end_levers(extrapolate, delta.abs(), length, derivative)
    slope_lever = sign ** (derivative + 1) * slope_lever
    beyond = at[0] if derivative == 0 else values.new_zeros(())  # the end value's derivative
    if 1 in at:  # k = 0: no slope
        beyond = beyond + slope_lever * at[1]
    if 2 in at:
        beyond = beyond + sign ** derivative * curve_lever * at[2]
    beyond = beyond.expand_as(values)
    return torch.where((x != xc).unsqueeze(-1), beyond, values)


def scatter_local(values: Tensor, start: Tensor, n_basis: int) -> Tensor:
    """Dense basis tensor from :func:`local_basis` output.

    Parameters
    ----------
    values : Tensor, shape (..., F, k + 1)
    start : Tensor of int64, shape (..., F)
    n_basis : int

    Returns
    -------
    Tensor, shape (..., F, n_basis)
    """
    idx = start.unsqueeze(-1) + torch.arange(values.shape[-1], device=values.device)
    out = values.new_zeros(*values.shape[:-1], n_basis)
    return out.scatter(-1, idx, values)

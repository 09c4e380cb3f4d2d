"""A spline's continuation on its knot vector's extension intervals, as piecewise polynomials.

A knot row ``t`` of length ``m`` has ``k`` knot intervals beyond each end of its base
interval ``[t[k], t[n]]``.  Two continuations use them (:func:`kanlab.splines.local_basis`):

* ``"extended"``: the B-splines of the knot vector themselves there (pykan's spline), 0
  beyond the outermost knot;
* ``"extended_quadratic"``: the same on the first ``k - 1`` of them, handing over to the
  quadratic continuation ``Q`` (the bases' degree-2 Taylor polynomial at the end) across the
  outermost one: ``E + r (Q - E)`` with ``r`` the quintic smoothstep, ``Q`` beyond.

Beyond an end only that end's ``k + 1`` bases are non-zero, and on each of the ``k + 1``
pieces (the ``k`` extension intervals and beyond the outermost knot) each is one
polynomial.  :func:`extension_tables` tabulates them once per knot vector, exactly (the
polynomial arithmetic of :mod:`kanlab.splines._tables`, in float64), in the piece's scaled
coordinate ``u = (x - origin) / width``; :func:`evaluate_extension` is then a gather and
a power vector times the table for values and derivatives of any order, and :class:`ExtensionFunction` the
same as one autograd node whose backward is the next derivative (so gradients of gradients
cost one node per order, not the recursion's few dozen).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from kanlab._compat import Function, static_size
from kanlab.splines._tables import power_vectors, span_tables

__all__ = ["EXTENDED", "ExtensionTables", "extension_tables", "evaluate_extension",
           "ExtensionFunction", "smoothstep"]

# the continuations that use the B-splines of the extension intervals
EXTENDED = ("extended", "extended_quadratic")
# the quintic smoothstep 10u³ - 15u⁴ + 6u⁵: r = r' = r'' = 0 at u = 0, r = 1, r' = r'' = 0 at 1
_SMOOTHSTEP = (0.0, 0.0, 0.0, 10.0, -15.0, 6.0)


@dataclass
class ExtensionTables:
    """Each end's ``k + 1`` bases beyond the base interval of knot rows ``(F, m)``, per piece.

    End ``e = 0`` is below the base interval (bases ``0 .. k``), ``e = 1`` above it (the last
    ``k + 1``).  Piece ``c`` of an end holds the points with ``c`` of its ``breaks`` at or
    below them: below, piece 0 lies beyond the outermost knot ``t[0]`` and piece ``c >= 1`` is
    ``[t[c-1], t[c])``; above, piece ``c < k`` is ``[t[n+c], t[n+c+1])`` and piece ``k`` lies
    beyond ``t[n+k]``.

    Attributes
    ----------
    ends : Tensor, shape (2, F)
        ``t[k]`` and ``t[n]``.
    breaks : Tensor, shape (2, F, k)
        ``t[0 .. k-1]`` below, ``t[n+1 .. n+k]`` above.
    origin, inv_width : Tensor, shape (2, F, k + 1)
        Each piece's ``u = (x - origin) * inv_width``.
    coef : Tensor, shape (2, F, k + 1, P, k + 1)
        ``coef[e, f, c, p, q]``: the coefficient of ``u**p`` in end basis ``q`` on piece ``c``.
    """

    ends: Tensor
    breaks: Tensor
    origin: Tensor
    inv_width: Tensor
    coef: Tensor


def smoothstep(u: Tensor, derivative: int = 0) -> Tensor:
    """The quintic smoothstep ``10u³ - 15u⁴ + 6u⁵`` of ``u`` clamped into ``[0, 1]`` (or its
    derivative in ``u``): 0 below, 1 above, first and second derivatives 0 at both ends."""
    inside = (u > 0) & (u < 1)
    v = u.clamp(0, 1)
    if derivative == 0:
        return v * v * v * (10 - 15 * v + 6 * v * v)
    coef = [math.perm(p, derivative) * c for p, c in enumerate(_SMOOTHSTEP) if p >= derivative]
    poly = torch.zeros_like(v)
    for c in reversed(coef):  # Horner
        poly = poly * v + c
    return torch.where(inside, poly, torch.zeros_like(poly))


def _mul(a: Tensor, b: Tensor) -> Tensor:
    """Product of polynomials ``(..., P, R)`` and ``(..., Q, R)`` (powers, then bases).

    The shifted partial products are added out of place (the same sums in the same order as
    in place): under ``torch.func.vmap`` over stacked models the knots, so the factors, are
    batched, and an in-place add into an unbatched zero tensor is refused."""
    p = a.shape[-2]
    out = 0
    for i in range(p):
        out = out + torch.nn.functional.pad(a[..., i:i + 1, :] * b, (0, 0, i, p - 1 - i))
    return out


def _pad(poly: Tensor, powers: int) -> Tensor:
    return torch.nn.functional.pad(poly, (0, 0, 0, powers - poly.shape[-2]))


def _taylor(value: Tensor, slope: Tensor, curve: Tensor, delta: Tensor, width: Tensor,
            degree: int) -> Tensor:
    """``value + slope·d + curve·d²/2`` (the terms up to ``degree``) with ``d = delta + width·u``,
    as a polynomial in ``u``: ``(..., degree + 1, R)`` from ``(..., R)`` and ``(...)``."""
    delta, width = delta.unsqueeze(-1), width.unsqueeze(-1)
    rows = [value + slope * delta + curve * delta * delta / 2, slope * width + curve * delta * width,
            curve * width * width / 2]
    return torch.stack(rows[:degree + 1], dim=-2)


def extension_tables(knots: Tensor, k: int, how: str, minus_linear: bool = False
                     ) -> ExtensionTables:
    """Tabulate ``how`` (``"extended"`` or ``"extended_quadratic"``) beyond both ends of the
    knot rows ``(F, m)`` (non-decreasing, a non-empty base interval).

    ``minus_linear`` tabulates the continuation less the linear one (the end value and
    slope), which is what a kernel that continues linearly leaves to add.  Computed in
    float64, returned in the knots' dtype.
    """
    if how not in EXTENDED:
        raise ValueError(f"how must be one of {EXTENDED}, got {how!r}")
    if how == "extended_quadratic" and k < 1:
        raise ValueError("extrapolate='extended_quadratic' needs a degree k >= 1 (extension "
                         "intervals to hand over on); use 'quadratic' for k = 0")
    t = knots.to(torch.float64)
    feats, m = t.shape
    n = m - k - 1
    # k more knots each side: span_tables then covers every interval of t, and the padding
    # only enters bases with indices outside t's, which no end uses
    h = ((t[:, -1] - t[:, 0]) / (m - 1)).unsqueeze(-1)
    steps = torch.arange(1, k + 1, dtype=t.dtype, device=t.device)
    padded = torch.cat([t[:, :1] - h * steps.flip(0), t, t[:, -1:] + h * steps], dim=-1)
    spans = span_tables(padded, k)  # span g of t is [t_g, t_{g+1}), polynomials in x - t_g
    coef = spans.coef.permute(1, 2, 0, 3)  # (F, m - 1 spans, powers, local bases)
    r = torch.arange(k + 1, device=t.device)
    below_span = torch.arange(k, device=t.device)  # extension span g = c - 1 of piece c
    above_span = n + torch.arange(k, device=t.device)
    # end basis q on span g: local basis q - g + k below (q <= g), q - 1 - c above (q > c)
    def end_bases(span_idx, local):  # (F, k, powers, k + 1 end bases)
        valid = (local >= 0) & (local <= k)
        picked = coef[:, span_idx].gather(-1, local.clamp(0, k)[None, :, None, :].expand(
            feats, k, k + 1, k + 1))
        return picked * valid[None, :, None, :]
    e_below = end_bases(below_span, r[None, :] - below_span[:, None] + k)
    e_above = end_bases(above_span, r[None, :] - 1 - torch.arange(k, device=t.device)[:, None])
    origin_below = t[:, :k]
    origin_above = t[:, n:n + k]
    width_below = t[:, 1:k + 1] - t[:, :k]
    width_above = t[:, n + 1:n + k + 1] - t[:, n:n + k]
    # the end's value, slope and curvature from the base interval's side, (F, k + 1) each
    zero = t.new_zeros(feats, 1)
    at_end = [[_poly_at(coef[:, k], zero, d) for d in range(3)],
              [_poly_at(coef[:, n - 1], (t[:, n] - t[:, n - 1]).unsqueeze(-1), d) for d in range(3)]]
    top = min(2, k) if how == "extended_quadratic" else -1
    powers = k + 1 if how == "extended" else 6 + max(2, k)
    ends = torch.stack([t[:, k], t[:, n]])
    tables = []
    for e, (spans_e, org, wid) in enumerate(((e_below, origin_below, width_below),
                                             (e_above, origin_above, width_above))):
        value, slope, curve = at_end[e]  # 0 curvature for k < 2
        # spans: E in u (x - origin = width·u)
        scale = wid.unsqueeze(-1) ** torch.arange(k + 1, dtype=t.dtype, device=t.device)
        pieces = [_pad(spans_e * scale[..., :, None], powers)]  # (F, k, P, k + 1)
        outer = 0 if e == 0 else k - 1  # the outermost extension interval
        beyond_origin = t[:, 0] if e == 0 else t[:, n + k]
        beyond_width = wid[:, outer]
        if how == "extended":
            beyond = t.new_zeros(feats, 1, powers, k + 1)
        else:
            quad = _taylor(value, slope, curve, beyond_origin - ends[e], beyond_width, top)
            beyond = _pad(quad, powers).unsqueeze(1)
            # the outermost interval: E + r (Q - E), r rising outward
            q_out = _taylor(value, slope, curve, org[:, outer] - ends[e], wid[:, outer], top)
            e_out = spans_e[:, outer] * scale[:, outer, :, None]
            size = max(top + 1, k + 1)
            diff = _pad(q_out, size) - _pad(e_out, size)
            ramp = torch.tensor(_SMOOTHSTEP, dtype=t.dtype, device=t.device)
            if e == 0:  # u runs inward below: r(1 - u)
                ramp = _compose_one_minus(ramp)
            blended = _pad(e_out, powers) + _pad(_mul(ramp.expand(feats, -1).unsqueeze(-1), diff),
                                                 powers)
            pieces[0] = pieces[0].clone()
            pieces[0][:, outer] = blended
        coef_e = torch.cat([beyond, pieces[0]] if e == 0 else [pieces[0], beyond], dim=1)
        origin_e = torch.cat([beyond_origin[:, None], org] if e == 0
                             else [org, beyond_origin[:, None]], dim=1)
        width_e = torch.cat([beyond_width[:, None], wid] if e == 0
                            else [wid, beyond_width[:, None]], dim=1)
        if minus_linear:  # less value + slope·(x - end)
            delta = (origin_e - ends[e][:, None]).unsqueeze(-1)  # (F, pieces, 1)
            lin = torch.stack([value[:, None] + slope[:, None] * delta,
                               slope[:, None] * width_e.unsqueeze(-1)], dim=-2)
            coef_e = coef_e - _pad(lin, powers)
        tables.append((coef_e, origin_e, width_e))
    coef_t, origin_t, width_t = (torch.stack(parts) for parts in zip(*tables))
    ok = width_t > 0
    inv = torch.where(ok, 1.0 / torch.where(ok, width_t, 1.0), 1.0)
    breaks = torch.stack([t[:, :k], t[:, n + 1:n + k + 1]])
    dtype = knots.dtype
    return ExtensionTables(ends.to(dtype), breaks.to(dtype), origin_t.to(dtype), inv.to(dtype),
                           coef_t.to(dtype).contiguous())


def _poly_at(poly: Tensor, s: Tensor, derivative: int) -> Tensor:
    """The ``derivative``-th derivative of ``poly`` ``(F, P, R)`` (powers of s) at ``s`` ``(F, 1)``."""
    out = torch.zeros_like(poly[:, 0])
    for p in range(poly.shape[1] - 1, derivative - 1, -1):
        out = out * s + math.perm(p, derivative) * poly[:, p]
    return out


def _compose_one_minus(poly: Tensor) -> Tensor:
    """Coefficients of ``poly(1 - u)`` in ``u`` for coefficients ``poly`` ``(P,)``."""
    size = poly.shape[0]
    out = torch.zeros_like(poly)
    for p in range(size):
        for j in range(p + 1):
            out[j] += poly[p] * math.comb(p, j) * (-1) ** j
    return out


def _pieces(tables: ExtensionTables, e: Tensor, f: Tensor, x: Tensor
            ) -> tuple[Tensor, Tensor, Tensor]:
    """The piece of each point ``x`` on end ``e``, row ``f`` (index tensors broadcasting with
    ``x``): its ``origin``, ``inv_width`` (shaped like ``x``) and ``coef`` ``(*x.shape, P, k + 1)``."""
    _, feats, pieces, powers, bases = tables.coef.shape
    ef = (e * feats + f).expand(x.shape).reshape(-1)  # one flat row per (end, row)
    breaks = tables.breaks.reshape(2 * feats, -1).index_select(0, ef)  # (N, k)
    c = (x.detach().reshape(-1, 1) >= breaks).sum(-1)
    row = ef * pieces + c  # (N,) rows of the flat tables
    origin = tables.origin.reshape(-1).index_select(0, row).reshape(x.shape)
    inv_width = tables.inv_width.reshape(-1).index_select(0, row).reshape(x.shape)
    coef = tables.coef.reshape(-1, powers * bases).index_select(0, row)
    return origin, inv_width, coef.reshape(*x.shape, powers, bases)


def _power_product(x: Tensor, origin: Tensor, inv_width: Tensor, coef: Tensor,
                   derivative: int) -> Tensor:
    """The polynomials ``coef`` ``(..., P, R)`` in ``u = (x - origin)·inv_width``, or their
    ``derivative``-th derivative in ``x``: ``(..., R)`` (the power vector times ``coef``:
    one product and one sum, where Horner's rule would take ``2P`` small operations)."""
    powers = static_size(coef, -2)  # the degree, fixed in a traced graph too
    if derivative >= powers:
        return torch.zeros_like(coef[..., 0, :])
    u = (x - origin) * inv_width
    vector = power_vectors(u, powers - 1, [derivative])  # (..., 1, P)
    if derivative:
        vector = vector * (inv_width ** derivative)[..., None, None]
    return (vector @ coef).squeeze(-2)


class ExtensionFunction(Function):
    """``(x (...,), origin, inv_width, coef (..., P, R), derivative) -> (..., R)``: the
    piecewise polynomials of :func:`_pieces` at ``x`` as one autograd node, differentiable
    in ``x`` to any order (the backward of order ``d`` is the node of order ``d + 1``)."""

    @staticmethod
    def forward(x: Tensor, origin: Tensor, inv_width: Tensor, coef: Tensor,
                derivative: int) -> Tensor:
        return _power_product(x, origin, inv_width, coef, derivative)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        x, origin, inv_width, coef, derivative = inputs
        ctx.save_for_backward(x, origin, inv_width, coef)
        ctx.derivative = derivative

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, origin, inv_width, coef = ctx.saved_tensors
        grad_x = None
        if ctx.needs_input_grad[0]:
            slope = ExtensionFunction.apply(x, origin, inv_width, coef, ctx.derivative + 1)
            grad_x = (grad * slope).sum(-1)
        return grad_x, None, None, None, None


def evaluate_extension(tables: ExtensionTables, e: Tensor, f: Tensor, x: Tensor,
                       derivative: int = 0, node: bool = False) -> Tensor:
    """End ``e``'s ``k + 1`` bases (or their ``derivative``) of row ``f`` at ``x`` (index
    tensors and points broadcasting together): ``(*x.shape, k + 1)``.

    ``node=True`` evaluates through :class:`ExtensionFunction` (eager autograd: one node per
    derivative order); otherwise with plain tensor operations (any transform)."""
    origin, inv_width, coef = _pieces(tables, e, f, x)
    if node:
        return ExtensionFunction.apply(x, origin, inv_width, coef, derivative)
    return _power_product(x, origin, inv_width, coef, derivative)

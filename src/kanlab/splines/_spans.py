"""The non-zero B-spline bases on their spans, inside the base interval.

On span ``[t_j, t_{j+1})`` the ``k + 1`` bases that do not vanish are polynomials in
``x - t_j`` (:mod:`kanlab.splines._tables`), so they and their derivatives are a power
vector times the span's ``(k + 1, k + 1)`` matrix: one shared cardinal matrix on equally
spaced knots, a searched and gathered one otherwise.  :func:`kanlab.splines.local_basis`
clamps its points into the base interval, calls :func:`span_derivatives` and continues the
bases beyond the ends.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from kanlab._compat import exporting_onnx
from kanlab.splines._onnx_ops import searchsorted_by_comparison
from kanlab.splines._tables import SpanTables, cardinal_matrix, power_vectors

__all__ = ["span_derivatives"]


def _search_spans(xc: Tensor, knots: Tensor, k: int, last: Tensor) -> Tensor:
    """Base span of each clamped point: ``g = j - k`` with ``t_j <= x < t_{j+1}`` non-empty.

    ``xc`` is ``(..., F)`` inside the base intervals; returns int64 ``(..., F)`` in ``[0, G)``.
    The right end of the base interval goes to the last non-empty span ``last`` ``(F,)``.
    """
    n = knots.shape[-1] - k - 1
    xt = xc.reshape(-1, knots.shape[0]).t().contiguous()  # (F, B)
    search = searchsorted_by_comparison if exporting_onnx() else torch.searchsorted
    g = search(knots[:, k:n].contiguous(), xt, right=True).t() - 1
    g = g.reshape(xc.shape).clamp(0, n - k - 1)  # (..., F)
    return torch.where(xc >= knots[:, n], last, g)


def _uniform_local(x: Tensor, knots: Tensor, k: int, orders: list[int]) -> tuple[Tensor, Tensor]:
    """Closed form on equally spaced knots: one cardinal matrix for every span."""
    m = knots.shape[-1]
    spans = m - 2 * k - 1
    inv_w = (m - 1) / (knots[:, -1] - knots[:, 0])  # (F,)
    u = (x - knots[:, k]) * inv_w  # in [0, G]
    start = u.floor().clamp(0, spans - 1)
    powers = power_vectors(u - start, k, orders)  # (..., F, orders, k + 1)
    values = powers @ cardinal_matrix(k, x.dtype, x.device)  # (..., F, orders, k + 1)
    if orders != [0]:  # chain rule: d/dx = inv_w d/du
        scale = torch.stack([inv_w ** d for d in orders], dim=-1)  # (F, orders)
        values = values * scale.unsqueeze(-1)
    return values, start.long()


def _general_local(x: Tensor, knots: Tensor, k: int, orders: list[int],
                   tables: SpanTables) -> tuple[Tensor, Tensor]:
    """Any knots: search the span, gather its polynomial matrix, evaluate by Horner's rule."""
    feats, spans = tables.origin.shape
    start = _search_spans(x, knots, k, tables.last)  # (..., F)
    flat = start + torch.arange(0, feats * spans, spans, device=x.device)  # rows of the tables
    s = (x - torch.take(tables.origin, flat)).unsqueeze(-1)  # (..., F, 1)
    # each span's (powers, bases) matrix as one row, gathered by index_select: at 80 000 x 18
    # points 52 ms against 86 ms for indexing the powers-first tables with `flat`
    rows = tables.coef.permute(1, 2, 0, 3).reshape(feats * spans, (k + 1) ** 2)
    coef = rows.index_select(0, flat.reshape(-1)).view(*flat.shape, k + 1, k + 1)
    # Horner's rule carrying the derivatives: after the loop deriv[j] = p^(j)(s) / j!
    top = min(max(orders), k)
    deriv = [coef[..., k, :]] + [torch.zeros_like(coef[..., k, :]) for _ in range(top)]
    for p in range(k - 1, -1, -1):
        for j in range(top, 0, -1):
            deriv[j] = torch.addcmul(deriv[j - 1], deriv[j], s)
        deriv[0] = torch.addcmul(coef[..., p, :], deriv[0], s)
    out = [deriv[d] * math.factorial(d) if d <= k else torch.zeros_like(deriv[0]) for d in orders]
    return torch.stack(out, dim=-2), start  # (..., F, orders, bases)


def span_derivatives(x: Tensor, knots: Tensor, k: int, orders: list[int], uniform: bool,
                     tables: SpanTables | None) -> tuple[Tensor, Tensor]:
    """The bases' derivatives of ``orders`` at ``x`` (inside the base interval), and spans."""
    if uniform:
        return _uniform_local(x, knots, k, orders)
    return _general_local(x, knots, k, orders, tables)

"""B-splines as piecewise polynomials: one small coefficient matrix per knot span.

On a span ``[t_j, t_{j+1})`` the ``k + 1`` non-zero B-splines
``B_{j-k}, ..., B_j`` are polynomials of degree ``k`` in the local coordinate
``s = x - t_j``.  Tabulating their coefficients once per
knot vector turns every later evaluation (values and derivatives of any
order) into a power vector times a ``(k + 1, k + 1)`` matrix, a handful of
tensor operations whatever ``k``.  For uniform knots every span has the same
matrix, the cardinal B-spline's.

The tables are built with the Cox–de Boor recursion carried out on
polynomial coefficients, so they are exact up to the rounding of that same
recursion.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from kanlab._compat import exporting_onnx, outside_transforms
from kanlab.splines._onnx_ops import cumprod_unrolled

__all__ = ["SpanTables", "span_tables", "cardinal_matrix", "power_vectors"]


@dataclass
class SpanTables:
    """Per-span data of knot rows ``(F, m)`` with ``G = m - 2k - 1`` base spans.

    Attributes
    ----------
    origin
        ``(F, G)``, ``t_j`` of span ``j = k + g``.
    last
        ``(F,)`` int64, the last non-empty span (where ``x = t[n]`` goes).
    coef
        ``(k + 1, F, G, k + 1)``; ``coef[p, f, g, r]`` is the coefficient of
        ``(x - t_j)**p`` in basis ``j - k + r`` (0 on an empty span).  Powers
        lead so each power's slice of a gather is contiguous.
    """

    origin: Tensor
    last: Tensor
    coef: Tensor


def _times_linear(a: Tensor, b: Tensor, poly: Tensor) -> Tensor:
    """``(a + b s) · poly(s)`` with ``poly`` of shape ``(..., nb, d)`` -> ``(..., nb, d + 1)``."""
    pad_hi = torch.nn.functional.pad(poly, (0, 1))
    pad_lo = torch.nn.functional.pad(poly, (1, 0))
    return a.unsqueeze(-1) * pad_hi + b.unsqueeze(-1) * pad_lo


def _window_polynomials(window: Tensor, k: int) -> Tensor:
    """Coefficients of the non-zero bases on the span at the centre of each window.

    ``window[..., a] = t[j - k + a]`` for ``a = 0 .. 2k + 1``.  Returns
    ``(..., k + 1 bases, k + 1 powers)``.
    """
    t_j = window[..., k]
    width = window[..., k + 1] - t_j
    poly = torch.ones(*window.shape[:-1], 1, 1, dtype=window.dtype, device=window.device)
    for d in range(1, k + 1):
        left = window[..., k - d:k + 2]  # t_i for i = j-d .. j+1
        right = window[..., k:k + d + 2]  # t_{i+d}
        span = right - left
        inv = torch.where(span > 0, 1.0 / torch.where(span > 0, span, 1.0), 0.0)
        a = (t_j.unsqueeze(-1) - left) * inv  # ω_i = a_i + b_i s
        b = width.unsqueeze(-1) * inv
        padded = torch.nn.functional.pad(poly, (0, 0, 1, 1))  # zero bases j-d and j+1
        poly = (_times_linear(a[..., :-1], b[..., :-1], padded[..., :-1, :])
                + _times_linear(1 - a[..., 1:], -b[..., 1:], padded[..., 1:, :]))
    return poly


def span_tables(knots: Tensor, k: int) -> SpanTables:
    """Tabulate the span polynomials of knot rows ``(F, m)``; computed in float64."""
    t = knots.to(torch.float64)
    m = t.shape[-1]
    spans = m - 2 * k - 1
    j = torch.arange(k, k + spans, device=t.device)  # base spans
    offsets = torch.arange(-k, k + 2, device=t.device)
    window = t[:, j[:, None] + offsets]  # (F, G, 2k + 2)
    coef = _window_polynomials(window, k).transpose(-1, -2)  # (F, G, powers, bases) in s/width
    width = window[..., k + 1] - window[..., k]  # (F, G)
    nonempty = width > 0
    inv_width = torch.where(nonempty, 1.0 / torch.where(nonempty, width, 1.0), 0.0)
    coef = coef * inv_width[..., None, None] ** torch.arange(k + 1, device=t.device)[:, None]
    index = torch.arange(spans, device=t.device)
    last = torch.where(nonempty, index, torch.zeros_like(index)).amax(-1)
    return SpanTables(origin=window[..., k].to(knots.dtype), last=last,
                      coef=coef.permute(2, 0, 1, 3).to(knots.dtype).contiguous())


_CARDINAL: dict[tuple[int, torch.dtype, torch.device], Tensor] = {}


def cardinal_matrix(k: int, dtype: torch.dtype, device) -> Tensor:
    """``(k + 1 powers, k + 1 bases)`` coefficients of the uniform B-spline on a span.

    Examples
    --------
    >>> cardinal_matrix(1, torch.float64, "cpu")
    tensor([[ 1.,  0.],
            [-1.,  1.]], dtype=torch.float64)
    """
    key = (k, dtype, torch.device(device))
    if key in _CARDINAL:
        return _CARDINAL[key]
    if torch.compiler.is_compiling():  # under torch.export / compile: a fake tensor, not cached
        return _cardinal(k, dtype, device)
    with outside_transforms():  # a cached constant: made outside any running transform
        _CARDINAL[key] = _cardinal(k, dtype, device)
    return _CARDINAL[key]


def _cardinal(k: int, dtype: torch.dtype, device) -> Tensor:
    window = torch.arange(2 * k + 2, dtype=torch.float64, device="cpu")  # made once, then moved
    return _window_polynomials(window, k).t().to(dtype=dtype, device=device)


def power_vectors(s: Tensor, k: int, orders: list[int]) -> Tensor:
    """Derivatives of ``[1, s, ..., s^k]`` of the given orders, ``(*s.shape, len(orders), k + 1)``."""
    top = max(k - min(orders), 0)
    # s^0 .. s^top by repeated products (a tensor exponent takes pow's slow path)
    powers = s.unsqueeze(-1).expand(*s.shape, top)
    powers = cumprod_unrolled(powers, -1) if exporting_onnx() else powers.cumprod(-1)
    pows = torch.cat([torch.ones_like(s).unsqueeze(-1), powers], dim=-1)  # (..., top+1)
    rows = []
    for d in orders:
        if d > k:
            rows.append(torch.zeros(*s.shape, k + 1, dtype=s.dtype, device=s.device))
            continue
        row = pows[..., :k + 1 - d]
        if d:
            factor = [float(math.perm(q, d)) for q in range(d, k + 1)]
            row = torch.nn.functional.pad(row * row.new_tensor(factor), (d, 0))
        rows.append(row)
    return torch.stack(rows, dim=-2)

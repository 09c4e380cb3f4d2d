"""Exact stand-ins for the two basis operators that torch's ONNX exporter cannot translate.

``torch.cumprod`` (the powers ``s, s², …, s^k``; its decomposition ends in
``prims.prod``) and ``torch.searchsorted`` (the knot span on non-uniform grids)
have no ONNX translation in torch 2.13's exporter.  While ``torch.onnx.export``
records the graph (:func:`kanlab._compat.exporting_onnx`), the basis uses these
instead: the same multiplications in the same order, and a count of comparisons
with the knots (exact for a sorted, NaN-free sequence).  Eager calls never do.
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["cumprod_unrolled", "searchsorted_by_comparison"]


def cumprod_unrolled(x: Tensor, dim: int, dtype: torch.dtype | None = None) -> Tensor:
    """``torch.cumprod`` as a chain of products along a dimension of static size."""
    if dtype is not None:
        x = x.to(dtype)
    dim = dim % x.dim()
    parts = [x.select(dim, 0)]
    for i in range(1, x.shape[dim]):
        parts.append(parts[-1] * x.select(dim, i))
    return torch.stack(parts, dim)


def searchsorted_by_comparison(sorted_sequence: Tensor, values: Tensor, *,
                               out_int32: bool = False, right: bool = False,
                               side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """``torch.searchsorted`` as a count of comparisons (exact for a sorted, NaN-free sequence).

    Costs ``(*, n_values, len)`` comparisons instead of a binary search: fine
    for KAN grids of tens of knots.
    """
    if sorter is not None:
        raise NotImplementedError("searchsorted with a sorter is not exported")
    right = right or side == "right"
    seq = sorted_sequence.unsqueeze(-2)  # (*, 1, m): one row per batch of values
    below = seq <= values.unsqueeze(-1) if right else seq < values.unsqueeze(-1)
    return below.sum(-1, dtype=torch.int32 if out_int32 else torch.int64)

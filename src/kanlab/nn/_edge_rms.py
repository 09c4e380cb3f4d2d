"""Edge magnitudes: the root-mean-square of every edge's output, from the layer's features.

A layer's edge ``(o, i)`` outputs ``e_boi = w_oi · f_bi`` for features ``f``
``(B, in, F)`` and weights ``w`` ``(out, in, F)``.  Its mean square over the
batch is the quadratic form ``w_oiᵀ M_i w_oi`` of the per-input Gram matrix
``M_i = mean_b f_bi f_biᵀ`` ``(in, F, F)``, so no ``(B, out, in)`` tensor is
formed; with centred features the same form is the variance.  The magnitude is
``sqrt(max(q, 0) + tiny)``: the floor keeps its derivative finite at a dead
edge.  The sparsity penalty (:mod:`kanlab.train._regularization`), the
regularised fit (:mod:`kanlab.train._magnitudes`), :meth:`KANLayer.edge_rms`
and the pruning scores all take these definitions.
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["feature_gram", "edge_mean_squares", "rms_from_mean_squares", "edge_rms"]


def feature_gram(feats: Tensor) -> Tensor:
    """Per-input Gram matrix ``mean_b f_bi f_biᵀ``, ``(B, in, F) -> (in, F, F)``."""
    return torch.einsum("bif,big->ifg", feats, feats) / feats.shape[0]


def edge_mean_squares(w: Tensor, gram: Tensor) -> Tensor:
    """Quadratic forms ``w_oiᵀ M_i w_oi``, ``(out, in, F), (in, F, F) -> (out, in)``, clamped at 0
    (rounding can make a vanishing one slightly negative)."""
    return torch.einsum("oif,ifg,oig->oi", w, gram, w).clamp_min(0)


def rms_from_mean_squares(ms: Tensor) -> Tensor:
    """Magnitudes ``sqrt(max(ms, 0) + tiny)`` of mean squares ``ms`` (any shape)."""
    return torch.sqrt(ms.clamp_min(0) + torch.finfo(ms.dtype).tiny)


def edge_rms(feats: Tensor, w: Tensor) -> Tensor:
    """Every edge's RMS output ``(out, in)`` from features ``(B, in, F)`` and weights ``(out, in, F)``."""
    return rms_from_mean_squares(edge_mean_squares(w, feature_gram(feats)))

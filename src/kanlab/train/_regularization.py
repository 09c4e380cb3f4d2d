"""Regularisers: spline smoothness, and L1 / entropy of edge magnitudes.

The sparsity terms follow Liu et al. (2024), §2.5.1: the L1 norm of a layer
is the sum of its edge magnitudes and its entropy is that of the magnitudes
normalised to a distribution (pykan adds the row- and column-wise entropies,
as done here).  The magnitude of an edge is the root-mean-square of its
output on the batch (:meth:`KANLayer.edge_rms`), which is computed without a
``(batch, out, in)`` tensor.
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["l1_penalty", "entropy_penalty", "sparsity_penalty", "smoothness_penalty"]


def l1_penalty(magnitude: Tensor) -> Tensor:
    """Sum of the edge magnitudes of one layer, ``(out, in) -> ()``."""
    return magnitude.sum()


def _entropy(p: Tensor, dim: int) -> Tensor:
    total = p.sum(dim=dim, keepdim=True)
    p = torch.where(total > 0, p / torch.where(total > 0, total, 1.0), 0.0)
    plogp = torch.where(p > 0, p * torch.log(torch.where(p > 0, p, 1.0)), 0.0)
    return -plogp.sum(dim=dim).mean()


def entropy_penalty(magnitude: Tensor) -> Tensor:
    """Entropy of the magnitudes over each node's incoming and outgoing edges, ``(out, in) -> ()``.

    Low entropy means few edges carry a node's signal: the paper's push
    toward a sparse, prunable network.
    """
    return _entropy(magnitude, dim=1) + _entropy(magnitude, dim=0)


def sparsity_penalty(magnitudes: list[Tensor], lamb_l1: float = 1.0,
                     lamb_entropy: float = 2.0) -> Tensor:
    """``Σ_layers lamb_l1·L1 + lamb_entropy·entropy`` over per-layer ``(out, in)`` magnitudes."""
    total = magnitudes[0].new_zeros(())
    for m in magnitudes:
        total = total + lamb_l1 * l1_penalty(m) + lamb_entropy * entropy_penalty(m)
    return total


def smoothness_penalty(layer) -> Tensor:
    """Mean over edges of ``L³ ∫ (s_ij'')² dx`` on the base interval of length ``L``.

    ``s_ij = scale_sp_ij · Σ_b coef_ijb B_b`` is the spline part of edge
    ``(i -> j)``.  The integral is exact (Gauss–Legendre on every interval) for
    any knots; the factor ``L³`` makes the penalty dimensionless and the
    integral makes it independent of the grid size, so one ``lamb_smooth``
    means the same on a coarse and on a refined grid.  For ``k < 2`` the
    second derivative vanishes inside intervals and the penalty falls back to
    the squared second difference of the coefficients times ``G³``, a
    discrete analogue that is only roughly grid-independent and, on
    non-uniform knots, not zero for affine splines.
    """
    quadrature = layer.curvature_quadrature()  # raises for bases without the penalty
    _, spline_w = layer.edge_weight()  # (out, in, n_basis)
    k, knots = layer.k, layer.knots
    n = knots.shape[-1] - k - 1
    length = (knots[:, n] - knots[:, k])  # (in,)
    if quadrature is None:  # k < 2
        diff2 = spline_w.diff(n=2, dim=-1) if spline_w.shape[-1] > 2 else spline_w[..., :0]
        return (diff2.pow(2).sum(-1) * layer.grid ** 3).mean()
    d2, w = quadrature
    curv = torch.einsum("iqb,oib->oiq", d2, spline_w)  # (out, in, Q)
    integral = (curv.pow(2) * w).sum(-1)  # (out, in)
    return (integral * length.pow(3)).mean()

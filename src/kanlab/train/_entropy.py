"""Entropy of edge magnitudes along one dimension, as a single autograd node.

The sparsity penalty (:mod:`kanlab.train._regularization`) takes the entropy of
every layer's magnitudes along its rows and its columns at each evaluation of
a regularised fit.  Recorded op by op, one entropy is about fifteen small
operations forward and twice as many autograd nodes backward, for tensors of a
few entries: the penalty was a third of a regularised evaluation of the
default ``kanlab train`` model.  :class:`_EntropyFunction` computes the same
value (the same operations, without recording them) and its gradient in
closed form.

With ``p = m / (Σ m + mass)`` along ``dim`` (``p = 0`` where that sum is not
positive) and ``H = -mean Σ p log p`` (terms with ``p <= 0`` count as zero),
the gradient is, with ``G_i = ∂H/∂p_i = -[p_i > 0] (log p_i + 1) / n`` (``n``
the number of entries averaged) and ``Z = Σ m + mass``,

    ∂H/∂m_j = G_j / Z - (Σ_i G_i m_i) / Z²     (0 where Z <= 0),

which is what autograd computes through the recorded operations.  A second
derivative (``create_graph``), forward-mode AD and torch.func transforms
differentiate the recorded reference instead.
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab._compat import Function, forward_ad_active, transforms_active

__all__ = ["entropy", "reference_entropy", "entropy_value", "entropy_backward"]


def reference_entropy(m: Tensor, dim: int, mass: float = 0.0) -> Tensor:
    """``-mean Σ_dim p log p`` with ``p = m / (Σ_dim m + mass)``, recorded op by op."""
    total = m.sum(dim=dim, keepdim=True) + mass
    p = torch.where(total > 0, m / torch.where(total > 0, total, 1.0), 0.0)
    plogp = torch.where(p > 0, p * torch.log(torch.where(p > 0, p, 1.0)), 0.0)
    return -plogp.sum(dim=dim).mean()


class _EntropyFunction(Function):
    """``(m >= 0, dim, mass >= 0) -> ()``: :func:`reference_entropy` with a closed-form backward.

    For non-negative ``m`` and ``mass`` a non-positive sum means ``m = 0`` along it,
    so dividing by the sum clamped to the smallest normal number gives the
    reference's ``p = 0`` there without a branch, and ``xlogy(p, p)`` is its
    ``p log p`` with ``0 log 0 = 0``: the value is the reference's, to the bit.
    """

    @staticmethod
    def forward(m, dim, mass):
        return entropy_value(m, dim, mass)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[0])
        ctx.dim, ctx.mass = inputs[1], inputs[2]

    @staticmethod
    def backward(ctx, grad):
        (m,) = ctx.saved_tensors
        dim, mass = ctx.dim, ctx.mass
        if torch.is_grad_enabled():  # create_graph: differentiate the recorded reference
            with torch.enable_grad():
                (gm,) = torch.autograd.grad(reference_entropy(m, dim, mass), m, grad,
                                            create_graph=True)
            return gm, None, None
        return entropy_backward(m, dim, mass, grad), None, None


def entropy_value(m: Tensor, dim: int, mass: float) -> Tensor:
    """:func:`reference_entropy` of non-negative ``m``, computed without recording (see
    :class:`_EntropyFunction`)."""
    total = m.sum(dim=dim, keepdim=True) + mass
    p = m / total.clamp_min(torch.finfo(m.dtype).tiny)
    return -torch.special.xlogy(p, p).sum(dim=dim).mean()


def entropy_backward(m: Tensor, dim: int, mass: float, grad) -> Tensor:
    """``grad · ∂H/∂m`` of :func:`entropy_value` in closed form (module docstring)."""
    z = (m.sum(dim=dim, keepdim=True) + mass).clamp_min(torch.finfo(m.dtype).tiny)
    p = m / z
    alive = (p > 0).to(m.dtype)
    n = max(m.numel() // max(m.shape[dim], 1), 1)  # entries of the mean
    g = (torch.special.xlogy(alive, p) + alive) * (-grad / n)  # ∂H/∂p, 0 where p = 0
    return (g - (g * m).sum(dim=dim, keepdim=True) / z) / z


def entropy(m: Tensor, dim: int, mass: float = 0.0) -> Tensor:
    """:func:`reference_entropy` of ``m`` along ``dim``: one autograd node when ``m``
    needs a gradient and is non-negative (magnitudes are), the recorded operations
    otherwise."""
    if (not m.requires_grad or not torch.is_grad_enabled() or transforms_active()
            or forward_ad_active() or mass < 0 or bool((m < 0).any())):
        return reference_entropy(m, dim, mass)
    return _EntropyFunction.apply(m, dim, mass)

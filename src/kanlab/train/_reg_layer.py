"""A layer's output and its share of the sparsity penalty as one autograd node.

A regularised fit evaluates, per layer and per evaluation, the output ``y =
Σ_i φ_ij(x_i)``, the edge magnitudes ``m_ij = sqrt(mean_b φ_ij(x_bi)²)`` and
the penalty ``λ (λ₁ Σ m + λ_H (H_row(m) + H_col(m)))`` (see
:mod:`kanlab.train._regularization`).  Recorded op by op that is some forty
small operations and as many autograd nodes for tensors of a few dozen
entries; on the default ``kanlab train`` model ([2, 5, 1], 1000 points) it was
two thirds of a regularised evaluation.  :class:`_RegularisedLayer` takes the
layer's features ``f (B, in, S)`` and weights ``w (out, in, S)`` and returns
``(y, penalty)`` with a closed-form backward:

* edge values ``e_boi = Σ_s f_bis w_ois``, ``y_bo = Σ_i e_boi``,
  ``q_oi = mean_b e_boi²`` and ``m = sqrt(max(q, 0) + tiny)``;
* ``∂P/∂m = λ (λ₁ + λ_H (∂H_row/∂m + ∂H_col/∂m))`` (the entropy's closed form,
  :func:`kanlab.train._entropy.entropy_backward`), ``∂P/∂q = ∂P/∂m / (2m)``
  where ``q >= 0``;
* ``∂/∂e_boi = ḡy_bo + 2 ∂P/∂q_oi e_boi / B``; ``∂/∂w_ois = Σ_b (∂/∂e_boi) f_bis``,
  ``∂/∂f_bis = Σ_o (∂/∂e_boi) w_ois``.

When the features are constant (the first layer while its knots stay, see
:class:`kanlab.train._magnitudes.MagnitudeCache`) their Gram matrix ``M_i``
gives ``q_oi = w_oiᵀ M_i w_oi`` and ``∂q_oi/∂w_oi = 2 M_i w_oi`` without the
``(B, out, in)`` edge values.

A second derivative (``create_graph``) differentiates the recorded reference
(:func:`reference`) instead; forward-mode AD and torch.func transforms use it
directly.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from kanlab._compat import Function, forward_ad_active, transforms_active
from kanlab.nn._edge_rms import rms_from_mean_squares
from kanlab.train._entropy import entropy, entropy_backward, entropy_value

__all__ = ["regularised_layer", "reference", "edge_values", "BROADCAST_LIMIT"]

# edge values (B, out, in) by a broadcast product up to this many elements (fewer
# operations than einsum's permuted batched product for small layers)
BROADCAST_LIMIT = 1 << 20
# penalties of layers with at most this many edges are computed in numpy (CPU), and with
# at most PYTHON_LIMIT on Python floats (a numpy call costs more than a few dozen of those)
NUMPY_LIMIT = 4096
PYTHON_LIMIT = 64


def edge_values(feats: Tensor, w: Tensor, limit: int | None = None) -> Tensor:
    """Edge values ``(B, out, in)`` from features ``(B, in, S)`` and weights ``(out, in, S)``:
    by a broadcast product up to ``limit`` (default :data:`BROADCAST_LIMIT`) elements."""
    if feats.numel() * w.shape[0] <= (BROADCAST_LIMIT if limit is None else limit):
        return (feats.unsqueeze(1) * w).sum(-1)
    return torch.einsum("bif,oif->boi", feats, w)


def _penalty_and_slope(q: Tensor, weights: tuple) -> tuple[Tensor, Tensor]:
    """The penalty of ``m = sqrt(max(q, 0) + tiny)`` and its derivative ``∂P/∂q``.

    On the CPU and for up to :data:`NUMPY_LIMIT` edges in numpy: a layer has a
    few dozen magnitudes, where each torch operation costs more than the
    arithmetic (about fifteen operations forward and as many backward).
    """
    lamb, l1, w_entropy, mass = weights
    if q.device.type == "cpu" and q.dim() == 2 and q.numel() <= PYTHON_LIMIT:
        return _penalty_python(q, weights)
    if q.device.type == "cpu" and q.numel() <= NUMPY_LIMIT:
        qn = q.detach().numpy()
        tiny = np.finfo(qn.dtype).tiny  # the floor of the dtype's magnitudes
        qn = qn.astype(np.float64, copy=False)  # a few dozen entries: float64 costs nothing
        m = np.sqrt(np.maximum(qn, 0) + tiny)
        value, dm = l1 * m.sum(), np.full_like(m, l1)
        for dim in (1, 0):
            h, dh = _entropy_numpy(m, dim, mass, tiny)
            value, dm = value + w_entropy * h, dm + w_entropy * dh
        slope = np.where(qn >= 0, (lamb * dm) / (2 * m), 0)
        return q.new_tensor(lamb * value), torch.from_numpy(slope).to(q.dtype)
    m = rms_from_mean_squares(q)
    value = l1 * m.sum() + w_entropy * (entropy_value(m, 1, mass) + entropy_value(m, 0, mass))
    dm = l1 + w_entropy * (entropy_backward(m, 1, mass, 1.0) + entropy_backward(m, 0, mass, 1.0))
    return lamb * value, torch.where(q >= 0, (lamb * dm) / (2 * m), 0.0)


def _penalty_python(q: Tensor, weights: tuple) -> tuple[Tensor, Tensor]:
    """:func:`_penalty_and_slope` of a small ``(out, in)`` ``q`` on Python floats (float64),
    the same arithmetic as the numpy route."""
    lamb, l1, w_entropy, mass = weights
    tiny = torch.finfo(q.dtype).tiny
    qs = q.detach().tolist()
    m = [[math.sqrt(max(v, 0.0) + tiny) for v in row] for row in qs]
    value = l1 * sum(sum(row) for row in m)
    dm = [[l1] * len(row) for row in m]
    h_rows, g_rows = _entropy_lines(m, mass, tiny)  # along dim 1: one line per output
    h_cols, g_cols = _entropy_lines([list(col) for col in zip(*m)], mass, tiny)
    value += w_entropy * h_rows + w_entropy * h_cols
    slope = [[(lamb * (d + w_entropy * g_rows[o][i] + w_entropy * g_cols[i][o])) / (2 * v)
              if qv >= 0 else 0.0 for i, (d, v, qv) in enumerate(zip(drow, mrow, qrow))]
             for o, (drow, mrow, qrow) in enumerate(zip(dm, m, qs))]
    return (q.new_tensor(lamb * value),
            torch.tensor(slope, dtype=torch.float64, device=q.device).to(q.dtype))


def _entropy_lines(lines: list, mass: float, tiny: float) -> tuple[float, list]:
    """``H = -mean over lines of Σ p log p`` (``p = m / max(Σ m + mass, tiny)``) and
    ``∂H/∂m`` per entry, of lists of Python floats (see :func:`_entropy_numpy`)."""
    n = len(lines)
    total, grads = 0.0, []
    for line in lines:
        z = max(sum(line) + mass, tiny)
        g, gm = [], 0.0
        for v in line:
            p = v / z
            if p > 0:
                logp = math.log(p)
                total += p * logp
                gv = (logp + 1.0) * (-1.0 / n)
            else:
                gv = 0.0
            g.append(gv)
            gm += gv * v
        grads.append([(gv - gm / z) / z for gv in g])
    return -total / n, grads


def _entropy_numpy(m, dim: int, mass: float, tiny):
    """:func:`entropy_value` and ``∂H/∂m`` (:func:`entropy_backward`) of a numpy array."""
    z = np.maximum(m.sum(axis=dim, keepdims=True) + mass, tiny)
    p = m / z
    alive = p > 0
    logp = np.log(np.where(alive, p, 1.0))
    h = -(p * logp).sum(axis=dim).mean()
    g = np.where(alive, logp + 1.0, 0.0) * (-1.0 / max(m.size // max(m.shape[dim], 1), 1))
    return h, (g - (g * m).sum(axis=dim, keepdims=True) / z) / z


def reference(feats: Tensor, w: Tensor, gram: Tensor | None, weights: tuple
              ) -> tuple[Tensor, Tensor]:
    """``(y, penalty)`` recorded op by op; ``weights`` is ``(λ, λ₁, λ_H, mass)``."""
    lamb, l1, w_entropy, mass = weights
    if gram is not None:
        y = F.linear(feats.flatten(1), w.flatten(1))
        q = torch.einsum("oif,ifg,oig->oi", w, gram, w)
    else:
        edges = edge_values(feats, w)
        y, q = edges.sum(-1), edges.pow(2).mean(0)
    q = q.clamp_min(0)
    m = torch.sqrt(q + torch.finfo(q.dtype).tiny)
    penalty = lamb * (l1 * m.sum() + w_entropy * (entropy(m, 1, mass) + entropy(m, 0, mass)))
    return y, penalty


class _RegularisedLayer(Function):
    """``(feats, w, gram | None, weights) -> (y, penalty)``; see the module docstring."""

    @staticmethod
    def forward(feats, w, gram, weights):
        if gram is not None:
            y = F.linear(feats.flatten(1), w.flatten(1))
            gw = torch.bmm(w.transpose(0, 1), gram).transpose(0, 1)  # (M_i w_oi)ᵀ, M_i symmetric
            q, edges = (w * gw).sum(-1), None
        else:
            edges = edge_values(feats, w)
            y, q, gw = edges.sum(-1), edges.pow(2).mean(0), None
        penalty, slope = _penalty_and_slope(q, weights)
        return y, penalty, slope, gw, edges

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        feats, w, gram, weights = inputs
        ctx.save_for_backward(feats, w, gram, *output[2:])
        ctx.weights = weights
        ctx.mark_non_differentiable(*(t for t in output[2:] if t is not None))

    @staticmethod
    def backward(ctx, grad_y, grad_penalty, *unused):
        feats, w, gram, slope, gw, edges = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: differentiate the recorded reference
            with torch.enable_grad():
                wanted = [t for t in (feats, w) if t.requires_grad]
                y, penalty = reference(feats, w, gram, ctx.weights)
                grads = iter(torch.autograd.grad((y, penalty), wanted, (grad_y, grad_penalty),
                                                 create_graph=True, allow_unused=True))
            return (next(grads) if feats.requires_grad else None,
                    next(grads) if w.requires_grad else None, None, None)
        dq = slope * grad_penalty  # (out, in)
        out, n_in, s = w.shape
        if gram is not None:
            grad_w = (grad_y.t() @ feats.flatten(1)).view(out, n_in, s) + 2 * dq.unsqueeze(-1) * gw
            grad_f = ((grad_y @ w.flatten(1)).view_as(feats) if ctx.needs_input_grad[0]
                      else None)
            return grad_f, grad_w, None, None
        de = grad_y.unsqueeze(-1) + (2.0 / feats.shape[0]) * dq * edges  # (B, out, in)
        grad_w = None
        if ctx.needs_input_grad[1]:
            grad_w = ((de.unsqueeze(-1) * feats.unsqueeze(1)).sum(0)
                      if feats.numel() * out <= BROADCAST_LIMIT
                      else torch.einsum("boi,bif->oif", de, feats))
        grad_f = torch.einsum("boi,oif->bif", de, w) if ctx.needs_input_grad[0] else None
        return grad_f, grad_w, None, None


def regularised_layer(feats: Tensor, w: Tensor, gram: Tensor | None, weights: tuple
                      ) -> tuple[Tensor, Tensor]:
    """A layer's output ``(B, out)`` and its weighted sparsity penalty ``()``.

    Parameters
    ----------
    feats : Tensor, shape (B, in, S)
        the layer's features (:meth:`kanlab.nn.KANLayer.features`).
    w : Tensor, shape (out, in, S)
        their weights (:meth:`kanlab.nn.KANLayer.feature_weight`).
    gram : Tensor of shape (in, S, S), or None
        ``mean_b f_bi f_biᵀ`` of constant features (then ``feats`` must not need a gradient).
    weights
        ``(λ, λ₁, λ_H, mass)``: the penalty is ``λ (λ₁ Σ m + λ_H (H_row + H_col))`` of the
        edge RMS ``m`` (entropies as :func:`kanlab.train._regularization.entropy_penalty`).
    """
    if (not torch.is_grad_enabled() or transforms_active() or forward_ad_active()
            or not (feats.requires_grad or w.requires_grad)):
        return reference(feats, w, gram, weights)
    y, penalty, *_ = _RegularisedLayer.apply(feats, w, gram, weights)
    return y, penalty

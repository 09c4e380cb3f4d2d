"""Regularisers: spline smoothness, and L1 / entropy of edge magnitudes.

The sparsity terms follow Liu et al. (2024), §2.5.1: the L1 norm of a layer
is the sum of its edge magnitudes and its entropy is that of the magnitudes
normalised to a distribution (pykan adds the row- and column-wise entropies,
as done here).  What an edge's *magnitude* is, is the ``reg_metric``
(:data:`REG_METRICS`, :func:`edge_magnitudes`):

* ``"edge_rms"`` (kanlab's default): the root-mean-square of the edge's output
  on the batch (:meth:`KANLayer.edge_rms`); the entropy is that of the
  magnitudes divided by their sum, so it does not depend on their scale.
* ``"edge_rms_sum1"``: the same magnitudes with pykan's entropy (over
  ``sum + 1``, in bits) (see below).
* ``"edge_rms_std_mult"``: ``"edge_rms_sum1"``, except that the edges into a
  multiplication node's factors and the last layer's edges are measured by
  their spread (standard deviation), what :mod:`kanlab.pykan` trains for
  pykan's default name.  A factor's level is not an offset: ``x·(y + c)`` needs
  its ``c`` (no bias downstream can take it), and charging every factor edge for
  it kept a second edge alive where two inputs are functions of each other
  (pykan's Interp_8: the formula on 3 of 5 seeds with ``"edge_rms_sum1"``, 5 of
  5 with this).  The outputs' level feeds no grid, and charging it made the
  penalty's strength depend on the labels' level: under a strong penalty
  (pykan's API_6, ``[2, 5, 1]``, λ = 1, seeds 0–7) the fit collapsed to the
  prediction 0 (RMSE 2.26, the labels' RMS) where with the spread it collapses
  to their mean (1.36; pykan 0.2.8 1.36–1.99); labels ``0.07·f + 0.9`` (std
  0.098): 1.03 (the prediction 0) against 0.13.  A large level softened the
  penalty on the spreads instead (an edge carrying it is mostly level): API_6's
  ``lamb_entropy=10`` fit, median RMSE over seeds 0–7 with the RMS / the spread,
  0.088 / 0.073 on the labels ``f`` centred, 0.077 / 0.107 on ``f``, 0.076 /
  0.131 on ``f + 10`` (docs/pykan_notebook_runs.md, sparse3).
* ``"edge_forward_spline_n"`` (pykan's default): the standard deviation of the
  edge's output over ``std(input) + 0.1``; ``"edge_forward_spline_u"``: the
  standard deviation alone.  ``"pykan_spline_n"`` is pykan 0.2.8's
  ``edge_forward_spline_n`` exactly: the divisor is differentiated too.  Their entropy, as pykan's, divides by
  ``sum + 1`` (:func:`entropy_penalty` with ``mass=1``), in bits.  The divisor
  ``std(input)`` is a scale, not a target: it is detached, so the penalty cannot
  be lowered by inflating the spread of a layer's inputs.

``"edge_backward"`` and ``"node_backward"`` are pykan 0.2.8's: the edges' attribution
scores, and each node's scores of the inputs (:mod:`kanlab.train._backward_magnitudes`),
with pykan's entropy.

The ``sum + 1`` matters for the sparse stage: with a scale-free entropy a
node whose edges all fade keeps paying the full entropy of its row, so the
penalty never rewards a node for dying and the weight stays spread over
several nodes.  With ``sum + 1`` a fading row's entropy fades with it.  On
hellokan (``[2, 5, 1]``, λ = 0.001, seeds 0–4) the formula came out on 4 of 5
seeds with ``edge_forward_spline_n``, on 2 of 5 with ``edge_rms``
(docs/pykan_notebook_runs.md).  The std-based metrics leave a node's offset
unpenalised; ``edge_rms`` keeps hidden values near the next layer's grid.
``edge_rms_sum1`` has both: the RMS (offsets penalised) and the entropy over
``sum + 1``.  With it hellokan at λ = 0.001 prunes to ``[2, 1, 1]`` and gives
the formula on seeds 0, 2, 3 and 42 (``edge_rms``: 0 and 2), and API_2 at
λ = 0.01 does not stall (RMSE 0.053 on its seed 1; pykan prints 0.052).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from kanlab.nn._edge_rms import edge_rms
from kanlab.train._entropy import entropy as _entropy  # one autograd node per entropy

__all__ = ["l1_penalty", "entropy_penalty", "sparsity_penalty", "smoothness_penalty",
           "REG_METRICS", "edge_magnitudes", "check_reg_metric"]

# reg_metric -> (magnitude, entropy mass, entropy in bits)
REG_METRICS = {"edge_rms": ("rms", 0.0, False),
               "edge_rms_sum1": ("rms", 1.0, True),
               "edge_forward_spline_n": ("std_n", 1.0, True),
               "edge_forward_spline_u": ("std", 1.0, True),
               "pykan_spline_n": ("std_n_live", 1.0, True),
               "edge_rms_std_mult": ("rms_std_mult", 1.0, True),
               "edge_backward": ("edge_backward", 1.0, True),
               "node_backward": ("node_backward", 1.0, True)}


def check_reg_metric(reg_metric: str) -> str:
    if reg_metric not in REG_METRICS:
        raise ValueError(f"reg_metric must be one of {list(REG_METRICS)}, got {reg_metric!r}")
    return reg_metric


def edge_magnitudes(feats: Tensor, w: Tensor, x: Tensor, reg_metric: str,
                    n_factors: int = 0) -> Tensor:
    """Every edge's magnitude ``(out, in)`` from the layer's features ``(B, in, F)``,
    weights ``(out, in, F)`` and input ``x`` ``(B, in)``, as ``reg_metric`` defines it.
    ``n_factors``: how many of the last outputs are factors of multiplication nodes (only
    ``"edge_rms_std_mult"`` reads it).

    Computed through the per-input (centred) Gram matrix of the features, so no
    ``(B, out, in)`` tensor is formed.
    """
    kind = REG_METRICS[reg_metric][0]
    if kind == "rms_std_mult":
        n_sum = w.shape[0] - int(n_factors)
        spread = edge_rms(feats - feats.mean(0), w[n_sum:])  # (n_factors, in)
        return torch.cat([edge_rms(feats, w[:n_sum]), spread]) if n_sum else spread
    if kind != "rms":
        feats = feats - feats.mean(0)
    mag = edge_rms(feats, w)  # (out, in); of centred features: the standard deviation
    if kind == "std_n":
        mag = mag / (x.detach().std(0, unbiased=False) + 0.1)
    elif kind == "std_n_live":  # pykan's own: the divisor is differentiated too
        mag = mag / (x.std(0, unbiased=False) + 0.1)
    return mag


def l1_penalty(magnitude: Tensor) -> Tensor:
    """Sum of the edge magnitudes of one layer, ``(out, in) -> ()``."""
    return magnitude.sum()


def entropy_penalty(magnitude: Tensor, mass: float = 0.0) -> Tensor:
    """Entropy of the magnitudes over each node's incoming and outgoing edges, ``(out, in) -> ()``.

    Low entropy means few edges carry a node's signal: the paper's push
    toward a sparse, prunable network.  The magnitudes of a row (column) are
    divided by their sum plus ``mass``: 0 makes the entropy scale-free, pykan's
    1 lets the entropy of a row whose edges all fade fade with them.
    """
    return _entropy(magnitude, dim=1, mass=mass) + _entropy(magnitude, dim=0, mass=mass)


def sparsity_penalty(magnitudes: list[Tensor], lamb_l1: float = 1.0,
                     lamb_entropy: float = 2.0, reg_metric: str = "edge_rms",
                     mass: float | None = None) -> Tensor:
    """``Σ_layers lamb_l1·L1 + lamb_entropy·entropy`` over per-layer ``(out, in)`` magnitudes
    (the entropy's normalisation and unit follow ``reg_metric``, see the module docstring).

    ``mass``, when given, replaces ``reg_metric``'s entropy mass (:func:`entropy_penalty`):
    an older pykan's ``entropy_offset``.  A small mass makes the entropy (nearly) scale-free,
    so shrinking every edge together no longer lowers it.
    """
    _, default_mass, bits = REG_METRICS[check_reg_metric(reg_metric)]
    mass = default_mass if mass is None else float(mass)
    if not mass >= 0:
        raise ValueError(f"mass (entropy_offset) must be >= 0, got {mass}")
    w_entropy = lamb_entropy / math.log(2.0) if bits else lamb_entropy
    total = magnitudes[0].new_zeros(())
    for m in magnitudes:
        total = total + lamb_l1 * l1_penalty(m) + w_entropy * entropy_penalty(m, mass)
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

"""A regularised fit's loss and gradient for a small plain network, without autograd.

Each evaluation of a regularised fit (``lamb > 0``) needs the output, every
layer's edge magnitudes (the RMS of its edge values) and the gradient of
``MSE + penalty``.  :mod:`kanlab.train._reg_layer` makes each layer one autograd
node; on the default ``kanlab train`` model ([2, 5, 1], 1000 points) what is
left is bookkeeping: the feature weights ``[scale_base | scale_sp·coef]``
(five recorded operations per layer), the features' node, the loss's
operations, and the autograd engine walking about twenty nodes for tensors
of a few dozen entries.  :func:`reg_network` returns, for the networks where it
applies, a function that computes the same loss and writes the same gradients
into ``p.grad`` in one pass forward and one backward, by the formulas of
:class:`kanlab.train._reg_layer._RegularisedLayer` and of the kernels'
feature derivative (``contract_dx``):

* forward, layer by layer: features ``f`` (the first layer's are kept with their
  Gram matrix while the data and knots stay, see
  :class:`~kanlab.train._magnitudes.MagnitudeCache`), weights ``w``, output
  ``y = Σ_i e_i`` and ``q = mean_b e²`` from the edge values ``e`` (or
  ``q_oi = w_oiᵀ M_i w_oi`` from the Gram matrix), and the penalty with its slope
  ``∂P/∂q`` (:func:`kanlab.train._reg_layer._penalty_and_slope`);
* backward, last layer first: ``∂/∂e = ḡ_y + 2 ∂P/∂q · e / B``, then ``∂/∂w``,
  ``∂/∂f`` and ``∂/∂x = contract_dx(∂/∂f)``, and the parameters' gradients from
  ``∂/∂w`` (``∂/∂coef = ∂/∂w · scale_sp·mask``, ...).

It applies to plain networks only (:func:`reg_network` says which): B-spline
layers on the kernels with a base function and no quadratic continuation, no
symbolic edges in use, no multiplication nodes, on the CPU, with the RMS
metrics and the mean squared error; everything else takes the autograd route.
Values and gradients equal the autograd route's to rounding
(``tests/train/test_reg_network.py``).
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from kanlab.ops import _extension as extension
from kanlab.ops._kan_linear import kernels_usable
from kanlab.ops._strategies import base_derivative, base_values
from kanlab.train._reg_layer import NUMPY_LIMIT, _penalty_and_slope, edge_values

__all__ = ["reg_network"]

# edge values (B, out, in) of a layer are formed up to this many elements
EDGE_LIMIT = 1 << 20


def _plain(model, x: Tensor) -> bool:
    """Whether the model's regularised evaluation is the plain composition of its layers."""
    from kanlab.nn._extrapolation import CORRECTED
    from kanlab.nn._layer import KANLayer
    from kanlab.nn._network import KAN
    cls = type(model)
    if not isinstance(model, KAN) or any(getattr(cls, name) is not getattr(KAN, name) for name in
                                         ("forward_layers", "layer_output", "multiply")):
        return False
    if any(model.arities) or model.affines is not None or any(sym.active for sym in model.symbolic):
        return False
    n = x.shape[0]
    for layer in model.layers:
        if (type(layer) is not KANLayer or layer.base_fun is None or layer.extrapolate in CORRECTED
                or not layer.edge_basis.fused or layer.knots.device.type != "cpu"
                or layer.out_features * layer.in_features > NUMPY_LIMIT
                or n * layer.out_features * layer.in_features > EDGE_LIMIT
                or not kernels_usable(x, layer.spline_spec(), layer.coef)):
            return False
    return True


def reg_network(model, cfg, x: Tensor) -> Callable | None:
    """``evaluate(x, y, cache) -> (loss, penalty)`` for a regularised fit of ``model``
    (``cfg`` a :class:`~kanlab.train.FitConfig` with ``lamb > 0``), or None where it does
    not apply (see the module docstring).

    ``evaluate`` returns the loss ``mean((model(x) - y)²) + penalty`` and the weighted
    sparsity penalty (0-d tensors); when the loss is finite it sets ``p.grad`` of every
    trainable layer parameter.  It raises :class:`~kanlab.NonFiniteError` as the
    layers' value checks do.
    """
    from kanlab.train._regularization import REG_METRICS
    kind, mass, bits = REG_METRICS[cfg.reg_metric]
    if (kind != "rms" or cfg.lamb_smooth > 0 or cfg.loss_fn is not None or cfg.distributed
            or x.dim() != 2 or x.requires_grad or x.device.type != "cpu"
            or not torch.is_grad_enabled() or not _plain(model, x)):
        return None
    weights = (float(cfg.lamb), float(cfg.lamb_l1),
               cfg.lamb_entropy / math.log(2.0) if bits else float(cfg.lamb_entropy),
               float(mass))

    def evaluate(xb: Tensor, yb: Tensor, cache) -> tuple[Tensor, Tensor]:
        return _evaluate(model, xb, yb, cache, weights)
    return evaluate


def _features(layer, h: Tensor, spec) -> Tensor:
    """The kernels' features ``(B, in, S)`` of ``h`` (as ``FeaturesFunction`` computes them)."""
    out = h.new_empty(h.shape[0], h.shape[1] * spec.n_features)
    extension.ops().features_out(h, out, base_values(h, spec), *spec.kernel_args(), False)
    return out.view(h.shape[0], h.shape[1], spec.n_features)


@torch.no_grad()
def _evaluate(model, x: Tensor, y: Tensor, cache, weights: tuple) -> tuple[Tensor, Tensor]:
    saved, penalties, h = [], [], x
    for l, layer in enumerate(model.layers):
        kept = cache.get(layer, h) if l == 0 and cache is not None else None
        spec = None
        if kept is None:
            layer.check_input(h)
            h = h.contiguous()
            spec = layer.spline_spec()
            f, gram = _features(layer, h, spec), None
        else:
            f, gram = kept
        mask = layer.mask
        spm = layer.scale_sp * mask  # (out, in)
        w = torch.cat([(layer.scale_base * mask).unsqueeze(-1),
                       layer.coef * spm.unsqueeze(-1)], dim=-1)  # (out, in, S)
        if gram is not None:
            out = F.linear(f.flatten(1), w.flatten(1))
            gw = torch.bmm(w.transpose(0, 1), gram).transpose(0, 1)  # M_i w_oi
            q, e = (w * gw).sum(-1), None
        else:
            e = edge_values(f, w)  # (B, out, in)
            out, q, gw = e.sum(-1), e.pow(2).mean(0), None
        penalty, slope = _penalty_and_slope(q, weights)
        penalties.append(penalty)
        saved.append((h, spec, f, w, gw, e, slope, spm))
        h = out
    residual = h - y
    reg = sum(penalties[1:], penalties[0])
    loss = residual.pow(2).mean() + reg
    if not torch.isfinite(loss):
        return loss, reg
    g = residual * (2.0 / residual.numel())  # ∂loss/∂output
    for l in range(len(saved) - 1, -1, -1):
        layer = model.layers[l]
        h, spec, f, w, gw, e, slope, spm = saved[l]
        out, n_in, s = w.shape
        need_f = l > 0
        if gw is not None:
            grad_w = (g.t() @ f.flatten(1)).view(out, n_in, s) + 2 * slope.unsqueeze(-1) * gw
            grad_f = (g @ w.flatten(1)).view_as(f) if need_f else None
        else:
            de = g.unsqueeze(-1) + (2.0 / f.shape[0]) * slope * e  # (B, out, in)
            grad_w = torch.bmm(de.permute(2, 1, 0), f.transpose(0, 1)).transpose(0, 1)
            grad_f = torch.bmm(de.permute(2, 0, 1), w.transpose(0, 1)).transpose(0, 1) \
                if need_f else None
        mask, grad_spline = layer.mask, grad_w[..., 1:]
        if layer.coef.requires_grad:
            layer.coef.grad = grad_spline * spm.unsqueeze(-1)
        if layer.scale_sp.requires_grad:
            layer.scale_sp.grad = (grad_spline * layer.coef).sum(-1) * mask
        if layer.scale_base.requires_grad:
            layer.scale_base.grad = grad_w[..., 0] * mask
        if need_f:
            flat = grad_f.reshape(h.shape[0], -1).contiguous()
            g = extension.ops().contract_dx(h, flat, base_derivative(h, spec),
                                            *spec.kernel_args(), False)
    return loss, reg

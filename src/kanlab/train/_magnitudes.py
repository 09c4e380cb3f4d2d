"""Edge magnitudes for the sparsity penalty, from the forward pass of a regularised fit.

The magnitude of an edge is the root-mean-square of its output over the batch
(:meth:`kanlab.nn.KANLayer.edge_rms`).  A regularised fit needs it at every
evaluation next to the output, so both come from one feature tensor
``(B, in, S)``, the cheaper of two ways:

* a layer whose input is constant (the first layer: the data, while the knots
  stay) keeps its features and their Gram matrix ``(in, S, S)`` in a
  :class:`MagnitudeCache` between evaluations, and an evaluation costs one
  product with the weights and the quadratic forms ``wᵀ G w``;
* otherwise, with no more outputs than features, the edge values ``(B, out,
  in)`` are formed once (no larger than the features) and give both the output
  (their sum) and the magnitudes (their mean square); for small layers by a
  broadcast product, which records fewer operations than ``einsum``;
* else :meth:`KANLayer.forward_and_rms` (the Gram route, no ``(B, out, in)``).

All three compute the same quantities; they differ in rounding only.
"""
from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor

from kanlab.nn._edge_rms import edge_mean_squares, feature_gram, rms_from_mean_squares
from kanlab.train import _reg_layer
from kanlab.train._reg_layer import edge_values, regularised_layer
from kanlab.train._backward_magnitudes import BACKWARD_KINDS, backward_magnitudes
from kanlab.train._regularization import REG_METRICS, edge_magnitudes, sparsity_penalty

__all__ = ["MagnitudeCache", "forward_with_magnitudes", "forward_with_penalty"]

BROADCAST_LIMIT = _reg_layer.BROADCAST_LIMIT  # edge values by broadcast up to this many elements


class MagnitudeCache:
    """Features and Gram matrices of layers with a constant input, for one fit.

    An entry is used while the input tensor (same object, same version) and the
    layer's spline (its :meth:`~kanlab.nn.KANLayer.spline_spec`, rebuilt when
    the knots change) are the ones it was made from.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple] = {}

    def get(self, layer, x: Tensor) -> tuple[Tensor, Tensor] | None:
        spec = layer.spline_spec()
        entry = self._entries.get(id(layer))
        if (entry is not None and entry[0] is layer and entry[1] is x
                and entry[2] == x._version and entry[3] is spec):
            return entry[4], entry[5]
        layer.check_input(x)
        feats = layer.features(x)
        if feats.requires_grad:  # the features depend on trainable tensors: nothing to keep
            return None
        gram = feature_gram(feats)  # (in, S, S)
        self._entries[id(layer)] = (layer, x, x._version, spec, feats, gram)
        return feats, gram


def _edges_and_rms(layer, x: Tensor, cache: MagnitudeCache | None) -> tuple[Tensor, Tensor]:
    """Layer output ``(B, out)`` and edge RMS ``(out, in)``."""
    if x.dim() != 2:
        return layer.forward_and_rms(x)
    kept = cache.get(layer, x) if cache is not None and not x.requires_grad else None
    w = layer.feature_weight()  # (out, in, S)
    if kept is not None:
        feats, gram = kept
        y = F.linear(feats.flatten(1), w.flatten(1))
        ms = edge_mean_squares(w, gram)
    elif layer.out_features <= w.shape[-1]:
        layer.check_input(x)
        feats = layer.features(x)  # (B, in, S)
        edges = edge_values(feats, w, BROADCAST_LIMIT)
        y, ms = edges.sum(-1), edges.pow(2).mean(0)
    else:
        return layer.forward_and_rms(x)
    return y, rms_from_mean_squares(ms)


def _measured_edges(layer, x: Tensor, metric: str, n_factors: int) -> tuple[Tensor, Tensor]:
    """Layer output ``(B, out)`` and its edges' magnitudes ``(out, in)`` by ``metric``
    (:func:`kanlab.train._regularization.edge_magnitudes`; its last ``n_factors`` outputs by
    their spread)."""
    layer.check_input(x)
    feats, w = layer.features(x), layer.feature_weight()  # (B, in, S), (out, in, S)
    # the magnitudes' graph first: the order in which backward sums the features' two
    # gradients follows it, and a fit's later steps follow those last bits
    mag = edge_magnitudes(feats, w, x, metric, n_factors)
    return F.linear(feats.flatten(1), w.flatten(1)), mag


def _spread_outputs(model, l: int) -> int:
    """How many of layer ``l``'s last outputs ``"edge_rms_std_mult"`` measures by their spread:
    the factors of its level's products, and every output of the last layer, whose offset
    feeds no grid (see :mod:`kanlab.train._regularization`)."""
    if l == model.depth - 1:
        return model.layers[l].out_features
    return sum(model.arities[l + 1])


def forward_with_magnitudes(model, x: Tensor, cache: MagnitudeCache | None = None,
                            reg_metric: str = "edge_rms") -> tuple[Tensor, list[Tensor]]:
    """Output and every layer's edge magnitudes (``(out, in)`` each), see the module doc.

    ``reg_metric`` not measuring the RMS (pykan's std metrics, see
    :func:`kanlab.train._regularization.edge_magnitudes`) takes the plain route.
    """
    mags, sub_stds = [], []
    kind = REG_METRICS[reg_metric][0]
    backward = kind in BACKWARD_KINDS  # spreads first, then pykan's attribution scores
    metric = "edge_forward_spline_u" if backward else reg_metric

    def edges(layer, x: Tensor, n_factors: int) -> Tensor:
        if kind == "rms" or (kind == "rms_std_mult" and not n_factors):
            y, rms = _edges_and_rms(layer, x, cache)
            mags.append(rms)
            return y
        y, mag = _measured_edges(layer, x, metric, n_factors)
        mags.append(mag)
        return y

    def run(l: int, x: Tensor) -> Tensor:
        n_factors = _spread_outputs(model, l)
        y = model.layer_output(l, x, lambda layer, x: edges(layer, x, n_factors))
        if backward:
            sub_stds.append(y.detach().std(0, unbiased=False))  # a constant, as pykan's
        return y

    pred = model.forward_layers(x, run)
    if backward:
        mags = backward_magnitudes(model, kind, mags, sub_stds)
    return pred, mags


def forward_with_penalty(model, x: Tensor, cache: MagnitudeCache | None, lamb: float,
                         lamb_l1: float, lamb_entropy: float, reg_metric: str = "edge_rms"
                         ) -> tuple[Tensor, Tensor]:
    """Output and ``lamb · sparsity_penalty(magnitudes)``, each layer as one autograd node.

    The same value as :func:`forward_with_magnitudes` followed by
    :func:`kanlab.train._regularization.sparsity_penalty` (to rounding), for the
    RMS metrics; a layer outside the two cheap routes of :func:`_edges_and_rms`,
    the std metrics and ``"edge_rms_std_mult"``'s last layer (its spreads) take
    those functions.
    """
    kind, mass, bits = REG_METRICS[reg_metric]
    spread_last = kind == "rms_std_mult"  # the last layer's edges by their spread
    if kind == "rms_std_mult" and not any(model.arities):  # no products: edge_rms_sum1 below
        kind = "rms"
    if kind != "rms":
        pred, mags = forward_with_magnitudes(model, x, cache, reg_metric)
        return pred, lamb * sparsity_penalty(mags, lamb_l1, lamb_entropy, reg_metric)
    weights = (float(lamb), float(lamb_l1),
               lamb_entropy / math.log(2.0) if bits else float(lamb_entropy), float(mass))
    terms = []

    def edges(layer, x: Tensor) -> Tensor:
        if x.dim() == 2:
            kept = cache.get(layer, x) if cache is not None and not x.requires_grad else None
            w = layer.feature_weight()  # (out, in, S)
            if kept is not None:
                y, term = regularised_layer(kept[0], w, kept[1], weights)
                terms.append(term)
                return y
            if layer.out_features <= w.shape[-1]:
                layer.check_input(x)
                y, term = regularised_layer(layer.features(x), w, None, weights)
                terms.append(term)
                return y
        y, rms = layer.forward_and_rms(x)
        terms.append(lamb * sparsity_penalty([rms], lamb_l1, lamb_entropy, reg_metric))
        return y

    def spread_edges(layer, x: Tensor) -> Tensor:  # the last layer of "edge_rms_std_mult"
        y, mag = _measured_edges(layer, x, reg_metric, layer.out_features)
        terms.append(lamb * sparsity_penalty([mag], lamb_l1, lamb_entropy, reg_metric))
        return y

    def run(l: int, x: Tensor) -> Tensor:
        last = spread_last and l == model.depth - 1
        return model.layer_output(l, x, spread_edges if last else edges)

    pred = model.forward_layers(x, run)
    return pred, sum(terms[1:], terms[0]) if terms else pred.new_zeros(())

"""Attribution scores and pruning: read which edges and nodes matter, and drop the rest.

Attribution follows the KAN paper (Liu et al., 2024, and pykan 2.0's
``attribute``): on data, every edge's score is the standard deviation of its
output relative to that of the node it feeds, times the score of that node;
output nodes score 1, and a node's score is the sum of its outgoing edges'
scores, propagated from the outputs back to the inputs.  With several
outputs the scores are averaged over them.

:func:`prune` returns a genuinely smaller :class:`~kanlab.nn._network.KAN`:
hidden nodes below ``node_th`` are dropped (layer shapes shrink, their knots,
coefficients and symbolic edges are carried over) and edges below ``edge_th``
are masked.  The mean output of every dropped edge is added to a kept edge
into the same node, so dropping near-constant edges keeps the function.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from kanlab._validation import check_float, reference_batch
from kanlab.nn._edge_rms import edge_mean_squares, feature_gram
from kanlab.nn._layer import KANLayer
from kanlab.nn._symbolic_edges import SymbolicEdges
from kanlab.nn._structure_edits import edit_structure, handed_back_copy

__all__ = ["Attribution", "edge_moments", "attribute", "propagate_scores", "prune",
           "prune_input", "remove_edge", "remove_node"]


@dataclass
class Attribution:
    """Scores from :func:`attribute`.

    Attributes
    ----------
    edge_scores
        per layer ``(out_features, in_features)``.
    node_scores
        per node level ``(width[l],)``; ``node_scores[0]`` scores
        the inputs (the *feature score*), the last one the outputs (ones).
    edge_std
        per layer, the standard deviation of every edge's output.
    """

    edge_scores: list[Tensor]
    node_scores: list[Tensor]
    edge_std: list[Tensor]

    @property
    def feature_score(self) -> Tensor:
        return self.node_scores[0]


def edge_moments(layer: KANLayer, symbolic: SymbolicEdges, x: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and standard deviation of every edge's output over the batch ``x``.

    Parameters
    ----------
    x
        ``(B, in_features)``.

    Returns
    -------
    tuple[Tensor, Tensor]
        ``(mean, std)``, each ``(out_features, in_features)``.  The spline
        branch is reduced through the per-input covariance of the features
        (no ``(B, out, in)`` tensor); symbolic edges are evaluated directly.
    """
    feats = layer.features(x)  # (B, in, F)
    mean_f = feats.mean(0)  # (in, F)
    centred = feats - mean_f
    cov = feature_gram(centred)  # (in, F, F)
    w = layer.feature_weight()  # (out, in, F)
    var = edge_mean_squares(w, cov)
    mean = torch.einsum("oif,if->oi", w, mean_f)
    for outs, ins, values in symbolic.edge_outputs(x):  # values (B, E)
        edges = (torch.tensor(outs, device=var.device), torch.tensor(ins, device=var.device))
        var = var.index_put(edges, values.var(0, unbiased=False), accumulate=True)
        mean = mean.index_put(edges, values.mean(0), accumulate=True)
    return mean, var.sqrt()


@torch.no_grad()
def attribute(model, x: Tensor | None = None, out_score: Tensor | None = None) -> Attribution:
    """Edge and node scores of ``model`` on ``x`` (default: ``model.reference_input``).

    ``out_score`` ``(width[L],)`` weighs the outputs (pykan's ``out_score``; default: all 1):
    the scores are the mean over outputs of each output's scores times its weight."""
    x = reference_batch(model, x)
    inputs = model.forward_with_inputs(x)[1] if x is not None else None
    stds = [edge_moments(layer, sym, xi)[1]
            for layer, sym, xi in zip(model.layers, model.symbolic, inputs)]
    n_out = model.n_nodes[-1]
    if out_score is None:
        score = torch.eye(n_out, dtype=x.dtype, device=x.device)  # (target, width[L])
    else:
        w = torch.as_tensor(out_score, dtype=x.dtype, device=x.device)
        if w.shape != (n_out,):
            raise ValueError(f"out_score must have one weight per output, shape ({n_out},), "
                             f"got {tuple(w.shape)}")
        score = torch.diag(w)
    sub_stds = [model.layer_output(l, xi).std(0, unbiased=False) for l, xi in enumerate(inputs)]
    edge_all, node_all = propagate_scores(model, stds, sub_stds, score)
    return Attribution([e.mean(0) for e in edge_all], [s.mean(0) for s in node_all], stds)


def propagate_scores(model, stds: list[Tensor], sub_stds: list[Tensor], score: Tensor,
                     top: int | None = None) -> tuple[list[Tensor], list[Tensor]]:
    """Scores of level ``top`` (default: the outputs) carried down to the inputs.

    ``stds[l]`` ``(out_l, in_l)``: every edge's output spread; ``sub_stds[l]`` ``(out_l,)``:
    every output (subnode) of layer ``l``; ``score`` ``(target, width[top])``: each target's
    node scores at level ``top``.  An edge scores its spread over its subnode's, times the
    subnode's score (a multiplication node passes its score to each factor); a node scores
    the sum of its outgoing edges'.  Returns the edge scores ``(target, out_l, in_l)`` of the
    layers below ``top`` and the node scores ``(target, width[l])`` of levels ``0 .. top``.
    Differentiable in ``stds`` and ``sub_stds`` (a training penalty reads it too).
    """
    top = model.depth if top is None else top
    node_all, edge_all = [score], []
    for l in reversed(range(top)):
        sub_score = score[:, _sub_index(model, l + 1, score.device)]  # (target, out_l)
        sub_std = sub_stds[l]
        eps = 1e-4 * sub_std.detach().max().clamp_min(1e-30)  # scale-free guard against 0/0
        ratio = stds[l] / (sub_std + eps).unsqueeze(-1)  # (out_l, in_l)
        edge = sub_score.unsqueeze(-1) * ratio.unsqueeze(0)  # (target, out_l, in_l)
        score = edge.sum(1)  # (target, in_l)
        edge_all.insert(0, edge)
        node_all.insert(0, score)
    return edge_all, node_all


def _sub_index(model, level: int, device) -> Tensor:
    return torch.tensor(model.subnode_to_node(level), device=device)


def remove_edge(model, l: int, i: int, j: int) -> None:
    """Mask the edge from node ``i`` of level ``l`` to node ``j`` of level ``l + 1`` (in place)."""
    if not 0 <= l < model.depth:
        raise ValueError(f"layer index l must be in [0, {model.depth}), got {l}")
    layer = model.layers[l]
    if not (0 <= i < layer.in_features and 0 <= j < layer.out_features):
        raise ValueError(f"layer {l} has edges i in [0, {layer.in_features}) -> j in "
                         f"[0, {layer.out_features}), got ({i}, {j})")
    # the node as it is without the edge, offsets included (kanlab.nn._structure_edits)
    with edit_structure(model), torch.no_grad():
        layer.mask[j, i] = 0.0
        model.symbolic[l].clear_edge(i, j)


def remove_node(model, l: int, i: int) -> None:
    """Mask every edge into and out of node ``i`` of level ``l`` (0 = inputs; in place)."""
    width = model.n_nodes
    if not 0 <= l < len(width) or not 0 <= i < width[l]:
        raise ValueError(f"node ({l}, {i}) does not exist in a KAN of width {width}")
    if l < model.depth:
        for j in range(width[l + 1]):
            remove_edge(model, l, i, j)
    if l > 0:
        for h in range(width[l - 1]):
            remove_edge(model, l - 1, h, i)


def _keep_nodes(scores: Tensor, th: float) -> list[int]:
    keep = (scores > th).nonzero().flatten().tolist()
    return keep or [int(scores.argmax())]  # a layer needs at least one node


@torch.no_grad()
def prune(model, x: Tensor | None = None, node_th: float = 1e-2, edge_th: float = 3e-2):
    """A smaller copy of ``model`` without the hidden nodes and edges that do not matter.

    Parameters
    ----------
    x
        data the scores are computed on, ``(N, n_in)``; default
        ``model.reference_input`` (the training inputs of the last ``fit``).
    node_th
        hidden nodes whose score is at most this are removed (each
        hidden layer keeps at least its best node).
    edge_th
        edges whose score is at most this are masked.

    Returns
    -------
    KAN
        A new ``KAN`` whose hidden widths count the kept nodes; inputs and
        outputs are kept (see :func:`prune_input` for inputs).  The model
        itself is not modified.
    """
    return _subnetwork(model, *prune_plan(model, x, node_th, edge_th))


@torch.no_grad()
def prune_plan(model, x: Tensor | None = None, node_th: float = 1e-2, edge_th: float = 3e-2
               ) -> tuple[Tensor, list[list[int]], list[Tensor]]:
    """What :func:`prune` keeps: ``(x, kept, edge_keep)``, the data scored on, the nodes
    kept at every level (inputs and outputs whole) and a boolean ``(out, in)`` mask of the
    edges kept per layer."""
    _check_threshold("node_th", node_th)
    _check_threshold("edge_th", edge_th)
    x = reference_batch(model, x)
    scores = attribute(model, x)
    kept = [list(range(model.n_nodes[0]))]
    kept += [_keep_nodes(s, node_th) for s in scores.node_scores[1:-1]]
    kept.append(list(range(model.n_nodes[-1])))
    edge_keep = [s > edge_th for s in scores.edge_scores]
    return x, kept, edge_keep


@torch.no_grad()
def prune_input(model, x: Tensor | None = None, threshold: float = 1e-2,
                active_inputs: Sequence[int] | None = None):
    """A copy of ``model`` without the inputs whose feature score is at most ``threshold``.

    ``active_inputs`` (indices into the current inputs) overrides the scores; with it, a
    model that has seen no data (``x`` None, no ``reference_input``) is pruned as pykan
    prunes it: the dropped inputs' edges are removed outright (with data, their mean output
    is folded into the kept edges, as :func:`prune` does).  The new model's ``input_ids`` say which columns of the original data it
    takes: call it on ``x[:, new.input_ids]`` when ``x`` has the original columns
    (``input_ids`` is relative to the very first model when pruned repeatedly).
    """
    if active_inputs is None or x is not None or model.reference_input is not None:
        x = reference_batch(model, x)
    if active_inputs is None:
        _check_threshold("threshold", threshold)
        keep_in = _keep_nodes(attribute(model, x).node_scores[0], threshold)
    else:
        keep_in = sorted({int(i) for i in active_inputs})
        if not keep_in or keep_in[0] < 0 or keep_in[-1] >= model.n_nodes[0]:
            raise ValueError(f"active_inputs must be non-empty indices in [0, {model.n_nodes[0]}), "
                             f"got {list(active_inputs)}")
    kept = [keep_in] + [list(range(w)) for w in model.n_nodes[1:]]
    edge_keep = [torch.ones_like(layer.mask, dtype=torch.bool) for layer in model.layers]
    new = _subnetwork(model, x, kept, edge_keep, [model.input_ids[i] for i in keep_in])
    if model.reference_input is not None:
        new.reference_input = model.reference_input[:, keep_in]
    return new


def _check_threshold(name: str, value) -> None:
    check_float(value, name, low=0.0, finite=False)


def _subnetwork(model, x: Tensor | None, kept: list[list[int]], edge_keep: list[Tensor],
                input_ids: list[int] | None = None):
    """Copy ``model`` keeping the nodes ``kept[l]`` of every level and the edges ``edge_keep``.

    The mean output of every dropped edge into a kept node is folded into a
    kept edge of that node, so removing near-constant edges keeps the function (without
    data, ``x`` None, nothing is folded).
    """
    from kanlab.nn._network import KAN
    reference_input = model.reference_input
    model = handed_back_copy(model)  # the copy records no moved offsets: hand them back
    config = model.get_config()
    spec = [_kept_spec(model, level, nodes) for level, nodes in enumerate(kept)]
    config.update(width=spec, dtype=model.dtype, input_ids=input_ids or model.input_ids,
                  mult_arity=[_kept_arities(model, level, nodes)
                              for level, nodes in enumerate(kept)])
    if config["base_fun"] == "custom":
        config["base_fun"] = model.layers[0].base_fun
    new = KAN(**config, device=model.device)
    inputs = model.forward_with_inputs(x)[1] if x is not None else None
    for l, (old, sym) in enumerate(zip(model.layers, model.symbolic)):
        ins = torch.tensor(kept[l], device=old.mask.device)
        owner = model.subnode_to_node(l + 1)
        outs = torch.tensor([s for s, n in enumerate(owner) if n in set(kept[l + 1])],
                            device=old.mask.device)
        active = (old.mask != 0) | (sym.mask != 0)
        keep = torch.zeros_like(active)
        keep[outs.unsqueeze(1), ins] = edge_keep[l][outs.unsqueeze(1), ins]
        keep &= active
        if inputs is None:
            dropped = old.scale_base.new_zeros(old.out_features)
        else:
            mean, _ = edge_moments(old, sym, inputs[l])  # (out, in) of the old layer
            dropped = (mean * (active & ~keep)).sum(1)  # (old out,) mean lost by every node
        _copy_layer(old, sym, new.layers[l], new.symbolic[l], outs, ins, keep[outs][:, ins])
        _fold_offsets(new.layers[l], new.symbolic[l], dropped[outs])
        if model.affines is not None:  # the kept subnodes' and nodes' affine maps
            new.affines[l] = model.affines[l].taken(outs.tolist(), kept[l + 1])
    new.reference_input = reference_input
    return new


def _kept_spec(model, level: int, nodes: list[int]):
    """pykan width entry of ``level`` keeping ``nodes``: ``n`` or ``[n_add, n_mult]``."""
    n_mult = len(model.arities[level])
    n_add = model.n_nodes[level] - n_mult
    mult = sum(1 for n in nodes if n >= n_add)
    return len(nodes) if n_mult == 0 else [len(nodes) - mult, mult]


def _kept_arities(model, level: int, nodes: list[int]) -> list[int]:
    """Arities of the multiplication nodes among ``nodes`` of ``level``."""
    n_add = model.n_nodes[level] - len(model.arities[level])
    return [model.arities[level][n - n_add] for n in nodes if n >= n_add]


def _copy_layer(old: KANLayer, sym: SymbolicEdges, layer: KANLayer, new_sym: SymbolicEdges,
                outs: Tensor, ins: Tensor, keep: Tensor) -> None:
    rows = (outs.unsqueeze(1), ins)
    layer.set_grid(old.knots[ins], old.coef[rows])
    layer.extrapolate = old.extrapolate
    layer.grid_eps = old.grid_eps
    layer.scale_base.copy_(old.scale_base[rows])
    layer.scale_sp.copy_(old.scale_sp[rows])
    layer.mask.copy_(old.mask[rows] * keep)
    new_sym.affine.copy_(sym.affine[rows])
    new_sym.mask.copy_(sym.mask[rows] * keep)
    new_sym.code.copy_(torch.where(keep, sym.code[rows], -1))
    new_sym.custom = {(b, a): sym.custom[(i, j)] for a, j in enumerate(outs.tolist())
                      for b, i in enumerate(ins.tolist()) if (i, j) in sym.custom and keep[a, b]}
    new_sym.regroup()


def _fold_offsets(layer: KANLayer, sym: SymbolicEdges, offset: Tensor) -> None:
    """Add ``offset[j]`` to one kept edge into every node ``j`` (a constant shift of an
    edge is a shift along its basis's constant function: all B-spline coefficients,
    by the partition of unity, or the constant term of the other bases)."""
    unit = layer.edge_basis.unit(layer.n_basis, dtype=layer.coef.dtype, device=layer.coef.device)
    for j, value in enumerate(offset.tolist()):
        if value == 0.0:
            continue
        spline = ((layer.mask[j] != 0) & (layer.scale_sp[j] != 0)).nonzero().flatten()
        if len(spline):
            i = int(spline[0])
            layer.coef[j, i] += unit * (value / layer.scale_sp[j, i])
            continue
        symbolic = (sym.mask[j] != 0).nonzero().flatten()
        if len(symbolic):
            sym.affine[j, int(symbolic[0]), 3] += value

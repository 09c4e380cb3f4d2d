"""pykan's structural methods: scores per node, node pruning, modes, perturbation,
node swaps (which inputs act together: :mod:`._interactions`; widening and deepening:
:mod:`._growth`).

Each works on kanlab's tensors (``layer.mask``, ``layer.coef``, ``symbolic``)
and keeps kanlab's invariants (a symbolic edge's spline mask is 0, the
symbolic groups are rebuilt after a change).
"""
from __future__ import annotations

import itertools
import warnings

import torch

from kanlab.nn import attribute as _attribute
from kanlab.nn import remove_edge as _remove_edge
from kanlab.nn._pruning import edge_moments

__all__ = ["attribute", "prune_node", "remove_node", "set_mode", "perturb", "swap",
           "connection_cost", "auto_swap", "auto_swap_l"]


@torch.no_grad()
def attribute(model, l=None, i=None, plot=True, out_score=None):
    """pykan's ``attribute``: the node and edge scores, set on the model (the outputs weighed
    by ``out_score``, as pykan's, when ``l`` is ``None``); with ``l`` the input scores of each
    node of level ``l`` (a ``[width[l], width[0]]`` tensor), with ``l, i`` those of node ``i``
    alone.  As in pykan, a node's input scores are weighted by that node's own score, so an
    idle node's inputs score near zero."""
    x = model._data(None)
    scores = _attribute(model, x, out_score if l is None else None)
    model.node_scores = scores.node_scores
    model.edge_scores = scores.edge_scores
    # pykan's subnode scores: each node's score at every subnode feeding it (a
    # multiplication node's at each of its arity inputs), per layer's outputs
    model.subnode_scores = [s[torch.tensor(model.subnode_to_node(l + 1), device=s.device)]
                            for l, s in enumerate(scores.node_scores[1:])]
    if l is None:
        return None
    l = int(l)
    sizes = [len(s) for s in scores.node_scores]  # nodes per level
    if not 0 <= l < len(sizes):
        raise ValueError(f"level {l} does not exist in a KAN of {sizes} nodes per level")
    if i is not None and not 0 <= int(i) < sizes[l]:
        raise ValueError(f"node ({l}, {i}) does not exist in a KAN of {sizes} nodes per level")
    # propagate each node's own score at level l down to the inputs, as the scores above
    # propagate the outputs' (rows: the nodes of level l)
    _, inputs = model.forward_with_inputs(x)
    score = torch.diag(scores.node_scores[l].to(x.dtype))
    for level in reversed(range(l)):
        std = edge_moments(model.layers[level], model.symbolic[level], inputs[level])[1]
        sub = score[:, torch.tensor(model.subnode_to_node(level + 1), device=x.device)]
        sub_std = model.layer_output(level, inputs[level]).std(0, unbiased=False)
        eps = 1e-4 * float(sub_std.max().clamp_min(1e-30))
        score = (sub.unsqueeze(-1) * (std / (sub_std + eps).unsqueeze(-1)).unsqueeze(0)).sum(1)
    if i is None:
        return score
    result = score[int(i)]
    if plot:
        import matplotlib.pyplot as plt
        plt.figure()
        plt.bar(range(len(result)), result.cpu().numpy())
        plt.xlabel("input")
        plt.ylabel("score")
    return result


def _kept_ids(active_neurons_id, level: int, width: list[int]) -> list[int]:
    """The nodes ``active_neurons_id`` keeps at hidden ``level`` (its entry ``level - 1``)."""
    hidden = len(width) - 2
    if len(active_neurons_id) < hidden:
        raise ValueError(f"active_neurons_id needs one list of kept nodes per hidden level "
                         f"({hidden} for width {width}), got {len(active_neurons_id)}")
    ids = [int(v) for v in active_neurons_id[level - 1]]
    bad = [v for v in ids if not 0 <= v < width[level]]
    if bad:
        raise ValueError(f"active_neurons_id keeps nodes {bad} at level {level}, which has "
                         f"{width[level]} nodes (width {width})")
    return ids


@torch.no_grad()
def prune_node(model, threshold=1e-2, mode="auto", active_neurons_id=None, log_history=True,
               switch_off=True):
    """A copy keeping the hidden nodes scored above ``threshold`` (or ``active_neurons_id``);
    ``switch_off``: the dropped nodes removed in ``model`` too, as pykan 0.2.8's."""
    from kanlab.nn._pruning import _subnetwork
    from kanlab.pykan._model import adopt
    x = model._data(None)
    scores = _attribute(model, x)
    kept = [list(range(model.n_nodes[0]))]
    for level, s in enumerate(scores.node_scores[1:-1], start=1):
        if active_neurons_id is not None:  # pykan: given ids mean mode "manual"
            ids = _kept_ids(active_neurons_id, level, model.n_nodes)
            keep = sorted(ids) or [int(s.argmax())]
        else:
            keep = (s > float(threshold)).nonzero().flatten().tolist() or [int(s.argmax())]
        kept.append(keep)
    kept.append(list(range(model.n_nodes[-1])))
    edges = [torch.ones_like(layer.mask, dtype=torch.bool) for layer in model.layers]
    new = adopt(_subnetwork(model, x, kept, edges), model)
    if switch_off:
        switch_off_dropped_nodes(model, kept)
    new.logged(log_history, "prune_node")
    return new


def switch_off_dropped_nodes(model, kept: list[list[int]]) -> None:
    """pykan's ``prune_node`` (so ``prune``) also removes, in the model it prunes, every hidden
    node it drops (``remove_node``: the masks of its edges set to 0), so code that keeps the
    pruned model's original (``model.prune()`` without taking the result, then
    ``auto_symbolic`` and ``symbolic_formula`` on ``model``) works on that function there."""
    for level in range(1, len(kept) - 1):
        for i in range(model.n_nodes[level]):
            if i not in kept[level]:
                remove_node(model, level, i)


def remove_node(model, l, i, mode="all") -> None:
    """Switch off node ``(l, i)``'s edges: those above it (``'up'``, out of the node), below
    it (``'down'``, into it) or both (any other ``mode``), as pykan's."""
    width = model.n_nodes
    if not 0 <= l < len(width) or not 0 <= i < width[l]:
        raise ValueError(f"node ({l}, {i}) does not exist in a KAN of width {width}")
    if mode != "down" and l < model.depth:
        for j in range(model.layers[l].out_features):
            _remove_edge(model, l, i, j)
    if mode != "up" and l > 0:
        for s, node in enumerate(model.subnode_to_node(l)):
            if node == i:
                for h in range(width[l - 1]):
                    _remove_edge(model, l - 1, h, s)


@torch.no_grad()
def set_mode(model, l, i, j, mode, mask_n=None) -> None:
    """``'n'``: spline only; ``'s'``: symbolic only; ``'ns'``/``'sn'``: both, the spline's
    mask ``mask_n`` (default 1, as pykan's); ``'0'``: none."""
    if mode not in ("n", "s", "ns", "sn", "0"):
        raise ValueError(f"mode must be 'n', 's', 'ns', 'sn' or '0', got {mode!r}")
    with model.edit_structure():  # the edit sees nodes unmoved (kanlab.nn._structure_edits)
        layer, sym = model.layers[l], model.symbolic[l]
        if "s" in mode and int(sym.code[j, i]) == -1:
            # pykan's edge that was never fixed holds its zero function ('0', affine all zero):
            # switched on, its symbolic branch adds nothing
            from kanlab.symbolic import LIBRARY
            sym.set_edge(i, j, LIBRARY["0"], (0.0, 0.0, 0.0, 0.0))
        both = mode in ("ns", "sn") and mask_n is not None
        layer.mask[j, i] = float(mask_n) if both else 1.0 if "n" in mode else 0.0
        sym.mask[j, i] = 1.0 if "s" in mode else 0.0
        sym.regroup()


# Which edges get their spline switched on (mask = mag), by kind: "aa_a" a symbolic edge
# between nodes that both have symbolic edges, "aa_i" a non-symbolic edge between such
# nodes, "ai"/"ia"/"ii" edges whose input/output node has (a) or has no (i) symbolic edge.
_PERTURBED = {"all": {"aa_a", "aa_i", "ai", "ia", "ii"},
              "non-intrusive": {"ai", "ii"},
              "minimal": {"aa_a"}}


@torch.no_grad()
def perturb(model, mag=1.0, mode="non-intrusive") -> None:
    """Switch on the splines of chosen edges next to their symbolic functions, so that a
    compiled (symbolic) network becomes trainable: pykan's ``perturb``.

    Each edge is classed by whether its input node and its output node have a symbolic
    edge in that layer (and, when both do, whether the edge itself is symbolic); the
    edges of the classes ``mode`` names (:data:`_PERTURBED`) get spline mask ``mag``.
    In the last layer ``'non-intrusive'`` instead switches on every edge's spline with
    zero weights (mask 1, ``scale_base = scale_sp = 0``): the output is unchanged and
    the splines are trainable from there.

    ``mode='best'`` (an older pykan's name, used by its Physics_1 notebook; pykan 0.2.8
    rejects it) is taken as ``'non-intrusive'``, with a FutureWarning.
    """
    if mode == "best":
        warnings.warn("perturb(mode='best') is an older pykan's name; it is taken as "
                      "'non-intrusive'", FutureWarning, stacklevel=3)
        mode = "non-intrusive"
    if mode not in _PERTURBED:
        raise ValueError(f"mode must be 'non-intrusive', 'minimal', 'all' (or 'best'), "
                         f"got {mode!r}")
    with model.edit_structure():  # the edit sees nodes unmoved (kanlab.nn._structure_edits)
        depth = len(model.layers)
        for l, (layer, sym) in enumerate(zip(model.layers, model.symbolic)):
            names, on = sym.names, (sym.mask != 0).tolist()
            active = torch.tensor([[on[j][i] and names[j][i] not in (None, "0")
                                    for i in range(layer.in_features)]
                                   for j in range(layer.out_features)], dtype=torch.bool,
                                  device=layer.mask.device)
            if active.numel() == 0:
                continue
            if l == depth - 1 and mode == "non-intrusive":
                layer.mask.fill_(1.0)
                layer.scale_base.zero_()
                layer.scale_sp.zero_()
                continue
            in_a = active.any(0, keepdim=True).expand_as(active)  # the edge's input node has one
            out_a = active.any(1, keepdim=True).expand_as(active)  # ... its output node has one
            kinds = {"aa_a": in_a & out_a & active, "aa_i": in_a & out_a & ~active,
                     "ai": in_a & ~out_a, "ia": ~in_a & out_a, "ii": ~in_a & ~out_a}
            chosen = torch.stack([kinds[k] for k in _PERTURBED[mode]]).any(0)
            layer.mask[chosen] = float(mag)


@torch.no_grad()
def swap(model, l, i1, i2) -> None:
    """Exchange addition nodes ``i1`` and ``i2`` of hidden level ``l`` (the function is kept)."""
    if not 0 < l < len(model.n_nodes) - 1:
        raise ValueError(f"l must be a hidden level in [1, {len(model.n_nodes) - 1}), got {l}")
    n_add = model.width[l][0]
    if not (0 <= i1 < n_add and 0 <= i2 < n_add):
        raise ValueError(f"swap exchanges addition nodes in [0, {n_add}), got {i1}, {i2}")
    with model.edit_structure():  # the edit sees nodes unmoved (kanlab.nn._structure_edits)
        perm = list(range(model.layers[l - 1].out_features))
        perm[i1], perm[i2] = perm[i2], perm[i1]
        _permute(model.layers[l - 1], model.symbolic[l - 1], perm, dim=0)
        perm = list(range(model.layers[l].in_features))
        perm[i1], perm[i2] = perm[i2], perm[i1]
        _permute(model.layers[l], model.symbolic[l], perm, dim=1)
        if model.affines is not None:  # addition nodes: subnode i is node i
            model.affines[l - 1] = model.affines[l - 1].taken(perm[:n_add] + list(range(
                n_add, model.layers[l - 1].out_features)), perm)


def _permute(layer, sym, perm, dim) -> None:
    idx = torch.tensor(perm, device=layer.coef.device)
    if dim == 1:
        layer.set_grid(layer.knots[idx], layer.coef[:, idx])
    else:
        layer.set_grid(layer.knots, layer.coef[idx])
    for name in ("scale_base", "scale_sp", "mask"):
        getattr(layer, name).copy_(getattr(layer, name).index_select(dim, idx))
    for name in ("mask", "code"):
        getattr(sym, name).copy_(getattr(sym, name).index_select(dim, idx))
    sym.affine.data.copy_(sym.affine.index_select(dim, idx))
    where = {old: new for new, old in enumerate(perm)}
    sym.custom = {((i, where[j]) if dim == 0 else (where[i], j)): c  # keys: (input, output)
                  for (i, j), c in sym.custom.items()}
    sym.regroup()


@torch.no_grad()
def connection_cost(model) -> float:
    """Sum over edges of score × horizontal distance (nodes evenly spaced in ``[0, 1]``)."""
    model.attribute()
    cost = 0.0
    for l, s in enumerate(model.edge_scores):
        n_in = s.shape[1]
        # on the host, as s.cpu() below
        xi = (torch.arange(n_in, dtype=s.dtype, device="cpu") + 0.5) / n_in
        owner = torch.tensor(model.subnode_to_node(l + 1), device="cpu")
        xo = (owner.to(s.dtype) + 0.5) / model.n_nodes[l + 1]
        cost += float((s.cpu() * (xo[:, None] - xi[None, :]).abs()).sum())
    return cost


def auto_swap(model) -> None:
    """Greedily swap hidden nodes while the connection cost falls (pykan's layout clean-up)."""
    for l in range(1, len(model.n_nodes) - 1):
        n_add = model.width[l][0]
        improved = True
        while improved:
            improved = False
            best = connection_cost(model)
            for i1, i2 in itertools.combinations(range(n_add), 2):
                swap(model, l, i1, i2)
                cost = connection_cost(model)
                if cost < best - 1e-12:
                    best, improved = cost, True
                else:
                    swap(model, l, i1, i2)


def auto_swap_l(model, l: int) -> None:
    """pykan's greedy pass over hidden level ``l``: node ``i`` (each in turn) is swapped with
    the node ``j`` whose swap gives the lowest :func:`connection_cost` (``j = i``: no swap)."""
    if not 0 < l < len(model.n_nodes) - 1:
        raise ValueError(f"l must be a hidden level in [1, {len(model.n_nodes) - 1}), got {l}")
    n_add = model.width[l][0]
    for i in range(n_add):
        costs = []
        for j in range(n_add):
            swap(model, l, i, j)
            costs.append(connection_cost(model))
            swap(model, l, i, j)
        swap(model, l, i, min(range(n_add), key=costs.__getitem__))

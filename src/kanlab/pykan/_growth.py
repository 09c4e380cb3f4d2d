"""pykan's widening and deepening: ``expand_depth`` and ``expand_width``.

Each works on kanlab's tensors (``layer.mask``, ``layer.coef``, ``symbolic``, the
node affine maps where the model has them): a new layer computes the identity, and
the edges out of a new node start at zero weight unless ``perturb`` asks otherwise.
"""
from __future__ import annotations

import torch

from kanlab.nn import KANLayer, SymbolicEdges

__all__ = ["expand_depth", "expand_width"]


def _new_layer(model, n_in, n_out, identity=False):
    """A layer and its symbolic edges like the model's last (grid, degree, base function);
    with ``identity`` every spline off and a symbolic ``x`` edge from node ``j`` to ``j``."""
    ref = model.layers[-1]
    layer = KANLayer(n_in, n_out, ref.grid, ref.k, base_fun=ref.base_fun if ref.base_fun_name ==
                     "custom" else ref.base_fun_name, noise_scale=model.noise_scale,
                     generator=torch.Generator().manual_seed(int(model.seed)),
                     device=ref.knots.device, dtype=ref.knots.dtype)
    layer.scale_base.requires_grad_(ref.scale_base.requires_grad)
    layer.scale_sp.requires_grad_(ref.scale_sp.requires_grad)
    sym = SymbolicEdges(n_in, n_out, device=ref.knots.device, dtype=ref.knots.dtype)
    if identity:  # y_j = x_j, a symbolic identity edge per node
        from kanlab.symbolic import LIBRARY
        with torch.no_grad():
            layer.mask.zero_()
            for j in range(min(n_in, n_out)):
                sym.set_edge(j, j, LIBRARY["x"], (1.0, 0.0, 1.0, 0.0))
    return layer, sym


def expand_depth(model) -> None:
    """Append a layer computing the identity on every output (symbolic ``x`` edges)."""
    with model.edit_structure():  # the rule for every edit (kanlab.nn._structure_edits)
        n = model.n_nodes[-1]
        # continued linearly, as every layer that expand_width/expand_depth/perturb makes (giving
        # them the model's quadratic continuation cost Physics_4A its formula: ×2.7 at cell 9)
        layer, sym = _new_layer(model, n, n, identity=True)
        if not isinstance(model.extrapolate, str):  # one continuation per layer
            model.extrapolate = list(model.extrapolate) + [layer.extrapolate]
        model.layers.append(layer)
        model.symbolic.append(sym)
        model.arities.append([])
        if model.affines is not None:  # the new level's maps start at the identity, as pykan's
            model.affines.append(model.affines[-1].inserted(range(n), range(n), n_old=(0, 0)))


@torch.no_grad()
def expand_width(model, layer_id, n_added_nodes, sum_bool=True, mult_arity=2,
                 perturb=False) -> None:
    """Add ``n_added_nodes`` nodes to level ``layer_id`` (the function kept unless ``perturb``).

    At a hidden level, addition nodes (``sum_bool=True``) go after the level's
    addition nodes, multiplication nodes (``sum_bool=False``, ``mult_arity`` an int
    or one arity per new node) after its multiplication nodes; the edges into a new
    node start as a new layer's (so the node carries a signal).  At level 0 the new
    nodes are inputs put first, where :func:`kanlab.pykan.utils.augment_input` puts
    its columns (a later pykan's ``expand_width(0, n)``); ``input_ids`` shift to
    match and the last data seen is dropped (it has the old columns).

    The edges out of a new node start at zero with their spline weight on, so the
    model computes the same function and the new edges train; with ``perturb`` they
    start as a new layer's edges instead (base function and spline noise, as
    :func:`perturb` switches them on), so the new node is used from the first step.
    """
    with model.edit_structure():  # the records index the nodes before the new ones
        n = n_added_nodes
        if n < 1:
            raise ValueError(f"n_added_nodes must be >= 1, got {n}")
        if layer_id == 0:
            if not sum_bool:
                raise ValueError("inputs (layer_id=0) cannot be multiplication nodes: "
                                 "use sum_bool=True")
            _grow(model, 0, cols=list(range(n)), perturb=perturb)
            model.input_ids = list(range(n)) + [i + n for i in model.input_ids]
            model.reference_input = None
            return
        if not 0 < layer_id < model.depth:
            raise ValueError(f"layer_id must name a level in [0, {model.depth}), got {layer_id}")
        arities = model.arities[layer_id]
        n_add = model.n_nodes[layer_id] - len(arities)
        below, above = model.layers[layer_id - 1], model.layers[layer_id]
        if sum_bool:
            new_out = list(range(n_add, n_add + n))  # new subnodes of the layer below
            new_in = list(range(n_add, n_add + n))  # new nodes: inputs of the layer above
            added = []
        else:
            added = _new_arities(mult_arity, n)
            new_out = list(range(below.out_features, below.out_features + sum(added)))
            new_in = list(range(above.in_features, above.in_features + n))
        _grow(model, layer_id - 1, rows=new_out)
        _grow(model, layer_id, cols=new_in, perturb=perturb)
        model.arities[layer_id] = list(arities) + added
        if model.affines is not None:  # the new subnodes' and nodes' maps: the identity
            model.affines[layer_id - 1] = model.affines[layer_id - 1].inserted(new_out, new_in)


def _new_arities(mult_arity, n) -> list[int]:
    if isinstance(mult_arity, (list, tuple)):
        out = [int(a) for a in mult_arity]
        if len(out) != n:
            raise ValueError(f"mult_arity lists {len(out)} arities for {n} new nodes")
    else:
        out = [int(mult_arity)] * n
    if min(out) < 2:
        raise ValueError(f"a multiplication node multiplies at least 2 factors, got {out}")
    return out


def _grow(model, l, rows=(), cols=(), perturb=False) -> None:
    """Insert output rows / input columns (their indices in the grown layer) into layer ``l``;
    the edges out of a new column are zero, or with ``perturb`` the new layer's own."""
    old, old_sym = model.layers[l], model.symbolic[l]
    n_out, n_in = old.out_features + len(rows), old.in_features + len(cols)
    layer, sym = _new_layer(model, n_in, n_out)
    layer.grid_eps = old.grid_eps  # the grown layer keeps its own grid update setting
    if not isinstance(model.extrapolate, str):  # one continuation per layer: this one's
        model.extrapolate[l] = layer.extrapolate
    where = dict(dtype=torch.long, device=old.knots.device)
    keep_r = torch.tensor([r for r in range(n_out) if r not in set(rows)], **where)
    keep_c = torch.tensor([c for c in range(n_in) if c not in set(cols)], **where)
    grid = (keep_r[:, None], keep_c[None, :])
    knots = torch.empty(n_in, old.knots.shape[1], dtype=old.knots.dtype, device=old.knots.device)
    knots[keep_c] = old.knots
    if cols:  # a new input takes the knots of the input before it (or the first one)
        for c in cols:
            knots[c] = knots[c - 1] if c > 0 else old.knots[0]
    coef = layer.coef.detach().clone()
    scale_base = layer.scale_base.detach().clone()
    if not perturb:  # edges out of a new node: zero, so the function is kept
        coef[:, list(cols)] = 0.0
        scale_base[:, list(cols)] = 0.0
    coef[grid] = old.coef
    layer.set_grid(knots, coef)
    for name, fresh in (("scale_base", scale_base), ("scale_sp", layer.scale_sp.detach().clone()),
                        ("mask", torch.ones_like(layer.mask))):
        fresh[grid] = getattr(old, name)
        getattr(layer, name).copy_(fresh)
    sym.mask[grid] = old_sym.mask
    sym.code[grid] = old_sym.code
    sym.affine.data[grid] = old_sym.affine
    sym.custom = {(int(keep_c[i]), int(keep_r[j])): c for (i, j), c in old_sym.custom.items()}
    sym.regroup()
    model.layers[l] = layer
    model.symbolic[l] = sym

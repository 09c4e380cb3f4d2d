"""From splines to formulas: suggest, fix and read off symbolic edge functions.

Every edge ``(l, i, j)`` (node ``i`` of level ``l`` to node ``j`` of level
``l + 1``) is a learned 1-D function.  :func:`suggest_symbolic` fits
``c · f(a·x + b) + d`` for every candidate ``f`` of the library
(:mod:`kanlab.symbolic._library`, fitted by :mod:`kanlab.symbolic._fit`) to the
edge's values on data and ranks them; :func:`fix_symbolic` replaces the
spline by one of them (its constants stay trainable, so a later ``fit``
polishes them); :func:`auto_symbolic` does this for every edge; and
:func:`symbolic_formula` composes the network into one sympy expression per
output, after checking that the expression reproduces the network.
"""
from __future__ import annotations

import contextlib
import keyword

import warnings
from typing import Sequence

import torch
from torch import Tensor

from kanlab._validation import check_int, reference_batch

__all__ = ["edge_samples", "suggest_symbolic", "fix_symbolic", "unfix_symbolic",
           "auto_symbolic", "symbolic_formula"]


def _check_edge(model, l: int, i: int, j: int) -> None:
    try:
        l = check_int(l, "l", low=0, high=model.depth - 1)
    except ValueError:  # ArgumentTypeError too
        raise ValueError(f"layer index l must be an int in [0, {model.depth}), got {l!r}") from None
    layer = model.layers[l]
    try:
        check_int(i, "i", low=0, high=layer.in_features - 1)
        check_int(j, "j", low=0, high=layer.out_features - 1)
    except ValueError:
        raise ValueError(f"layer {l} has edges i in [0, {layer.in_features}) -> j in "
                         f"[0, {layer.out_features}), got ({i!r}, {j!r})") from None


def _editing(model):
    """The model's one way into an edit of its symbolic structure, ``model.edit_structure()``
    (:mod:`kanlab.nn._structure_edits`, a higher layer than this one): the symbolic offsets
    an L-BFGS fit moved are handed back on entry, so the edit sees every node as its
    writers compute it.  Nothing to enter for a model without one."""
    enter = getattr(model, "edit_structure", None)
    return enter() if enter is not None else contextlib.nullcontext()


def _data(model, x: Tensor | None) -> Tensor:
    return reference_batch(model, x)


@torch.no_grad()
def edge_samples(model, l: int, i: int, j: int, x: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """The spline of edge ``(l, i, j)`` sampled where the data put its input.

    Returns
    -------
    tuple[Tensor, Tensor]
        ``(inputs, values)``, each ``(N,)``: the edge's input ``x_i`` at level
        ``l`` for every sample of ``x`` and the spline branch's output there
        (``scale_base·b(x_i) + scale_sp·spline(x_i)``, ignoring the mask).
    """
    _check_edge(model, l, i, j)
    with _editing(model):  # the spline sees its node as it would unfixed
        _, inputs = model.forward_with_inputs(_data(model, x))
    layer, xl = model.layers[l], inputs[l]
    feats = layer.features(xl)[:, i, :]  # (N, S): base function first
    return xl[:, i], feats @ layer.feature_weight(masked=False)[j, i]


def suggest_symbolic(model, l: int, i: int, j: int, lib=None, topk: int = 5,
                     x: Tensor | None = None, a_range=None, b_range=None):
    """The ``topk`` best candidates for edge ``(l, i, j)``, best first (``a_range``,
    ``b_range``: bounds on ``a, b``, see :func:`kanlab.symbolic.fit_candidate`).

    Returns
    -------
    list of SymbolicFit
        A list of :class:`kanlab.symbolic._fit.SymbolicFit` (name, ``(a, b, c, d)``,
        R², complexity).
    """
    from kanlab.symbolic._fit import suggest
    xi, yi = edge_samples(model, l, i, j, x)
    return suggest(xi, yi, lib=lib, topk=topk, a_range=a_range, b_range=b_range)


@torch.no_grad()
def fix_symbolic(model, l: int, i: int, j: int, name, x: Tensor | None = None,
                 fit_params: bool = True, params: Sequence[float] | None = None,
                 a_range=None, b_range=None):
    """Make edge ``(l, i, j)`` compute ``c · f(a·x + b) + d`` instead of its spline.

    Parameters
    ----------
    name
        a name in the library, or a :class:`~kanlab.symbolic._library.Candidate`.
    fit_params
        fit ``a, b, c, d`` to the spline on ``x`` (default data:
        ``model.reference_input``); otherwise use ``params`` (default
        ``(1, 0, 1, 0)``).
    a_range, b_range
        None, or ``(low, high)`` bounds on the fitted ``a``, ``b`` (see
        :func:`kanlab.symbolic.fit_candidate`).

    Returns
    -------
    SymbolicFit or None
        The :class:`~kanlab.symbolic._fit.SymbolicFit` when fitted, else ``None``.
    """
    from kanlab.symbolic._library import resolve_library
    _check_edge(model, l, i, j)
    candidate = name if not isinstance(name, str) else resolve_library([name])[name]
    with _editing(model):  # a new d or a new reader's b is its own, unmoved
        result = None
        if fit_params:
            from kanlab.symbolic._fit import fit_candidate
            xi, yi = edge_samples(model, l, i, j, x)
            result = fit_candidate(xi, yi, candidate, a_range=a_range, b_range=b_range)
            params = result.params
        elif params is None:
            params = (1.0, 0.0, 1.0, 0.0)
        if len(params) != 4:
            raise ValueError(f"params must be (a, b, c, d), got {params!r}")
        import math
        if not all(math.isfinite(float(v)) for v in params):
            raise ValueError(f"params (a, b, c, d) must be finite, got {tuple(params)!r}"
                             + (" (the fit to the spline failed)" if fit_params else ""))
        model.symbolic[l].set_edge(i, j, candidate, params)
        model.layers[l].mask[j, i] = 0.0
        return result


@torch.no_grad()
def unfix_symbolic(model, l: int, i: int, j: int) -> None:
    """Give edge ``(l, i, j)`` back to its spline."""
    _check_edge(model, l, i, j)
    with _editing(model):  # the spline sees its node unmoved
        model.symbolic[l].clear_edge(i, j)
        model.layers[l].mask[j, i] = 1.0


def auto_symbolic(model, lib=None, r2_threshold: float = 0.99, x: Tensor | None = None,
                  topk: int = 5, a_range=None, b_range=None, choose=None) -> list[dict]:
    """Fix every active spline edge to its best candidate.

    Layers are processed in order and each layer's edges are fitted on the
    inputs that the already symbolic earlier layers produce.  An edge whose
    best candidate reaches ``R² < r2_threshold`` keeps its spline; an edge
    whose input is constant on the data becomes the constant it outputs
    (``"0"`` with offset ``d``).  Only the best candidate of each edge is needed, so
    ``suggest(topk=1)`` fits candidates by complexity until one is accepted; ``topk``
    is kept for compatibility and changes nothing.  ``a_range``, ``b_range``: bounds on
    every fit's ``a, b`` (see :func:`kanlab.symbolic.fit_candidate`).  ``choose``: None
    (kanlab's ranking, :mod:`kanlab.symbolic._fit`), or a function that takes every
    candidate's fit of an edge (``suggest(topk=None)``'s list, in kanlab's order) and
    returns the one to fix, for another ranking rule (pykan's, in :mod:`kanlab.pykan`).

    Returns
    -------
    list[dict]
        One record per edge considered: ``l, i, j, name`` (``None`` when kept
        as a spline), ``r2``, ``params``.
    """
    if not 0.0 <= float(r2_threshold) <= 1.0:
        raise ValueError(f"r2_threshold must lie in [0, 1], got {r2_threshold!r}")
    from kanlab.symbolic._fit import suggest
    data = _data(model, x)
    records = []
    for l, (layer, sym) in enumerate(zip(model.layers, model.symbolic)):
        for j in range(layer.out_features):
            for i in range(layer.in_features):
                if layer.mask[j, i] == 0 or sym.mask[j, i] != 0:
                    continue  # removed, or already symbolic
                xi, yi = edge_samples(model, l, i, j, data)
                if bool((xi == xi[0]).all()):  # a constant input (its node lost every input
                    # edge in pruning): the edge is the constant it outputs, exactly
                    mean = float(yi.double().mean())
                    fix_symbolic(model, l, i, j, "0", fit_params=False,
                                 params=(1.0, 0.0, 1.0, mean))
                    records.append({"l": l, "i": i, "j": j, "name": "0", "r2": 1.0,
                                    "params": (1.0, 0.0, 1.0, mean)})
                    continue
                if choose is None:  # (fits only what may rank first)
                    best = suggest(xi, yi, lib=lib, topk=1, a_range=a_range, b_range=b_range)[0]
                else:
                    best = choose(suggest(xi, yi, lib=lib, topk=None, a_range=a_range,
                                          b_range=b_range))
                chosen = best.name if best.r2 >= r2_threshold else None
                if chosen is not None:
                    fix_symbolic(model, l, i, j, _candidate(best, lib), fit_params=False,
                                 params=best.params)
                records.append({"l": l, "i": i, "j": j, "name": chosen, "r2": best.r2,
                                "params": tuple(best.params)})
    return records


def _candidate(fit, lib):
    from kanlab.symbolic._library import resolve_library
    return resolve_library(lib)[fit.name]


def _variables(model, var_names):
    import sympy
    n = model.n_nodes[0]
    if var_names is None:
        var_names = [f"x_{i + 1}" for i in model.input_ids]
    if isinstance(var_names, str):
        raise TypeError(f"var_names must be a list of {n} names, got the string {var_names!r}")
    names = [str(v) for v in var_names]
    if len(names) != n:
        raise ValueError(f"var_names must name the {n} inputs, got {len(names)}: {names}")
    bad = [v for v in names if not v.isidentifier() or keyword.iskeyword(v)]
    if bad or len(set(names)) != n:
        raise ValueError(f"var_names must be {n} distinct identifiers (letters, digits, _), "
                         f"got {names}" + (f"; {bad} are not identifiers (or are Python "
                                           "keywords, which a printed formula cannot hold)"
                                           if bad else
                                            "; some repeat"))
    return [v if isinstance(v, sympy.Symbol) else sympy.Symbol(str(v)) for v in var_names]


def symbolic_formula(model, var_names=None, x: Tensor | None = None, check: bool = True,
                     rtol: float = 1e-6) -> list:
    """One sympy expression per output, composed from the symbolic edges.

    Parameters
    ----------
    var_names
        input names (strings or sympy symbols); default ``x_1 …``
        after the model's ``input_ids``.
    x
        data for the check (default ``model.reference_input``).
    check
        evaluate the formulas on ``x`` and warn (``UserWarning``) if
        they differ from the network's outputs by more than ``rtol``
        relative to the outputs' spread (for instance when ``fit`` moved
        the splines of other edges after the fix).

    Raises
    ------
    ValueError
        an active edge is still a spline (run :func:`auto_symbolic`
        or :func:`fix_symbolic` first, or prune it).
    """
    import sympy
    symbols = _variables(model, var_names)
    nodes: list = list(symbols)
    for l, (layer, sym) in enumerate(zip(model.layers, model.symbolic)):
        affine = sym.affine.detach().cpu().double()
        spline_edges = [(i, j) for j in range(layer.out_features) for i in range(layer.in_features)
                        if layer.mask[j, i] != 0]
        if spline_edges:
            i, j = spline_edges[0]
            raise ValueError(f"edge ({l}, {i}, {j}) and {len(spline_edges) - 1} more of layer {l} "
                             "are splines: fix them to symbolic functions first (auto_symbolic)")
        outputs = []
        for j in range(layer.out_features):
            expr = sympy.Integer(0)
            for i in range(layer.in_features):
                if sym.mask[j, i] != 0:
                    a, b, c, d = (sympy.Float(float(v), 17) for v in affine[j, i])
                    fn = sym.candidate_at(i, j).sympy_fn
                    expr += c * fn(a * nodes[i] + b) + d
            outputs.append(expr)
        nodes = _multiply(model, l + 1, outputs)
    if check:
        _check_formula(model, nodes, symbols, x, rtol)
    return nodes


def _multiply(model, level: int, outputs: list) -> list:
    """Node expressions at ``level``: multiplication nodes take the product of their subnodes
    (inside the level's affine maps, :meth:`kanlab.nn.KAN.multiply`)."""
    affine = model.affines[level - 1] if model.affines is not None else None
    if affine is not None:
        outputs = _affine(outputs, affine.subnode_scale, affine.subnode_bias)
    nodes: dict[int, object] = {}
    for sub, node in enumerate(model.subnode_to_node(level)):
        nodes[node] = outputs[sub] if node not in nodes else nodes[node] * outputs[sub]
    nodes = [nodes[n] for n in range(len(nodes))]
    return nodes if affine is None else _affine(nodes, affine.node_scale, affine.node_bias)


def _affine(exprs: list, scale: Tensor, bias: Tensor) -> list:
    """``scale_j · e_j + bias_j`` for every expression, an identity entry left as it is."""
    import sympy
    out = []
    for e, s, b in zip(exprs, scale.tolist(), bias.tolist()):
        e = e if s == 1.0 else sympy.Float(s, 17) * e
        out.append(e if b == 0.0 else e + sympy.Float(b, 17))
    return out


def _check_formula(model, formulas, symbols, x, rtol: float) -> None:
    from kanlab.symbolic._formula import to_numpy
    data = _data(model, x)
    with torch.no_grad():
        net = model(data).detach().cpu().double().numpy()
    columns = data.detach().cpu().double().numpy()
    import numpy as np
    for o, expr in enumerate(formulas):
        values = np.broadcast_to(to_numpy(expr, symbols)(columns), net[:, o].shape)
        scale = max(float(np.std(net[:, o])), float(np.abs(net[:, o]).max()), 1e-300)
        err = float(np.nanmax(np.abs(values - net[:, o]))) if np.isfinite(values).all() else np.inf
        if not err <= rtol * scale:
            warnings.warn(f"symbolic_formula: output {o}'s formula differs from the network by up "
                          f"to {err:.3g} (relative {err / scale:.3g} > rtol={rtol:g}) on the "
                          f"{len(columns)} check samples", UserWarning, stacklevel=3)

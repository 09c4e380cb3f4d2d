"""Which inputs act together, pykan's way: ``module`` (build a chain of node groups
into an untrained model), ``feature_interaction`` (the input sets the nodes of a level
depend on); ``KAN.tree`` is :func:`kanlab.pykan.hypothesis.plot_tree`, as pykan's."""
from __future__ import annotations

import itertools

import torch

from kanlab.nn import remove_edge as _remove_edge
from kanlab.pykan._structure import attribute

__all__ = ["module", "feature_interaction"]


def _ids(text: str, what: str) -> list[int]:
    inner = text.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        raise ValueError(f"module: each group of the chain is a bracketed list such as '[0,1]', "
                         f"got {text!r} ({what})")
    try:
        return [int(t) for t in inner[1:-1].split(",")]
    except ValueError:
        raise ValueError(f"module: group {text!r} ({what}) must list node indices, "
                         "e.g. '[0,1]'") from None


@torch.no_grad()
def module(model, start_layer, chain: str) -> None:
    """pykan's ``module``: keep the edges of a chain of node groups apart from the rest.

    ``chain`` alternates input and output groups of successive layers from
    ``start_layer`` on, e.g. ``'[0,1]->[2,3]->[2,3]->[0]'``: in layer
    ``start_layer`` the inputs 0, 1 feed only the subnodes 2, 3 and nothing else
    feeds those, and so on (pairs of groups per layer; a last unpaired group is
    ignored, as in pykan).  Every edge between a group and a node outside its
    partner group is removed (spline and symbolic parts), so the structure is
    built in before training.
    """
    if not isinstance(chain, str):
        raise TypeError(f"module: chain must be a string such as '[0]->[1]', got {chain!r}")
    groups = chain.split("->")
    start = int(start_layer)
    for step in range(len(groups) // 2):
        l = start + step
        if not 0 <= l < model.depth:
            raise ValueError(f"module: the chain reaches layer {l}, but the model has layers "
                             f"0..{model.depth - 1}")
        layer = model.layers[l]
        id_in = _ids(groups[2 * step], f"inputs of layer {l}")
        id_out = _ids(groups[2 * step + 1], f"outputs of layer {l}")
        for ids, n, side in ((id_in, layer.in_features, "input"),
                             (id_out, layer.out_features, "output")):
            if any(not 0 <= i < n for i in ids):
                raise ValueError(f"module: layer {l} has {side} indices 0..{n - 1}, got {ids}")
        other_in = sorted(set(range(layer.in_features)) - set(id_in))
        other_out = sorted(set(range(layer.out_features)) - set(id_out))
        for i, j in itertools.chain(itertools.product(other_in, id_out),
                                    itertools.product(id_in, other_out)):
            _remove_edge(model, l, i, j)


def feature_interaction(model, l, neuron_th=1e-2, feature_th=1e-2) -> dict:
    """pykan's ``feature_interaction``: for the nodes of level ``l`` scored above ``neuron_th``,
    the tuple of inputs each depends on (scores above ``feature_th`` of its largest), counted:
    ``{(inputs...): number of nodes}``."""
    found: dict = {}
    for i in range(model.width_in[int(l)]):
        score = attribute(model, int(l), i, plot=False)
        top = float(score.max())
        if top > neuron_th:
            key = tuple(int(v) for v in torch.where(score > top * feature_th)[0].tolist())
            found[key] = found.get(key, 0) + 1
    return found

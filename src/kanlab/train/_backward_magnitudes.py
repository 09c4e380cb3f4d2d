"""pykan's backward sparsity metrics: edges and nodes measured by their attribution scores.

pykan 0.2.8's ``reg_metric='edge_backward'`` penalises, per layer, the edge scores of its
``attribute()`` (:func:`kanlab.nn._pruning.propagate_scores`: an edge's output spread over
its subnode's, times the subnode's score, from the outputs down), and
``'node_backward'`` the scores of its ``node_attribute()``: for every level ``l`` from the
first hidden one, each node's scores of the inputs, starting from the node's own score
(``(width[l], width[0])``).  The spreads are those of the forward pass being trained (the
spline edges, as the other std metrics measure them; the subnodes with any symbolic edges);
as in pykan the penalty is differentiated through the edges' spreads, the subnodes' are
taken as constants (:func:`kanlab.train._magnitudes.forward_with_magnitudes` detaches them).
"""
from __future__ import annotations

import torch
from torch import Tensor

from kanlab.nn._pruning import propagate_scores

__all__ = ["backward_magnitudes", "BACKWARD_KINDS"]

BACKWARD_KINDS = ("edge_backward", "node_backward")


def backward_magnitudes(model, kind: str, stds: list[Tensor], sub_stds: list[Tensor]
                        ) -> list[Tensor]:
    """The matrices pykan's ``reg`` penalises for ``kind``: per layer the edge scores
    ``(out_l, in_l)`` (``"edge_backward"``), or per level ``l >= 1`` the node-by-input scores
    ``(width[l], width[0])`` (``"node_backward"``)."""
    if kind not in BACKWARD_KINDS:
        raise ValueError(f"kind must be one of {BACKWARD_KINDS}, got {kind!r}")
    ref = stds[-1]
    outputs = torch.eye(model.n_nodes[-1], dtype=ref.dtype, device=ref.device)
    edge_all, node_all = propagate_scores(model, stds, sub_stds, outputs)
    if kind == "edge_backward":
        return [e.mean(0) for e in edge_all]
    node_scores = [s.mean(0) for s in node_all]
    return [propagate_scores(model, stds, sub_stds, torch.diag(node_scores[l]), top=l)[1][0]
            for l in range(1, model.depth + 1)]

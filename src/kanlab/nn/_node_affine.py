"""Trainable affine maps at a KAN level (pykan's ``subnode_*`` and ``node_*`` parameters).

pykan 0.2.8's ``MultKAN`` passes every output of a layer (a subnode) through
``subnode_scale · y + subnode_bias``, multiplies the subnodes of each multiplication
node, then passes every node through ``node_scale · y + node_bias``.  With
``affine_trainable=True`` these four vectors are trained; otherwise they stay 1 and 0
and the map is the identity, which :class:`kanlab.nn.KAN` leaves out altogether
(``KAN(node_affine=False)``, the default: no parameters, no cost).

:class:`NodeAffine` holds the four vectors of one level; :meth:`kanlab.nn.KAN.multiply`
applies them (``model.affines[l]`` belongs to level ``l + 1``, the outputs of layer ``l``),
so every pass that turns a layer's outputs into node values (the forward pass, the grid
update, the activations, the symbolic formula) sees them.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

__all__ = ["NodeAffine"]


def _with_new(n_old: int, new: Sequence[int]) -> list[int]:
    """Indices into ``n_old`` entries, ``-1`` (a new entry) at the positions ``new``."""
    new, old = set(new), iter(range(n_old))
    return [-1 if p in new else next(old) for p in range(n_old + len(new))]


class NodeAffine(nn.Module):
    """``subnode_scale · y + subnode_bias`` on a layer's outputs, ``node_scale · z + node_bias``
    on the level's nodes (after the multiplication nodes).

    Parameters
    ----------
    n_subnodes
        outputs of the layer into the level (``n_add + Σ arities``).
    n_nodes
        nodes of the level (``n_add + n_mult``).
    device, dtype
        factory keywords, as for ``nn.Linear``.

    Attributes
    ----------
    subnode_scale, subnode_bias : Parameter, shape (n_subnodes,)
    node_scale, node_bias : Parameter, shape (n_nodes,)
        start at 1 and 0 (the identity).
    """

    def __init__(self, n_subnodes: int, n_nodes: int, device=None, dtype=None) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.subnode_scale = nn.Parameter(torch.ones(n_subnodes, **factory))
        self.subnode_bias = nn.Parameter(torch.zeros(n_subnodes, **factory))
        self.node_scale = nn.Parameter(torch.ones(n_nodes, **factory))
        self.node_bias = nn.Parameter(torch.zeros(n_nodes, **factory))

    @torch.no_grad()
    def reset(self) -> None:
        """Every entry back to the identity (scales 1, biases 0)."""
        for scale, bias in ((self.subnode_scale, self.subnode_bias),
                            (self.node_scale, self.node_bias)):
            scale.fill_(1.0)
            bias.zero_()

    def subnodes(self, y: Tensor) -> Tensor:
        """``y`` ``(*, n_subnodes)`` through the subnode map (pykan's order of operations)."""
        return self.subnode_scale * y + self.subnode_bias

    def nodes(self, z: Tensor) -> Tensor:
        """``z`` ``(*, n_nodes)`` through the node map."""
        return self.node_scale * z + self.node_bias

    @torch.no_grad()
    def taken(self, subnodes: Sequence[int], nodes: Sequence[int]) -> "NodeAffine":
        """A new map with the entries ``subnodes`` and ``nodes`` of this one, in that order;
        an index ``-1`` is a new entry at the identity (pruning, growing, swapping)."""
        p = self.node_scale
        new = NodeAffine(len(subnodes), len(nodes), device=p.device, dtype=p.dtype)
        for name, index in (("subnode_scale", subnodes), ("subnode_bias", subnodes),
                            ("node_scale", nodes), ("node_bias", nodes)):
            old, fresh = getattr(self, name), getattr(new, name)
            idx = torch.tensor(list(index), dtype=torch.long, device=p.device)
            if len(idx) and (int(idx.min()) < -1 or int(idx.max()) >= old.shape[0]):
                raise ValueError(f"{name}: indices must lie in [-1, {old.shape[0]}), got "
                                 f"{list(index)}")
            kept = idx >= 0
            fresh[kept] = old[idx[kept]]
            fresh.requires_grad_(old.requires_grad)
        return new

    def inserted(self, subnodes: Sequence[int], nodes: Sequence[int],
                 n_old: tuple[int, int] | None = None) -> "NodeAffine":
        """A new map with identity entries inserted at the positions ``subnodes`` and
        ``nodes`` of the result, this one's in order around them (``n_old``: how many of this
        one's subnode and node entries to keep; default all)."""
        n_sub, n_node = n_old or (self.subnode_scale.shape[0], self.node_scale.shape[0])
        return self.taken(_with_new(n_sub, subnodes), _with_new(n_node, nodes))

    def extra_repr(self) -> str:
        return f"n_subnodes={self.subnode_scale.shape[0]}, n_nodes={self.node_scale.shape[0]}"

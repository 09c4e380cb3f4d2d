"""pykan's symbolic layer in kanlab's symbolic edges: the mask's value and the blank edges.

pykan's ``Symbolic_KANLayer`` computes ``mask[j, i] · (c · f(a · x_i + b) + d)`` on every
edge, ``f = 0`` where no function is set (its ``'0'``), so the mask is a weight and an edge
switched on without a function adds ``mask · d``.  kanlab's symbolic edges (a model's
symbolic branch) compute ``c · f(a · x_i + b) + d`` where the mask is nonzero and a function
is set: the mask selects.  :func:`as_selecting_mask` rewrites a layer's state from pykan's
meaning into kanlab's, which computes the same function: the mask's value moves into
``c, d``, the mask becomes 0/1, and an edge switched on without a function gets pykan's
``'0'`` function (``c · 0 + d``; it shows as ``'0'`` in ``funs_name``, as pykan's).
"""
from __future__ import annotations

import torch

from kanlab.nn._symbolic_edges import NO_FUNCTION

__all__ = ["as_selecting_mask"]


@torch.no_grad()
def as_selecting_mask(sym) -> None:
    """Rewrite ``sym`` (a :class:`kanlab.nn.SymbolicEdges`) in place from pykan's meaning of
    its mask and blank edges to kanlab's (see the module doc); a layer already in kanlab's
    meaning (masks 0/1, every switched-on edge with a function) is left as it is."""
    from kanlab.pykan._symbolic_names import _lookup
    from kanlab.symbolic._library import CODES
    weight = sym.mask.clone()
    sym.affine[..., 2:].mul_(torch.where(weight != 0, weight, 1.0)[..., None])
    sym.mask.copy_(weight != 0)
    blank = (sym.mask != 0) & (sym.code == NO_FUNCTION)
    sym.code[blank] = CODES.index(_lookup("0").name)
    sym.regroup()

"""A hidden node's scale handed from its readers' ``a`` to its writers' ``c, d``.

A sum node ``h = Σ_k (c_k·f_k(a_k·x_k + b_k) + d_k)`` whose every writer is symbolic, read
only by symbolic edges ``c_j·g_j(a_j·h + b_j) + d_j``, computes the same network with
``h`` scaled by any ``t > 0``: ``c_k, d_k → t·c_k, t·d_k`` and ``a_j → a_j / t``.  pykan's
fits keep ``|a| ≤ 10`` (its ``a_range``); kanlab.pykan fits ``a`` on a hidden node's narrow
range beyond that (:data:`kanlab.pykan._fit_params.A_RANGE`), so the network's scale sits
in the readers' ``a`` (Example_10: ``tanh(50·h)`` with ``h ≈ 0.02·Σ atanh``).  The result
is exact, but a later Adam fit, whose steps are about ``lr`` in every parameter whatever its
size, then moves the small ``c_k`` by 5 % a step and ends on a noisy floor (Example_10
cell 16: 2.6e-7 at step 1000, 2e-4 to 1.3e-3 at step 2000 over seeds).
:func:`balance_symbolic_nodes` moves such a node's scale back so that its readers' largest
``|a|`` is the bound, where pykan's fits put it.
"""
from __future__ import annotations

import torch

__all__ = ["balance_symbolic_nodes"]


def _sum_nodes(model, level: int) -> range:
    """The sum nodes of ``level`` (they come first; each is the subnode of its index)."""
    return range(model.layers[level].in_features - len(model.arities[level]))


@torch.no_grad()
def balance_symbolic_nodes(model, bound: float, nodes=None) -> list[tuple[int, int, float]]:
    """Rescale every hidden sum node of ``model`` (of ``nodes``, ``(level, node)`` pairs, if
    given) whose readers' largest ``|a|`` exceeds ``bound`` and whose writers and readers are
    all symbolic (or removed): ``(level, node, t)`` for each node moved, ``h → t·h`` with
    ``t = max|a| / bound``.  The network's function is unchanged (to rounding).  Models with
    node affine maps are left alone."""
    if getattr(model, "affines", None) is not None:
        return []
    moved = []
    with model.edit_structure():  # moved symbolic offsets handed back: d as the writers give it
        for level in range(1, model.depth):
            moved += _balance_level(model, level, bound, nodes)
    return moved


def _balance_level(model, level: int, bound: float, nodes) -> list[tuple[int, int, float]]:
    writer, reader = model.symbolic[level - 1], model.symbolic[level]
    w_spline, r_spline = model.layers[level - 1].mask, model.layers[level].mask
    moved = []
    for n in _sum_nodes(model, level):
        if nodes is not None and (level, n) not in nodes:
            continue
        readers = reader.mask[:, n] != 0
        if not bool(readers.any()) or bool((w_spline[n] != 0).any()) \
                or bool((r_spline[:, n] != 0).any()):
            continue
        top = float(reader.affine[readers, n, 0].abs().max())
        if not top > bound:
            continue
        t = top / bound
        writer.affine[n, :, 2:] *= t  # c, d of every writer (removed ones too: zeros)
        reader.affine[:, n, 0] /= t
        moved.append((level, n, t))
    return moved

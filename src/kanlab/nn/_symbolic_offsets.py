"""Symbolic edges' constants put where float rounding costs least (the function is kept).

A chain of symbolic edges ``c · f(a · x + b) + d`` has directions its function
cannot see: an edge's output offset ``d`` can move into the argument of every
edge that reads its node (``f(a · (h − D) + (b + a · D)) = f(a · h + b)``), and a
periodic function's phase ``b`` can move by whole periods.  In float32 they are
not free: a node carrying an offset is rounded at its larger magnitude, and the
rounding is amplified by the reading edge's ``a``; an argument shifted by a
turn is rounded at its larger magnitude.  Example_9 of pykan's tutorials (``[2,
1, 1]``, ``sin(2·(log x₁ + log x₂))`` with ``log``, ``log``, ``sin`` fixed from
trained splines) leaves the hidden node at ``0.27·(log x₁ + log x₂) + 1.12``
and the ``sin``'s argument at ``7.45·h − 2.04``, i.e. ``2·(log x₁ + log x₂) +
2π``: after 20 L-BFGS steps its float32 RMSE is 3.2e-7 (4.4e-7 under
``ATEN_CPU_CAPABILITY=default``, whose trained splines differ); with the
offsets moved and the phase in ``[-π, π)`` it is 1.7e-7 (1.6e-7).

:func:`settle_symbolic_offsets` makes both moves.  An offset moves only out of
an addition node (not the output level, not a multiplication node) whose every
reader is a symbolic edge: a spline reading the node would see it shift.
"""
from __future__ import annotations

import math

import torch

from kanlab.nn._symbolic_edges import NO_FUNCTION

__all__ = ["settle_symbolic_offsets"]


def _readers(symbolic, j: int) -> list[int]:
    """Outputs ``k`` whose edge ``j -> k`` holds a symbolic function (active or not)."""
    return [k for k in range(symbolic.code.shape[0]) if int(symbolic.code[k, j]) != NO_FUNCTION]


def _move_offsets(model, l: int) -> None:
    """Offsets of layer ``l``'s symbolic edges into layer ``l + 1``'s arguments, per node."""
    into, out_of = model.symbolic[l], model.symbolic[l + 1]
    spline_next = model.layers[l + 1].mask.detach()
    n_add = model.n_nodes[l + 1] - len(model.arities[l + 1])
    for j in range(n_add):  # node j of level l + 1 is subnode j of layer l
        if bool((spline_next[:, j] != 0).any()):
            continue  # a spline (or its base branch) reads the node
        readers = _readers(out_of, j)
        if not readers or not any(float(out_of.mask[k, j]) != 0 for k in readers):
            continue
        writers = [i for i in range(into.code.shape[1])
                   if int(into.code[j, i]) != NO_FUNCTION and float(into.mask[j, i]) == 1.0]
        if not writers:
            continue
        offset = into.affine[j, writers, 3].sum()
        if float(offset) == 0.0:
            continue
        into.affine[j, writers, 3] = 0.0
        # every edge with a function (a masked one too, should it be switched back on)
        out_of.affine[readers, j, 1] += out_of.affine[readers, j, 0] * offset


def _principal_phases(symbolic) -> None:
    """Every periodic edge's phase ``b`` moved by whole periods into ``[-p/2, p/2)``."""
    for j, row in enumerate(symbolic.code.tolist()):
        for i, code in enumerate(row):
            if code == NO_FUNCTION:
                continue
            period = getattr(symbolic.candidate_at(i, j, code), "period", None)
            if period is None:
                continue
            b = float(symbolic.affine[j, i, 1])
            turns = math.floor(b / period + 0.5)
            if turns != 0 and math.isfinite(b):
                symbolic.affine[j, i, 1] = b - turns * period


@torch.no_grad()
def settle_symbolic_offsets(model) -> None:
    """Move ``model``'s symbolic offsets downstream and fold periodic phases (module doc).

    The function the model computes is unchanged but for float rounding; a model
    without symbolic edges (or without a ``symbolic`` list) is left as it is.
    """
    symbolic = getattr(model, "symbolic", None)
    if symbolic is None or not any(bool((s.code != NO_FUNCTION).any()) for s in symbolic):
        return
    for l in range(len(model.layers) - 1):
        _move_offsets(model, l)
    for s in symbolic:
        _principal_phases(s)

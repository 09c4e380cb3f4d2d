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

The move stays after the fit: handed back when the fit ends, Example_9's formula
evaluated at 3.35e-7 where the fit reported 1.45e-7.  Instead every writer keeps
a record of what left it (:attr:`SymbolicEdges.moved_offsets`), and an edit that
would see the node shifted (``fix_symbolic``, ``unfix_symbolic``,
``suggest_symbolic``, ``auto_symbolic``, removing or pruning edges and nodes, an
Adam fit) hands every recorded offset back first (:func:`restore_symbolic_offsets`,
entered through :func:`kanlab.nn._structure_edits.edit_structure`); a reader that
fits to the nodes (a grid update, a continuation's choice) takes them from
:func:`written_inputs`, so a masked reader's spline gets its knots on the node it
would read once unfixed.  Without the record, on an Example_9-like ``[2, 1, 1]``
chain (splines fitted, ``log``, ``log``, ``sin`` fixed, 20 L-BFGS steps)
re-fixing the first ``log`` from its spline gave train RMSE 0.62 and unfixing the
``sin`` then 1.05; with it 0.0071 and 0.157, as with no move at all.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from kanlab.nn._symbolic_edges import NO_FUNCTION

__all__ = ["restore_symbolic_offsets", "settle_symbolic_offsets", "written_inputs"]


def _move_offsets(model, l: int) -> None:
    """Offsets of layer ``l``'s symbolic edges into layer ``l + 1``'s arguments, per node."""
    into, out_of = model.symbolic[l], model.symbolic[l + 1]
    # host copies, read once (on a GPU every element read would wait for the device)
    spline_read = (model.layers[l + 1].mask.detach() != 0).any(dim=0).cpu().tolist()  # per node
    code_in, mask_in = into.code.cpu().tolist(), into.mask.detach().cpu().tolist()
    code_out, mask_out = out_of.code.cpu().tolist(), out_of.mask.detach().cpu().tolist()
    n_add = model.n_nodes[l + 1] - len(model.arities[l + 1])
    for j in range(n_add):  # node j of level l + 1 is subnode j of layer l
        if spline_read[j]:
            continue  # a spline (or its base branch) reads the node
        # every edge with a function (a masked one too, should it be switched back on)
        readers = [k for k, row in enumerate(code_out) if row[j] != NO_FUNCTION]
        if not any(mask_out[k][j] != 0 for k in readers):
            continue
        writers = [i for i, c in enumerate(code_in[j]) if c != NO_FUNCTION and mask_in[j][i] == 1.0]
        if not writers:
            continue
        moved = into.affine[j, writers, 3].tolist()
        offset = into.affine[j, writers, 3].sum()
        into.affine[j, writers, 3] = 0.0
        out_of.affine[readers, j, 1] += out_of.affine[readers, j, 0] * offset
        for i, d in zip(writers, moved):
            into.moved_offsets[(j, i)] = into.moved_offsets.get((j, i), 0.0) + d


def _principal_phases(symbolic) -> None:
    """Every periodic edge's phase ``b`` moved by whole periods into ``[-p/2, p/2)``."""
    phases = symbolic.affine.detach()[..., 1].cpu().tolist()
    for j, row in enumerate(symbolic.code.cpu().tolist()):
        for i, code in enumerate(row):
            if code == NO_FUNCTION:
                continue
            period = getattr(symbolic.candidate_at(i, j, code), "period", None)
            b = phases[j][i]
            if period is None or not math.isfinite(b):
                continue
            turns = math.floor(b / period + 0.5)
            if turns != 0:
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


@torch.no_grad()
def restore_symbolic_offsets(model) -> None:
    """Hand every recorded offset back (module doc): each writer's ``d`` gets what left it
    and every symbolic reader of its node loses ``a · offset`` from its ``b`` at its current
    ``a``, so the function is kept whatever a fit did to the constants in between; the
    records are emptied.  A no-op without records."""
    symbolic = getattr(model, "symbolic", None)
    if symbolic is None:
        return
    for l, into in enumerate(symbolic):
        record, into.moved_offsets = into.moved_offsets, {}
        if not record or l + 1 >= len(symbolic):
            continue
        out_of = symbolic[l + 1]
        per_node: dict[int, list[float]] = {}
        for (j, i), d in record.items():
            into.affine[j, i, 3] += d
            per_node.setdefault(j, []).append(d)
        code_out = out_of.code.cpu().tolist()
        for j, ds in per_node.items():
            readers = [k for k, row in enumerate(code_out) if row[j] != NO_FUNCTION]
            out_of.affine[readers, j, 1] -= out_of.affine[readers, j, 0] * math.fsum(ds)


def _written(model, l: int, x: torch.Tensor) -> torch.Tensor:
    """Layer ``l``'s inputs ``x`` ``(B, in_features)`` as the nodes would be with the
    recorded offsets handed back (``x`` itself where nothing is recorded)."""
    if l == 0 or not getattr(model.symbolic[l - 1], "moved_offsets", None):
        return x
    shift = [0.0] * x.shape[-1]
    for (j, _), d in model.symbolic[l - 1].moved_offsets.items():
        shift[j] += d
    return x + torch.tensor(shift, dtype=x.dtype, device=x.device)


def written_inputs(model, x: torch.Tensor,
                   visit: Callable[[int, torch.Tensor], None] | None = None) -> list[torch.Tensor]:
    """Every layer's input ``(B, in_l)`` when ``model`` runs ``x``, as the writers compute
    the nodes: with the recorded offsets handed back in the values, not in the model.

    The one reader of the nodes for a fit to them (a grid update, a continuation's
    choice, another model's splines carried over).  ``visit(l, h)``, if given, is called
    with layer ``l``'s input before the layer runs, so it may change the layer (its grid,
    its continuation) and the layers above see the change; the forward pass itself runs
    on the nodes as they are.
    """
    inputs: list[torch.Tensor] = []

    def run(l: int, h: torch.Tensor) -> torch.Tensor:
        written = _written(model, l, h)
        inputs.append(written)
        if visit is not None:
            visit(l, written)
        return model.layer_output(l, h)

    model.forward_layers(x, run)
    return inputs

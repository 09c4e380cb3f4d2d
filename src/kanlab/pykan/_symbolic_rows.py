"""pykan's per-edge lists of a symbolic layer: ``funs``, ``funs_sympy``,
``funs_avoid_singularity`` and ``funs_name``, indexed ``[j][i]`` (output, input).

pykan keeps four parallel Python lists per layer, and code that clones a model copies them
entry by entry (``clone.symbolic_fun[l].funs[j][i] = src.symbolic_fun[l].funs[j][i]``).
kanlab keeps one :class:`~kanlab.symbolic.Candidate` per edge; here each row is a list that
writes an assignment through to the edge: the function or its sympy form replaced (a
user candidate under the edge's name, the edge's ``a, b, c, d`` and mask kept), the name
changed.  Writing back what the edge already holds changes nothing.  An edge with no
symbolic function reads as pykan's unfixed edge, the zero function named ``'0'``.
``funs_avoid_singularity`` reads the edge's protected form: the user's own where one was
given (``add_symbolic(..., fun_singularity=)``, or written here), else kanlab's capped form
of the function (:mod:`kanlab.pykan._singularity`).
"""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Callable

import torch

from kanlab.symbolic import LIBRARY

__all__ = ["EdgeRow", "rows"]

NO_FUNCTION = -1  # kanlab.nn.SymbolicEdges' code of an edge without a function


def _current(sym, i: int, j: int):
    """The edge's candidate; pykan's unfixed edge (the zero function) where it has none; None
    for a user's function this model does not know (loaded from a state_dict)."""
    if int(sym.code[j, i]) == NO_FUNCTION:
        return LIBRARY["0"]
    try:
        return sym.candidate_at(i, j)
    except ValueError:
        return None


def _read(sym, i: int, j: int, kind: str):
    candidate = _current(sym, i, j)
    if candidate is None:
        return None
    if kind == "funs":
        return candidate.fn
    if kind == "funs_sympy":
        return candidate.sympy_fn
    if kind == "funs_name":
        return candidate.name
    from kanlab.pykan._singularity import for_candidate
    return for_candidate(candidate)


@torch.no_grad()
def _write(sym, i: int, j: int, kind: str, value) -> None:
    if value is _read(sym, i, j, kind) \
            or (kind == "funs_name" and value == _read(sym, i, j, kind)):
        return
    current = _current(sym, i, j)
    new = _edited(current, i, j, kind, value)
    if new is None or new is current:  # kanlab's rule written back, or no function: no change
        return
    mask = float(sym.mask[j, i])
    params = sym.affine[j, i].tolist() if int(sym.code[j, i]) != NO_FUNCTION else (0.0,) * 4
    sym.set_edge(i, j, new, params)
    sym.mask[j, i] = mask  # pykan's lists leave the masks alone
    sym.regroup()


def _edited(current, i: int, j: int, kind: str, value):
    """The candidate that edge ``i -> j`` (now ``current``) holds after ``kind[j][i] = value``."""
    from kanlab.pykan._symbolic_names import _candidate_from_callable
    if kind == "funs_avoid_singularity":
        from kanlab.pykan._singularity import with_users_avoiding
        return None if current in (None, LIBRARY["0"]) else with_users_avoiding(current, value)
    if current is None:  # a user's function known by its code only: funs[j][i] names it
        if kind != "funs":
            raise ValueError(f"edge {i} -> {j} holds a user's function this model does not "
                             f"know; assign symbolic_fun[l].funs[{j}][{i}] before {kind}")
        current = _candidate_from_callable("anonymous", value)
    if kind == "funs":
        new = _candidate_from_callable(current.name, value)
        return dataclasses.replace(new, sympy_fn=current.sympy_fn) if current.name != "0" else new
    if kind == "funs_sympy":
        return dataclasses.replace(_candidate_from_callable(current.name, current.fn),
                                   sympy_fn=value)
    return dataclasses.replace(current, name=str(value))


class EdgeRow(list):
    """Row ``j`` of one of pykan's per-edge lists; ``row[i] = value`` writes edge ``i -> j``
    inside ``editing()`` (a model's ``edit_structure``, :mod:`kanlab.nn._structure_edits`)."""

    def __init__(self, sym, j: int, kind: str, editing: Callable = contextlib.nullcontext) -> None:
        super().__init__(_read(sym, i, j, kind) for i in range(sym.in_features))
        self._sym, self._j, self._kind, self._editing = sym, j, kind, editing

    def __setitem__(self, i, value) -> None:
        if not isinstance(i, int):
            raise TypeError(f"symbolic_fun[l].{self._kind}[j][i] takes one int index i, got {i!r}")
        with self._editing():
            _write(self._sym, i, self._j, self._kind, value)
        super().__setitem__(i, _read(self._sym, i, self._j, self._kind))

    def __reduce__(self):
        return list, (list(self),)  # copied or pickled: a plain list, as pykan's


def rows(sym, kind: str, editing: Callable = contextlib.nullcontext) -> list[EdgeRow]:
    """pykan's ``symbolic_fun[l].<kind>``: one :class:`EdgeRow` per output ``j``, whose writes
    run inside ``editing()``."""
    return [EdgeRow(sym, j, kind, editing) for j in range(sym.out_features)]

"""The one way into an edit of a model's symbolic structure, which hands the moved offsets back.

An L-BFGS fit moves symbolic offsets downstream and records the move
(:mod:`kanlab.nn._symbolic_offsets`); the records are valid only for the structure they
were made on.  An edit of that structure (a function fixed, unfixed or replaced, an edge
or node removed, a mask switched, nodes swapped or added, a layer appended or assigned)
must first hand every record back, or it sees a node shifted and a chain of fixes
silently breaks (Example_9-like ``[2, 1, 1]``: re-fixing a ``log`` after the move gave
train RMSE 0.62 instead of 0.0071).  So the hand-back is not a call each edit makes but
the way in: every edit runs inside :func:`edit_structure` (``with
model.edit_structure(): ...``, a method of :class:`kanlab.nn.KAN`; :mod:`kanlab.symbolic`,
a lower layer, enters it through the model), which hands back on entry.  Nested entries
cost nothing (the records are empty).  A new edit site that forgets it fails
``tests/architecture/test_edit_sites.py``: every function of the package that writes
a mask, a function or a constant of the symbolic edges, a spline's mask, or a model's list
of layers does it inside :func:`edit_structure`, or is listed there with the reason it
needs not (it builds a fresh layer, loads a state, or runs only inside an edit).

Readers that fit to the nodes go through the other entry,
:func:`kanlab.nn._symbolic_offsets.written_inputs` (``model.written_inputs(x)``): the
nodes as their writers compute them, the model left as it is.

Direct edits through :mod:`kanlab.pykan`'s layer views enter here too: handing out a
writable handle is an edit's start, so ``symbolic_fun[l].mask``, ``.affine``, ``.funs``,
``.funs_name``, ``.funs_sympy``, ``.funs_avoid_singularity``, ``act_fun[l].mask`` and an
assignment ``act_fun[l] = ...`` / ``symbolic_fun[l] = ...`` hand back before the user
writes; a kept row of ``funs`` / ``funs_name`` writes inside the edit whenever it writes.
Reading those handles hands back too: the function is kept but for float rounding, and
what the move won is given up (Example_9's formula: 1.45e-7 with the move, 3.35e-7
without).  Not covered: writes to the engine's own tensors (``model.symbolic[l].mask[j, i]
= 1``, ``model.layers[l].mask``, ``model.symbolic[l].affine``), and a tensor handle taken
before a fit and written after it (``m = model.symbolic_fun[0].mask``; fit; ``m[0, 0] =
0``): take the handle again, or write inside ``with model.edit_structure():``.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from typing import Iterator

from kanlab.nn._symbolic_offsets import restore_symbolic_offsets

__all__ = ["edit_structure", "has_moved_offsets", "handed_back_copy"]


@contextmanager
def edit_structure(model) -> Iterator:
    """Run an edit of ``model``'s symbolic structure: the moved offsets are handed back on
    entry (the function kept but for float rounding), so the edit sees every node as its
    writers compute it.  Yields ``model``."""
    restore_symbolic_offsets(model)
    yield model


def has_moved_offsets(model) -> bool:
    """Whether ``model`` keeps a record of offsets an L-BFGS fit moved."""
    return any(s.moved_offsets for s in getattr(model, "symbolic", ()))


def handed_back_copy(model):
    """``model`` itself when it records no moved offsets, else a deep copy with them handed
    back: for an edit that builds a new model and must leave ``model`` as it is."""
    if not has_moved_offsets(model):
        return model
    twin = copy.deepcopy(model)
    with edit_structure(twin):
        return twin

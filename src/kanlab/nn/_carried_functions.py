"""User-defined symbolic functions carried by a ``state_dict`` and by a pickle.

A :class:`~kanlab.nn._symbolic_edges.SymbolicEdges` stores each edge's function as an integer
code; a user's own candidate (``register``/pykan's ``add_symbolic``, or a Python function given
to ``fix_symbolic``) has code ``-2`` and lives in the module's ``custom`` dict.

**state_dict.**  So that ``other.load_state_dict(model.state_dict())`` (a clone, the best
state kept during training) computes the same function, each user edge's candidate is named in
the ``state_dict``'s metadata (torch's ``state_dict._metadata[prefix]``, read back as
``local_metadata``), under :data:`KEY`: ``{"j,i": [name, token]}``, plain strings (so
``torch.save`` works whatever the function is, and ``torch.load(weights_only=True)`` reads it).
``token`` finds the candidate itself in this process (:data:`_HELD`); in another process the
candidate registered under ``name`` is taken, and where there is none loading fails with a
message saying what to do.  The keys of the ``state_dict`` are unchanged.

**Pickle** (``torch.save(model)``, pykan's ``saveckpt``, auto-save).  A candidate is pickled
with its function by reference; a lambda or a local function cannot be, so it is written as
its name (:class:`Held`), and unpickling fails with the same advice unless that name is
registered.  ``copy.deepcopy`` shares the candidate, as it shares a function.
"""
from __future__ import annotations

import pickle

__all__ = ["KEY", "Held", "ByName", "carry", "restore", "resolve"]

KEY = "user_symbolic_functions"

# token -> candidate, for the state_dicts of this process (a few small objects, one per
# user function ever fixed on an edge; kept so a state_dict outlives its model)
_HELD: dict[str, object] = {}

ADVICE = ("register the function under a name (kanlab.symbolic.register, or pykan's "
          "add_symbolic(name, fn)), fix the edge with that name, and register it again "
          "before loading")


def _hold(candidate) -> str:
    """The token under which this process keeps ``candidate`` (:data:`_HELD`)."""
    token = f"{id(candidate):x}"
    _HELD[token] = candidate
    return token


def carry(custom: dict) -> dict:
    """``{"j,i": [name, token]}`` for a module's ``custom`` ``{(i, j): candidate}``."""
    return {f"{j},{i}": [c.name, _hold(c)] for (i, j), c in custom.items()}


def restore(carried: dict, codes, custom: dict, user_code: int) -> list[str]:
    """Put the candidates of the edges whose loaded code is ``user_code`` into ``custom``
    (``{(i, j): candidate}``, in place): the carried one if this process holds it, else the
    one registered under the carried name, else the one the edge already holds.  The edges
    that cannot be restored are returned as messages (and left out of ``custom``)."""
    from kanlab.symbolic._library import LIBRARY
    problems = []
    for j, row in enumerate(codes.tolist()):
        for i, code in enumerate(row):
            if code != user_code:
                continue
            name, token = (list(carried.get(f"{j},{i}", ())) + [None, None])[:2]
            candidate = (_HELD.get(token) if token is not None else None) or (
                LIBRARY.get(name) if name is not None else None) or custom.get((i, j))
            if candidate is not None:
                custom[(i, j)] = candidate
                continue
            what = "a user-defined function" if name is None else f"the user function {name!r}"
            problems.append(f"edge {i} -> {j} holds {what}, which this process does not know: "
                            f"{ADVICE}")
    return problems


class ByName:
    """A user candidate in a pickle, by its name (``unpicklable``: its function could not be
    pickled, so only this process's candidate of that ``token`` or a registered one of that
    name can stand in for it)."""

    def __init__(self, name: str, unpicklable: bool = False, token: str | None = None) -> None:
        self.name, self.unpicklable, self.token = name, unpicklable, token


class Held:
    """A user candidate on its way into a pickle: itself if it pickles, else :class:`ByName`."""

    def __init__(self, candidate) -> None:
        self.candidate = candidate

    def __deepcopy__(self, memo):
        return self.candidate

    def __reduce__(self):
        try:
            pickle.dumps(self.candidate)
        except (pickle.PicklingError, AttributeError, TypeError):
            return ByName, (self.candidate.name, True, _hold(self.candidate))
        return _identity, (self.candidate,)


def _identity(candidate):
    return candidate


def resolve(key, value):
    """The candidate for ``value`` as unpickled (a candidate, :class:`ByName`, or a
    :class:`Held` never pickled); ValueError where a name is not registered here."""
    from kanlab.symbolic._library import LIBRARY
    if isinstance(value, Held):
        return value.candidate
    if not isinstance(value, ByName):
        return value
    held = _HELD.get(value.token or "")
    if held is not None:
        return held
    if value.name in LIBRARY:
        return LIBRARY[value.name]
    why = ("held a Python function that could not be pickled (a lambda or a local function)"
           if value.unpicklable else "uses a registered candidate")
    raise ValueError(f"symbolic edge {key} {why}, named {value.name!r}, which is not "
                     f"registered in this process: {ADVICE}; or define the function at a "
                     "module's top level (a pickle holds it by reference)")

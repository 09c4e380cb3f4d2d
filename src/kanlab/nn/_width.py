"""A network's shape from pykan's arguments: ``width``, ``mult_arity`` and input ids."""
from __future__ import annotations

from typing import Sequence

from kanlab._validation import check_int, is_count

__all__ = ["check_arity", "check_ids", "check_width"]


def check_width(width) -> tuple[list[int], list[int]]:
    """``(addition nodes, multiplication nodes)`` per level from pykan's ``width``.

    An entry is ``n`` (``n`` addition nodes) or ``[n_add, n_mult]``; the
    inputs cannot be multiplication nodes and every level needs a node.
    """
    if isinstance(width, (str, bytes)) or not isinstance(width, Sequence) or len(width) < 2:
        raise ValueError(f"width must be a list of at least two layer sizes, got {width!r}")
    n_add, n_mult = [], []
    for level, w in enumerate(width):
        pair = list(w) if isinstance(w, Sequence) and not isinstance(w, (str, bytes)) else None
        if pair is not None and len(pair) == 2 and all(is_count(v) for v in pair) and \
                sum(pair) >= 1 and (level > 0 or pair[1] == 0):
            n_add.append(int(pair[0]))
            n_mult.append(int(pair[1]))
        elif pair is None and is_count(w, 1):
            n_add.append(int(w))
            n_mult.append(0)
        else:
            raise ValueError(f"every entry of width must be a positive int or a pair [n_add, "
                             f"n_mult] (no multiplication nodes among the inputs), got {width!r}")
    return n_add, n_mult


def check_arity(mult_arity, n_mult: list[int]) -> list[list[int]]:
    """Factors of every multiplication node, per level, from pykan's ``mult_arity``.

    ``mult_arity`` is one int for every node, or one list per level (pykan's
    ``[[], [2, 3], []]``) holding an arity for each of that level's
    multiplication nodes (an int entry applies to all of them).
    """
    if isinstance(mult_arity, Sequence) and not isinstance(mult_arity, (str, bytes)):
        levels = list(mult_arity)
        if len(levels) != len(n_mult):
            raise ValueError(f"mult_arity given per level needs {len(n_mult)} entries (one per "
                             f"level of width), got {mult_arity!r}")
        out = []
        for level, (entry, m) in enumerate(zip(levels, n_mult)):
            if isinstance(entry, Sequence) and not isinstance(entry, (str, bytes)):
                arities = [check_int(a, f"mult_arity[{level}] entry", low=2) for a in entry]
                if len(arities) != m:
                    raise ValueError(f"mult_arity[{level}] must give one arity for each of the "
                                     f"{m} multiplication nodes of level {level}, got {entry!r}")
            else:
                arities = [check_int(entry, f"mult_arity[{level}]", low=2)] * m
            out.append(arities)
        return out
    arity = check_int(mult_arity, "mult_arity", low=2)
    return [[arity] * m for m in n_mult]


def check_ids(ids, n: int) -> list[int]:
    """``ids`` as ``n`` distinct non-negative ints (a network's input ids)."""
    ids = [int(i) for i in ids]
    if len(ids) != n or len(set(ids)) != n or min(ids) < 0:
        raise ValueError(f"input_ids must be {n} distinct non-negative ints, got {ids!r}")
    return ids

"""``model.width`` of kanlab.pykan's KAN: pykan's ``[n_add, n_mult]`` pairs, read-only.

pykan 0.2.8 keeps ``width`` as a plain list attribute that its structure methods
(``prune_node``, ``expand_width``, ...) rewrite after changing the layers, and that
its forward pass and plots then read; a user's in-place edit
(``model.width[1][0] += 1``) desynchronises it from the layers (the forward pass
fails or multiplies other subnodes).  Here the layers own the node counts and
``width`` is read off them, so an edit of the returned list would change nothing:
the list and its pairs refuse edits with a TypeError that says what to do instead.
Copies (``copy``, ``deepcopy``, pickling, ``[list(w) for w in model.width]``) are
plain, editable lists.
"""
from __future__ import annotations

__all__ = ["read_only_width"]

_HOW = ("model.width is read off the model's layers, so editing it would change no model: "
        "change the structure with expand_width, prune, prune_node or prune_input (or build "
        "KAN(width=...) anew); to edit a width for another model, edit a copy: "
        "width = [list(w) for w in model.width]")


def _refuse(self, *args, **kwargs):
    raise TypeError(_HOW)


class _ReadOnlyList(list):
    """A list whose in-place edits raise TypeError; its copies are plain lists."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def _plain(self) -> list:
        return [v._plain() if isinstance(v, _ReadOnlyList) else v for v in self]

    def __copy__(self) -> list:
        return self._plain()

    def __deepcopy__(self, memo) -> list:
        return self._plain()

    def __reduce_ex__(self, protocol):
        return list, (self._plain(),)


def read_only_width(pairs: list[list[int]]) -> list[list[int]]:
    """``pairs`` as a list (of lists) whose in-place edits raise TypeError."""
    return _ReadOnlyList(_ReadOnlyList(p) for p in pairs)

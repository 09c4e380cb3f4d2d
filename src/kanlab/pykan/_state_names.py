"""pykan 0.2.8's key names looked up in kanlab.pykan's ``state_dict``.

User code reads pykan's keys off a state dict: the hidden width from
``state_dict()["act_fun.0.coef"].shape[1]`` (pykan lays the splines out ``(in, out, G + k)``),
the grid size from ``["act_fun.0.grid"].shape``, the symbolic table
``["symbolic_fun.0.affine"]``.  kanlab's keys are its own (``layers.0.coef``, laid out
``(out, in, G + k)``; ``symbolic.0.affine``), and stay so: they are what ``load_state_dict``,
``torch.save`` and every checkpoint hold.  A pykan name missing from the dict is answered
from kanlab's entry, in pykan's layout (not stored: iterating, ``len``, ``in`` and saving
see kanlab's keys only).  Pickled or deep-copied, the dict is a plain ``OrderedDict``.
"""
from __future__ import annotations

import copy
import re
from collections import OrderedDict

from kanlab.pykan._views import SPLINE_LAYOUT

__all__ = ["PykanNames", "with_pykan_names"]

_NAME = re.compile(r"^(act_fun|symbolic_fun)\.(\d+)\.(\w+)$")
_AFFINE = re.compile(r"^((?:sub)?node_(?:bias|scale))_(\d+)$")  # node_scale_0 -> affines.0...


class PykanNames(OrderedDict):
    """A ``state_dict`` that also answers pykan's key names (:mod:`kanlab.pykan._state_names`)."""

    def __missing__(self, key):
        affine = _AFFINE.match(key) if isinstance(key, str) else None
        if affine is not None:  # affine_trainable's maps (kanlab.nn._node_affine)
            value = OrderedDict.get(self, f"affines.{affine.group(2)}.{affine.group(1)}")
            if value is not None:
                return value
        found = _NAME.match(key) if isinstance(key, str) else None
        if found is not None:
            part, l, name = found.groups()
            if part == "act_fun" and name in SPLINE_LAYOUT:
                own, dims = SPLINE_LAYOUT[name]
                value = OrderedDict.get(self, f"layers.{l}.{own}")
                if value is not None:
                    return value.permute(dims)
            if part == "symbolic_fun" and name in ("affine", "mask"):
                value = OrderedDict.get(self, f"symbolic.{l}.{name}")
                if value is not None:
                    return value
        raise KeyError(key)

    def __reduce_ex__(self, protocol):
        return _plain(self).__reduce_ex__(protocol)

    def __deepcopy__(self, memo):
        return copy.deepcopy(_plain(self), memo)


def _plain(state: OrderedDict) -> OrderedDict:
    """``state`` as a plain ``OrderedDict`` (with torch's ``_metadata``)."""
    plain = OrderedDict(state)
    if hasattr(state, "_metadata"):
        plain._metadata = state._metadata
    return plain


def with_pykan_names(state: OrderedDict) -> PykanNames:
    """``state`` (a fresh ``state_dict``) as a dict that answers pykan's names too."""
    named = PykanNames(state)
    if hasattr(state, "_metadata"):
        named._metadata = state._metadata
    return named

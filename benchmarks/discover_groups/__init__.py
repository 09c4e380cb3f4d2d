"""Held-out law groups of ``benchmarks/discover.py --group NAME``: one module per group.

Each module's ``LAWS`` has ``discover.LAWS``'s format (name -> ``(fn, ranges, text)``) and
its docstring says when the group was written and on which code it was first run blind.
A new group is a new module ``heldout<N>.py``; the groups are listed in the order they were
written (``heldout``, ``heldout2``, …), which decides the law a reused name stands for in
``discover.ALL_LAWS`` (the earlier group's).
"""
from __future__ import annotations

import importlib
import pkgutil


def _order(name: str) -> int:
    return int(name[len("heldout"):] or 1)


GROUPS = {name: importlib.import_module(f"{__name__}.{name}").LAWS
          for name in sorted((m.name for m in pkgutil.iter_modules(__path__)
                              if m.name.startswith("heldout")), key=_order)}

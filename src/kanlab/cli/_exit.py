"""A quicker interpreter exit for the command line.

After ``kanlab train`` the interpreter's shutdown took about 1 s of CPU (a
third of it after merely importing torch): CPython's finalisation runs full
garbage collections over every tracked object, some 200,000 of them for
torch, sympy and matplotlib's modules (``perf``: two thirds of the exit in
``gc_collect_main``).  Nothing the run made needs those collections: every
file is written and closed by then.  :func:`freeze_at_exit` registers an
``atexit`` handler that moves the surviving objects into the collector's
permanent generation (:func:`gc.freeze`), so the final collections skip them;
modules are still torn down and finalisers still run.

The handler leaves the collector alone when a nanobind extension (triton's,
for instance) is loaded: nanobind checks at exit that its objects were freed,
and objects kept by the freeze would make it print a "leaked instance" line
for each.
"""
from __future__ import annotations

import atexit
import gc
import sys
import types

__all__ = ["freeze_at_exit"]

_registered = False


def _nanobind_loaded() -> bool:
    """Whether a loaded extension module (or one of its submodules) defines nanobind types."""
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if not path.endswith((".so", ".pyd")):
            continue
        spaces = [module] + [v for v in vars(module).values() if isinstance(v, types.ModuleType)]
        for space in spaces:
            for value in list(vars(space).values()):
                if isinstance(value, type) and type(value).__module__ == "nanobind":
                    return True
    return False


def _freeze() -> None:
    if not _nanobind_loaded():
        gc.freeze()


def freeze_at_exit() -> None:
    """Make the interpreter's exit skip collecting the objects alive at exit (once)."""
    global _registered
    if not _registered:
        atexit.register(_freeze)
        _registered = True

"""pykan's ``width``, ``grid`` and ``k`` as attributes a subclass may set before the model exists.

pykan 0.2.8 keeps them as plain attributes, and sklearn-style subclasses of ``KAN`` store
their hyper-parameters under these names in their own ``__init__`` and call
``KAN.__init__(self, ...)`` later, once ``fit`` knows the data's shape (or call it first
and set the same values again).  Here the layers define them once the model is built, so:

* before ``KAN.__init__`` has built the layers, setting one keeps the value and reading it
  returns that value (a plain attribute, as pykan's);
* afterwards reading it reads the layers, and setting it must agree with them (the same
  value again is accepted; another raises ValueError saying how to change the structure).
"""
from __future__ import annotations

from typing import Callable

__all__ = ["built", "kept_before_init", "keep_before_init", "set_when_built"]


def built(model) -> bool:
    """Whether ``KAN.__init__`` has built ``model``'s layers (read without nn.Module's hooks)."""
    return "layers" in model.__dict__.get("_modules", {})


def kept_before_init(model, name: str):
    """The value a subclass set for ``name`` before the model was built."""
    try:
        return model.__dict__["_before_init"][name]
    except KeyError:
        raise AttributeError(f"{type(model).__name__!r} has no {name!r} yet: it is set by "
                             "KAN.__init__ (or by the subclass before calling it)") from None


def keep_before_init(model, name: str, value) -> None:
    model.__dict__.setdefault("_before_init", {})[name] = value


def set_when_built(name: str, read: Callable, how: str) -> property:
    """A property reading ``read(model)`` once built; before, a plain attribute.  Once built,
    setting it to another value than ``read(model)`` raises ValueError (``how``: what to do)."""
    def get(self):
        return read(self) if built(self) else kept_before_init(self, name)

    def put(self, value) -> None:
        if not built(self):
            keep_before_init(self, name, value)
        elif value != read(self):
            raise ValueError(f"{name} follows the model's layers, {read(self)!r}; got {value!r}: {how}")

    return property(get, put, doc=f"pykan's ``{name}``, read off the layers ({__name__})")

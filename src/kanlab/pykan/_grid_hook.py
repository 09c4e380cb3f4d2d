"""A subclass's ``update_grid_from_samples`` runs where pykan's ``fit`` would call it.

pykan's ``fit`` updates the grids with ``self.update_grid(x)``, which calls
``self.update_grid_from_samples(x)`` ("retained for the sake of classes that might inherit
from MultKAN"): a subclass that transforms the inputs before the network overrides it (and
``forward``) and its grids follow the transformed inputs.  kanlab's fit (and the methods)
call ``update_grid(x, max_change=..., carry=...)`` and kanlab.pykan's
``update_grid_from_samples`` calls ``update_grid``, so:

* when a subclass overrides ``update_grid_from_samples``, ``update_grid`` hands ``x`` to it
  and keeps the fit's settings (``grid_eps``, ``max_change``, ``carry``) for the update the
  override asks for (``super().update_grid_from_samples(z)`` → ``update_grid(z)``), which is
  then done on ``z``;
* a subclass's own ``update_grid(self, x)`` in pykan's one-argument form is wrapped when the
  class is made (:func:`accept_fit_settings`): the fit's settings are kept the same way and not
  passed to it;
* otherwise nothing changes.
"""
from __future__ import annotations

import functools
import inspect

__all__ = ["accept_fit_settings", "handed_to_override", "settings_inside"]

_KEY = "_grid_update_settings"


def handed_to_override(model, base: type, x, settings: tuple) -> bool:
    """Hand ``x`` to ``model``'s own ``update_grid_from_samples`` when a subclass of ``base``
    overrides it and this call does not come from it; True when it ran (the update is done)."""
    own = type(model).update_grid_from_samples is not base.update_grid_from_samples
    if not own or _KEY in model.__dict__:
        return False
    model.__dict__[_KEY] = settings
    try:
        model.update_grid_from_samples(x)
    finally:
        del model.__dict__[_KEY]
    return True


def settings_inside(model, settings: tuple) -> tuple:
    """The settings of the update an override asked for: the fit's where this call gives none
    (``grid_eps``/``max_change`` None, ``carry`` False)."""
    outer = model.__dict__.get(_KEY)
    if outer is None:
        return settings
    return tuple(o if s is None or s is False else s for s, o in zip(settings, outer))


def accept_fit_settings(cls) -> None:
    """Wrap ``cls``'s own ``update_grid`` when it takes no ``max_change``/``carry`` (pykan's
    ``update_grid(self, x)``): kanlab's fit passes them; the wrapper keeps them for the update
    the override asks for (``super().update_grid(z)``) and calls it with ``x`` alone."""
    own = cls.__dict__.get("update_grid")
    if own is None or not callable(own) or getattr(own, "_keeps_fit_settings", False):
        return
    params = inspect.signature(own).parameters
    if "max_change" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return

    @functools.wraps(own)
    def update_grid(self, x, *args, grid_eps=None, max_change=None, carry=False, **kwargs):
        if _KEY in self.__dict__:
            return own(self, x, *args, **kwargs)
        self.__dict__[_KEY] = (grid_eps, max_change, carry)
        try:
            return own(self, x, *args, **kwargs)
        finally:
            del self.__dict__[_KEY]

    update_grid._keeps_fit_settings = True
    cls.update_grid = update_grid

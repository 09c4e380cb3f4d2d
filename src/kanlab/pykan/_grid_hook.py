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
* otherwise nothing changes.
"""
from __future__ import annotations

__all__ = ["handed_to_override", "settings_inside"]

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

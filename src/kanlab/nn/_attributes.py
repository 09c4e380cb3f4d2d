"""Keep a property's own message when it raises ``AttributeError``.

A value computed from data (``feature_score``) cannot exist before the model has
seen data; its property then raises :class:`kanlab.NoDataError`, an
``AttributeError`` so that introspection (``hasattr``, ``dir``-based scans such as
``torch.jit.trace``'s) passes over it.  But when a property of an ``nn.Module``
raises ``AttributeError``, Python falls back to ``Module.__getattr__``, which
replaces the message by "'KAN' object has no attribute 'feature_score'".
:class:`ExplainedAttributes` re-raises the property's error instead.

Only failed lookups reach ``__getattr__`` (an ``nn.Module``'s parameters, buffers
and submodules among them); this adds one ``try`` to those.
"""
from __future__ import annotations

from torch import nn

__all__ = ["ExplainedAttributes"]


class ExplainedAttributes:
    """Mixin before :class:`torch.nn.Module`: a property's ``AttributeError`` reaches the caller."""

    def __getattr__(self, name: str):
        try:
            return nn.Module.__getattr__(self, name)
        except AttributeError:
            prop = getattr(type(self), name, None)
            if not isinstance(prop, property) or prop.fget is None:
                raise
        return prop.fget(self)  # raises the property's own error (or, now, succeeds)

"""A version stamp that moves whenever an attribute of a KAN module is set or deleted.

The fused forward path (:mod:`kanlab.nn._fused_forward`) derives a plan from a model's
layers (their degrees, base functions, flags, knots, masks) and keeps it for the next
call.  Finding out per call whether anything the plan was made from changed cost a
fingerprint of some twenty items per layer (~7 µs at [2, 5, 1]); here an attribute set
or deleted on a :class:`KANLayer`, a :class:`KAN` or a :class:`SymbolicEdges` (degree,
extrapolation, base function, the knots' uniformity flag, a replaced parameter or
buffer, an activated symbolic edge, a replaced class) moves one process-wide counter,
and the plan keeps the value it was made at.

Tensors replaced through ``_parameters``/``_buffers`` directly (as
``torch.func.functional_call`` and ``Module.to`` do) and layers replaced inside their
``ModuleList`` set no attribute of ours: :func:`track` swaps those dicts for
:class:`StampedDict`, a dict that moves the stamp on every change.  What neither
catches is checked by the plan's owner separately, and cheaply: tensors changed in
place (their ``_version``) and hooks added or removed.
"""
from __future__ import annotations

__all__ = ["Stamped", "StampedDict", "stamp", "track"]

_STAMP = [0]  # the counter; a list so the modules bump it without a global statement


def stamp() -> int:
    """The counter's value now; any attribute set or deleted since made it larger."""
    return _STAMP[0]


class Stamped:
    """Mixin (before ``nn.Module``) that moves the stamp on every attribute set or delete.

    Increments from two threads at once may merge into one, but the value still grows, so
    a plan made before either is never taken for current.
    """

    __slots__ = ()
    # attributes no plan is made from: setting them leaves the stamp (a class sets its own)
    UNPLANNED: frozenset = frozenset()

    def __setattr__(self, name: str, value) -> None:
        super().__setattr__(name, value)
        if name not in self.UNPLANNED:
            _STAMP[0] += 1

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        _STAMP[0] += 1


class StampedDict(dict):
    """A dict that moves the stamp whenever an entry is set, deleted or replaced."""

    __slots__ = ()

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        _STAMP[0] += 1

    def __delitem__(self, key) -> None:
        super().__delitem__(key)
        _STAMP[0] += 1

    def __ior__(self, other):
        _STAMP[0] += 1
        return super().__ior__(other)

    def _changed(name: str):
        def method(self, *args, **kwargs):
            _STAMP[0] += 1
            return getattr(dict, name)(self, *args, **kwargs)
        method.__name__ = name
        return method

    pop = _changed("pop")
    popitem = _changed("popitem")
    clear = _changed("clear")
    update = _changed("update")
    setdefault = _changed("setdefault")
    del _changed


def track(module, *names: str) -> None:
    """Make ``module``'s dicts ``names`` (e.g. ``"_parameters"``) :class:`StampedDict` s,
    with the same entries; dicts that already are stay as they are.  Written into the
    instance dict directly: the stamp does not move."""
    state = module.__dict__
    for name in names:
        if type(state[name]) is not StampedDict:
            state[name] = StampedDict(state[name])

"""The switchboard: every process-wide switch of kanlab in one place.

=================  ===========  ==============================================
switch             default      what it does
=================  ===========  ==============================================
``checks``         ``True``     value checks in the forward pass (NaN, inf,
                                overflow); shape and dtype checks are always on
``kernels``        ``True``     the C++ kernels where they apply; ``False`` runs
                                the pure-PyTorch reference (the environment
                                variable ``KANLAB_NO_EXTENSION=1`` also
                                switches them off, for a whole process)
``strategy``       ``"auto"``   the kernels' strategy: ``"auto"`` (the cost
                                model), ``"dense"``, ``"local"`` or ``"rows"``
                                (layers of few outputs)
``feature_block``  ``4 << 20``  bytes of spline features per block of inputs in
                                the dense strategy
``local_rows``     ``0``        rows per block of the local strategy (0: the
                                whole batch)
=================  ===========  ==============================================

Each switch has a setter that returns the previous value and a context
manager that restores it, like :func:`torch.set_grad_enabled` and
:class:`torch.no_grad`::

    >>> import kanlab.config as config
    >>> with config.use(strategy="dense", checks=False):
    ...     pass  # forward passes here use the dense kernels, unchecked
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Iterator

__all__ = ["Settings", "get", "set", "use", "set_checks", "checks_enabled", "checks"]

_STRATEGIES = ("auto", "dense", "local", "rows")


@dataclass(frozen=True)
class Settings:
    """A snapshot of every switch (see the module's table)."""

    checks: bool = True
    kernels: bool = True
    strategy: str = "auto"
    feature_block: int = 4 << 20
    local_rows: int = 0

    def __post_init__(self) -> None:
        for name in ("checks", "kernels"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"config.{name} must be a bool, got "
                                f"{type(getattr(self, name)).__name__}")
        if self.strategy not in _STRATEGIES:
            raise ValueError(f"config.strategy must be one of {_STRATEGIES}, got {self.strategy!r}")
        for name, low in (("feature_block", 1), ("local_rows", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"config.{name} must be an int >= {low}, got {value!r}")


_current = Settings()


def get() -> Settings:
    """The switches in force now."""
    return _current


def set(**changes) -> Settings:  # noqa: A001 - mirrors torch.set_* naming
    """Change some switches for the whole process; returns the previous settings.

    Raises
    ------
    TypeError, ValueError
        For an unknown switch or a value it does not accept.
    """
    global _current
    known = {f.name for f in fields(Settings)}
    unknown = sorted(changes.keys() - known)
    if unknown:
        raise TypeError(f"unknown switch(es) {unknown}; the switches are {sorted(known)}")
    previous, _current = _current, replace(_current, **changes)
    return previous


@contextmanager
def use(**changes) -> Iterator[Settings]:
    """Change some switches inside a ``with`` block and restore them after it."""
    global _current
    previous = set(**changes)
    try:
        yield _current
    finally:
        _current = previous


def set_checks(enabled: bool) -> bool:
    """Switch the forward pass's value checks on or off; returns the previous setting."""
    if not isinstance(enabled, bool):
        raise TypeError(f"set_checks expects a bool, got {type(enabled).__name__}")
    return set(checks=enabled).checks


def checks_enabled() -> bool:
    """Whether forward passes check their inputs' values."""
    return _current.checks


@contextmanager
def checks(enabled: bool = True) -> Iterator[None]:
    """Value checks on (or off) inside a ``with`` block.

    >>> import kanlab
    >>> with kanlab.checks(False):
    ...     pass  # forward passes here skip the NaN/inf/overflow scan
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"checks expects a bool, got {type(enabled).__name__}")
    with use(checks=enabled):
        yield

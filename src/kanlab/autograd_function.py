"""The base of kanlab's autograd Functions: :class:`torch.autograd.Function` with a cheaper ``apply``.

A Function that defines ``setup_context`` (as torch.func requires) has every
``apply`` bind its arguments to ``forward``'s signature with :mod:`inspect`,
which cost more than a small layer's kernels (about 60 µs of a 115 µs call).
kanlab's Functions are always called with every argument positional, so the
binding changes nothing: :meth:`Function.apply` skips it whenever no
torch.func transform is active, and defers to torch's ``apply`` otherwise,
which then finds ``forward``'s signature made once, when the subclass was defined.
"""
from __future__ import annotations

import inspect

import torch

__all__ = ["Function"]


class Function(torch.autograd.Function):
    """Subclass like :class:`torch.autograd.Function`; call ``apply`` with positional arguments only."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:  # inspect.signature reads a stored __signature__ first
            cls.forward.__signature__ = inspect.signature(cls.forward)

    @classmethod
    def apply(cls, *args):
        if torch._C._are_functorch_transforms_active():
            return super().apply(*args)
        # The C++ apply that torch's own runs after binding: forward, then
        # setup_context (the same call with the same, already positional, arguments).
        return super(torch.autograd.Function, cls).apply(*args)

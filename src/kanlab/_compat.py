"""Every private torch API kanlab touches, wrapped in one place.

torch changes its private modules between releases; kanlab reads them only
here, each behind a function with a fallback, so a new torch breaks at most
this file. The public surface of the wrappers:

* :func:`transforms_active`, :func:`in_jvp_transform`, :func:`is_functorch_wrapped`,
  :func:`is_fake`, :func:`forward_ad_active`, :func:`recording_graph`,
  :func:`exporting_onnx`: where a tensor or
  call is running (under ``torch.func``, ``torch.compile``/``torch.export``,
  ``torch.jit.trace``, ``torch.onnx.export``, forward-mode AD);
* :func:`outside_transforms`: a context that leaves the running transforms;
* :func:`static_size`, :func:`index_tensor`: a size as a Python int, a tensor of
  constant indices, quietly under ``torch.jit.trace``;
* :class:`Function`: :class:`torch.autograd.Function` with a cheaper ``apply``.

Why :class:`Function`: a Function that defines ``setup_context`` (as
torch.func requires) has every ``apply`` bind its arguments to ``forward``'s
signature with :mod:`inspect`, which costs more than a small layer's kernels
(about 60 µs of a 115 µs call). kanlab's Functions are always called with every
argument positional, so the binding changes nothing: :meth:`Function.apply`
skips it whenever no torch.func transform is active, and defers to torch's
``apply`` otherwise, which then finds ``forward``'s signature made once, when
the subclass was defined.
"""
from __future__ import annotations

import contextlib
import inspect
import warnings

import torch
from torch import Tensor
from torch.autograd import forward_ad

__all__ = ["Function", "transforms_active", "in_jvp_transform", "is_functorch_wrapped",
           "is_fake", "forward_ad_active", "recording_graph", "exporting_onnx", "outside_transforms"]

try:  # torch >= 2.0
    from torch._C._functorch import TransformType as _TransformType
    from torch._C._functorch import get_interpreter_stack as _interpreter_stack
    from torch._C._functorch import is_functorch_wrapped_tensor as _is_wrapped
except ImportError:  # pragma: no cover - older or stripped builds
    _TransformType = _interpreter_stack = None

    def _is_wrapped(_t) -> bool:
        return False

# torch.jit.is_tracing() without its is_scripting() test (this runs in eager Python only)
_jit_tracing = getattr(torch._C, "_is_tracing", None) or torch.jit.is_tracing

try:
    from torch._subclasses.fake_tensor import FakeTensor as _FakeTensor
except ImportError:  # pragma: no cover
    _FakeTensor = ()


def transforms_active() -> bool:
    """Whether a ``torch.func`` transform (``vmap``, ``grad``, ``jvp``...) is running."""
    return bool(torch._C._are_functorch_transforms_active())


def in_jvp_transform() -> bool:
    """Whether a running ``torch.func`` transform is forward mode (``jvp``, ``jacfwd``)."""
    if _interpreter_stack is None:
        return False
    stack = _interpreter_stack()
    return bool(stack) and any(i.key() == _TransformType.Jvp for i in stack)


def is_functorch_wrapped(t: Tensor) -> bool:
    """Whether ``t`` is a ``torch.func`` wrapper (batched, gradient-tracking or dual)."""
    return bool(_is_wrapped(t))


def is_fake(t: Tensor) -> bool:
    """Whether ``t`` is a fake tensor (``torch.export`` / ``torch.compile`` tracing)."""
    return isinstance(t, _FakeTensor) if _FakeTensor else False


def recording_graph() -> bool:
    """Whether a graph is being recorded (``torch.compile``, ``torch.export``,
    ``torch.jit.trace``): no Python branch may depend on tensor values."""
    return torch.compiler.is_compiling() or bool(_jit_tracing())


def static_size(x: Tensor, dim: int) -> int:
    """``x.shape[dim]`` for a check in Python.

    Under ``torch.jit.trace`` a size is a recorded 0-d tensor, and comparing it in Python
    warns (``TracerWarning``) that the value becomes a constant of the graph; it is read
    here without the warning, since what it is checked against (a layer's width) is fixed
    in the graph anyway.  Elsewhere (eager; ``torch.compile``'s SymInts) the size is
    returned as it is.
    """
    size = x.shape[dim]
    if not isinstance(size, Tensor):
        return size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return int(size)


def index_tensor(values: list[int], device) -> Tensor:
    """``torch.tensor(values, device=device)`` (int64 indices of a model's structure).

    Under ``torch.jit.trace`` such a tensor becomes a constant of the graph, as these
    indices are by design, and torch warns (``TracerWarning``) that it does; made here
    without the warning.
    """
    if not _jit_tracing():
        return torch.tensor(values, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return torch.tensor(values, device=device)


def exporting_onnx() -> bool:
    """Whether ``torch.onnx.export`` is recording the graph (either exporter)."""
    return recording_graph() and torch.onnx.is_in_onnx_export()


def forward_ad_active() -> bool:
    """Whether a dual level of :mod:`torch.autograd.forward_ad` is open."""
    return forward_ad._current_level >= 0


@contextlib.contextmanager
def outside_transforms():
    """Run the block outside any ``torch.func`` transform in progress.

    Constants cached for later calls must be made here: made inside a
    transform and cached, torch 2.13's functorch later fails an internal
    assert in ``jacfwd``.  The block also runs outside a ``torch.jit.trace`` in
    progress, so a cached constant is a constant of the traced graph whether the
    trace made it or found it (else ``trace``'s check, which traces twice, finds
    two different graphs).
    """
    with _untraced():
        try:
            from torch._functorch.pyfunctorch import temporarily_clear_interpreter_stack
        except ImportError:  # pragma: no cover
            yield
            return
        with temporarily_clear_interpreter_stack():
            yield


@contextlib.contextmanager
def _untraced():
    """Pause a ``torch.jit.trace`` in progress (nothing to pause: a no-op)."""
    get = getattr(torch._C, "_get_tracing_state", None)
    state = get() if get is not None else None
    if state is None:
        yield
        return
    torch._C._set_tracing_state(None)
    try:
        yield
    finally:
        torch._C._set_tracing_state(state)


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

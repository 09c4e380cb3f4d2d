"""An accelerator emulated on CPU, for tests (not a test module): ``from _device_guard import
on_device``.

No GPU runs the suite, yet a model on one must never meet a tensor the library made on the
host by accident.  Inside :func:`on_device` every tensor is on CPU, but some stand for the
accelerator (*device* tensors): those given to :func:`to_device`, those made with
``device=`` a ``torch.device`` (``device=x.device``) or moved with ``.to(x)`` /
``.to(x.device)``, and whatever is computed from a device tensor.  The others are *host*
tensors: module constants, ``torch.from_numpy``, ``.cpu()`` and ``.to("cpu")`` copies.  A
tensor made with no ``device=`` lands on ``meta`` (the default device), as it would land on
the CPU next to a CUDA model.

Every torch call then checks what CUDA would: its tensor arguments of one or more dimensions
are all device, all host or all meta (0-dim host tensors mix with anything, a 0-dim device
tensor only with device ones); ``.numpy()`` reads a host tensor; ``torch.linalg.lstsq`` on
device tensors uses ``gels``, the only driver CUDA has.  The emulated device's type is
still ``"cpu"``, so the paths kanlab keeps for CPU tensors (the C++ kernels, numpy and
Python floats for small problems) are switched off inside :func:`on_device`: the body runs
the paths a CUDA model runs.  torch itself lets some meta/CPU mixes through (``@``, indexing, ``searchsorted``), hence the explicit check.  Copies between
places (``copy_``, ``.to``, ``x[...] = host``) and host index tensors are allowed, as on CUDA.
"""
from __future__ import annotations

import contextlib
from unittest import mock

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

from kanlab.splines import _tables

_DEVICE = "_kanlab_test_device"


_CPU_ONLY = [
    ("kanlab.ops._extension.ops", lambda: None),  # the C++ kernels (CPU tensors only)
    ("kanlab.train._optim.NUMPY_MAX", -1),  # L-BFGS's numpy vectors
    ("kanlab.train._reg_layer.NUMPY_LIMIT", -1),  # the penalty in numpy ...
    ("kanlab.train._reg_layer.PYTHON_LIMIT", -1),  # ... or Python floats
]


class DeviceMixError(RuntimeError):
    """What CUDA would have refused."""


def is_device(t: torch.Tensor) -> bool:
    return getattr(t, _DEVICE, False)


def _mark(t: torch.Tensor) -> torch.Tensor:
    setattr(t, _DEVICE, True)
    return t


def to_device(*objs):
    """Mark the tensors (any nesting; modules: their parameters and buffers) as device tensors."""
    for obj in objs:
        if isinstance(obj, nn.Module):
            for t in [*obj.parameters(), *obj.buffers()]:
                _mark(t)
        else:
            for t in tree_flatten(obj)[0]:
                if isinstance(t, torch.Tensor):
                    _mark(t)
    return objs[0] if len(objs) == 1 else objs


def _where(t: torch.Tensor) -> str:
    if t.device.type == "meta":
        return "meta (made without device=)"
    return "device" if is_device(t) else "host"


DEVICE = torch.device("cpu", 0)
"""The emulated accelerator's name: ``.device`` of a device tensor; ``device=DEVICE`` makes
device tensors, ``device="cpu"`` host ones."""


def _names_device(target) -> bool:
    """Whether a ``device=`` / ``.to()`` argument names the emulated accelerator."""
    if isinstance(target, torch.Tensor):
        return is_device(target)
    if isinstance(target, (str, torch.device)):
        return torch.device(target) == DEVICE
    return False


def _target(args, kwargs):
    """``Tensor.to``'s device or tensor argument, if any."""
    for a in (*args, kwargs.get("device"), kwargs.get("other")):
        if isinstance(a, (str, torch.device, torch.Tensor)):
            return a
    return None


_COPIES = {torch.Tensor.copy_, torch.Tensor.to, torch.Tensor.__setitem__}
_SHAPED = {torch.Tensor.view_as, torch.Tensor.reshape_as, torch.Tensor.expand_as,
           torch._has_compatible_shallow_copy_type}
_INDEXED = {torch.Tensor.__getitem__, torch.Tensor.__setitem__, torch.Tensor.index_put_,
            torch.Tensor.index_put}


def _tensors(items, found: list) -> list:
    """The tensors in ``items``, looking into lists and tuples (what torch calls take)."""
    for a in items:
        if isinstance(a, torch.Tensor):
            found.append(a)
        elif isinstance(a, (list, tuple)):
            _tensors(a, found)
    return found


class _Guard(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__name__", "") == "__get__":  # an attribute: .device, .T, .grad, ...
            out = func(*args, **kwargs)
            with torch._C.DisableTorchFunction():
                if isinstance(out, torch.device):
                    return DEVICE if is_device(args[0]) and out.type == "cpu" else out
                if isinstance(out, torch.Tensor) and is_device(args[0]):
                    _mark(out)
            return out
        if getattr(func, "__name__", "") == "__set__":  # p.data = t (Module.to): p is where t is
            out = func(*args, **kwargs)
            with torch._C.DisableTorchFunction():
                if getattr(getattr(func, "__self__", None), "__name__", "") == "data":
                    value = is_device(args[1])  # (args[1] may be args[0] itself)
                    args[0].__dict__.pop(_DEVICE, None)
                    if value:
                        _mark(args[0])
            return out
        with torch._C.DisableTorchFunction():  # the checks themselves are not checked
            tensors = _check(func, args, kwargs)
        out = func(*args, **kwargs)  # under torch.device("meta")
        with torch._C.DisableTorchFunction():
            return _place(func, args, kwargs, tensors, out)


def _check(func, args, kwargs) -> list:
    """Raise :class:`DeviceMixError` where CUDA would refuse ``func(*args, **kwargs)``;
    return its tensor arguments."""
    tensors = _tensors(args, [])
    if kwargs:
        _tensors(kwargs.values(), tensors)
    checked = tensors
    if func in _INDEXED and len(args) > 1:  # integer/boolean indices may be on the host
        index = {id(t) for t in _tensors([args[1]], [])
                 if not t.is_floating_point() and t.device.type == "cpu" and not is_device(t)}
        checked = [t for t in tensors if id(t) not in index]
    if func is torch.Tensor.__setitem__:  # the value is copied in, as by copy_
        checked = [t for t in checked if t is not args[2]] if len(args) > 2 else checked
    elif func in _COPIES or func in _SHAPED:
        checked = checked[:1]
    places = {_where(t) for t in checked if t.dim() > 0}
    if places and any(t.dim() == 0 and is_device(t) for t in checked):
        places.add("device")
    if len(places) > 1:
        raise DeviceMixError(f"{getattr(func, '__name__', func)} mixes {sorted(places)} tensors")
    if func is torch.Tensor.numpy and is_device(args[0]):
        raise DeviceMixError(".numpy() of a device tensor (call .cpu() first)")
    if func is torch.linalg.lstsq:
        driver = kwargs.get("driver", args[3] if len(args) > 3 else None)
        if driver not in (None, "gels") and is_device(args[0]):
            raise DeviceMixError(f"lstsq driver {driver!r} on a device tensor (CUDA has only "
                                 "'gels')")
    return tensors


def _place(func, args, kwargs, tensors, out):
    """``out``, its tensors marked as device tensors where they are on the device."""
    outs = [t for t in _tensors([out], []) if t.device.type == "cpu"]
    if func is torch.Tensor.cpu or func is torch.Tensor.to:
        target = _target(args[1:], kwargs) if func is torch.Tensor.to else "cpu"
        if target is not None and not _names_device(target):  # to the host: a copy on CUDA
            if outs and is_device(outs[0]):
                out = out.clone()
                out.__dict__.pop(_DEVICE, None)
            return out
        device = target is not None or is_device(args[0])
        if device and out is args[0] and not is_device(args[0]):  # on CUDA a copy, not self
            out = out.clone()
            outs = [out]
    elif func in _SHAPED:  # takes only the other tensor's shape
        device = is_device(args[0])
    else:
        device = any(is_device(t) for t in tensors) or _names_device(kwargs.get("device"))
    if device:
        for t in outs:
            _mark(t)
    return out


@contextlib.contextmanager
def on_device():
    """Run the body as if the tensors marked by :func:`to_device` were on an accelerator; see
    the module docstring for what raises :class:`DeviceMixError`."""
    new = nn.Parameter.__dict__["__new__"]

    def parameter(cls, data=None, requires_grad=True):  # a device tensor's Parameter is one too
        p = new.__func__(cls, data, requires_grad)
        if data is not None and is_device(data):
            _mark(p)
        return p

    nn.Parameter.__new__ = staticmethod(parameter)
    # tables cached per device would come back as host tensors: start from empty caches
    caches = [_tables._CARDINAL]
    saved = [dict(c) for c in caches]
    for c in caches:
        c.clear()
    try:
        with contextlib.ExitStack() as stack:
            for target, value in _CPU_ONLY:  # the paths a CUDA tensor does not take
                stack.enter_context(mock.patch(target, value))
            stack.enter_context(torch.device("meta"))
            stack.enter_context(_Guard())
            yield
    finally:
        nn.Parameter.__new__ = new
        for c, s in zip(caches, saved):
            c.clear()
            c.update(s)


def assert_on_device(tensors, dtype: torch.dtype | None = None) -> None:
    """Every floating tensor in ``tensors`` (any nesting; modules: their parameters and
    buffers) is a device tensor, of ``dtype`` when given."""
    if isinstance(tensors, nn.Module):
        tensors = [*tensors.parameters(), *tensors.buffers()]
    for t in tree_flatten(tensors)[0]:
        if isinstance(t, torch.Tensor) and t.is_floating_point():
            assert t.device.type == "cpu" and is_device(t), _where(t)
            assert dtype is None or t.dtype == dtype, (t.dtype, dtype)

"""Input checks shared by the layer, the grid update and training.

Policy (see docs/reliability.md):

* Structural checks (type, shape, dtype) are always on: they read only
  metadata, so they cost nothing and never synchronise a GPU.
* Value checks in the forward pass (NaN, inf, and finite inputs so large that
  the linear extension of the splines would overflow the dtype) cost one
  reduction over the input and one host sync per layer (they live in
  :mod:`kanlab.nn._value_checks`).  They are on by default and can be
  switched off for speed with :func:`kanlab.config.set_checks` or, for a
  block of code, the :func:`kanlab.config.checks` context manager.  They are skipped inside
  ``torch.compile`` and ``torch.func`` transforms (``vmap``, ``jacrev``), where
  data-dependent Python control flow is not allowed; run the model once
  outside the transform to validate the data.
* ``fit``, ``update_grid`` and ``create_dataset`` always check values: they do
  it once per call, not once per step.
"""
from __future__ import annotations

import math
import numbers
import operator

import torch
from torch import Tensor

__all__ = ["NonFiniteError", "NoDataError", "ArgumentTypeError", "check_int", "is_count", "clip_repr",
           "check_float", "check_samples", "reference_batch", "check_float_dtype",
           "check_solver_dtype", "check_device", "choose_device", "check_allocation"]


class NonFiniteError(ValueError):
    """Values are NaN or inf, or so large that a layer's output would overflow its dtype.

    A subclass of ``ValueError``; :func:`kanlab.fit` catches it inside a step
    (hidden activations that overflowed) and treats it as a non-finite loss.
    """


class NoDataError(ValueError, AttributeError):
    """A value computed from data (``feature_score``, pykan's ``acts_scale``...) read before
    the model has any: no ``x`` given and no ``reference_input``.

    A ``ValueError`` for the caller, and an ``AttributeError`` so that ``hasattr``,
    ``getattr(model, name, default)`` and everything built on ``dir`` (``inspect.getmembers``,
    ``torch.jit.trace``'s scan of a module's members) see the value as absent, as pykan's
    attributes are before the first forward pass, instead of failing.  :class:`kanlab.KAN`
    keeps the message when a property raises it (:mod:`kanlab.nn._attributes`).
    """


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (a float, a bool or a string where an int is due).

    A ``TypeError``, and also a ``ValueError``: kanlab raised ``ValueError`` for
    these before :func:`check_int` and :func:`check_float` checked every
    argument, and code that catches it keeps working.
    """


def check_samples(x, n_features: int, dtype: torch.dtype, what: str, device=None) -> None:
    """Raise unless ``x`` is a finite, non-empty ``(B, n_features)`` tensor of ``dtype``.

    Used where a batch of samples is required (grid updates, datasets); the
    value check is always done here, whatever :func:`set_checks` says.

    Raises
    ------
    TypeError
        not a tensor, or the wrong dtype.
    ValueError
        wrong shape or empty.
    NonFiniteError
        NaN or inf values (a ``ValueError``).
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{what} expects a torch.Tensor of shape (B, {n_features}), "
                        f"got {type(x).__name__}")
    if x.dim() != 2 or x.shape[1] != n_features or x.shape[0] == 0:
        raise ValueError(f"{what} needs a non-empty batch of shape (B, {n_features}), "
                         f"got {tuple(x.shape)}")
    if x.dtype != dtype:
        raise TypeError(f"{what} expects dtype {dtype} (the model's), got {x.dtype}; "
                        f"convert with x.to({dtype})")
    if x.layout != torch.strided:
        raise TypeError(f"{what} expects a dense tensor, got layout {x.layout}; convert with "
                        "x.to_dense()")
    if device is not None and x.device != device:
        raise TypeError(f"{what} expects samples on {device} (the model's device), got "
                        f"{x.device}; move them with x.to(...)")
    bad = ~torch.isfinite(x)
    if bool(bad.any()):
        rows, cols = bad.nonzero(as_tuple=True)
        raise NonFiniteError(f"{what} got {int(bad.sum())} non-finite values (NaN or inf), "
                             f"first at row {int(rows[0])}, column {int(cols[0])}; "
                             "clean the data first")


def check_int(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as a Python int, checked to lie in ``[low, high]``.

    Parameters
    ----------
    value : int or numpy integer
        Anything with ``__index__`` except ``bool`` (so ``np.int64(5)`` works).
    name : str
        The argument's name, for the error message.
    low, high : int, optional
        Inclusive bounds.

    Raises
    ------
    ArgumentTypeError
        When ``value`` is not an integer (a ``TypeError`` and a ``ValueError``).
    ValueError
        When it lies outside the bounds.
    """
    expected = ("a positive int" if (low, high) == (1, None)
                else "a non-negative int" if (low, high) == (0, None)
                else "an int" if low is None and high is None
                else f"an int >= {low}" if high is None else f"an int <= {high}" if low is None
                else f"an int in [{low}, {high}]")
    if isinstance(value, bool):
        raise ArgumentTypeError(f"{name} must be {expected}, got bool {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise ArgumentTypeError(f"{name} must be {expected}, got {type(value).__name__} "
                                f"{value!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value



def is_count(value, low: int = 0) -> bool:
    """Whether ``value`` is an int (not a bool) of at least ``low``: :func:`check_int` as a test."""
    try:
        check_int(value, "value", low=low)
    except ValueError:  # ArgumentTypeError is one too
        return False
    return True


def clip_repr(text: str, width: int = 60) -> str:
    """``repr`` of ``text``, shortened to about ``width`` characters for a one-line message."""
    return repr(text if len(text) <= width else text[:width - 3] + "...")

def check_float(value, name: str, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, finite: bool = True) -> float:
    """``value`` as a Python float, checked to be finite and to lie within the bounds.

    Parameters
    ----------
    value : real number
        Python or numpy ints and floats; ``bool`` is refused.
    name : str
        The argument's name, for the error message.
    low, high : float, optional
        Bounds; ``low`` is exclusive when ``low_open`` is true.
    finite : bool
        Refuse NaN and inf (the default). NaN is refused always.

    Raises
    ------
    ArgumentTypeError
        When ``value`` is not a real number (a ``TypeError`` and a ``ValueError``).
    ValueError
        When it is NaN, infinite (with ``finite``) or outside the bounds.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_float_dtype(dtype, what: str) -> None:
    """Raise TypeError unless ``dtype`` is None or a real floating-point torch dtype."""
    if dtype is None:
        return
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"{what}: dtype must be a torch.dtype such as torch.float64, got "
                        f"{type(dtype).__name__} {dtype!r}")
    if not dtype.is_floating_point:
        raise TypeError(f"{what}: dtype must be a real floating-point dtype (torch.float32 or "
                        f"torch.float64), got {dtype}")


def check_solver_dtype(dtype: torch.dtype, what: str) -> None:
    """Raise TypeError unless ``dtype`` is float32 or float64, which least-squares solves need."""
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{what} needs a float32 or float64 model (its least-squares solves and "
                        f"optimisers are not implemented for {dtype}); convert with "
                        f"model.to(torch.float32), then back with model.to({dtype})")


def check_device(device, what: str) -> torch.device | None:
    """``torch.device(device)`` (None stays None); a clear error for a bad or absent device.

    Raises
    ------
    TypeError
        not a device (``"cpu"``, ``"cuda:0"``, an index or a ``torch.device``).
    ValueError
        a device this machine does not have (CUDA without a GPU, an index
        beyond the device count).
    """
    if device is None:
        return None
    if isinstance(device, bool) or not isinstance(device, (str, int, torch.device)):
        raise TypeError(f"{what}: device must be a device such as 'cpu', 'cuda:0' or a "
                        f"torch.device, got {type(device).__name__} {device!r}")
    try:
        device = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise TypeError(f"{what}: {device!r} is not a device; use 'cpu', 'cuda', 'cuda:0', "
                        "... or a torch.device") from None
    backend = getattr(torch, device.type, None) if device.type in ("cuda", "mps", "xpu") else None
    if backend is not None:
        if not backend.is_available():
            raise ValueError(f"{what}: device {str(device)!r} is not available on this machine "
                             f"(torch.{device.type}.is_available() is False); use 'cpu'")
        count = getattr(backend, "device_count", lambda: 1)()
        if device.index is not None and device.index >= count:
            raise ValueError(f"{what}: device {str(device)!r} does not exist; this machine has "
                             f"{count} {device.type} device(s)")
    return device


def choose_device(device, what: str, dtype: torch.dtype | None = None) -> torch.device:
    """``device`` as a ``torch.device`` this machine has; ``"auto"``: the first CUDA GPU when
    one is usable, else the CPU.

    The errors of :func:`check_device`, and a ValueError for float64 on Apple's ``mps``
    (which has no float64).
    """
    if isinstance(device, str) and device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device is None:
        raise TypeError(f"{what}: device must be 'cpu', 'cuda', 'cuda:0', 'auto', ... or a "
                        "torch.device, got None")
    device = check_device(device, what)
    if dtype == torch.float64 and device.type == "mps":
        raise ValueError(f"{what}: dtype float64 on {str(device)!r}: MPS has no float64; use "
                         "float32 there, or the CPU")
    return device


def _memory_bytes(device: torch.device | None) -> int | None:
    """Total memory of ``device`` (None: unknown)."""
    try:
        if device is None or device.type == "cpu":
            import os
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        if device.type == "cuda":
            return torch.cuda.get_device_properties(device).total_memory
    except (ValueError, OSError, AttributeError, RuntimeError):
        pass
    return None


def check_allocation(n_elements: int, dtype: torch.dtype | None, device, what: str) -> None:
    """ValueError before allocating ``n_elements`` values that ``device`` cannot hold.

    Compared with the device's total memory (the machine's RAM for the CPU),
    so the message says what was asked for instead of an allocator failure
    (or minutes of swapping).
    """
    device = None if device is None else torch.device(device)
    size = (dtype or torch.get_default_dtype()).itemsize * n_elements
    total = _memory_bytes(device)
    if total is not None and size > total:
        raise ValueError(f"{what} needs {n_elements:.3g} values ({size / 2 ** 30:.3g} GiB), more "
                         f"than the {total / 2 ** 30:.3g} GiB of memory of the "
                         f"{'cpu' if device is None else device} device; use a smaller width "
                         "or grid")


def reference_batch(model, x: Tensor | None) -> Tensor:
    """``x``, or the model's ``reference_input`` when ``x`` is None, checked to be a batch.

    The data that attribution, pruning and the symbolic fits score a model on.
    """
    if x is None:
        x = getattr(model, "reference_input", None)
        if x is None:
            raise NoDataError("no data to score the edges on: pass x (N, n_in) or fit the "
                             "model first (fit stores its training inputs as reference_input)")
    if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[0] < 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"attribution needs a batch x of shape (N >= 2, {model.n_nodes[0]}), "
                         f"got {shape}")
    return x

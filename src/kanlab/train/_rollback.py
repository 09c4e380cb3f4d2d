"""The non-finite rollback of :func:`kanlab.train.fit`: state snapshots, the finiteness
check, and the stop that restores the last parameters whose loss was finite."""
from __future__ import annotations

import time
from collections import OrderedDict
import warnings

import torch

__all__ = ["NonFiniteLossError", "snapshot", "copy_into", "all_finite", "nonfinite_stop",
           "copy_state"]


class NonFiniteLossError(RuntimeError):
    """Raised by :func:`fit` (``on_nonfinite="raise"``) when the loss stops being finite."""


def snapshot(model, into: dict | None = None) -> dict:
    """The model's state for a non-finite rollback, copied into ``into``'s buffers when they fit.

    Reusing the buffers makes the per-step snapshot a plain memory copy, with no
    allocation; new buffers are made only when the state's keys or shapes change.
    """
    return copy_into(model.state_dict(), into)


def copy_into(state: dict, into: dict | None = None) -> dict:
    """A detached copy of ``state`` (a ``state_dict``) in ``into``'s buffers when they fit
    (its keys, shapes, dtypes and devices), else in new ones (:func:`copy_state`)."""
    fits = isinstance(into, OrderedDict) and into.keys() == state.keys() and all(
        into[k].shape == v.shape and into[k].dtype == v.dtype and into[k].device == v.device
        for k, v in state.items())
    if not fits:
        return copy_state(state)
    with torch.no_grad():  # one fused copy per step instead of one op per tensor
        torch._foreach_copy_(list(into.values()), list(state.values()))
    into._metadata = getattr(state, "_metadata", None)  # as copy_state's
    return into


def copy_state(state: dict, memory_format=torch.preserve_format) -> OrderedDict:
    """A detached copy of a ``state_dict``, with torch's metadata, which holds what no tensor
    does (:attr:`SymbolicEdges.moved_offsets`)."""
    out = OrderedDict((name, t.detach().clone(memory_format=memory_format))
                      for name, t in state.items())
    out._metadata = getattr(state, "_metadata", None)
    return out


def all_finite(tensors) -> bool:
    """Whether every floating-point tensor is free of NaN/inf, with one host sync.

    A tensor's sum is NaN or inf exactly when one of its elements is, unless
    finite elements overflow when added; summing in float64 rules that out
    (a float32 tensor would need over 10**269 elements).  One read of each
    tensor, no temporaries, unlike ``isfinite`` (three passes and a mask).
    """
    sums = []
    with torch.no_grad():
        for t in tensors:
            if t.is_complex():
                t = torch.view_as_real(t)
            if t.is_floating_point():
                sums.append(t.detach().sum(dtype=torch.float64))
    return bool(torch.isfinite(torch.stack(sums)).all()) if sums else True


def nonfinite_stop(model, good: dict, verified: bool, history, step: int,
                    cfg, start: float) -> None:
    """Restore the last parameters that evaluated finite; raise when asked or when none did."""
    model.load_state_dict(good)
    history.status, history.stopped_at = "nonfinite", step
    history.wall_time = time.perf_counter() - start
    if not verified:
        message = (f"the loss is non-finite from the start (step {step}): no parameters of "
                   "this fit evaluate to a finite loss, so the starting parameters were restored; "
                   "check the data scale, the learning rate and the model's initial outputs")
        if cfg.on_nonfinite == "raise":
            raise NonFiniteLossError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=4)  # at fit (via _train, _run)
        return
    if cfg.on_nonfinite == "raise":
        raise NonFiniteLossError(f"loss became non-finite at step {step}; the last parameters "
                                 "whose loss was finite were restored")

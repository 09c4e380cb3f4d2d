"""One idle scratch buffer, reused by the next call instead of fresh memory.

The dense strategy's backward pass (:func:`kanlab.ops._strategies.dense_backward`)
needs a transient gradient of the features, ``(B, F·S)``: 12.8 MB at [784,64]
b=512.  Fresh memory of that size came back from the C library's heap through
page faults every step, once the step's freed buffers together passed its trim
threshold: about 3,000 faults per [784,64,10] step and a fifth of its CPU time
(loaded machine), where the dense limit (whose features are an input) faulted
none.  So the largest buffer handed back is kept (one, up to the caller's
limit) and lent to the next caller whose buffer fits in it.
"""
from __future__ import annotations

import threading

import torch
from torch import Tensor

__all__ = ["take", "give", "idle_bytes"]

_idle: list[Tensor] = []  # at most one flat uint8 buffer
_lock = threading.Lock()


def take(numel: int, like: Tensor) -> tuple[Tensor, Tensor]:
    """``(raw, buf)``: a flat uninitialised buffer ``buf`` of ``numel`` elements of
    ``like``'s dtype and device, in the idle bytes ``raw`` when they are large enough
    (one caller at a time takes them), else in fresh memory.  Hand ``raw`` back with
    :func:`give` once nothing refers to ``buf`` any more."""
    nbytes = numel * like.element_size()
    raw = None
    with _lock:
        if _idle and _idle[0].numel() >= nbytes and _idle[0].device == like.device:
            raw = _idle.pop()
    if raw is None:
        raw = torch.empty(nbytes, dtype=torch.uint8, device=like.device)
    return raw, raw[:nbytes].view(like.dtype)


def give(raw: Tensor, limit: int) -> None:
    """Keeps ``raw`` (from :func:`take`) as the idle buffer if it is the largest offered
    and at most ``limit`` bytes; else lets it go."""
    if raw.numel() > limit:
        return
    with _lock:
        if not _idle or _idle[0].numel() < raw.numel():
            _idle[:] = [raw]


def idle_bytes() -> int:
    """Size of the idle buffer in bytes (0: none kept)."""
    with _lock:
        return _idle[0].numel() if _idle else 0

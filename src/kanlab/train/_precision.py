"""Float64 for the rest of a fit once float32 L-BFGS stalls.

Near a loss's floor, float32 rounding in the loss and its gradient can make
L-BFGS stop although the exact gradient is not small: in a long flat valley the
float32 gradient's rounding error (a few per cent) turns the curvature pairs
into noise and the line search finds no decrease, so the parameters stop moving
(docs/pykan_notebook_runs.md, pykS: a ``[2, 1]`` fit on a normalised-gradient
loss stalls at RMSE 1.8e-4 in float32 and goes on to 1e-5 in float64).

:class:`Precision` moves the model to float64 in place at such a stall, lets
the fit's callback and evaluations see it in its own dtype (the float64 values
kept aside meanwhile), and hands it back in its own dtype at the end.  A float64
step that does not lower the loss either means the fit has converged: the model
goes back to its dtype for good.  Fits that never stall never widen, and pay
nothing.
"""
from __future__ import annotations

import contextlib

import torch
from torch import Tensor

__all__ = ["Precision", "stalled", "STALL_RTOL"]

# a step that lowers the loss by less than this share of it has stalled: float32's own
# rounding of a mean loss is ~1e-7 of it, a step that still makes progress lowers it by more
STALL_RTOL = 1e-5


def stalled(loss_before: float, loss_after: float) -> bool:
    """Whether one optimiser step, from ``loss_before`` to ``loss_after``, made no progress."""
    return not loss_after < loss_before - STALL_RTOL * abs(loss_before)


class Precision:
    """Widens ``model`` to float64 in place while a fit needs it (see the module docstring).

    ``enabled`` says whether widening may happen at all (a float32 model, full-batch
    L-BFGS); ``wide`` whether the model is float64 now.  ``data(*tensors)`` gives the
    tensors to train on in the model's current dtype.
    """

    def __init__(self, model, enabled: bool) -> None:
        self.model = model
        self.dtype = model.dtype
        self.enabled = bool(enabled) and self.dtype == torch.float32
        self.wide = False
        self.trial = False  # the float64 step just taken is the first one (its test)

    def data(self, *tensors: Tensor) -> tuple[Tensor, ...]:
        dtype = self.model.dtype
        return tuple(t.to(dtype) if t.is_floating_point() else t for t in tensors)

    def after_step(self, loss_before: float, loss_after: float) -> bool:
        """Widen at a float32 stall, narrow for good when float64 does not help either.
        Returns whether the model's dtype changed (the caller rebuilds what depends on it)."""
        if not self.enabled:
            return False
        no_progress = stalled(loss_before, loss_after)
        if self.wide:
            trial, self.trial = self.trial, False
            if trial and no_progress:  # converged: float64 finds no decrease either
                self.finish()
                self.enabled = False
                return True
            return False
        if no_progress:
            self.model.to(torch.float64)
            self.wide = self.trial = True
            return True
        return False

    @contextlib.contextmanager
    def narrowed(self):
        """The model in its own dtype inside the block (for callbacks and reported errors);
        its float64 values are restored after."""
        if not self.wide:
            yield
            return
        kept = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.model.to(self.dtype)
        try:
            yield
        finally:
            self.model.to(torch.float64)
            self.model.load_state_dict(kept)

    def finish(self) -> None:
        """The model back in its own dtype (for good)."""
        if self.wide:
            self.model.to(self.dtype)
            self.wide = False

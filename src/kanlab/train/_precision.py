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

The float64 steps lower the float64 objective, but the model is handed back in
its own dtype.  At float32's floor the two differ: float32 L-BFGS has settled
where float32's own rounding errors partly cancel (they are systematic: the
same point is better on the test set too), which float64 cannot see, and its
optimum, rounded back, can be worse in float32 than the stall was
(docs/pykan_notebook_runs.md, marginsB: Example_9's exact symbolic fit stalls
at train RMSE 3.196e-7 in float32 and comes back from float64 at 3.366e-7).
So the first float64 step is also judged in the model's own dtype: unless it
lowers the objective there below the stall's, the model goes back to its dtype
for good at the stall's state (:meth:`Precision.settle`, which also guards the
end of the fit); a grid update while wide forgets that state (the fit has
moved on from it).
"""
from __future__ import annotations

import contextlib

import torch
from torch import Tensor

from kanlab.train._rollback import snapshot

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

    def __init__(self, model, enabled: bool, objective=None) -> None:
        self.model = model
        self.dtype = model.dtype
        self.enabled = bool(enabled) and self.dtype == torch.float32
        self.wide = False
        self.trial = False  # the float64 step just taken is the first one (its test)
        # objective(): the training objective of the model as it is now, a float; with it,
        # `stall` holds (objective, state) in the model's own dtype where it widened
        self.objective = objective
        self.stall = None

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
            # converged (float64 finds no decrease either), or its step is no better than the
            # stall once back in the model's own dtype (the floor described above)
            if trial and (no_progress or not self._ahead_of_stall()):
                self.settle()
                self.enabled = False
                return True
            return False
        if no_progress:
            if self.objective is not None:
                self.stall = (self.objective(), snapshot(self.model))
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
        kept = snapshot(self.model)
        self.model.to(self.dtype)
        try:
            yield
        finally:
            self.model.to(torch.float64)
            self.model.load_state_dict(kept)

    def _ahead_of_stall(self) -> bool:
        """Whether the model, in its own dtype, has a lower objective than at the stall."""
        if self.stall is None:
            return True
        with self.narrowed():
            return self.objective() < self.stall[0]

    def forget(self) -> None:
        """The fit has moved on from the stall (a grid update, a fresh draw): no going back."""
        self.stall = None

    def settle(self) -> None:
        """The model back in its own dtype for good, at the stall's state if the float64 steps
        left its objective higher there than the stall's (or not finite)."""
        stall, self.stall = self.stall, None
        if not self.wide:
            return
        self.finish()
        if stall is not None and not self.objective() <= stall[0]:
            self.model.load_state_dict(stall[1])

    def finish(self) -> None:
        """The model back in its own dtype (for good), as it is."""
        self.stall = None
        if self.wide:
            self.model.to(self.dtype)
            self.wide = False

"""pykan's ``LBFGS`` signature on :class:`torch.optim.LBFGS`, with trial points of the
line search that overflow rejected instead of raised, and a restart after a step that could
not move."""
from __future__ import annotations

import math

import torch

from kanlab._validation import NonFiniteError

__all__ = ["LBFGS"]


class LBFGS(torch.optim.LBFGS):
    """:class:`torch.optim.LBFGS` that also takes pykan's ``tolerance_ys`` (curvature pairs with
    ``y·s`` at or below it are skipped by torch's own check, so it is accepted and unused).

    With ``line_search_fn="strong_wolfe"``, a trial point whose closure raises
    :class:`kanlab.NonFiniteError` (a hidden layer overflowed) or returns a NaN or infinite
    loss counts as a failed trial: the line search sees a loss above every loss of this
    ``step`` and a zero gradient, so it shrinks the step, and the parameters never take
    that point.  pykan would carry the NaN on into the model; the notebooks' own loops
    (``optimizer.step(closure)``) then train on.  The loss at the starting point of a
    ``step``, and every evaluation without a line search, still raise.

    A ``step`` that leaves the parameters where it found them (its line searches found no
    lower point along the directions its curvature pairs gave) clears those pairs, so the
    next ``step`` starts along the gradient.  torch's optimiser would repeat the same failed
    direction at every later step: a step that does not move adds no pair, so nothing
    changes.  That happens when a pair is formed across parameters changed outside the
    optimiser, as pykan's PDE loops do (``update_grid_from_samples`` between two steps):
    its gradient change is not the objective's curvature.  On pykan's Example_6 (cell 2,
    without the C++ extension, on one machine's kernels) every step after the update at
    step 5 failed its line search and the printed PDE loss (the last trial's) was 5e23.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, tolerance_ys=1e-32, history_size=100,
                 line_search_fn=None):
        super().__init__(params, lr=lr, max_iter=max_iter, max_eval=max_eval,
                         tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                         history_size=history_size, line_search_fn=line_search_fn)
        self._highest = 0.0  # the highest finite loss of the current step
        self.rejected = 0  # trial points rejected as non-finite, over every step
        self.restarts = 0  # steps that could not move, after which the pairs were cleared

    def step(self, closure):
        self._highest = -math.inf

        def tracked():
            loss = closure()
            value = float(loss.detach() if torch.is_tensor(loss) else loss)
            if math.isfinite(value):
                self._highest = max(self._highest, value)
            return loss

        before = self._flat_params()
        loss = super().step(tracked)
        if torch.equal(before, self._flat_params()):  # stuck: forget the curvature pairs
            self.state[self._params[0]]["n_iter"] = 0
            self.restarts += 1
        return loss

    @torch.no_grad()
    def _flat_params(self) -> torch.Tensor:
        return torch.cat([p.detach().reshape(-1) for p in self._params])

    def _directional_evaluate(self, closure, x, t, d):
        """The loss and flat gradient at ``x + t·d`` (torch's line-search hook); a trial
        that overflows gives a loss above every finite one of this step and a zero gradient."""
        if math.isfinite(float(t)):
            try:
                loss, flat_grad = super()._directional_evaluate(closure, x, t, d)
                if math.isfinite(loss):
                    return loss, flat_grad
            except NonFiniteError:
                pass
        self._set_param(x)  # closure raised with the parameters at the trial point
        self.rejected += 1
        # finite, so that the line search's cubic interpolation stays finite
        high = self._highest if math.isfinite(self._highest) else 0.0
        return high + abs(high) + 1.0, torch.zeros_like(d)

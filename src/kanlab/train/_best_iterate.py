"""The best iterate of a full-batch Adam fit, handed back at its end.

Adam takes steps of about ``lr`` in every parameter whatever the gradient's size, so near an
exact minimum it does not settle: its second-moment estimate decays with the gradient until a
step overshoots, and the loss spikes by orders of magnitude and recovers, again and again
(docs/pykan_notebook_runs.md, keep_best: pykan's Example_10 cell 16, 2000 steps at lr 1e-3,
reaches 5e-8 and ended anywhere from 1.1e-7 to 1.1e-3 over 12 draws, in float64 as in float32).
Which number the fit ends on is then a draw. On the whole training set each step's loss is the
training objective of the parameters it starts from, so the fit keeps the parameters with the
lowest one since the last grid update (a grid update changes the function the parameters stand
for) and returns them when they are lower than where the last step ended.
"""
from __future__ import annotations

import math
from typing import Callable

from kanlab.train._rollback import copy_into

__all__ = ["BestIterate"]


class BestIterate:
    """The lowest-objective state offered since the last :meth:`forget`; inactive: none."""

    def __init__(self, active: bool) -> None:
        self.active = active
        self.loss = math.inf
        self.state: dict | None = None
        self.step: int | None = None

    def offer(self, loss: float, state: dict, step: int) -> None:
        """``state`` (a snapshot) evaluated to the training objective ``loss`` after ``step``
        steps; kept (copied) when it is the lowest so far."""
        if self.active and loss < self.loss:
            self.state = copy_into(state, self.state)
            self.loss, self.step = loss, step

    def forget(self) -> None:
        """The states offered so far stand for another function (a grid update, a new dtype)."""
        self.loss, self.step = math.inf, None

    def restore(self, model, loss_now: Callable[[], float]) -> int | None:
        """Put the kept state into ``model`` when its objective is below ``loss_now()`` (the
        model's own, evaluated only when a state is kept); returns its step, else None."""
        if self.step is None or not self.loss < loss_now():
            return None
        model.load_state_dict(self.state)
        return self.step

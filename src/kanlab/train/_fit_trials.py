"""Trials inside :func:`kanlab.train.fit`: an interval trained from the current state, and
the first step taken with and without the step-0 grid update.

A trial of the continuation choice (:mod:`kanlab.train._continuation_choice`) trains the
interval up to the next grid update from the state the fit is in.  The fit would then
train the chosen branch's interval again, step for step the same (the same state, a fresh
optimiser, the same batches, the same arithmetic).  So a trial records each step's end
state and what the fit's loop reads after a step (the loss, the optimiser's last loss and
stall flag, the penalty), and the fit replays the kept branch's steps from the record:
its history rows, callbacks and progress see every step once, as before, and the interval
is trained twice instead of three times.  A trial that cannot stand for the fit's own steps
(a minibatch fit, whose batches come from the fit's generator; a step that may end the fit
as converged; a trial that widened to float64) is not recorded, and the fit trains that
interval itself.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

__all__ = ["RecordedStep", "Recorder", "run_trial", "restore", "first_step_both_ways",
           "RECORD_LIMIT"]

# a trial keeps at most this many parameter values over its steps (else the fit retrains)
RECORD_LIMIT = 1 << 24


@dataclass
class RecordedStep:
    """One step of a trial: what the fit's loop reads after ``optimizer.step``."""

    params: list[Tensor]  # every parameter after the step
    loss: float  # the loss at the step's starting point (what optimizer.step returns)
    last_loss: float  # the optimiser's loss after its last iteration (float64 stall test)
    stalled: bool  # the optimiser could not move the parameters
    reg: float  # the penalty at the step's last evaluation
    dtype: torch.dtype  # the model's dtype during the step (float64 once widened)
    optimizer: object = None  # the trial's optimiser: the fit goes on with it after the replay


class Recorder:
    """Called by the fit's loop after each finite step of a trial: records it."""

    def __init__(self) -> None:
        self.steps: list[RecordedStep] = []

    def __call__(self, model, loss: float, optimizer, reg: float) -> None:
        self.steps.append(RecordedStep(
            [p.detach().clone() for p in model.parameters()], float(loss),
            float(getattr(optimizer, "last_loss", loss)), bool(getattr(optimizer, "stalled", False)),
            float(reg), model.dtype, optimizer))


@torch.no_grad()
def restore(model, step: RecordedStep) -> None:
    """Put ``step``'s parameters into ``model`` (in place: the knots and caches stay)."""
    torch._foreach_copy_([p.data for p in model.parameters()], step.params)


def run_trial(train: Callable, objective: Callable, model, x: Tensor, y: Tensor, cfg,
              steps: int, record: bool) -> tuple[float, list[RecordedStep] | None]:
    """``steps`` steps of ``cfg`` on ``(x, y)`` from the model's state, with no grid update,
    callback or choice; returns the training ``objective(model, x, y, cfg)`` after them
    (``inf`` when the fit does not end finite) and, with ``record``, every step's record
    (None where they cannot stand for the fit's own steps).  Trains ``model``.

    ``train(model, dataset, cfg, record)`` is the fit's loop."""
    trial = dataclasses.replace(cfg, steps=steps, update_grid=False, callback=None,
                                progress=False, eval_every=steps, stop_when_converged=False,
                                choose_first_grid_update=False, choose_continuation=None,
                                choose_continuation_decisive=None,
                                choose_continuation_far=None,
                                retry_trapped=0, keep_best=False)
    n_values = sum(p.numel() for p in model.parameters()) * steps
    recorder = Recorder() if record and n_values <= RECORD_LIMIT else None
    dtype = model.dtype
    # the training tensors themselves as the test set: a loss_fn may know its labels by identity
    history = train(model, {"train_input": x, "train_label": y, "test_input": x, "test_label": y},
                    trial, recorder)
    if history.status != "completed":
        return math.inf, None
    kept = None
    if recorder is not None and len(recorder.steps) == steps and all(
            s.dtype == dtype for s in recorder.steps):
        kept = recorder.steps
    return objective(model, x, y, cfg), kept


def first_step_both_ways(model, optimizer, step_with: Callable, step_without: Callable,
                         update: Callable, snapshot: Callable, score: Callable,
                         margin: float = 1.0, settings=None):
    """The first step taken with and without the step-0 grid update, from the same state.

    ``update()`` updates the grid; ``step_with()`` takes the first step after it and returns
    ``(loss, optimizer)`` (its loss at the starting point and the optimiser to go on with);
    ``step_without(optimizer)`` takes it with the fit's own ``optimizer`` and returns the
    loss; ``score()`` is the training loss after a step (``inf`` when it does not evaluate).
    The model keeps the branch without the update when its score is below the update's
    divided by ``margin`` (``margin = 1``: the lower score, the update on a tie), else the
    update's.  Returns ``(updated, optimizer, loss, start)``: whether the update was kept,
    that branch's optimiser, the loss at its starting point and its starting state.
    ``settings(with_update)``, if given, puts back what a branch has besides its state (the
    layers' continuations) before that branch's step and for the branch kept.
    """
    settings = settings or (lambda with_update: None)
    start_without = snapshot(model)
    update()
    start_with = snapshot(model)
    loss_with, optimizer_with = step_with()
    score_with = score() if math.isfinite(loss_with) else math.inf
    after_with = snapshot(model)
    model.load_state_dict(start_without)  # knots too (the layers refresh their tables)
    settings(False)
    loss_without = step_without(optimizer)
    score_without = score() if math.isfinite(loss_without) else math.inf
    if not score_with <= margin * score_without and math.isfinite(score_without):
        return False, optimizer, loss_without, start_without
    model.load_state_dict(after_with)
    settings(True)
    return True, optimizer_with, loss_with, start_with

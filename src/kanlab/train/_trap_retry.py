"""Trapped starts inside :func:`kanlab.train.fit`: the first interval retried from fresh draws.

Some initial draws of a thin network send the fit into a local minimum that no later step
leaves: a ``[2, 1, 1]`` fitting ``f(g(x) + h(y))`` can settle on a hidden node that carries
``g`` and a small ``h`` of the wrong sign, so the outer edge cannot separate the two terms
and the training RMSE stays at about a third of the labels' spread on 4 of 10 of pykan's
draws (docs/pykan_notebook_runs.md, pykX and pykY).  Which draws trap is decided by the
draw, not by the fit's options, and the trapped ones show it early: after the first
interval (up to the second grid update) their data loss is still a sizeable share of the
labels' variance, where the draws that train have already left it far behind.

So, when the data loss after the first interval is above ``cfg.retry_trapped_above`` times
the labels' variance (the loss of predicting their mean), the fit trains that same first
interval again, as a trial, from up to ``cfg.retry_trapped`` fresh draws of the parameters
(the layers' own :meth:`~kanlab.nn.KANLayer.reset_parameters`, drawn in turn from one
generator seeded with the model's ``seed``: deterministic; the knots, masks and symbolic
edges are the fit's starting ones).  A trial replaces the fit's state only when its
training objective (data loss plus penalties) is below the fit's own divided by
``RETRY_MARGIN``; otherwise the fit goes on from its own state, bit for bit as without the
check.  A fit whose first interval ends below the threshold pays one evaluation of the
data loss.  L-BFGS, the plain mean squared error and fits longer than the interval only: a
few Adam steps leave every draw near its start, a ``loss_fn``'s labels need not be the
targets, and a short fit of a trained model is asked to polish that model.

A penalised fit can trap another way: its first interval collapses to the labels' mean
(data loss above ``COLLAPSED_ABOVE`` of their variance), the sparsity penalty having pulled
every edge toward zero before the data term shaped any.  On balanced labels where no single
input carries a first-order signal (pykan's Example_12: ``[6, 1, 1]``, contrastive 0/1
labels, ``lamb_entropy=10``) the collapsed network is a stationary point, every draw
collapses (pykan 0.2.8 too: seeds 0-7 end at RMSE 0.500), and so do draws nudged by
``1e-5``.  A collapsed fit first trains the interval again from its own start with the
penalty off (``lamb = 0``); the same objective then decides: the penalised objective after
that interval against the fit's own.  From there the penalised fit keeps the shape the data
gave (Example_12: 0.500 -> 0.167, the notebook printed 0.18; docs/pykan_notebook_runs.md,
edge).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable

import torch
from torch import Tensor

from kanlab.train._continuation_choice import continuations, set_continuations
from kanlab.train._rollback import snapshot

__all__ = ["is_trapped", "redraw", "retry_trapped", "RETRY_MARGIN", "COLLAPSED_ABOVE"]

# a trial replaces the fit's state only when its objective is below the fit's own divided by
# this: draws that are both trapped (or both fine) differ by less, and the fit keeps its own
RETRY_MARGIN = 2.0
# a penalised fit whose first interval leaves the data loss above this share of the labels'
# variance has collapsed (learned less than half of what the labels' mean leaves): its first
# trial is its own start trained without the penalty.  Trapped draws of thin networks sit
# far lower (RMSE about a third of the labels' spread: about 0.1 of the variance)
COLLAPSED_ABOVE = 0.5


@torch.no_grad()
def label_variance(y: Tensor) -> float:
    """Mean over outputs of the labels' variance: the mean squared error of their mean."""
    return float(torch.mean((y - y.mean(0, keepdim=True)) ** 2))


@torch.no_grad()
def is_trapped(model, x: Tensor, y: Tensor, above: float) -> bool:
    """Whether ``model``'s mean squared error on ``(x, y)`` is above ``above`` times the
    labels' variance (``False`` for constant labels)."""
    variance = label_variance(y)
    if not variance > 0:
        return False
    try:
        mse = float(torch.mean((model(x) - y) ** 2))
    except ValueError:  # NonFiniteError: a hidden layer overflowed
        return True
    return not mse <= above * variance


@torch.no_grad()
def redraw(model, generator: torch.Generator) -> None:
    """Every layer's coefficients and scales drawn anew from ``generator`` (the knots, masks
    and symbolic edges stay)."""
    for layer in model.layers:
        layer.reset_parameters(generator)


def retry_trapped(model, start: dict, start_continuations: list[str], train: Callable,
                  objective: Callable, x: Tensor, y: Tensor, cfg, steps: int):
    """Train the first ``steps`` steps again from up to ``cfg.retry_trapped`` fresh draws of
    ``start`` (the state the fit began from, knots included) and keep the best trial if its
    training objective beats the model's current one by ``RETRY_MARGIN``.  A penalised fit
    (``cfg.lamb > 0``) that has collapsed (``COLLAPSED_ABOVE``) first tries ``start`` itself
    with the interval trained unpenalised, judged on the same penalised objective.

    ``train(model, dataset, cfg)`` is the fit's loop and ``objective(model, x, y, cfg)`` its
    training objective.  Returns the kept trial's history (its grid updates and continuation
    choice), or ``None`` when the model is left in its own state (restored bit for bit)."""
    own_state = snapshot(model)
    own_continuations, own_dtype = continuations(model), model.dtype
    # the fit's own state may be float64 (FitConfig.float64_when_stalled); the trials start
    # from `start`, in the model's own dtype, that of x
    best = objective(model, x.to(own_dtype), y.to(own_dtype), cfg) / RETRY_MARGIN
    kept = None
    generator = torch.Generator().manual_seed(int(getattr(model, "seed", 0)))
    trial_cfg = dataclasses.replace(cfg, steps=steps, callback=None, progress=False,
                                    eval_every=steps, stop_when_converged=False, retry_trapped=0)
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    trials = [trial_cfg] * cfg.retry_trapped  # fresh draws
    if cfg.lamb > 0 and is_trapped(model, x.to(own_dtype), y.to(own_dtype), COLLAPSED_ABOVE):
        trials.insert(0, dataclasses.replace(trial_cfg, lamb=0.0))  # its own start, unpenalised
    for trial in trials:
        model.to(x.dtype)
        model.load_state_dict(start)
        set_continuations(model, start_continuations)
        if trial is trial_cfg:
            redraw(model, generator)
        history = train(model, data, trial)
        score = objective(model, x, y, cfg) if history.status == "completed" else math.inf
        if score < best:
            best = score
            kept = (history, snapshot(model), continuations(model))
        if not is_trapped(model, x, y, cfg.retry_trapped_above) and (
                trial is trial_cfg or kept is not None):
            break  # this draw trains (or the unpenalised start is kept): no need to draw further
    history, state, conts = kept if kept is not None else (None, own_state, own_continuations)
    model.to(x.dtype if kept is not None else own_dtype)
    model.load_state_dict(state)
    set_continuations(model, conts)
    return history

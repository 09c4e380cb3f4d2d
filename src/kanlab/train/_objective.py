"""What :func:`kanlab.train.fit` minimises and reports: the prediction with its penalty, the
training objective, and the RMSE."""
from __future__ import annotations

import math
from typing import Callable, TypeVar

import torch
from torch import Tensor

from kanlab.train._config import FitConfig
from kanlab.train._magnitudes import MagnitudeCache, forward_with_penalty
from kanlab.train._regularization import smoothness_penalty
from kanlab._validation import NonFiniteError

__all__ = ["penalties", "objective", "rmse", "with_autograd_if_needed"]

T = TypeVar("T")


def penalties(model, x: Tensor, cfg: FitConfig, cache: MagnitudeCache | None = None
              ) -> tuple[Tensor, Tensor]:
    """Prediction and the weighted regularisation term of ``cfg`` (what ``fit`` minimises
    besides the data loss; the scikit-learn classifier reuses it with cross-entropy).
    ``cache`` keeps the first layer's features between evaluations on the same input."""
    if cfg.lamb > 0:
        pred, reg = forward_with_penalty(model, x, cache, cfg.lamb, cfg.lamb_l1,
                                         cfg.lamb_entropy, cfg.reg_metric)
    else:
        pred = model(x)
        reg = pred.new_zeros(())
    if cfg.lamb_smooth > 0:
        reg = reg + cfg.lamb_smooth * sum(smoothness_penalty(layer) for layer in model.layers)
    return pred, reg


def rmse(model, x: Tensor, y: Tensor, loss_fn=None) -> float:
    """Root-mean-square error of ``model`` on ``(x, y)`` (``sqrt(loss_fn(pred, y))`` with a
    ``loss_fn``); ``inf`` if a hidden layer overflows.  Without autograd, but for a
    ``loss_fn`` that needs it (:func:`with_autograd_if_needed`)."""
    def evaluate(_graph: bool) -> float:
        try:
            pred = model(x)
        except NonFiniteError:  # some sample overflows a hidden layer
            return math.inf
        if loss_fn is None:
            return float(torch.sqrt(torch.mean((pred - y) ** 2)))
        return math.sqrt(max(float(loss_fn(pred, y).detach()), 0.0))
    if loss_fn is None:
        with torch.no_grad():
            return evaluate(False)
    return with_autograd_if_needed(evaluate)


def with_autograd_if_needed(evaluate: Callable[[bool], T]) -> T:
    """``evaluate(False)`` under ``no_grad``; if that raises a ``RuntimeError`` (a user's loss
    that differentiates, a PINN's residual through ``torch.autograd.grad``, finds no graph
    there), ``evaluate(True)`` with autograd on: the value is the same, and losses that do not
    differentiate, most of them, are not charged for a graph (pykan's Example_14 records a
    cross-entropy over its whole training set every step)."""
    try:
        with torch.no_grad():
            return evaluate(False)
    except RuntimeError:
        with torch.enable_grad():
            return evaluate(True)


def objective(model, x: Tensor, y: Tensor, cfg: FitConfig) -> float:
    """The training objective (data loss plus ``cfg``'s penalties) of ``model`` on ``(x, y)``,
    ``inf`` when it does not evaluate finite; with autograd on: a loss_fn may differentiate
    the model (pykan's pred_fn)."""
    try:
        pred, reg = penalties(model, x, cfg)
        data = torch.mean((pred - y) ** 2) if cfg.loss_fn is None else cfg.loss_fn(pred, y)
    except NonFiniteError:
        return math.inf
    value = float((data + reg).detach())
    return value if math.isfinite(value) else math.inf

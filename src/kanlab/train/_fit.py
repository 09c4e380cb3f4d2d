"""Training: ``fit(model, dataset, FitConfig) -> History``.

The loss is ``MSE`` (or ``cfg.loss_fn(pred, label)``) ``+ lamb · (lamb_l1 · L1 + lamb_entropy · entropy) +
lamb_smooth · smoothness`` (see :mod:`kanlab.train._regularization`).  Grid updates
happen every ``stop_grid_update_step // grid_update_num`` steps until
``stop_grid_update_step``, as in pykan.
"""
from __future__ import annotations

import dataclasses
import math
import time

import torch
from torch import Tensor

from kanlab.train._config import FitConfig
from kanlab.train._continuation_choice import (choose_continuation, continuations,
                                                  set_continuations)
from kanlab.train._dataset_checks import check_dataset
from kanlab.train._diagnostics import warn_out_of_grid
from kanlab.train._history import History
from kanlab.train._knot_moves import knot_move, knots_of
from kanlab.train._magnitudes import MagnitudeCache, forward_with_penalty
from kanlab.train._optim import LBFGS, Adam
from kanlab.train._precision import Precision
from kanlab.train._reg_network import reg_network
from kanlab.train._regularization import smoothness_penalty
from kanlab._validation import NonFiniteError, check_solver_dtype

__all__ = ["fit", "check_dataset", "NonFiniteLossError", "penalties", "rmse"]


class NonFiniteLossError(RuntimeError):
    """Raised by :func:`fit` (``on_nonfinite="raise"``) when the loss stops being finite."""


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


@torch.no_grad()
def rmse(model, x: Tensor, y: Tensor, loss_fn=None) -> float:
    """Root-mean-square error of ``model`` on ``(x, y)`` (``sqrt(loss_fn(pred, y))`` with a
    ``loss_fn``); ``inf`` if a hidden layer overflows."""
    try:
        pred = model(x)
    except NonFiniteError:  # some sample overflows a hidden layer
        return math.inf
    if loss_fn is None:
        return float(torch.sqrt(torch.mean((pred - y) ** 2)))
    return math.sqrt(max(float(loss_fn(pred, y)), 0.0))


def _snapshot(model, into: dict | None = None) -> dict:
    """The model's state for a non-finite rollback, copied into ``into``'s buffers when they fit.

    Reusing the buffers makes the per-step snapshot a plain memory copy, with no
    allocation; new buffers are made only when the state's keys or shapes change.
    """
    state = model.state_dict()
    fits = into is not None and into.keys() == state.keys() and all(
        into[k].shape == v.shape and into[k].dtype == v.dtype and into[k].device == v.device
        for k, v in state.items())
    if not fits:
        return {name: t.detach().clone() for name, t in state.items()}
    with torch.no_grad():  # one fused copy per step instead of one op per tensor
        torch._foreach_copy_(list(into.values()), list(state.values()))
    return into


def _all_finite(tensors) -> bool:
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


def _nonfinite_stop(model, good: dict, verified: bool, history: History, step: int,
                    cfg: FitConfig, start: float) -> None:
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
        import warnings
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return
    if cfg.on_nonfinite == "raise":
        raise NonFiniteLossError(f"loss became non-finite at step {step}; the last parameters "
                                 "whose loss was finite were restored")


class _NoBar:
    """The part of a tqdm bar that :func:`fit` uses, doing nothing."""

    def __init__(self, steps) -> None:
        self.steps = steps

    def __iter__(self):
        return iter(self.steps)

    def set_postfix(self, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def _make_optimizer(model, cfg: FitConfig):
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.opt == "LBFGS":
        return LBFGS(params, lr=cfg.lr, max_iter=cfg.max_iter, history_size=cfg.history_size)
    return Adam(params, lr=cfg.lr)


def _first_step_both_ways(model, optimizer, closure, update, make_optimizer, score,
                          margin: float = 1.0, settings=None):
    """The first step taken with and without the step-0 grid update, from the same state.

    ``update()`` updates the grid; ``score()`` is the training loss after a step (``inf``
    when it does not evaluate).  The model keeps the branch without the update when its
    score is below the update's divided by ``margin`` (``margin = 1``: the lower score, the
    update on a tie), else the update's.  Returns ``(updated, optimizer, loss, start)``: whether the update
    was kept, that branch's optimiser (a fresh one after the update, ``optimizer`` without),
    the loss at its starting point (what ``optimizer.step`` returns) and its starting state.
    ``settings(with_update)``, if given, puts back what a branch has besides its state (the
    layers' continuations) before that branch's step and for the branch kept.
    """
    settings = settings or (lambda with_update: None)
    start_without = _snapshot(model)
    update()
    start_with = _snapshot(model)
    optimizer_with = make_optimizer()
    loss_with = optimizer_with.step(closure(optimizer_with))
    score_with = score() if math.isfinite(loss_with) else math.inf
    after_with = _snapshot(model)
    model.load_state_dict(start_without)  # knots too (the layers refresh their tables)
    settings(False)
    loss_without = optimizer.step(closure(optimizer))
    score_without = score() if math.isfinite(loss_without) else math.inf
    if not score_with <= margin * score_without and math.isfinite(score_without):
        return False, optimizer, loss_without, start_without
    model.load_state_dict(after_with)
    settings(True)
    return True, optimizer_with, loss_with, start_with


def _trial(model, x: Tensor, y: Tensor, cfg: FitConfig, steps: int) -> float:
    """The training objective (data loss plus ``cfg``'s penalties) after ``steps`` steps of
    ``cfg`` on ``(x, y)`` with no grid update, no callback and no choices (``inf`` when the
    fit does not end finite); trains ``model``."""
    trial = dataclasses.replace(cfg, steps=steps, update_grid=False, callback=None,
                                progress=False, eval_every=steps, stop_when_converged=False,
                                choose_first_grid_update=False, choose_continuation=None)
    # the training tensors themselves as the test set: a loss_fn may know its labels by identity
    history = fit(model, {"train_input": x, "train_label": y, "test_input": x, "test_label": y},
                  trial)
    if history.status != "completed":
        return math.inf
    try:  # with autograd on: a loss_fn may differentiate the model (pykan's pred_fn)
        pred, reg = penalties(model, x, cfg)
        data = torch.mean((pred - y) ** 2) if cfg.loss_fn is None else cfg.loss_fn(pred, y)
    except NonFiniteError:
        return math.inf
    value = float((data + reg).detach())
    return value if math.isfinite(value) else math.inf


def fit(model, dataset: dict, cfg: FitConfig | None = None) -> History:
    """Train ``model`` in place on ``dataset`` and return the :class:`History`.

    Parameters
    ----------
    model : KAN
        Trained in place.
    dataset
        dict with ``train_input`` ``(N, n_in)``, ``train_label``
        ``(N, n_out)``, ``test_input``, ``test_label`` (see
        :func:`kanlab.create_dataset`).
    cfg
        options; defaults to ``FitConfig()``.

    Notes
    -----
    If the loss becomes NaN or inf, the last parameters whose loss was
    actually evaluated finite on the batch are restored (parameters produced
    by the failing step, or by a step whose successor failed, are never
    kept) and the history says ``status="nonfinite"`` with the step
    (``on_nonfinite="stop"``), or :class:`NonFiniteLossError` is raised
    (``on_nonfinite="raise"``, after the restore).  When even the starting
    parameters give a non-finite loss there is nothing to restore: they are
    kept and a ``RuntimeWarning`` says that no finite parameters exist.
    The parameters after the last step are checked the same way (their
    train RMSE must be finite).

    With ``distributed=True`` every rank of the process group calls ``fit``
    with the same dataset and the ranks share out each batch; see
    :mod:`kanlab.train._distributed`.  ``callback`` runs on every rank.

    With ``float64_when_stalled=True`` a float32 model trains in float64 from
    the first full-batch L-BFGS step that fails to lower the loss (see
    :mod:`kanlab.train._precision`); the callback and the history see it in
    float32, and it is returned in float32.
    """
    cfg = cfg or FitConfig()
    check_dataset(model, dataset, any_labels=cfg.loss_fn is not None)
    check_solver_dtype(model.dtype, "fit")
    full_batch = cfg.batch == -1 or cfg.batch >= dataset["train_input"].shape[0]
    precision = Precision(model, cfg.float64_when_stalled and cfg.opt == "LBFGS" and full_batch
                          and not cfg.distributed)
    try:
        return _train(model, dataset, cfg, precision)
    finally:
        precision.finish()


def _train(model, dataset: dict, cfg: FitConfig, precision: Precision) -> History:
    """:func:`fit`'s loop, ``precision`` widening the model when a step stalls."""
    x_train, y_train = dataset["train_input"], dataset["train_label"]
    x_test, y_test = dataset["test_input"], dataset["test_label"]
    n_train = x_train.shape[0]
    batch = n_train if cfg.batch == -1 else min(cfg.batch, n_train)
    generator = torch.Generator().manual_seed(cfg.seed)
    grid_every = max(1, cfg.stop_grid_update_step // cfg.grid_update_num)
    history = History()
    start = time.perf_counter()
    sync = None
    if cfg.distributed:  # every rank holds the dataset and works on its share of each batch
        from kanlab.train._distributed import FitSync
        sync = FitSync(model, dataset)
    optimizer = _make_optimizer(model, cfg)
    # good: parameters whose loss was evaluated finite; before: those the current step starts from
    good, before, verified = _snapshot(model), None, False
    reg_value = 0.0
    cache = MagnitudeCache()  # the first layer's features while the data and knots stay
    # a plain network's regularised loss and gradient in one pass, without autograd
    fused = reg_network(model, cfg, x_train) if cfg.lamb > 0 and not sync else None
    if not cfg.update_grid:  # the grid stays: say so now if the data are off it
        warn_out_of_grid(model, x_train, "and update_grid=False")

    if cfg.progress and not (sync and sync.rank):
        from tqdm.auto import tqdm
        bar = tqdm(range(cfg.steps), desc=f"fit {cfg.opt}", leave=False)
    else:  # no bar: tqdm is not even imported (a tenth of a second)
        bar = _NoBar(range(cfg.steps))
    x_fit, y_fit = x_train, y_train  # the training data in the model's current dtype
    # the continuation beyond the grid is chosen at the first grid update, on the interval
    # up to the next one (kanlab.train._continuation_choice)
    choose = cfg.choose_continuation is not None and cfg.update_grid
    fused_for = continuations(model)  # the continuations `fused` was made for

    def trial() -> float:  # the interval from this grid update to the next
        nxt = step + grid_every if step + grid_every < cfg.stop_grid_update_step else cfg.steps
        return _trial(model, x_fit, y_fit, cfg, min(nxt, cfg.steps) - step)

    for step in bar:
        if batch == n_train:
            xb, yb = x_fit, y_fit
        else:
            idx = torch.randperm(n_train, generator=generator)[:batch].to(x_train.device)
            xb, yb = x_fit[idx], y_fit[idx]
        grid_now = (cfg.update_grid and step % grid_every == 0
                    and cfg.start_grid_update_step <= step < cfg.stop_grid_update_step)
        both_ways = grid_now and step == 0 and cfg.choose_first_grid_update
        if grid_now and not both_ways:
            knots = knots_of(model) if cfg.keep_memory_below is not None else None
            if sync:
                sync.update_grid(model, xb)
            else:
                model.update_grid(xb, max_change=cfg.grid_max_change, carry=cfg.grid_carry)
            history.grid_update_steps.append(step)
            if knots is None or not knot_move(knots, model) <= cfg.keep_memory_below:
                optimizer = _make_optimizer(model, cfg)  # curvature pairs refer to old knots
        if grid_now and not both_ways and choose:  # the samples lie inside the fresh grids
            choose = False
            history.continuation_layers = choose_continuation(
                model, x_fit, cfg.choose_continuation, trial)
        if fused is not None and fused_for != continuations(model):  # a switch: made anew
            fused, fused_for = reg_network(model, cfg, x_fit), continuations(model)

        def closure():
            nonlocal reg_value
            if sync:  # global loss; the gradient summed over the ranks is in p.grad
                loss, reg = sync.loss_and_grad(model, xb, yb, cfg)
                reg_value = float(reg)
                return loss
            for p in optimizer.params:  # every trainable parameter (walking the modules
                p.grad = None  # at each evaluation cost more than a small layer's kernels)
            try:
                if fused is not None and fused_for == continuations(model):  # loss, penalty
                    loss, reg = fused(xb, yb, cache)  # and gradient in one pass
                    evaluated = True
                else:
                    pred, reg = penalties(model, xb, cfg, cache)
                    evaluated = False
            except NonFiniteError:  # a hidden layer overflowed: same as a non-finite loss
                return torch.tensor(float("inf"))
            if not evaluated:
                loss = (torch.mean((pred - yb) ** 2) if cfg.loss_fn is None
                        else cfg.loss_fn(pred, yb)) + reg
                if torch.isfinite(loss):
                    loss.backward()
            reg_value = float(reg.detach())
            return loss

        if both_ways:
            def on(opt):  # the closure zeroes the gradients of `optimizer`'s parameters
                def run():
                    nonlocal optimizer
                    optimizer = opt
                    return closure()
                return run
            own = chosen = continuations(model)

            def update():
                nonlocal chosen
                model.update_grid(xb, max_change=cfg.grid_max_change, carry=cfg.grid_carry)
                if choose:  # chosen on the updated grid; the branch without keeps its own
                    choose_continuation(model, x_fit, cfg.choose_continuation, trial)
                    chosen = continuations(model)

            updated, optimizer, loss, before = _first_step_both_ways(
                model, optimizer, on, update,
                lambda: _make_optimizer(model, cfg),
                lambda: rmse(model, x_train, y_train, cfg.loss_fn),
                cfg.first_grid_update_margin,
                lambda with_update: set_continuations(model, chosen if with_update else own))
            choose = False
            if updated:
                history.grid_update_steps.append(step)
                history.continuation_layers = [l for l, (a, b) in enumerate(zip(own, chosen))
                                               if a != b]
        else:
            before = _snapshot(model, before)
            loss = optimizer.step(closure)  # the loss at `before`, the step's starting point
        if math.isfinite(loss):
            good, before, verified = before, good, True
        finite = math.isfinite(loss) and _all_finite(model.parameters())
        if not finite:
            _nonfinite_stop(model, good, verified, history, step, cfg, start)
            break
        if precision.after_step(loss, getattr(optimizer, "last_loss", loss)):
            # the model changed dtype: the optimiser's vectors, the cached features and the
            # fused evaluation refer to the old tensors
            x_fit, y_fit = precision.data(x_train, y_train)
            optimizer = _make_optimizer(model, cfg)
            cache = MagnitudeCache()
            fused = reg_network(model, cfg, x_fit) if cfg.lamb > 0 else None
            fused_for = continuations(model)
        # a full-batch L-BFGS step that cannot move the parameters ends the fit early,
        # unless grid updates are still to come
        converged = (cfg.stop_when_converged and getattr(optimizer, "stalled", False)
                     and batch == n_train and not (
            cfg.update_grid and step + 1 < cfg.stop_grid_update_step))
        last = step + 1 == cfg.steps
        evaluate = (step + 1) % cfg.eval_every == 0 or last or converged
        with precision.narrowed():  # the errors and the callback see the model's own dtype
            if evaluate:
                train, test = (sync.rmse(model, [(x_train, y_train), (x_test, y_test)]) if sync
                               else (rmse(model, x_train, y_train, cfg.loss_fn),
                                     rmse(model, x_test, y_test, cfg.loss_fn)))
            evaluates = not evaluate or math.isfinite(train)
            if evaluate and evaluates:
                history.step.append(step + 1)
                history.train_rmse.append(train)
                history.test_rmse.append(test)
                history.reg.append(reg_value)
                bar.set_postfix(train=f"{train:.2e}", test=f"{test:.2e}", refresh=False)
            stop = evaluates and cfg.callback is not None and cfg.callback(step, model, history)
        if not evaluates:  # the step left parameters that do not evaluate
            _nonfinite_stop(model, good, verified, history, step + 1, cfg, start)
            break
        if converged or stop:  # the callback has seen this step (run logs keep its row)
            history.status = "converged" if converged else "interrupted"
            history.stopped_at = step + 1
            break
    bar.close()
    precision.finish()
    if history.grid_update_steps:
        warn_out_of_grid(model, x_train, "after the last grid update")
    history.wall_time = time.perf_counter() - start
    return history

"""Training: ``fit(model, dataset, FitConfig) -> History``.

The loss is ``MSE`` (or ``cfg.loss_fn(pred, label)``) ``+ lamb · (lamb_l1 · L1 + lamb_entropy · entropy) +
lamb_smooth · smoothness`` (see :mod:`kanlab.train._regularization`).  Grid updates
happen every ``stop_grid_update_step // grid_update_num`` steps until
``stop_grid_update_step``, as in pykan.
"""
from __future__ import annotations

import math
import time

import torch
from torch import Tensor

from kanlab.nn._symbolic_offsets import restore_symbolic_offsets, settle_symbolic_offsets
from kanlab.train._best_iterate import BestIterate
from kanlab.train._config import FitConfig
from kanlab.train._continuation_choice import (choose_continuation, continuations,
                                                  set_continuations)
from kanlab.train._dataset_checks import check_dataset
from kanlab.train._diagnostics import warn_out_of_grid
from kanlab.train._fit_trials import RecordedStep, first_step_both_ways, restore, run_trial
from kanlab.train._history import History
from kanlab.train._knot_moves import knot_move, knots_of, live_splines
from kanlab.train._magnitudes import MagnitudeCache
from kanlab.train._objective import objective, penalties, rmse
from kanlab.train._optim import LBFGS, Adam
from kanlab.train._precision import Precision
from kanlab.train._progress import progress_bar
from kanlab.train._reg_network import reg_network
from kanlab.train._rollback import NonFiniteLossError, all_finite, nonfinite_stop, snapshot
from kanlab.train._trap_retry import is_trapped, retry_trapped
from kanlab._validation import NonFiniteError, check_solver_dtype

__all__ = ["fit", "check_dataset", "NonFiniteLossError", "penalties", "rmse"]


# a trial of the continuation choice records its steps and the fit replays the kept one's
# (kanlab.train._fit_trials); False retrains the kept branch's interval (the old path, for tests)
KEEP_TRIALS = True


# A grid update that moved the knots starts L-BFGS anew (its curvature pairs refer to the old
# knots).  Adam is started anew only below this learning rate: a fresh Adam's first steps move
# every parameter by about lr (zero moments, scaled up by the bias correction), a kick that
# helps a small lr and throws a large one off.  kanlab.pykan's fit, [2, 5, 1], G = 5, 100 steps,
# seeds 0-7, median test RMSE on exp(sin(pi x) + y^2) / xy / x^2 + sin(3y)/2, restarted ->
# kept (pykan 0.2.8, which keeps one optimiser per fit; seeds 0-3 at lr 0.03 and 1): lr 0.1:
# 0.040 -> 0.043 (0.040), 0.014 -> 0.0080 (0.0070), 0.011 -> 0.0084 (0.0096); lr 0.03: 0.034 ->
# 0.042 (0.064), 0.0076 -> 0.0055 (0.0049), 0.0095 -> 0.010 (0.0097); lr 1 (pykan's default):
# 0.23 -> 0.31 (0.21), 0.32 -> 0.29 (0.10), 0.41 -> 0.18 (0.044).  At lr 0.01 (300 steps,
# seeds 0-3) the restarts help: 0.012 / 0.0027 / 0.0033 restarted, 0.018 / 0.0048 / 0.0090
# kept, pykan 0.054 / 0.0049 / 0.0067.  lr 0.02-0.03 is the crossover (mixed above; two user
# patterns at lr 0.02 fit better restarted), so the line is drawn above it
# (docs/pykan_notebook_runs.md, adamkeep).
ADAM_RESTART_BELOW_LR = 0.05


def _restarts_at_grid_update(cfg: FitConfig) -> bool:
    """Whether a grid update that moved the knots starts the optimiser anew."""
    return cfg.opt == "LBFGS" or cfg.lr < ADAM_RESTART_BELOW_LR


def _make_optimizer(model, cfg: FitConfig):
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.opt == "LBFGS":
        return LBFGS(params, lr=cfg.lr, max_iter=cfg.max_iter, history_size=cfg.history_size)
    return Adam(params, lr=cfg.lr)


def _trial(model, x: Tensor, y: Tensor, cfg: FitConfig, steps: int, record: bool = False
           ) -> tuple[float, list | None]:
    """:func:`kanlab.train._fit_trials.run_trial` on this module's loop: the training
    objective after ``steps`` steps from the model's state, and their records (``record``)."""
    return run_trial(_run, objective, model, x, y, cfg, steps, record)


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

    With ``keep_best=True`` (the default) a full-batch Adam fit returns the
    parameters with the lowest training objective it met since the last grid
    update when its last step ended higher (``History.best_after``; see
    :mod:`kanlab.train._best_iterate`).

    With ``float64_when_stalled=True`` a float32 model trains in float64 from
    the first full-batch L-BFGS step that fails to lower the loss (see
    :mod:`kanlab.train._precision`); the callback and the history see it in
    float32, and it is returned in float32.
    """
    cfg = cfg or FitConfig()
    check_dataset(model, dataset, any_labels=cfg.loss_fn is not None)
    check_solver_dtype(model.dtype, "fit")
    # symbolic offsets moved where float32 rounds them least, before L-BFGS, which takes an
    # exact formula down to float32's floor (Example_9's: train RMSE after 20 steps 3.2e-7 ->
    # 1.7e-7 native, 4.4e-7 -> 1.6e-7 ATen default).  Not before Adam, whose lr-sized steps
    # per parameter are not indifferent to which parameter holds an offset: Example_9's 1000
    # Adam steps at sqrt's singular end (unstable from step ~800 under ATen default either
    # way) ended at 9.4e-4 with the move, 4.4e-7 without, so an Adam fit after an L-BFGS
    # one hands the moved offsets back first
    if cfg.opt == "LBFGS":
        settle_symbolic_offsets(model)
    else:
        restore_symbolic_offsets(model)
    return _run(model, dataset, cfg)


def _run(model, dataset: dict, cfg: FitConfig, record=None) -> History:
    """:func:`fit` after the checks; ``record``, if given, is called after every finite step
    (:class:`kanlab.train._fit_trials.Recorder`)."""
    full_batch = cfg.batch == -1 or cfg.batch >= dataset["train_input"].shape[0]
    x, y = dataset["train_input"], dataset["train_label"]
    precision = Precision(model, cfg.float64_when_stalled and cfg.opt == "LBFGS" and full_batch
                          and not cfg.distributed, lambda: objective(model, x, y, cfg))
    try:
        return _train(model, dataset, cfg, precision, record)
    finally:
        precision.finish()


def _train(model, dataset: dict, cfg: FitConfig, precision: Precision, record=None) -> History:
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
    good, before, verified = snapshot(model), None, False
    # the lowest objective a full-batch Adam fit met (kanlab.train._best_iterate)
    best = BestIterate(cfg.keep_best and cfg.opt == "Adam" and batch == n_train and not sync)
    reg_value = 0.0
    cache = MagnitudeCache()  # the first layer's features while the data and knots stay
    # a plain network's regularised loss and gradient in one pass, without autograd
    fused = reg_network(model, cfg, x_train) if cfg.lamb > 0 and not sync else None
    if not cfg.update_grid:  # the grid stays: say so now if the data are off it
        warn_out_of_grid(model, x_train, "and update_grid=False")

    bar = progress_bar(range(cfg.steps), cfg.progress and not (sync and sync.rank),
                       f"fit {cfg.opt}")
    x_fit, y_fit = x_train, y_train  # the training data in the model's current dtype
    # the continuation beyond the grid is chosen at the first grid update, on the interval
    # up to the next one (kanlab.train._continuation_choice)
    choose = cfg.choose_continuation is not None and cfg.update_grid
    fused_for = continuations(model)  # the continuations `fused` was made for
    fused_live = True  # `fused` evaluates the model as it is (set where a switch can happen)
    runs: dict = {}  # the continuations a trial ran with -> its steps' records (or None)
    replay: dict = {}  # step -> the kept trial's record of it (kanlab.train._fit_trials)
    # a trapped first interval is retrained from fresh draws of this state
    # (kanlab.train._trap_retry); labels that are targets only (the plain MSE, or a loss_fn
    # said to compare with them: a loss_fn's labels need not be targets), and L-BFGS only (a
    # few Adam steps leave every draw near its start: nothing to judge yet), and fits longer
    # than the interval (a short fit of a trained model keeps its model)
    targets = cfg.loss_fn is None or cfg.labels_are_targets
    retry_at = (grid_every if cfg.retry_trapped and targets and cfg.opt == "LBFGS"
                and cfg.steps > grid_every and not sync else None)
    start_state = snapshot(model) if retry_at else None
    start_continuations = continuations(model)

    def trial() -> float:  # the interval from this grid update to the next
        nxt = step + grid_every if step + grid_every < cfg.stop_grid_update_step else cfg.steps
        steps = min(nxt, cfg.steps) - step
        # its steps stand for the fit's own where nothing but the state carries over: the
        # whole batch (no generator), no convergence stop inside, the model's own dtype
        keep = (KEEP_TRIALS and batch == n_train and not precision.wide and not (
            cfg.stop_when_converged and step + steps >= cfg.stop_grid_update_step))
        score, runs[tuple(continuations(model))] = _trial(model, x_fit, y_fit, cfg, steps, keep)
        return score

    def fresh_evaluation() -> None:  # after a change of the model's dtype or whole state
        nonlocal x_fit, y_fit, optimizer, cache, fused, fused_for, fused_live
        x_fit, y_fit = precision.data(x_train, y_train)
        optimizer = _make_optimizer(model, cfg)  # its vectors, the cached features and the
        cache = MagnitudeCache()  # fused evaluation refer to the old tensors
        fused = reg_network(model, cfg, x_fit) if cfg.lamb > 0 and not sync else None
        fused_for, fused_live = continuations(model), True

    def refresh_fused() -> None:  # after a choice: `fused` made anew for switched layers
        nonlocal fused, fused_for, fused_live
        if fused is not None and fused_for != continuations(model):
            fused, fused_for = reg_network(model, cfg, x_fit), continuations(model)
        fused_live = True

    for step in bar:
        if batch == n_train:
            xb, yb = x_fit, y_fit
        else:
            idx = torch.randperm(n_train, generator=generator, device=generator.device)[:batch]
            idx = idx.to(x_train.device)
            xb, yb = x_fit[idx], y_fit[idx]
        grid_now = (cfg.update_grid and step % grid_every == 0
                    and cfg.start_grid_update_step <= step < cfg.stop_grid_update_step)
        both_ways = grid_now and step == 0 and cfg.choose_first_grid_update
        if step not in replay and isinstance(optimizer, RecordedStep):
            # past the kept trial's steps: its own optimiser goes on (its curvature pairs are
            # those the retrained interval would hold, for keep_memory_below)
            optimizer = optimizer.optimizer
        if grid_now and not both_ways:
            knots = knots_of(model) if cfg.keep_memory_below is not None else None
            if sync:
                sync.update_grid(model, xb)
            else:
                model.update_grid(xb, max_change=cfg.grid_max_change, carry=cfg.grid_carry)
            history.grid_update_steps.append(step)
            precision.forget()
            best.forget()
            moved = knots is None or not knot_move(knots, model) <= cfg.keep_memory_below
            if moved and live_splines(model) and _restarts_at_grid_update(cfg):
                optimizer = _make_optimizer(model, cfg)
        if grid_now and not both_ways and choose:  # the samples lie inside the fresh grids
            choose = False
            history.continuation_layers = choose_continuation(
                model, x_fit, cfg.choose_continuation, trial, cfg.choose_continuation_decisive,
                cfg.choose_continuation_far)
            refresh_fused()
            kept = runs.get(tuple(continuations(model)))
            replay = dict(enumerate(kept or (), start=step))

        def closure():
            nonlocal reg_value
            if sync:  # global loss; the gradient summed over the ranks is in p.grad
                loss, reg = sync.loss_and_grad(model, xb, yb, cfg)
                reg_value = float(reg)
                return loss
            for p in optimizer.params:  # every trainable parameter (walking the modules
                p.grad = None  # at each evaluation cost more than a small layer's kernels)
            try:
                if fused is not None and fused_live:  # loss, penalty and gradient in one pass
                    loss, reg = fused(xb, yb, cache)
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

        if step in replay:  # the kept trial's step; its record stands for the optimiser
            before = snapshot(model, before)
            optimizer = replay.pop(step)
            restore(model, optimizer)
            loss = optimizer.loss
            reg_value = optimizer.reg
        elif both_ways:
            def on(opt):  # the closure zeroes the gradients of `optimizer`'s parameters
                def run():
                    nonlocal optimizer
                    optimizer = opt
                    return closure()
                return run
            own = chosen = continuations(model)
            kept, switched = None, []

            def update():
                nonlocal chosen, kept, switched, fused_live
                model.update_grid(xb, max_change=cfg.grid_max_change, carry=cfg.grid_carry)
                chosen = continuations(model)  # an update may place them (kanlab.pykan)
                if choose:  # chosen on the updated grid; the branch without keeps its own
                    runs.clear()
                    switched = choose_continuation(model, x_fit, cfg.choose_continuation, trial,
                                                   cfg.choose_continuation_decisive,
                                                   cfg.choose_continuation_far)
                    chosen = continuations(model)
                    kept = runs.get(tuple(chosen))
                fused_live = chosen == fused_for

            def step_with():  # the first step after the update: the kept trial's, if any
                if kept:
                    restore(model, kept[0])
                    return kept[0].loss, kept[0]
                opt = _make_optimizer(model, cfg)
                return opt.step(on(opt)), opt

            def settings(with_update: bool) -> None:
                nonlocal fused_live
                set_continuations(model, chosen if with_update else own)
                if not with_update and cfg.first_grid_update_skipped is not None:
                    cfg.first_grid_update_skipped(model)
                fused_live = continuations(model) == fused_for

            updated, optimizer, loss, before = first_step_both_ways(
                model, optimizer, step_with, lambda opt: opt.step(on(opt)), update, snapshot,
                lambda: rmse(model, x_train, y_train, cfg.loss_fn),
                cfg.first_grid_update_margin, settings)
            choose = False
            refresh_fused()
            if updated:
                history.grid_update_steps.append(step)
                history.continuation_layers = switched
                replay = dict(enumerate((kept or [])[1:], start=step + 1))
        else:
            before = snapshot(model, before)
            if isinstance(optimizer, LBFGS):  # float64's steps past its first end without headway
                optimizer.min_progress = (cfg.float64_min_progress if precision.wide
                                          and not precision.trial else None)
            loss = optimizer.step(closure)  # the loss at `before`, the step's starting point
        if math.isfinite(loss):
            good, before, verified = before, good, True
            best.offer(loss, good, step)  # the objective at the step's starting point
        finite = math.isfinite(loss) and all_finite(model.parameters())
        if not finite:
            nonfinite_stop(model, good, verified, history, step, cfg, start)
            break
        if record is not None:  # a trial's step (kanlab.train._fit_trials)
            record(model, loss, optimizer, reg_value)
        if precision.after_step(loss, getattr(optimizer, "last_loss", loss)):  # dtype changed
            fresh_evaluation()
            replay = {}  # a kept trial's later steps were taken in the old dtype: train them
        # a full-batch L-BFGS step that cannot move the parameters ends the fit early,
        # unless grid updates are still to come
        converged = (cfg.stop_when_converged and getattr(optimizer, "stalled", False)
                     and batch == n_train and not (
            cfg.update_grid and step + 1 < cfg.stop_grid_update_step))
        last = step + 1 == cfg.steps
        if last and (best_step := best.restore(
                model, lambda: objective(model, x_fit, y_fit, cfg))) is not None:
            history.best_after = best_step
        evaluate = (step + 1) % cfg.eval_every == 0 or last or converged
        if precision.wide and (last or converged):  # its own dtype for what is reported
            precision.settle()
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
            nonfinite_stop(model, good, verified, history, step + 1, cfg, start)
            break
        if converged or stop:  # the callback has seen this step (run logs keep its row)
            history.status = "converged" if converged else "interrupted"
            history.stopped_at = step + 1
            break
        if step + 1 == retry_at and is_trapped(model, x_fit, y_fit, cfg.retry_trapped_above):
            kept = retry_trapped(model, start_state, start_continuations, _run, objective,
                                 x_train, y_train, cfg, retry_at)
            if kept is not None:  # a fresh draw's interval, in the model's own dtype
                history.restarted_at = step + 1
                history.grid_update_steps = list(kept.grid_update_steps)
                history.continuation_layers = list(kept.continuation_layers)
                precision.finish()
                fresh_evaluation()
                good, before = snapshot(model), None
    bar.close()
    precision.finish()
    if history.grid_update_steps:
        warn_out_of_grid(model, x_train, "after the last grid update")
    history.wall_time = time.perf_counter() - start
    return history

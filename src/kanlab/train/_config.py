"""The options of :func:`kanlab.train.fit`, checked when made; the names follow pykan's ``KAN.fit``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from torch import Tensor

from kanlab.splines._bspline import EXTRAPOLATIONS
from kanlab.train._regularization import check_reg_metric
from kanlab._validation import check_float, check_int

__all__ = ["FitConfig"]


@dataclass
class FitConfig:
    """Options of :func:`fit`; the names follow pykan's ``KAN.fit``."""

    opt: str = "LBFGS"  # "LBFGS" (full curvature, best for small smooth problems) or "Adam"
    steps: int = 100  # optimiser steps (an LBFGS step runs up to `max_iter` iterations)
    lr: float = 1.0  # learning rate; 1.0 suits LBFGS, about 1e-2 suits Adam
    lamb: float = 0.0  # weight of the sparsity penalty (L1 + entropy of edge magnitudes)
    lamb_l1: float = 1.0  # weight of L1 inside the sparsity penalty
    lamb_entropy: float = 2.0  # weight of entropy inside the sparsity penalty
    lamb_smooth: float = 0.0  # weight of the spline smoothness penalty
    batch: int = -1  # samples per step; -1 uses the whole training set
    update_grid: bool = True  # move the knots toward the data during the first steps
    grid_update_num: int = 10  # how many grid updates before stop_grid_update_step
    start_grid_update_step: int = -1  # no grid update before this step
    stop_grid_update_step: int = 50  # no grid update from this step on
    max_iter: int = 20  # LBFGS iterations per step (pykan's value)
    history_size: int = 10  # LBFGS memory
    seed: int = 0  # seeds the minibatch sampler (a private generator)
    eval_every: int = 1  # evaluate train/test RMSE every this many steps (and at the end)
    progress: bool = True  # tqdm progress bar on stderr
    on_nonfinite: str = "stop"  # "stop": restore last good parameters and return; "raise"
    # callback(step, model, history) after every step; returning True stops fit there
    # (history.status "interrupted", history.stopped_at = steps done)
    callback: Callable | None = field(default=None, repr=False)
    distributed: bool = False  # data-parallel over an initialised process group (kanlab.train._distributed)
    # data loss loss_fn(pred, label) -> scalar tensor; None is the mean squared error.  With a
    # loss_fn the labels may have any shape and dtype (e.g. class indices for cross-entropy)
    # and History's train_rmse/test_rmse hold sqrt(loss_fn) (pykan's convention)
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = field(default=None, repr=False)
    # False runs every step even when full-batch L-BFGS can no longer lower the loss
    # (pykan's behaviour: one history entry per step)
    stop_when_converged: bool = True
    # True: a full-batch Adam fit returns the parameters with the lowest training objective
    # it met since the last grid update, when they are lower than where its last step ended
    # (near an exact minimum Adam's steps spike the loss; kanlab.train._best_iterate).  The
    # last history row is theirs; History.best_after says which.  False: the last step's.
    keep_best: bool = True
    # a grid update that would move the network's outputs by more than this share of their
    # spread (a jolt that throws a deep network off) is damped, or skipped
    # (kanlab.nn.update_grid); None (the default, the native API's behaviour): always move.
    # kanlab.pykan uses 0.1
    grid_max_change: float | None = None
    # True: a grid update refits each layer to give, at its new inputs, what it gave the old
    # ones, so the refit error of the layers below is absorbed, not amplified up a deep
    # network (kanlab.nn.update_grid's carry); False (the default): each layer keeps its own
    # function.  kanlab.pykan uses True
    grid_carry: bool = False
    # what the sparsity penalty measures per edge: "edge_rms" (kanlab's), or pykan's
    # "edge_forward_spline_n" / "edge_forward_spline_u" (kanlab.train._regularization)
    reg_metric: str = "edge_rms"
    # True: when the schedule updates the grid at step 0 (before any training), the first
    # step is taken both with and without that update, from the same state, and the branch
    # whose training loss (training rows only) is lower is kept (with on a tie); later grid
    # updates follow the schedule either way.  A step-0 grid fitted to an untrained network's
    # lopsided hidden values can send the first L-BFGS step into a trap.  Costs one extra
    # first step.  False (the default): always update at step 0 (kanlab.pykan too: on, its
    # λ = 1e-3 sparse stage of hellokan pruned to one hidden node less often)
    choose_first_grid_update: bool = False
    # with choose_first_grid_update: the branch without the step-0 update is kept only when
    # its training loss is lower than the update's divided by this factor (>= 1).  1 keeps the
    # lower one; a larger factor keeps the schedule's update unless its first step is clearly
    # trapped (the outer edges fitted to the untrained hidden values; docs/pykan_notebook_runs.md,
    # pykL: trapped first steps were 3.8-6.8x worse, untrapped ones 0.4-2.1x)
    first_grid_update_margin: float = 1.0
    # with choose_first_grid_update: called with the model on the branch without the step-0
    # update, before its first step, for what the model's update_grid changes besides the
    # knots and coefficients (kanlab.pykan: a fresh model leaves pykan's continuation for
    # its own, kanlab.pykan._continuation.grids_placed), so both branches start on it.
    # None (the default): nothing
    first_grid_update_skipped: Callable | None = field(default=None, repr=False)
    # True: a float32 model trains in float64 from the first full-batch L-BFGS step that does
    # not lower the loss (float32 rounding of the gradient stalls L-BFGS in flat valleys), and
    # goes back to float32 if float64 makes no progress either, or leaves the objective in float32
    # no lower than at the stall (then at the stall's state); callbacks, the history and the
    # returned model see float32 (kanlab.train._precision).  kanlab.pykan uses True
    float64_when_stalled: bool = False
    # with float64_when_stalled: after the first float64 step (the test whether float64 helps
    # at all), an L-BFGS step ends its iterations once its last three lowered the loss by
    # less than this share of it per closure evaluation (kanlab.train._optim.LBFGS's
    # min_progress); the next step goes on with the same curvature pairs.  Late in a fit the
    # float64 steps lower the loss by ~1e-5 of it per iteration and ran all max_iter
    # iterations.  None (the default): every step runs max_iter iterations.  kanlab.pykan
    # uses 1e-6 (docs/pykan_notebook_runs.md, lbfgs)
    float64_min_progress: float | None = None
    # a continuation beyond the grid (kanlab.nn.KANLayer's extrapolate, e.g.
    # "extended_quadratic") to choose on the training loss: at the fit's first grid update
    # the interval up to the next update is trained both with the layers' own continuations
    # and with every layer whose samples lie inside its grid switched to this one, and the
    # lower training objective (data loss plus penalties) decides
    # (kanlab.train._continuation_choice).  Costs one extra interval of steps on a full batch
    # (the kept trial's steps are replayed, kanlab.train._fit_trials), two on minibatches.
    # None (the default): the continuations stay.  kanlab.pykan uses "extended_quadratic"
    choose_continuation: str | None = None
    # with choose_continuation: a third candidate (name, factor), taken only when its trial
    # objective is under factor times the better of the other two.  kanlab.pykan uses
    # ("extended", 0.5): pykan's own spline fits short unpenalised fits far better (trial
    # objectives 2.7-7 times lower), but walls in the hidden values a penalised fit must move
    # (pykan's readme, λ = 0.01: 2-19 % lower, then a [2, 3, 1] prune where the default
    # gives [2, 1, 1]).  None (the default): two candidates
    choose_continuation_decisive: tuple[str, float] | None = None
    # with choose_continuation: (name, widths): a layer whose inputs the kept branch's trial
    # sent more than `widths` widths of its grid beyond it continues as `name` instead (it
    # lay inside at the choice, so its function there is kept).  Targets around 2e4 on a
    # [3, 5, 1] (seeds 0-7): the first interval sends layer 1's inputs 10-40 widths out,
    # where the quadratic's growth wins that interval and loses the fit (test RMSE median 35,
    # with ("tapered", 4) 17; pykan 0.2.8 136, docs/pykan_notebook_runs.md, bigtargets).
    # None (the default): no such switch.  kanlab.pykan uses ("tapered", 4)
    choose_continuation_far: tuple[str, float] | None = None
    # L-BFGS keeps its memory (curvature pairs) across a grid update that moved no knot by
    # more than this many of its grid's smallest intervals (kanlab.train._knot_moves): after
    # refine the updates barely move the knots, and a fresh optimiser threw away what the fit
    # had learnt.  None (the default): a fresh optimiser after every update.  kanlab.pykan
    # uses 0.5 (pykan itself keeps one optimiser for the whole fit)
    keep_memory_below: float | None = None
    # when the first interval (up to the second grid update) leaves the mean squared error
    # above `retry_trapped_above` times the labels' variance, that interval is trained again
    # from up to this many fresh draws of the parameters (the model's seed, deterministic),
    # and the fit goes on from one only if its training objective is under half the fit's
    # own (kanlab.train._trap_retry): some draws of thin networks ([2, 1, 1] on f(g(x) + h(y)))
    # are trapped from the start.  Fits below the threshold pay one evaluation.  L-BFGS,
    # plain MSE (no loss_fn) and fits longer than the interval only.  0 (the default): no
    # check.  kanlab.pykan uses 3
    retry_trapped: int = 0
    retry_trapped_above: float = 0.05
    # `loss_fn` compares the predictions with the labels as targets (a penalised mean squared
    # error, say: kanlab.pykan's lamb_coef terms), so the checks that need targets
    # (retry_trapped) apply to it as to the plain MSE.  False (the default): a loss_fn's
    # labels need not be targets, and those checks are off
    labels_are_targets: bool = False

    def __post_init__(self) -> None:
        check_reg_metric(self.reg_metric)
        if self.keep_memory_below is not None:
            self.keep_memory_below = check_float(self.keep_memory_below, "keep_memory_below",
                                                 low=0.0)
        if not isinstance(self.choose_first_grid_update, bool):
            raise TypeError(f"choose_first_grid_update must be a bool, "
                            f"got {type(self.choose_first_grid_update).__name__}")
        if not (isinstance(self.first_grid_update_margin, (int, float))
                and not isinstance(self.first_grid_update_margin, bool)
                and self.first_grid_update_margin >= 1):
            raise ValueError(f"first_grid_update_margin must be a number >= 1, "
                             f"got {self.first_grid_update_margin!r}")
        if self.first_grid_update_skipped is not None and not callable(
                self.first_grid_update_skipped):
            raise TypeError(f"first_grid_update_skipped must be None or a callable (model), "
                            f"got {self.first_grid_update_skipped!r}")
        self.retry_trapped = check_int(self.retry_trapped, "retry_trapped", low=0)
        if not isinstance(self.labels_are_targets, bool):
            raise TypeError(f"labels_are_targets must be a bool, "
                            f"got {type(self.labels_are_targets).__name__}")
        self.retry_trapped_above = check_float(self.retry_trapped_above, "retry_trapped_above",
                                               low=0.0, low_open=True)
        if self.retry_trapped and self.distributed:
            raise ValueError("retry_trapped is not supported with distributed=True")
        if self.choose_continuation is not None:
            if self.choose_continuation not in EXTRAPOLATIONS:
                raise ValueError(f"choose_continuation must be None or one of {EXTRAPOLATIONS}, "
                                 f"got {self.choose_continuation!r}")
            if self.distributed:
                raise ValueError("choose_continuation is not supported with distributed=True")
        if self.choose_continuation_decisive is not None:
            d = self.choose_continuation_decisive
            if (self.choose_continuation is None or not isinstance(d, tuple) or len(d) != 2
                    or d[0] not in EXTRAPOLATIONS or isinstance(d[1], bool)
                    or not isinstance(d[1], (int, float)) or not 0 < d[1] <= 1):
                raise ValueError("choose_continuation_decisive must be None or (name, factor) "
                                 f"with name in {EXTRAPOLATIONS} and 0 < factor <= 1, next to "
                                 f"choose_continuation; got {d!r}")
        if self.choose_continuation_far is not None:
            d = self.choose_continuation_far
            if (self.choose_continuation is None or not isinstance(d, tuple) or len(d) != 2
                    or d[0] not in EXTRAPOLATIONS or isinstance(d[1], bool)
                    or not isinstance(d[1], (int, float)) or not d[1] > 0):
                raise ValueError("choose_continuation_far must be None or (name, widths) "
                                 f"with name in {EXTRAPOLATIONS} and widths > 0, next to "
                                 f"choose_continuation; got {d!r}")
        if self.choose_first_grid_update and self.distributed:
            raise ValueError("choose_first_grid_update=True is not supported with "
                             "distributed=True")
        if self.distributed and self.reg_metric != "edge_rms":
            raise ValueError("distributed=True supports reg_metric='edge_rms' only")
        if self.opt not in ("LBFGS", "Adam"):
            raise ValueError(f"opt must be 'LBFGS' or 'Adam', got {self.opt!r}")
        for name in ("steps", "grid_update_num", "max_iter", "history_size", "eval_every"):
            setattr(self, name, check_int(getattr(self, name), name, low=0 if name == "steps" else 1))
        for name in ("lr", "lamb", "lamb_l1", "lamb_entropy", "lamb_smooth"):
            setattr(self, name, check_float(getattr(self, name), name, low=0.0))
        if self.lr == 0:
            raise ValueError("lr must be > 0")
        if check_int(self.batch, "batch (-1: full batch)", low=-1) == 0:
            raise ValueError(f"batch must be -1 (full batch) or a positive int, got {self.batch!r}")
        if self.on_nonfinite not in ("stop", "raise"):
            raise ValueError(f"on_nonfinite must be 'stop' or 'raise', got {self.on_nonfinite!r}")
        if not isinstance(self.grid_carry, bool):
            raise TypeError(f"grid_carry must be a bool, got {type(self.grid_carry).__name__}")
        if self.grid_carry and self.distributed:
            raise ValueError("grid_carry=True is not supported with distributed=True (the "
                             "collective grid update keeps each layer's own function)")
        if not isinstance(self.float64_when_stalled, bool):
            raise TypeError(f"float64_when_stalled must be a bool, "
                            f"got {type(self.float64_when_stalled).__name__}")
        if self.float64_min_progress is not None:
            self.float64_min_progress = check_float(self.float64_min_progress,
                                                    "float64_min_progress", low=0.0,
                                                    low_open=True)
        if not isinstance(self.stop_when_converged, bool):
            raise TypeError("stop_when_converged must be a bool")
        if not isinstance(self.keep_best, bool):
            raise TypeError(f"keep_best must be a bool, got {type(self.keep_best).__name__}")
        if self.grid_max_change is not None and not (
                isinstance(self.grid_max_change, (int, float)) and self.grid_max_change >= 0):
            raise ValueError(f"grid_max_change must be None or a number >= 0, "
                             f"got {self.grid_max_change!r}")
        if not isinstance(self.distributed, bool):
            raise TypeError(f"distributed must be a bool, got {type(self.distributed).__name__}")
        if self.loss_fn is not None and not callable(self.loss_fn):
            raise TypeError(f"loss_fn must be None or a callable (pred, label) -> loss, "
                            f"got {type(self.loss_fn).__name__}")
        if self.loss_fn is not None and self.distributed:
            raise ValueError("loss_fn is not supported with distributed=True (the ranks share "
                             "the mean squared error)")

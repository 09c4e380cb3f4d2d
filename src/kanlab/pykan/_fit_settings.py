"""The choices kanlab.pykan's ``fit`` makes on kanlab's engine, each with what it was measured on.

pykan's ``reg_metric`` names and the kanlab metrics they train, and the settings
:func:`kanlab.pykan._fit.fit` hands :class:`kanlab.train.FitConfig` (grid updates, the
continuation choice, L-BFGS's memory, retries of a trapped start).  The figures behind them are
in docs/pykan_notebook_runs.md under the names given.
"""
from __future__ import annotations

from kanlab.pykan._far_samples import FAR_CONTINUATION, FAR_WIDTHS

__all__ = ["REG_METRICS", "NATIVE_METRIC", "reg_metric_name", "grid_max_change", "lbfgs_history"]

REG_METRICS = ("edge_forward_spline_n", "edge_forward_spline_u", "edge_forward_sum",
               "edge_backward", "node_backward")
# the names pykan's MultKAN gave the spline metrics before August 2024 (tutorials of July 2024),
# and pykan 0.2.1's (mid-July 2024): "act" penalised acts_scale_spline (the spread over the
# input's, 0.2.8's "edge_forward_spline_n"), "fa" (its default) edge_actscale (the spread,
# 0.2.8's "edge_forward_spline_u")
_RENAMED_METRICS = {"edge_forward_n": "edge_forward_spline_n",
                    "edge_forward_u": "edge_forward_spline_u",
                    "act": "edge_forward_spline_n", "fa": "edge_forward_spline_u"}


def reg_metric_name(reg_metric) -> str:
    """pykan 0.2.8's name for ``reg_metric`` (older names accepted); a ValueError if unknown."""
    name = _RENAMED_METRICS.get(reg_metric, reg_metric) if isinstance(reg_metric, str) else None
    if name not in REG_METRICS:
        raise ValueError(f"reg_metric must be one of {REG_METRICS}, got {reg_metric!r}")
    return name


# pykan's reg_metric -> kanlab's.  pykan's default "edge_forward_spline_n" divides every
# edge's spread by std(input) + 0.1; trained that way kanlab's L-BFGS stalled on pykan's own
# λ = 0.01 notebooks (API_2: RMSE 0.152 after 20 steps, 0.090 with the divisor detached;
# pykan prints 0.052).  The spread alone ("edge_forward_spline_u", with pykan's entropy) makes
# hellokan sparser (the formula on 3-4 of 5 seeds against 2 of 5), but leaves hidden nodes'
# offsets free: they drift off the next layer's grid (tests/pykan/test_pykan.py::
# test_prune_and_refine_keep_the_class then loses refine's exactness), so pykan's default
# name trained kanlab's edge_rms until the RMS with pykan's entropy (below) replaced it.
# pykan's "edge_forward_sum" is detached from the graph in pykan (no gradient: it steers
# nothing, only the reported reg); the backward metrics (attribution scores) are
# approximated by the forward edge spread they are built from.
# pykan's default name trains "edge_rms_std_mult": kanlab's RMS (offsets penalised, refine
# stays exact) with pykan's entropy over sum + 1 (a fading node's entropy fades with it), which
# makes hellokan's sparse stage sparser at λ = 0.001 (kanlab.train._regularization); the edges
# into a multiplication node's factors by their spread: a factor's level is not an offset, and
# charging it kept a second edge alive where two inputs are functions of each other (Interp_8's
# γ and β into one factor, seed 1: β's score 0.16 with the RMS, 0.001 with the spread); and the
# last layer's edges by their spread: the outputs' level feeds no grid, and charging it made
# the penalty's strength depend on the labels' level (API_6 cell 9, λ = 1: the prediction 0).
NATIVE_METRIC = {"edge_forward_spline_n": "edge_rms_std_mult",
                 "edge_forward_spline_u": "edge_forward_spline_u",
                 "edge_forward_sum": "edge_rms",
                 "edge_backward": "edge_backward",
                 "node_backward": "node_backward"}


# A grid update that would move the network's outputs by more than this share of their spread
# is damped or skipped (FitConfig.grid_max_change, kanlab.nn.update_grid).  Measured on the
# outputs, it tells a deep chain's jolt from an ordinary update: issue 19's Example_3 ([4,2,1,1],
# seed 1) moved them by 0.33, 0.28 and 0.12 of their spread at its stage-1 updates, while the
# [2,5,1] updates of Interp_9 and Interp_1 move them by at most 0.056 (seed 7 of Example_3:
# 0.024).  The old rule (1% of each layer's magnitude, per input) also refused those ordinary
# updates, and froze hidden grids for good (Example_3's last layer kept a grid of width 0.14
# while its inputs spread over 1.0).
GRID_MAX_CHANGE = 0.1
# ... except for Adam from this learning rate on, whose grid updates go through whole, as
# pykan's do.  Such an Adam moves every parameter by about lr a step whatever its gradient, so
# between two updates the outputs move by far more than GRID_MAX_CHANGE of their spread and the
# hidden values leave the last grid; the update that would carry them back in cannot keep the
# outputs within the bound, and skipped, it leaves them beyond the grid for the rest of the fit.
# pykan's default lr = 1 ([2, 5, 1], G = 5, x·y, seeds 0-3, 50 steps): 31 of the 36 updates
# after step 0 skipped; at lr 0.1 and 0.01 none was even damped.  Median test RMSE, 8 seeds,
# exp(sin(pi x) + y^2) / xy / x^2 + sin(3y)/2, 100 steps at lr 1: 0.31 / 0.29 / 0.18 -> 0.18 /
# 0.074 / 0.051 (pykan 0.2.8: 0.17 / 0.062 / 0.074); lr 0.1 and 0.01 unchanged to the digit
# (docs/pykan_notebook_runs.md, adam1).  Below this lr Adam's steps are small beside an
# update's jolt, and the bound stays.
ADAM_WHOLE_UPDATES_FROM_LR = 0.05
# fit's grid updates carry the network's function (FitConfig.grid_carry): each layer above the
# first is refitted to what it gave the old inputs, absorbing the refit error below it.  On
# Interp_6's [4, 5, 5, 1] (seeds 0/1/2) 4.1e-3/2.3e-3/2.7e-3 -> 1.2e-3/2.7e-3/2.6e-3; on the
# [1, 1, 1, 1] chains a late update had multiplied the RMSE by up to 10 (docs/pykan_notebook_runs.md)
# The schedule's grid update at step 0 (before any training) fits the hidden grids to the
# untrained network's hidden values; the first step can then fit the outer edges to that
# arbitrary projection (a U-shaped E[y | h] for an even target) and trap a thin network
# ([2, 1, 1] on radius-like targets: 2-6 of 10 seeds).  So the first step is taken both ways
# and the update dropped only when its first step is more than this factor worse (training
# RMSE; FitConfig.choose_first_grid_update / first_grid_update_margin).  A factor of 1 (the
# lower one) made hellokan's λ = 1e-3 sparse stage less sparse, 2 sent API_12's λ = 0.01
# fit (ratio 2.09) to a worse sparse basin; trapped first steps measured 3.8-6.8
# (docs/pykan_notebook_runs.md, pykL).
FIRST_GRID_UPDATE_MARGIN = 3.0
# How each spline continues beyond its grid is chosen at the fit's first grid update
# (FitConfig.choose_continuation): the interval up to the next update is trained with the
# layers' own continuation ("quadratic") and with those whose samples lie inside their fresh
# grid switched to pykan's extension intervals handing over to the quadratic
# ("extended_quadratic", C² for cubics), and the lower training objective is kept.  Where the
# hidden values leave a fresh grid by about two intervals, the extension's shape fits them
# (Example_1's [2, 1, 1]: cell 8 ×1.77 -> ×0.20); where they must travel further it walls
# them in, the interval shows it and the quadratic stays (Example_3's [4, 2, 1, 1]; the one
# draw of four that pykan's own spline traps: objective 0.77 against 0.011); under intro's
# λ = 0.01 the penalty tells it (RMSE alone would switch, and lose the one-node pruning).
# docs/pykan_notebook_runs.md, pykU.
# A model built with another continuation (KAN(extrapolate="extended"), kanlab's argument)
# keeps it: the choice is made only between these two.  It is made for the grid a model
# starts on: `refine` gives the switched layers "quadratic" back and the refined model's
# fits choose no more (kanlab.pykan._continuation; thin).
CONTINUATION_CHOICE = "extended_quadratic"
# A third candidate, pykan's own spline ("extended": the extension's fade to 0 beyond its
# k intervals), kept only when its trial objective is under this factor times the better of
# the other two (FitConfig.choose_continuation_decisive).  Short unpenalised [2, 5, 1] fits
# (G = 5, 20 steps, seeds 0-5): trial objectives 2.7-7 times lower on five seeds, train RMSE
# ×0.8-3.2 of pykan 0.2.8's -> ×0.9-1.2; pykan's readme (λ = 0.01) 2-19 % lower, where taking
# it pruned to [2, 3, 1] instead of [2, 1, 1] (docs/pykan_notebook_runs.md, thin).
CONTINUATION_DECISIVE = ("extended", 0.5)
# A layer whose inputs the kept branch's trial sent more than FAR_WIDTHS widths of its grid
# beyond it continues "tapered" (FitConfig.choose_continuation_far): the first interval can
# reach unscaled targets (around 2e4 on a [3, 5, 1]) only by sending layer 1's inputs 10-40
# widths out, where the quadratic's d²/2 growth wins that interval but leaves the fit to crawl
# after the next update; the interval's objective cannot see that (tapered's trial was ×2 the
# quadratic's).  Seeds 0-7: test RMSE median 35 -> 17 (pykan 0.2.8: 136; seed 0 29.3 -> 15.1,
# pykan 15.5).  Example_3's values travel about four intervals (under one width)
# (docs/pykan_notebook_runs.md, bigtargets).
CONTINUATION_FAR = (FAR_CONTINUATION, FAR_WIDTHS)
# L-BFGS starts anew at every grid update (FitConfig.keep_memory_below off).  Keeping its
# memory across updates that moved no knot by more than half an interval, as pykan keeps one
# optimiser per fit, helped Example_1's fit -> refine(10) -> fit (seeds 0-9, untrapped median
# 7.1e-4 -> 5.5e-4, pykX) but cost Physics_4A its formula (cell 13 9e-15 -> 2.5e-4) and
# Interp_10 cell 3 x0.62 -> x4.08: the update's refit moves the parameters under the kept
# curvature pairs (docs/pykan_notebook_runs.md, the merged suite of 2026-12-05, 4th).  A network
# with no live spline (every edge symbolic or removed) keeps its optimiser whatever this says: the
# update cannot change its loss (kanlab.train._knot_moves.live_splines; experiment1 0.132 -> 3.5e-5).
KEEP_MEMORY_BELOW = None
# A trapped first interval (MSE above RETRY_TRAPPED_ABOVE of the labels' variance) is trained
# again from up to this many fresh draws, and the fit goes on from one whose objective is under
# half its own (FitConfig.retry_trapped, kanlab.train._trap_retry).  pykan's [2, 1, 1] draws
# on exp(sin(pi x) + y^2) trap on 4 of 10 seeds (pykan 0.2.8 too); see
# docs/pykan_notebook_runs.md, pykY, for the counts with it.
RETRY_TRAPPED = 3
RETRY_TRAPPED_ABOVE = 0.05
# The fit's float64 steps (after the first) end their L-BFGS iterations once three of them
# lowered the loss by less than this share of it per evaluation (FitConfig.float64_min_progress).
# pykan 0.2.8's own steps end at its first failed line search (step length 0, its "lack of
# progress" test), and every later step repeats that search from the same point: Example_1's
# [2, 1, 1] fits stay where float32 stalls.  kanlab widens to float64 there, whose steps went
# on for all 20 iterations: 23 evaluations per step against pykan's 8.7.  With 1e-6, G = 3..100
# x 200 steps: 23602 -> 18323 evaluations, final test RMSE 1.35e-2 / 4.6e-4 / 5.2e-5 / 4.6e-6 /
# 8.4e-7 against 1.35e-2 / 4.6e-4 / 5.2e-5 / 4.6e-6 / 7.8e-7 (pykan 0.2.8: 1.39e-2 / 5.0e-4 /
# 5.6e-5 / 3.5e-5 / 3.4e-5).  3e-5 saved 40 % there, but cut the crawl along a flat valley
# that precedes a drop: tests/pykan/test_float64_when_stalled.py's [2, 1] pred_fn fit ended at
# 1.2e-4 instead of 1.3e-5 (docs/pykan_notebook_runs.md, lbfgs).
FLOAT64_MIN_PROGRESS = 1e-6
# A fit's L-BFGS keeps this many curvature pairs (pykan's fit: 10) unless its penalty is strong
# (lamb >= PENALISED_FROM), fewer where the pairs would hold more than LBFGS_HISTORY_NUMBERS
# numbers (2 vectors of the parameters' size per pair), never fewer than pykan's 10.  KAN fits
# are ill-conditioned (a product node's factors trade scale, splines overlap) and crawl with 10:
# Physics_4C's pruned [9, [0, 4], 1] (float64, 100 steps) 2.5e-7 with 10 pairs, 1.3e-7 with 30,
# 7.4e-8 with 50, 3.0e-9 with 100 (docs/pykan_notebook_runs.md, deep).  A weak penalty
# (Example_3's λ = 0.002 stages, cells 2 and 9) crawls the same way: with 10 pairs there the
# refine chain of cell 10 ended ×7.0 over the notebook's loss, with 50 ×1.15 (ex3).  A strong
# penalty keeps pykan's 10: more pairs minimise loss + penalty better and trade RMSE for
# sparsity (API_6 cell 4, [2, 5, 1], λ = 0.01: RMSE 0.043 -> 0.052, reg 7.7 -> 7.0 with 50
# pairs; deep, ratios).  Not 100: Example_10's Adam fit after a symbolic fix (cell 16) went
# 6e-7 -> 0.019, with no bad curvature pair anywhere: the better L-BFGS fit of cell 11 shrinks
# the hidden node's scale (|c| of its arctanh edges 0.034 -> 0.024 -> 0.017 with 10/50/100
# pairs, seed 1), the tanh edge's `a` then sits on pykan's a_range bound (10) and 2000 Adam
# steps at lr 1e-3 do not grow the scale back (seeds 0-3: cell 16 ends near 5e-7 while |c| >=
# 0.024, at 2.6e-5 / 6.6e-4 / 0.019 for |c| = 0.020 / 0.018 / 0.017; ex3).
LBFGS_HISTORY = 50
LBFGS_HISTORY_NUMBERS = 1 << 26
PENALISED_FROM = 0.01


def grid_max_change(opt: str, lr: float) -> float | None:
    """``FitConfig.grid_max_change`` for a fit with optimiser ``opt`` at learning rate ``lr``:
    GRID_MAX_CHANGE, or None (no bound) for Adam from ADAM_WHOLE_UPDATES_FROM_LR on."""
    if opt == "Adam" and lr >= ADAM_WHOLE_UPDATES_FROM_LR:
        return None
    return GRID_MAX_CHANGE


def lbfgs_history(model, lamb: float = 0.0) -> int:
    """How many curvature pairs ``fit``'s L-BFGS keeps for ``model``: pykan's 10 under a strong
    penalty (``lamb >= PENALISED_FROM``), else LBFGS_HISTORY, capped by LBFGS_HISTORY_NUMBERS
    over twice the trainable parameters, at least 10."""
    if lamb >= PENALISED_FROM:
        return 10
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return max(10, min(LBFGS_HISTORY, LBFGS_HISTORY_NUMBERS // max(2 * n, 1)))

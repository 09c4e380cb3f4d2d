"""Choosing the flexibility of the one-layer KAN on the training data only.

Regression: exact leave-one-out error of every candidate (ridge ``α`` for the
linear part, then grid size ``G`` and smoothness ``λ`` for the splines), one
matrix factorisation per ``(α, G)`` (see :func:`kanlab.train._additive.loo_path`).
Classification: cross-entropy on stratified internal folds (3 folds below
1000 samples, one 20 % hold-out above), then one refit on all the data.

The splines are kept only if they beat the best linear model by more than
one standard error of the paired per-sample difference of validation losses
(more for small samples; see :func:`clearly_better`): on small noisy tables
the estimator stays the ridge / logistic model.  The linear model's penalty is
that of ``RidgeCV`` / ``LogisticRegression`` on standardised features
(``α · Σ (w_i σ_i)²``): regression picks ``α`` among ``RidgeCV``'s candidates by
leave-one-out, classification keeps ``LogisticRegression``'s ``α = 1/C = 1``
unless 0.1 or 10 is clearly better on the internal folds.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kanlab.train._additive import Design, build_design, fit_logistic, loo_path
from kanlab.train._input_scaling import spline_knots

__all__ = ["Choice", "select_regression", "select_classification", "candidate_grids"]

ALPHAS = (0.1, 1.0, 10.0)  # ridge on the standardised linear weights: RidgeCV's candidates
MAX_SPLINE_COLUMNS = 240  # spline columns at most: the rest of the features stay linear
LAMBDAS = (1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)  # smoothness, relative to the data term


@dataclass
class Choice:
    """What the search chose, and every candidate's validation loss."""

    design: Design
    W: np.ndarray
    b: np.ndarray
    alpha: float
    lamb_smooth: float | None  # None: splines off (the linear model)
    loss: float
    n_iter: int = 1
    loss_curve: list = field(default_factory=list)
    results: list = field(default_factory=list)  # dicts: grid, alpha, lamb_smooth, loss


def candidate_grids(grid, n: int) -> list[int]:
    """``[grid]`` when given, else a coarse and (for enough data) a finer grid."""
    if grid != "auto":
        return [int(grid)]
    fine = int(np.clip(round(n ** 0.5 / 3), 3, 10))
    return [3] if fine <= 3 else [3, fine]


def clearly_better(new: np.ndarray, old: np.ndarray) -> bool:
    """Whether per-sample validation losses ``new`` beat ``old`` by more than their noise.

    The mean paired difference must be below zero by ``1 + 50/n`` standard
    errors and by 0.5 % of the old loss: a one-standard-error rule made
    stricter for small samples, where leave-one-out and small folds are
    noisy, so that on small noisy data the simpler (linear) model stays.
    """
    diff = new - old
    n = len(diff)
    se = diff.std() / np.sqrt(max(n - 1, 1))
    return bool(diff.mean() + (1 + 50 / n) * se < -0.005 * old.mean())


def _pad(W_lin: np.ndarray, design: Design) -> np.ndarray:
    """Linear weights extended by zero spline coefficients to ``design``'s columns."""
    W = np.zeros((design.columns.shape[1], W_lin.shape[1]))
    W[:design.n_linear] = W_lin
    return W


def spline_subset(kinds: np.ndarray, importance: np.ndarray, per_feature: int,
                  max_columns: int = MAX_SPLINE_COLUMNS) -> np.ndarray:
    """``kinds`` with splines only on the most important features (by the linear
    model's standardised weights) that fit in ``max_columns`` spline columns; the
    others stay linear.  Bounds the cost of wide tables (digits: 64 pixels)."""
    kinds = kinds.copy()
    candidates = [i for i in np.argsort(-importance, kind="stable") if kinds[i] == 2]
    for i in candidates[max(max_columns // max(per_feature, 1), 1):]:
        kinds[i] = 1
    return kinds


def _linear_design(z, kinds, k) -> Design:
    return build_design(z, np.minimum(kinds, 1), spline_knots(z, 1, k), k)


def select_regression(z, T, kinds, k, grid="auto", alpha="auto", lamb_smooth="auto") -> Choice:
    n, d = z.shape
    alphas = ALPHAS if alpha == "auto" else (float(alpha),)
    grids = candidate_grids(grid, n)
    lin = np.where(kinds[None, :] > 0, z, 0.0)
    var = lin.var(axis=0)  # ridge on standardised features, as RidgeCV in a StandardScaler pipeline
    path = loo_path(lin, T, 1e-10 * np.eye(d), np.diag(var), alphas)
    results = [{"grid": None, "alpha": a, "lamb_smooth": None, "loss": float(r[0].mean())}
               for a, r in zip(alphas, path)]
    i = int(np.argmin([r[0].mean() for r in path]))
    best_alpha = alphas[i]
    loo_lin, W_lin, b_lin = path[i]
    design = _linear_design(z, kinds, k)
    best = Choice(design, W_lin, b_lin, best_alpha, None, float(loo_lin.mean()))
    if not (kinds == 2).any():
        best.results = results
        return best
    importance = np.linalg.norm(W_lin, axis=1) * np.sqrt(var)
    kinds = spline_subset(kinds, importance, max(grids) + k - 2)
    designs = [build_design(z, kinds, spline_knots(z, g, k), k) for g in grids]
    lambdas = LAMBDAS if lamb_smooth == "auto" else (float(lamb_smooth),)
    spline_best, loo_spline = None, None
    for design in designs:
        fixed = np.diag(np.concatenate([best_alpha * var, design.jitter[d:]]))
        for lam, (loo, W, b) in zip(lambdas, loo_path(design.columns, T, fixed, design.smooth,
                                                      lambdas)):
            loss = float(loo.mean())
            results.append({"grid": design.grid, "alpha": best_alpha, "lamb_smooth": lam,
                            "loss": loss})
            if spline_best is None or loss < spline_best.loss:
                spline_best, loo_spline = Choice(design, W, b, best_alpha, lam, loss), loo
    forced = lamb_smooth != "auto" or grid != "auto"  # the user asked for splines
    if forced or clearly_better(loo_spline, loo_lin):
        best = spline_best
    best.results = results
    return best


def _folds(codes: np.ndarray, n_classes: int, seed: int):
    """Stratified (train, validation) index pairs, or [] when a class is too small."""
    from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit
    counts = np.bincount(codes, minlength=n_classes)
    n = len(codes)
    if n < 1000:
        if counts.min() < 3:
            return []
        return list(StratifiedKFold(3, shuffle=True, random_state=seed).split(codes, codes))
    if counts.min() < 2:
        return []
    split = StratifiedShuffleSplit(1, test_size=0.2, random_state=seed)
    return list(split.split(codes, codes))


def _cross_entropy(F, W, b, codes, weights) -> np.ndarray:
    """Per-sample weighted cross-entropy, ``(n,)``."""
    logits = F @ W + b
    logits -= logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -weights * logp[np.arange(len(codes)), codes]


def select_classification(z, codes, n_classes, weights, kinds, k, max_iter, seed,
                          grid="auto", alpha="auto", lamb_smooth="auto") -> Choice:
    n, d = z.shape
    g = candidate_grids(grid, n)[-1] if grid != "auto" else (3 if n < 300 else 5)
    folds = _folds(codes, n_classes, seed)
    alphas = (1.0,) if alpha == "auto" and not folds else (
        (0.1, 1.0, 10.0) if alpha == "auto" else (float(alpha),))
    lambdas = (1.0, 10.0, 100.0) if lamb_smooth == "auto" else (float(lamb_smooth),)
    lin = np.where(kinds[None, :] > 0, z, 0.0)
    var = lin.var(axis=0)  # penalty on standardised weights, as LogisticRegression's

    def penalty(design, a, lam):
        if lam is None:  # the linear model: only the first d columns
            return np.diag(a * var)
        return np.diag(np.concatenate([a * var, design.jitter[d:]])) + lam * design.smooth

    def validate(F, P, starts):
        losses, new_starts = [], []
        for (tr, va), start in zip(folds, starts):
            W, b, _, _, theta = fit_logistic(F[tr], codes[tr], n_classes, P, weights[tr],
                                             min(max_iter, 100), start)
            losses.append(_cross_entropy(F[va], W, b, codes[va], weights[va]))
            new_starts.append(theta)
        return np.concatenate(losses), new_starts

    results = []
    best_loss, best_alpha = None, alphas[0]
    if folds and len(alphas) > 1:
        starts = [None] * len(folds)
        losses = {}
        for a in sorted(alphas, reverse=True):  # strong to weak: warm starts
            losses[a], starts = validate(lin, penalty(None, a, None), starts)
            results.append({"grid": None, "alpha": a, "lamb_smooth": None,
                            "loss": float(losses[a].mean())})
        # LogisticRegression's default (alpha = 1/C = 1) unless another is clearly better
        best_alpha = 1.0 if 1.0 in losses else alphas[0]
        for a, loss in losses.items():
            if loss.mean() < losses[best_alpha].mean() and clearly_better(loss, losses[1.0]
                                                                          if 1.0 in losses
                                                                          else loss):
                best_alpha = a
        best_loss = losses[best_alpha]
    W_lin, b_lin, it, curve, _ = fit_logistic(lin, codes, n_classes,
                                              penalty(None, best_alpha, None), weights, max_iter)
    best = Choice(_linear_design(z, kinds, k), W_lin, b_lin, best_alpha, None,
                  float("nan") if best_loss is None else float(best_loss.mean()), it, curve)
    forced = lamb_smooth != "auto" or grid != "auto"
    if not (kinds == 2).any() or not (folds or forced):
        best.results = results
        return best
    importance = np.linalg.norm(W_lin, axis=1) * np.sqrt(var)
    # the cost of an iteration grows with columns × classes: fewer spline columns for many classes
    max_columns = min(MAX_SPLINE_COLUMNS, 2 * MAX_SPLINE_COLUMNS // n_classes + 60)
    design = build_design(z, spline_subset(kinds, importance, g + k - 2, max_columns),
                          spline_knots(z, g, k), k)
    F = design.columns
    spline_best = (None, None, None)
    if folds:
        starts = [None] * len(folds)
        for lam in sorted(lambdas, reverse=True):
            loss, starts = validate(F, penalty(design, best_alpha, lam), starts)
            results.append({"grid": g, "alpha": best_alpha, "lamb_smooth": lam,
                            "loss": float(loss.mean())})
            if spline_best[0] is None or loss.mean() < spline_best[0].mean():
                spline_best = (loss, lam, np.mean(starts, axis=0))
    else:
        spline_best = (None, lambdas[0], None)
    loss, lam, start = spline_best  # the folds' mean solution warm-starts the final fit
    if forced or (best_loss is not None and clearly_better(loss, best_loss)) or (
            best_loss is None and loss is not None):
        W, b, it, curve, _ = fit_logistic(F, codes, n_classes, penalty(design, best_alpha, lam),
                                          weights, max_iter, start)
        best = Choice(design, W, b, best_alpha, lam,
                      float("nan") if loss is None else float(loss.mean()), it, curve)
    best.results = results
    return best

"""Choosing among candidate formulas on validation error, with a complexity penalty.

Every candidate is scored by its complexity (nodes of its expression tree)
and its validation RMSE.  The Pareto front keeps the candidates that no
other beats on both.  The choice is the simplest formula that is not worse
than the best one by more than the validation rows can tell:

- its validation RMSE is within ``slack`` (1 %) of the best one (or below ``floor``, the
  level at which data without noise stop telling formulas apart); or
- (noisy data, residuals given) the best one's lead is within its own noise: the mean of
  the paired differences of squared errors, ``mean(e_c² − e_best²)``, is at most ``k``
  standard errors of that mean (the one-standard-error rule).

A fixed slack is a share of the RMSE, but the RMSE of 40 validation rows is itself
uncertain by about ±11 %: with few rows a richer formula wins by luck (two extra
terms fitted to the noise beat the law by 3 % on 40 rows).  The paired standard error
shrinks as ``1/sqrt(rows)``; from about 200 validation rows on, the 1 % slack is the
looser of the two and the choice is as before.

With fewer validation rows than :data:`FEW_ROWS`, the paired test itself has little to go
on.  :func:`choose_cross_validated` then reuses the training rows: each near-best member's
constants are refitted on all but one of ``folds`` parts of the training and validation
rows and scored on the part left out, and :func:`choose` runs on those out-of-fold
residuals (every training and validation row, four times the validation rows at a 60/20
split).  The structures were found on the training rows, so
these errors favour the richer members (a 6-constant look-alike of ``A·cos(k·d)`` beat the
law out of fold on 200 rows): the caller takes that choice only where it is *simpler* than
the validation rows' own, i.e. a simpler member is accepted when either test cannot tell
it from the best (``8.315·T·n/V`` instead of ``0.994·sqrt(70)·T·n/V`` on 500 rows).
"""
from __future__ import annotations

import numpy as np

__all__ = ["pareto_front", "choose", "choose_cross_validated", "earns_terms", "FEW_ROWS",
           "EARN_SE"]

FEW_ROWS = 200  # validation rows below which the final choice is cross-validated
EARN_SE = 3.0  # paired standard errors by which a larger sum must beat a smaller on noisy data
NEAR = 1.5  # members within this factor of the best validation RMSE are cross-validated


def pareto_front(candidates: list[dict]) -> list[dict]:
    """Candidates (``{"expr", "complexity", "val_rmse", ...}``) not dominated by another, simplest first."""
    ranked = sorted(candidates, key=lambda c: (c["complexity"], c["val_rmse"]))
    front, best = [], float("inf")
    for c in ranked:
        if c["val_rmse"] < best:
            front.append(c)
            best = c["val_rmse"]
    return front


def within_noise(errors, best_errors, k: float = 1.0) -> bool:
    """Whether ``errors`` (validation residuals) are worse than ``best_errors`` by at most ``k`` SE.

    The paired comparison on the same rows: ``d = errors² − best_errors²``,
    accepted when ``mean(d) <= k·std(d)/sqrt(len(d))``.
    """
    e = np.asarray(errors, dtype=np.float64)
    b = np.asarray(best_errors, dtype=np.float64)
    if e.shape != b.shape or e.size < 2:
        raise ValueError(f"within_noise needs two residual vectors of the same length (>= 2), "
                         f"got shapes {e.shape} and {b.shape}")
    d = e * e - b * b
    if not np.all(np.isfinite(d)):
        return False
    return float(np.mean(d)) <= k * float(np.std(d, ddof=1)) / np.sqrt(d.size)


def earns_terms(err, resid, best, best_resid, floor, k: float = EARN_SE) -> bool:
    """Whether a larger sum (validation RMSE ``err``, residuals ``resid``) earns its terms
    over the best smaller one (``best``, ``best_resid``; None: there is none).

    Noise-free data: more than 1 % and more than ``floor`` below it.  Noisy data: also more
    than ``k`` paired standard errors (:func:`within_noise`).  A search that scores
    thousands of subsets on the validation rows finds one that beats the law there by a
    standard error or two by luck (five terms of one input's functions mimic ``v²``; on 40
    rows a root of a sum with a ``sin(T·V²)`` term beat ``n·T/V``).
    """
    if best_resid is None:
        return True
    if not err < best * 0.99 - floor:
        return False
    return best <= floor or not within_noise(best_resid, resid, k)


def choose(front: list[dict], floor: float, slack: float = 0.01, errors=None,
           k: float = 1.0) -> dict | None:
    """The simplest front member not worse than the best by more than validation can tell.

    Args:
        front: :func:`pareto_front`'s list, simplest first.
        floor: validation RMSE below which formulas count as equal (noise-free data).
        slack: relative RMSE margin always granted.
        errors: optional validation residuals of each front member (same order); with
            them, a member whose deficit is within ``k`` paired standard errors of the
            best is also accepted (see :func:`within_noise`).  Not used when the best is
            below ``floor``.
    """
    if not front:
        return None
    i_best = min(range(len(front)), key=lambda i: front[i]["val_rmse"])
    best = front[i_best]["val_rmse"]
    limit = max(best * (1.0 + slack), floor)
    for i, c in enumerate(front):
        if c["val_rmse"] <= limit:
            return c
        if errors is not None and best > floor and within_noise(errors[i], errors[i_best], k):
            return c
    return front[i_best]


def free_constants(expr):
    """``expr`` with its rational constants other than 0 and ±1 made floats, except exponents.

    A rounded formula (``25·T·n/(3·V)``) has no floats for :func:`refit` to fit; freed, its
    structure is refitted like any other (``8.333·T·n/V``), while ``V**-1`` and ``x**2``
    keep their exponents.
    """
    import sympy

    def walk(e, in_exponent: bool):
        if e.is_Rational:
            return e if in_exponent or e in (0, 1, -1) else sympy.Float(e, 17)
        if e.is_Pow:
            return sympy.Pow(walk(e.base, in_exponent), walk(e.exp, True))
        if e.args:
            return e.func(*(walk(a, in_exponent) for a in e.args))
        return e

    return walk(expr, False)


def out_of_fold_residuals(expr, symbols, X, y, folds) -> np.ndarray:
    """``y − expr`` on each part of ``folds`` with ``expr``'s constants refitted on the others.

    Args:
        folds: int array, shape (rows,), the part of each row.
    """
    from kanlab.discover._constants import evaluate, refit
    expr = free_constants(expr)
    residuals = np.empty(len(y))
    for k in np.unique(folds):
        held = folds == k
        fitted = refit(expr, symbols, X[~held], y[~held])
        with np.errstate(all="ignore"):
            residuals[held] = y[held] - evaluate(fitted, symbols, X[held])
    return residuals


def choose_cross_validated(front: list[dict], symbols, X, y, floor: float, folds: int = 5,
                           seed: int = 0) -> dict | None:
    """:func:`choose` on out-of-fold residuals over the rows ``(X, y)`` (training and validation).

    Only the members within :data:`NEAR` of the best validation RMSE take part; the one
    returned is a member of ``front`` itself.  Rows are split into ``folds`` parts at random
    (``seed``).
    """
    if not front:
        return None
    best = min(c["val_rmse"] for c in front)
    near = [c for c in front if c["val_rmse"] <= NEAR * best + floor]
    parts = np.random.default_rng(seed).permutation(len(y)) % folds  # (rows,)
    scored, errors = [], []
    for c in near:
        r = out_of_fold_residuals(c["expr"], symbols, X, y, parts)
        rmse = float(np.sqrt(np.mean(r ** 2)))
        scored.append(c | {"val_rmse": rmse if np.isfinite(rmse) else float("inf"),
                           "member": c})
        errors.append(r)
    if not any(np.isfinite(c["val_rmse"]) for c in scored):
        return choose(front, floor)
    chosen = choose(scored, floor, errors=errors)
    return chosen["member"]

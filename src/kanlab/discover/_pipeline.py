"""``discover(X, y, names=...)``: a table of measurements in, a checked formula out.

The steps (every choice on training and validation rows; the test rows are
used once, at the end):

1. check the data (:mod:`._table`), map the names to symbols (:mod:`._names`),
   split the rows 60/20/20 with a seed (:mod:`._split`);
2. candidates: a linear and a power law fitted directly (:mod:`._direct`),
   sparse sums of library terms after a transform of ``y`` (:mod:`._sparse`; also of
   ``y`` less the best candidate's constant term, :mod:`._offset`),
   then KAN restarts over spaces (raw, log), widths and seeds, in parallel
   processes (:mod:`._search`); each is read off as a formula in the original
   columns and its constants are refitted on the raw training rows
   (:mod:`._constants`);
3. the Pareto front of complexity against validation RMSE, the simplest
   formula within 1 % of the best or within the validation rows' noise of it
   (:mod:`._select`), its constants rounded
   where the validation error allows (:mod:`._finish`);
4. the test rows: the formula's and the best spline model's errors (:mod:`._finish`).

The search stops (before the first round of restarts, or after any) when a
formula already reproduces the validation rows to ``1e-9·std(y)`` (noise-free
data, nothing left to find), leaves residuals that look like noise
(:mod:`._noise`), or predicts the validation rows at least as well as every
spline model trained so far.
"""
from __future__ import annotations

import functools
import math
import time

import numpy as np

from kanlab.discover._finish import EXACT, finish
from kanlab.discover._result import DiscoveryResult
from kanlab.discover._search import Trial, run_trials
from kanlab.discover._table import Table, make_table

__all__ = ["discover", "DEFAULT_ROUNDS"]

# Restarts, cheapest first: one-layer (additive) KANs, then deeper ones and more seeds.
DEFAULT_ROUNDS = (
    (Trial("log", (1,)), Trial("raw", (1,)), Trial("mixed", (1, 1))),
    (Trial("log", (2, 1)), Trial("raw", (2, 1)), Trial("mixed", (2, 1)), Trial("raw", (1, 1))),
    (Trial("log", (2, 1), seed=1), Trial("raw", (2, 1), seed=1)),
)
# When no formula reproduces the data (exactly or to the noise), the spline model is the
# answer or its yardstick: wide one-hidden-layer KANs without sparsity or pruning, chosen on
# validation rows (a [n, 4, 1] KAN fits a smooth law of up to 6 inputs to R² 0.998 at 1 % noise).
STRONG_TRIALS = (Trial("raw", (4, 1), grids=(5, 10), steps=30, lamb=0.0, symbolic=False),
                 Trial("raw", (8, 1), grids=(5, 10), steps=30, seed=1, lamb=0.0, symbolic=False),
                 Trial("log", (4, 1), grids=(5, 10), steps=30, lamb=0.0, symbolic=False))
# the best formula's residual "looks like noise" only if its correlation with its neighbours'
# mean stays below this many standard errors (_noise.neighbour_mean_z; chance: about N(0, 1)):
# with four inputs, the nearest-neighbour ratio alone passed a look-alike 8x the noise
SHARED_Z = 4.0
MAX_SEARCH_ROWS = 20_000  # training rows the search uses (a seeded subsample beyond)


def _one_blas_thread(fn):
    """Run ``fn`` with numpy's and scipy's BLAS on one thread (threadpoolctl, where installed).

    discover's linear algebra is many small least-squares fits (a few thousand rows, tens of
    columns): threads there cost more than they give, and OpenBLAS's threads spin while they
    wait.  Measured on 2 cores: a 4-input law took 14.7 s alone with the default two BLAS
    threads and 61 s each with two runs side by side; with one BLAS thread 13 s each.  The
    limit is undone on return; forked restart workers inherit it.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            import scipy.linalg  # noqa: F401 - loads scipy's own BLAS, so the limit covers it
            from threadpoolctl import threadpool_limits
        except ImportError:  # an optional speed-up only
            return fn(*args, **kwargs)
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)
    return wrapper


@_one_blas_thread
def discover(X, y=None, names=None, *, target: str = "y", test=None, seed: int = 0,
             n_jobs: int | None = None, rounds=DEFAULT_ROUNDS, time_budget: float | None = 60.0,
             structure: bool = True, log=None, progress: bool = False) -> DiscoveryResult:
    """Find a formula ``y ≈ f(X)`` in the columns' own names and units.

    Args:
        X: rows × inputs (array-like), or a :class:`~kanlab.discover._table.Table`
            (then ``y`` and ``names`` are ignored).
        y: the target, one value per row.
        names: the inputs' names (default ``x1, x2, ...``); they become the
            formula's symbols (see :mod:`kanlab.discover._names`).
        test: optional ``(X_test, y_test)`` (or a Table) used for the final report
            instead of 20 % of the rows.
        seed: seeds the split and the restarts.
        n_jobs: worker processes for the restarts (default: every core; 1: in
            this process).
        rounds: the restarts, as tuples of :class:`~kanlab.discover._search.Trial`.
        structure: run the structure search without a network first
            (:mod:`kanlab.discover._sparse`: sparse sums of library terms after a
            transform of ``y``).
        time_budget: seconds; no further round of restarts starts once half of it has
            passed (None: every round runs unless a formula is found).
        log: optional callable receiving progress lines (the library prints nothing).
        progress: a tqdm bar on stderr while a large table's spline model trains on
            every training row (see :mod:`kanlab.discover._large`).

    Raises:
        kanlab.discover.DataError: the data cannot be used (the message says why).
    """
    start = time.perf_counter()
    log = log or (lambda line: None)
    table = X if isinstance(X, Table) else make_table(X=X, y=y, names=names, target=target)
    test_table = None
    if test is not None:
        test_table = test if isinstance(test, Table) else make_table(
            X=test[0], y=test[1], names=table.names + table.dropped_columns, target=table.target,
            min_rows=1)
    from kanlab.discover._names import symbol_names, symbols_for
    from kanlab.discover._split import split_rows, subsample_rows
    identifiers, name_map = symbol_names(table.names)
    positive = list(np.all(table.X > 0, axis=0))
    symbols = symbols_for(identifiers, positive)
    tr, va, te = split_rows(table.n_rows, seed, has_test=test_table is not None)
    X_te, y_te = ((table.X[te], table.y[te]) if test_table is None
                  else (test_table.X[:, [test_table.names.index(n) for n in table.names]],
                        test_table.y))
    # large tables: the search (networks, symbolic fits, constants) runs on a seeded subsample;
    # the test rows are all used for the final report
    tr_s = subsample_rows(tr, MAX_SEARCH_ROWS, [seed, len(tr)])
    va_s = subsample_rows(va, MAX_SEARCH_ROWS // 4, [seed, len(va)])
    data = {"X_train": table.X[tr_s], "y_train": table.y[tr_s], "X_val": table.X[va_s],
            "y_val": table.y[va_s], "names": identifiers, "positive": positive}
    scale = float(np.std(data["y_train"]))
    candidates, splines, seen = [], [], set()
    from kanlab.discover._direct import direct_formulas
    _add(candidates, seen, direct_formulas(data["X_train"], data["y_train"], symbols),
         "direct", symbols, data)
    if structure:
        from kanlab.discover._sparse import structure_formulas
        _add(candidates, seen, structure_formulas(data["X_train"], data["y_train"], data["X_val"],
                                                  data["y_val"], symbols), "structure", symbols,
             data)
        from kanlab.discover._groups import group_formulas
        _add(candidates, seen, group_formulas(data["X_train"], data["y_train"], data["X_val"],
                                              data["y_val"], symbols), "group", symbols, data)
        if not _done(candidates, [], scale, data, symbols):
            _search_again(candidates, seen, data, symbols, seed, log)
        best = min(candidates, key=lambda c: c["val_rmse"], default=None)
        if best is not None and best["val_rmse"] > EXACT * scale:  # an offset on y? (_offset)
            from kanlab.discover._offset import offset_formulas
            _add(candidates, seen, offset_formulas(best["expr"], data["X_train"], data["y_train"],
                                                   data["X_val"], data["y_val"], symbols),
                 "offset", symbols, data)
        # differences of reciprocals, a difference over a short sum, high powers, two
        # exponentials with fitted rates, powers times a function, an input in an exponent
        # (also in a geometric-series factor), logs of differences in a sum, a sum with an
        # input to a fitted power,
        # a law homogeneous in a pair of inputs, a root of a polynomial; then
        # targets transformed with an input (an offset off, h/y), ratios of short sums (also
        # over a sum of like inputs), sums of powers times a function (of y or y²), sums
        # scaled by a ratio with a difference (see each module),
        # where no candidate so far reproduces the data (after the inputs that matter were tried alone: their wider
        # term lists can fit noise with unused columns)
        from kanlab.discover._inverse_differences import inverse_difference_formulas
        from kanlab.discover._exponents import exponent_formulas
        from kanlab.discover._geometric import geometric_formulas
        from kanlab.discover._log_sums import log_sum_formulas
        from kanlab.discover._power_sums import power_sum_formulas
        from kanlab.discover._homogeneous import homogeneous_formulas
        from kanlab.discover._pade import pade_formulas
        from kanlab.discover._polynomial_roots import polynomial_root_formulas
        from kanlab.discover._powers import power_formulas
        from kanlab.discover._rational import rational_formulas
        from kanlab.discover._scaled import scaled_formulas
        from kanlab.discover._sum_ratios import sum_ratio_formulas
        from kanlab.discover._transformed import difference_formulas, transformed_formulas
        from kanlab.discover._two_rates import two_rate_formulas
        from kanlab.discover._waves import wave_formulas
        for source, find in (("inverse differences", inverse_difference_formulas),
                             ("transformed", difference_formulas),
                             ("powers", power_formulas), ("two rates", two_rate_formulas),
                             ("rational", sum_ratio_formulas), ("waves", wave_formulas),
                             ("exponents", exponent_formulas),
                             ("geometric", geometric_formulas),
                             ("log sums", log_sum_formulas),
                             ("power sums", power_sum_formulas),
                             ("homogeneous", homogeneous_formulas),
                             ("polynomial roots", polynomial_root_formulas),
                             ("rational", pade_formulas)):
            # cheap (0.1-0.5 s): tried unless a formula is exact, even where a look-alike's
            # residuals pass for noise (a root of a quartic passed for f·sqrt((1 + b)/(1 - b))
            # at 1 %, and the Padé fits that hold that law were never tried)
            if min((c["val_rmse"] for c in candidates), default=math.inf) > EXACT * scale:
                _add(candidates, seen, find(data["X_train"], data["y_train"], data["X_val"],
                                            data["y_val"], symbols), source, symbols, data)
        for source, find in (("transformed", transformed_formulas),
                             ("rational", rational_formulas), ("scaled", scaled_formulas)):
            if _done(candidates, [], scale, data, symbols):
                break
            _add(candidates, seen, find(data["X_train"], data["y_train"], data["X_val"],
                                        data["y_val"], symbols), source, symbols, data)
        log(f"structure search: {len(candidates)} candidates, "
            f"{time.perf_counter() - start:.1f} s")
    for r, trials in enumerate(rounds):
        if _done(candidates, splines, scale, data, symbols):
            break
        if r and time_budget is not None and time.perf_counter() - start > time_budget / 2:
            log(f"time budget: {len(rounds) - r} round(s) of restarts skipped")
            break
        trials = [Trial(t.space, t.width, t.seed + seed, t.grids, t.steps, t.lamb, t.symbolic)
                  for t in trials]
        log(f"search round {r + 1}: {len(trials)} KAN restarts")
        for res in run_trials(trials, data, n_jobs):
            if res["spline"] is not None:
                splines.append(res["spline"] | {"trial": res["trial"]})
            _add(candidates, seen, res["formulas"], res["trial"].label, symbols, data)
    if candidates and not _done(candidates, [], scale, data, symbols):
        log(f"no formula reproduces the data: {len(STRONG_TRIALS)} wide spline models")
        for res in run_trials([Trial(t.space, t.width, t.seed + seed, t.grids, t.steps, t.lamb,
                                     False) for t in STRONG_TRIALS], data, n_jobs):
            if res["spline"] is not None:
                splines.append(res["spline"] | {"trial": res["trial"]})
    if not splines:  # stopped before any network: train one for the spline model and figures
        for trial in ((rounds[0][0],) if rounds and rounds[0] else ()) + (Trial("raw", (1,)),):
            res = run_trials([Trial(trial.space, trial.width, trial.seed + seed, trial.grids,
                                    trial.steps, trial.lamb, symbolic=False)], data, 1)[0]
            if res["spline"] is not None:
                splines.append(res["spline"] | {"trial": res["trial"]})
                break
    # the closed-form additive model: on a small noisy table the restarts' splines follow the
    # noise, and this one (ridge unless splines clearly help) is the spline model to beat
    from kanlab.discover._additive import additive_spline
    additive = additive_spline(data, seed)
    if additive is not None:
        splines.append(additive)
    if len(tr) > len(tr_s):  # a large table: the best spline model also sees every training row
        from kanlab.discover._large import refine_best
        splines = refine_best(splines, table.X, table.y, tr, va, data, seed=seed,
                              progress=progress, log=log)
    return finish(table, test_table, data, symbols, identifiers, name_map, candidates, splines,
                   (X_te, y_te), (len(tr), len(va), len(y_te)), seed, start, log, n_jobs)


def _done(candidates, splines, scale, data, symbols) -> bool:
    """A formula reproduces noise-free data, leaves only noise, or beats every spline model so far."""
    if not candidates:
        return False
    best = min(candidates, key=lambda c: c["val_rmse"])
    if best["val_rmse"] <= EXACT * scale or (
            bool(splines) and best["val_rmse"] <= min(s["val_rmse"] for s in splines)):
        return True
    from kanlab.discover._constants import evaluate
    from kanlab.discover._noise import looks_like_noise
    X = np.vstack([data["X_train"], data["X_val"]])
    y = np.concatenate([data["y_train"], data["y_val"]])
    return looks_like_noise(X, y - evaluate(best["expr"], symbols, X), z_limit=SHARED_Z)


def _search_again(candidates, seen, data, symbols, seed, log) -> None:
    """The structure searches again, on the inputs that matter, in natural units.

    Columns a law does not use grow the term library (functions of products are built for a
    few inputs only) and mislead its sparse fits: :mod:`._relevance` names the columns worth
    keeping.  Columns in units far from 1 (millimetres, kilopascals) hide ``cos(k·d)``:
    :mod:`._decades` rescales them by powers of ten, and the formulas are mapped back to the
    original units.  This only adds candidates: validation rows choose among all.
    """
    from kanlab.discover._decades import decade_factors, in_original_units
    from kanlab.discover._groups import group_formulas
    from kanlab.discover._relevance import relevant_inputs
    from kanlab.discover._sparse import structure_formulas
    keep = relevant_inputs(data["X_train"], data["y_train"], seed=seed)
    exponents = decade_factors(data["X_train"][:, keep])
    if len(keep) == len(symbols) and not any(exponents):
        return
    sub = [symbols[i] for i in keep]
    log(f"structure search on {', '.join(map(str, sub))}"
        + (f", rescaled by 10^{exponents}" if any(exponents) else ""))
    scale = 10.0 ** np.array(exponents, dtype=np.float64)  # (inputs kept,)
    X_tr, X_va = data["X_train"][:, keep] * scale, data["X_val"][:, keep] * scale
    found = (structure_formulas(X_tr, data["y_train"], X_va, data["y_val"], sub)
             + group_formulas(X_tr, data["y_train"], X_va, data["y_val"], sub))
    _add(candidates, seen, [in_original_units(e, sub, exponents) for e in found], "structure",
         symbols, data)


def _add(candidates, seen, exprs, source, symbols, data) -> None:
    import sympy
    from kanlab.discover._constants import complexity, refit, rmse_of
    from kanlab.discover._simplify import linearised, simplest
    exprs = list(exprs)
    # sin u, tan u, ... of arguments that stay small are also offered as u (a look-alike
    # otherwise wins a tie within the noise); the variants compete like any candidate
    exprs += [v for v in (linearised(e, symbols, data["X_train"]) for e in exprs)
              if v not in exprs]
    for expr in exprs:
        if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            continue
        try:
            expr = simplest(refit(expr, symbols, data["X_train"], data["y_train"]), symbols,
                            data["X_val"])
            key = str(expr)
            if key in seen:
                continue
            seen.add(key)
            val = rmse_of(expr, symbols, data["X_val"], data["y_val"])
        except ValueError:  # a constant that is not a finite number: not a formula
            continue
        if math.isfinite(val):
            candidates.append({"expr": expr, "complexity": complexity(expr), "val_rmse": val,
                               "source": source})

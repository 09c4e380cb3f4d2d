"""The end of ``discover``: choose among the candidates (validation rows), round the
chosen formula's constants, and report it and the best spline model on the test rows."""
from __future__ import annotations

import math
import time

import numpy as np

from kanlab.discover._result import DiscoveryResult

__all__ = ["finish", "EXACT"]

EXACT = 1e-9  # validation RMSE / std(y) below which noise-free data are reproduced


def finish(table, test_table, data, symbols, identifiers, name_map, candidates, splines, test,
            sizes, seed, start, log, n_jobs=None) -> DiscoveryResult:
    """The choice among the candidates, its rounding, and the report on the test rows."""
    import sympy
    from kanlab.discover._constants import (complexity, evaluate, rmse_of, round_constants,
                                            rounding_tolerance)
    from kanlab.discover._select import FEW_ROWS, choose, choose_cross_validated, pareto_front
    from kanlab.discover._simplify import simplest
    scale = float(np.std(data["y_train"]))
    candidates = _rounded_leaders(candidates, data, symbols, scale)
    front = pareto_front(candidates)
    # validation residuals: a lead within their noise does not buy complexity
    errors = [data["y_val"] - evaluate(c["expr"], symbols, data["X_val"]) for c in front]
    chosen = choose(front, floor=EXACT * scale, errors=errors)
    if chosen is not None and len(data["y_val"]) < FEW_ROWS:  # few rows: the training rows
        other = choose_cross_validated(  # vote too, for a simpler member only (_select)
            front, symbols, np.vstack([data["X_train"], data["X_val"]]),
            np.concatenate([data["y_train"], data["y_val"]]), EXACT * scale, seed=seed)
        chosen = other if other["complexity"] < chosen["complexity"] else chosen
    formula, picked = None, chosen
    if chosen is not None:
        tol = rounding_tolerance(chosen["expr"], chosen["val_rmse"], len(data["y_train"]),
                                 EXACT * scale)
        formula = simplest(round_constants(chosen["expr"], symbols,
                                           (data["X_train"], data["y_train"]),
                                           (data["X_val"], data["y_val"]), tol),
                           symbols, data["X_val"], thorough=True)
        chosen = chosen | {"expr": formula, "complexity": complexity(formula),
                           "val_rmse": rmse_of(formula, symbols, data["X_val"], data["y_val"])}
    from kanlab.discover._additive import best_spline as keep
    best_spline = keep(splines, data)
    spline_val = best_spline["val_rmse"] if best_spline else math.inf
    fits = chosen is not None and chosen["val_rmse"] <= max(1.1 * spline_val, 1e-6 * scale)
    residual = None
    if not fits and candidates:  # the most accurate formula plus a spline model of its residual
        from kanlab.discover._hybrid import residual_model
        base = min(candidates, key=lambda c: c["val_rmse"])["expr"]
        residual = residual_model(base, symbols, data, seed=seed, n_jobs=n_jobs)
        if residual is not None:
            log(f"formula + spline model of its residual: validation RMSE "
                f"{residual['val_rmse']:.3e} (spline model {spline_val:.3e})")
            if not residual["val_rmse"] < spline_val:
                residual = None
    pareto = []
    for c in front:
        shown = chosen if c is picked else c | {"expr": sympy.N(c["expr"], 4)}
        pareto.append({"formula": str(shown["expr"]), "complexity": shown["complexity"],
                       "val_rmse": shown["val_rmse"], "source": c["source"],
                       "chosen": c is picked})
    result = DiscoveryResult(formula, fits, pareto, best_spline and best_spline["model"],
                             best_spline and best_spline["space"], list(table.names),
                             identifiers, name_map, warnings=list(table.warnings),
                             _sympy_symbols=symbols, residual=residual)
    X_te, y_te = test
    metrics = {"n_train": sizes[0], "n_val": sizes[1], "n_test": sizes[2], "seed": seed,
               "target": table.target, "columns": list(table.names), "symbols": identifiers,
               "name_map": name_map, "dropped_columns": table.dropped_columns,
               "dropped_rows": table.dropped_rows, "formula_fits": fits,
               "n_candidates": len(candidates),
               "formula_val_rmse": chosen["val_rmse"] if chosen else None,
               "spline_val_rmse": spline_val if best_spline else None,
               "y_std": float(np.std(table.y))}
    if formula is not None:
        metrics["formula_test_rmse"] = rmse_of(formula, symbols, X_te, y_te)
        metrics["formula_test_r2"] = _r2(result.predict_formula(X_te), y_te)
    if best_spline is not None:
        pred = result.predict_spline(X_te)
        metrics["spline_test_rmse"] = float(np.sqrt(np.mean((pred - y_te) ** 2)))
        metrics["spline_test_r2"] = _r2(pred, y_te)
        metrics["spline_trial"] = best_spline["trial"].label
    if residual is not None:
        pred = result.predict_residual(X_te)
        metrics["residual_base"] = str(sympy.N(residual["base"], 6))
        metrics["residual_val_rmse"] = residual["val_rmse"]
        metrics["residual_test_rmse"] = float(np.sqrt(np.mean((pred - y_te) ** 2)))
        metrics["residual_test_r2"] = _r2(pred, y_te)
        metrics["residual_trial"] = residual["trial"].label
    # the model predict() uses: its errors are the ones to report
    answer = result.answer
    metrics["answer"] = answer
    key = {"formula": "formula", "formula+spline": "residual", "spline": "spline"}[answer]
    metrics["answer_test_rmse"] = metrics.get(f"{key}_test_rmse")
    metrics["answer_test_r2"] = metrics.get(f"{key}_test_r2")
    metrics["wall_time"] = time.perf_counter() - start
    result.metrics = metrics
    return result


def _rounded_leaders(candidates, data, symbols, scale, within: float = 1.5, most: int = 8):
    """The candidates, with the best few (by validation RMSE) also in rounded form.

    A fitted exponent of 1.0003 costs more nodes than the 1 it stands for; the
    leaders are compared on the complexity they have once rounded (where the
    validation rows allow it, see :func:`~kanlab.discover._constants.round_constants`).
    """
    from kanlab.discover._constants import (complexity, rmse_of, round_constants,
                                            rounding_tolerance)
    from kanlab.discover._simplify import simplest
    if not candidates:
        return candidates
    best = min(c["val_rmse"] for c in candidates)
    leaders = sorted((c for c in candidates if c["val_rmse"] <= within * best + EXACT * scale),
                     key=lambda c: (c["complexity"], c["val_rmse"]))[:most]
    out = list(candidates)
    for c in leaders:
        tol = rounding_tolerance(c["expr"], c["val_rmse"], len(data["y_train"]), EXACT * scale)
        expr = simplest(round_constants(c["expr"], symbols, (data["X_train"], data["y_train"]),
                                        (data["X_val"], data["y_val"]), tol),
                        symbols, data["X_val"])
        if expr != c["expr"]:
            val = rmse_of(expr, symbols, data["X_val"], data["y_val"])
            out.append(c | {"expr": expr, "complexity": complexity(expr), "val_rmse": val})
    return out


def _r2(pred, y) -> float:
    ss_res = float(np.sum((pred - y) ** 2))
    ss_tot = float(np.sum((y - np.mean(y)) ** 2))
    value = 1.0 - ss_res / ss_tot if ss_tot > 0 else math.nan
    return value if math.isfinite(value) else -math.inf

"""``kanlab train --data FILE --target COLUMN``: a table of measurements in, a formula out.

The data are read and checked by the CLI before anything is written (bad
data end the run with one line and exit status 2, see :mod:`kanlab.cli._main`);
this module runs :func:`kanlab.discover.discover`, prints the Pareto front
and the chosen formula once, and writes the run directory: ``metrics.json``,
``report.html``, ``fit.png``, ``network.png``, ``bspline_visualization.png``
and ``model.safetensors`` (the best spline model).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import NoReturn


__all__ = ["run_data", "write_run", "pareto_lines", "data_error", "FIGURE_ROWS"]

FIGURE_ROWS = 5000  # rows drawn in fit.png and used for the diagrams (a seeded subsample)


def data_error(message: str) -> NoReturn:
    """End the run on bad data: one ``kanlab train: error: ...`` line, exit status 2.

    No usage text: the options were right, the file's contents were not.
    """
    print(f"kanlab train: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def pareto_lines(pareto: list[dict], width: int = 70) -> list[str]:
    """The Pareto front as a short table; the chosen row (marked ``*``) refers to the formula
    line printed after it, so that the formula is printed once."""
    from kanlab.discover._report import short_constants
    lines = [f"  {'':1} {'complexity':>10}  {'val RMSE':>10}  formula"]
    for p in pareto:
        text = short_constants(p["formula"])  # metrics.json keeps every digit
        text = text if len(text) <= width else text[:width - 3] + "..."
        text = "(the formula below)" if p["chosen"] else text
        lines.append(f"  {'*' if p['chosen'] else ' '} {p['complexity']:>10}  "
                     f"{p['val_rmse']:>10.3e}  {text}")
    return lines


def run_data(table, test_table, *, out: str | None, seed: int, jobs: int | None,
             log=print, progress: bool = False) -> dict:
    """Discover, print, write the run directory; returns the metrics (also in metrics.json)."""
    from kanlab.discover import discover
    for warning in table.warnings:
        log(f"warning: {warning}")
    result = discover(table, test=test_table, seed=seed, n_jobs=jobs, log=log, progress=progress)
    X_test, y_test = _test_rows(table, test_table, seed)
    return write_run(result, table, test_table, X_test, y_test, out=out, seed=seed, log=log)


def write_run(result, table, test_table, X_test, y_test, *, out: str | None, seed: int,
              log=print) -> dict:
    """Print the Pareto front and the formula, write the run directory; returns the metrics.

    ``table`` is the data read (on a ``--ddp`` run: rank 0's shard; the
    metrics come from ``result.metrics``, reduced over every rank).  The
    figures draw at most ``FIGURE_ROWS`` rows.
    """
    from kanlab.discover._figures import write_figures
    from kanlab.discover._report import report_html
    from kanlab.io._atomic import atomic_write_text
    m = result.metrics
    if result.name_map:
        log("column names mapped to symbols: " + ", ".join(
            f"{k!r} -> {v}" for k, v in result.name_map.items()))
    log(f"rows: {m['n_train']} train, {m['n_val']} validation, {m['n_test']} test (seed {seed})")
    log("Pareto front (complexity against validation RMSE):")
    for line in pareto_lines(result.pareto):
        log(line)
    metrics = {
        "target": table.target, "columns": result.names, "symbols": result.symbols,
        "name_map": result.name_map,
        # `formula` reads back with sympy.sympify(formula, locals={s: sympy.Symbol(s) for s in
        # symbols}); plain sympify would read E, I, N, S, Q, pi, beta, gamma as sympy's own
        # objects, so `formula_srepr` spells every symbol out (plain sympify reads it right)
        "formula": result.formula_str, "formula_srepr": _srepr(result.formula),
        "formula_latex": result.formula_latex,
        "formula_fits": result.formula_fits,
        "formula_test_rmse": m.get("formula_test_rmse"), "formula_test_r2": m.get("formula_test_r2"),
        "formula_val_rmse": m.get("formula_val_rmse"),
        "pareto": result.pareto,
        "spline_test_rmse": m.get("spline_test_rmse"), "spline_test_r2": m.get("spline_test_r2"),
        "spline_val_rmse": m.get("spline_val_rmse"), "spline_model": m.get("spline_trial"),
        # the model predictions come from, and its test errors: the formula when it fits,
        # else "formula+spline" (residual_*) or "spline", whichever validates better
        "answer": m.get("answer"), "answer_test_rmse": m.get("answer_test_rmse"),
        "answer_test_r2": m.get("answer_test_r2"),
        **{k: m[k] for k in ("residual_base", "residual_test_rmse", "residual_test_r2",
                             "residual_val_rmse", "residual_trial") if k in m},
        "n_train": m["n_train"], "n_val": m["n_val"], "n_test": m["n_test"], "seed": seed,
        "test_from": "test file" if test_table is not None else "split",
        "dropped_columns": table.dropped_columns, "dropped_rows": table.dropped_rows,
        "warnings": table.warnings, "wall_time": m["wall_time"],
    }
    for key in ("ddp_world_size", "spline_val_rmse_all_rows"):  # --ddp runs only
        if key in m:
            metrics[key] = m[key]
    if result.formula is None:
        log("no formula found; the spline model is kept")
    elif result.formula_fits:
        log(f"formula: {table.target} = {result.formula_str}   (test RMSE "
            f"{m['formula_test_rmse']:.3e}, R² {m['formula_test_r2']:.6f})")
    else:
        kept = ("the best formula plus a spline model of its residual"
                if result.answer == "formula+spline" else "the spline model")
        log(f"no exact formula fits as well as the spline model (validation RMSE "
            f"{m['formula_val_rmse']:.3e} against {m['spline_val_rmse']:.3e}); the answer is "
            f"{kept} (test RMSE {m['answer_test_rmse']:.3e}, R² {m['answer_test_r2']:.6f}). "
            f"Best approximation: {table.target} = {result.formula_str}")
    path = Path(out or f"runs/{time.strftime('%Y%m%d-%H%M%S')}")
    path.mkdir(parents=True, exist_ok=True)
    from kanlab.discover._split import subsample_rows
    rows = subsample_rows(len(table.X), FIGURE_ROWS, [seed, len(table.X)])
    shown = subsample_rows(len(y_test), FIGURE_ROWS, [seed, len(y_test)])
    files = write_figures(result, path, table.X[rows], X_test[shown], y_test[shown])
    if result.model is not None:
        files["checkpoint"] = path / "model.safetensors"
        result.model.save(files["checkpoint"])
    files["report"] = path / "report.html"
    metrics["files"] = {k: str(v) for k, v in files.items()}
    metrics["files"]["metrics"] = str(path / "metrics.json")
    atomic_write_text(files["report"], report_html(result, metrics, {
        k: v for k, v in files.items() if str(v).endswith(".png")}, table,
        title=f"kanlab: a formula for {table.target}"))
    atomic_write_text(path / "metrics.json", json.dumps(metrics, indent=2, default=str) + "\n")
    return metrics


def _srepr(expr) -> str | None:
    """``sympy.srepr`` of the formula: symbols as ``Symbol('E', ...)``, parsed without locals."""
    if expr is None:
        return None
    import sympy
    return sympy.srepr(expr)


def _test_rows(table, test_table, seed):
    if test_table is not None:
        idx = [test_table.names.index(n) for n in table.names]
        return test_table.X[:, idx], test_table.y
    from kanlab.discover._split import split_rows
    te = split_rows(table.n_rows, seed)[2]
    return table.X[te], table.y[te]

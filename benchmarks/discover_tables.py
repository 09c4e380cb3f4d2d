"""``kanlab.discover`` (the path of ``kanlab train --data``) on real, noisy tables.

Usage::

    python benchmarks/discover_tables.py [--only diabetes,sm engel] [--jsonl F]

The regression tables of ``benchmarks/tabular.py`` (scikit-learn's bundled
sets and those shipped inside statsmodels; nothing is downloaded), each split
60/20/20 with discover's own seeded split (seed 0).  Per table: the test R² of
the answer ``discover`` gives (formula, formula + spline, or spline model), of
its formula and of its best spline model; next to them ``RidgeCV`` and
``HistGradientBoostingRegressor`` fitted on the same training + validation
rows and scored on the same test rows.  A multi-output target (linnerud) uses
its first column.  Restarts run in this process (``n_jobs=1``).
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _output import emit  # noqa: E402


def run_table(name: str, load) -> dict:
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import r2_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from kanlab.discover import discover
    from kanlab.discover._split import split_rows
    from kanlab.discover._table import DataError
    X, y = load()
    y = y[:, 0] if y.ndim == 2 else y
    start, cpu = time.perf_counter(), time.process_time()
    row = {"table": name, "rows": len(y), "columns": X.shape[1]}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = discover(X, y, seed=0, n_jobs=1)
    except DataError as err:  # too few rows for a train/validation/test split
        return row | {"refused": str(err)}
    tr, va, te = split_rows(len(y), 0)
    row.update(wall_s=time.perf_counter() - start, cpu_s=time.process_time() - cpu)
    m = res.metrics
    row.update(answer=m["answer"], answer_r2=m["answer_test_r2"],
               formula=str(res.formula) if res.formula is not None else None,
               formula_r2=m.get("formula_test_r2"), spline_r2=m.get("spline_test_r2"),
               spline_model=m.get("spline_trial"))
    fit_rows = np.concatenate([tr, va])
    for key, model in (("ridge_r2", make_pipeline(StandardScaler(), RidgeCV())),
                       ("hgb_r2", HistGradientBoostingRegressor(random_state=0))):
        model.fit(X[fit_rows], y[fit_rows])
        row[key] = float(r2_score(y[te], model.predict(X[te])))
    return row


def markdown(rows: list[dict]) -> str:
    lines = ["| table | n×d | answer | answer R² | formula R² | spline R² | ridge R² | HGB R² "
             "| CPU s | formula |", "|---|---|---|---|---|---|---|---|---|---|"]
    fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
    for r in rows:
        if "refused" in r:
            lines.append(f"| {r['table']} | {r['rows']}×{r['columns']} | refused: "
                         f"{r['refused']} | | | | | | | |")
            continue
        formula = (r["formula"] or "—")
        formula = formula if len(formula) <= 60 else formula[:57] + "..."
        lines.append(f"| {r['table']} | {r['rows']}×{r['columns']} | {r['answer']} | "
                     f"{fmt(r['answer_r2'])} | {fmt(r['formula_r2'])} | {fmt(r['spline_r2'])} | "
                     f"{fmt(r['ridge_r2'])} | {fmt(r['hgb_r2'])} | {r['cpu_s']:.1f} | "
                     f"`{formula}` |")
    return "\n".join(lines)


def main(argv=None) -> None:
    from tabular import EXTRA_REGRESSION, REGRESSION
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated table names")
    parser.add_argument("--jsonl", help="append one JSON line per table here")
    args = parser.parse_args(argv)
    tables = {**REGRESSION, **EXTRA_REGRESSION}
    if args.only:
        tables = {k: v for k, v in tables.items() if k in args.only.split(",")}
    rows = []
    for name, load in tables.items():
        row = run_table(name, load)
        rows.append(row)
        emit(row, args.jsonl)
    print(markdown(rows))


if __name__ == "__main__":
    main()

"""pykan's formula-discovery chain on laws beyond its tutorials, pykan 0.2.8 beside kanlab.pykan.

Each (law, seed, lib, implementation) runs the hellokan chain — ``KAN(width, grid=5, k=3,
seed)``, ``fit`` (LBFGS, ``lamb``), ``prune``, ``fit``, optionally ``refine(10)`` and ``fit``,
``auto_symbolic(lib)``, ``fit``, ``ex_round(symbolic_formula()[0][0], 4)`` — in its own
subprocess (one thread, a fresh temporary directory with ``./model``, a timeout).  A formula
counts as the law when its largest error on 400 random points of the law's range is below
1e-3 of the law's largest value there.  Usage::

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/pykan_formula_laws.py \\
        [--impls kan kanlab.pykan] [--libs default small] [--seeds 0 1 2] [--laws NAME ...] \\
        [--steps 20] [--refine] [--jobs 2] [--timeout 240] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SMALL_LIB = ["x", "x^2", "exp", "sin", "tanh", "log", "sqrt"]

# name: (truth in x_1..x_n as sympy text, n_var, ranges per variable, width)
LAWS = {
    "xyz": ("x_1*x_2*x_3", 3, [[-1, 1]] * 3, [3, 4, 1]),
    "x_over_y": ("x_1/x_2", 2, [[-1, 1], [1, 2]], [2, 2, 1]),
    "gauss": ("exp(-x_1**2/2)/sqrt(2*pi)", 1, [[-2, 2]], [1, 1, 1]),
    "sin_cos": ("sin(x_1)*cos(x_2)", 2, [[-1, 1]] * 2, [2, 2, 1]),
    "hypot": ("sqrt(x_1**2 + x_2**2)", 2, [[-1, 1]] * 2, [2, 1, 1]),
    "x2y": ("x_1**2*x_2", 2, [[-1, 1]] * 2, [2, 2, 1]),
    "lorentz": ("1/(1 + x_1**2)", 1, [[-2, 2]], [1, 1, 1]),
    "logx_y": ("log(1 + x_1)*x_2", 2, [[0, 1], [-1, 1]], [2, 2, 1]),
    "tanh_plus": ("tanh(2*x_1) + x_2", 2, [[-1, 1]] * 2, [2, 1]),
    "cubic": ("x_1**3 - x_1", 1, [[-1, 1]], [1, 1]),
    "additive3": ("sin(x_1) + x_2**2 + exp(x_3)", 3, [[-1, 1]] * 3, [3, 1]),
    "gauss2d": ("exp(-(x_1**2 + x_2**2))", 2, [[-1, 1]] * 2, [2, 1, 1]),
    "sqrt1p": ("sqrt(1 + x_1**2 + x_2**2)", 2, [[-1, 1]] * 2, [2, 1, 1]),
}


def _is_law(formula: str, truth: str, ranges, points: int = 400) -> tuple[bool, float]:
    """Largest error of ``formula`` against ``truth`` on random points, relative to the truth's largest value."""
    import numpy as np
    import sympy

    names = [f"x_{i + 1}" for i in range(len(ranges))]
    symbols = sympy.symbols(names)
    local = dict(zip(names, symbols))
    f = sympy.lambdify(symbols, sympy.sympify(formula, locals=local), "numpy")
    t = sympy.lambdify(symbols, sympy.sympify(truth, locals=local), "numpy")
    rng = np.random.default_rng(0)
    xs = [rng.uniform(lo, hi, points) for lo, hi in ranges]
    with np.errstate(all="ignore"):
        fv = np.broadcast_to(np.asarray(f(*xs), dtype=complex), (points,))
        tv = np.broadcast_to(np.asarray(t(*xs), dtype=float), (points,))
    err = float(np.max(np.abs(fv - tv)) / max(np.max(np.abs(tv)), 1e-12))
    if not np.isfinite(err):
        err = float("inf")
    return err < 1e-3, err


def run_one(impl: str, law: str, seed: int, lib: str, steps: int, refine: bool) -> dict:
    """The chain for one case, in this process; returns formula, test RMSE and the check."""
    import importlib

    import torch

    torch.set_num_threads(1)
    K = importlib.import_module("kan" if impl == "kan" else "kanlab.pykan")
    import sympy

    truth, n_var, ranges, width = LAWS[law]
    names = sympy.symbols([f"x_{i + 1}" for i in range(n_var)])
    tf = sympy.lambdify(names, sympy.sympify(truth), "math")

    def f(x):
        return torch.tensor([[tf(*row)] for row in x.tolist()], dtype=x.dtype)

    dataset = K.create_dataset(f, n_var=n_var, ranges=ranges, train_num=1000, test_num=1000, seed=0)
    model = K.KAN(width=width, grid=5, k=3, seed=seed, auto_save=False)
    model.fit(dataset, opt="LBFGS", steps=steps, lamb=0.002)
    model = model.prune()
    model.fit(dataset, opt="LBFGS", steps=steps)
    if refine:
        model = model.refine(10)
        model.fit(dataset, opt="LBFGS", steps=steps)
    model.auto_symbolic(lib=None if lib == "default" else SMALL_LIB, verbose=0)
    model.fit(dataset, opt="LBFGS", steps=steps)
    with torch.no_grad():
        rmse = float(torch.sqrt(torch.mean((model(dataset["test_input"]) - dataset["test_label"]) ** 2)))
    formula = str(K.ex_round(model.symbolic_formula()[0][0], 4))
    ok, err = _is_law(formula, truth, ranges)
    return {"impl": impl, "law": law, "seed": seed, "lib": lib, "rmse": rmse, "formula": formula,
            "recovered": ok, "rel_err": err, "width_after_prune": list(map(int, _widths(model)))}


def _widths(model):
    w = model.width
    return [x[0] if isinstance(x, (list, tuple)) else x for x in w]


def _spawn(case, args) -> dict:
    impl, law, seed, lib = case
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", impl, law, str(seed), lib,
           "--steps", str(args.steps)] + (["--refine"] if args.refine else [])
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, "model"))
        try:
            out = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return {"impl": impl, "law": law, "seed": seed, "lib": lib, "error": "timeout"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"impl": impl, "law": law, "seed": seed, "lib": lib,
                "error": (out.stderr.strip().splitlines() or ["?"])[-1][:200]}
    rec = json.loads(lines[-1])
    rec["seconds"] = round(time.time() - start, 1)
    return rec


def table(records, impls, libs, laws) -> str:
    """Markdown per law, per lib and implementation: recovered (error < 1e-3) / exact (< 1e-4) /
    runs, and the median test RMSE."""
    head = "| law | " + " | ".join(f"{i} {lb}" for lb in libs for i in impls) + " |"
    rows = [head, "|" + "---|" * (1 + len(libs) * len(impls))]
    for law in laws:
        cells = []
        for lb in libs:
            for i in impls:
                rs = [r for r in records if r["law"] == law and r["lib"] == lb and r["impl"] == i]
                good = [r for r in rs if "error" not in r]
                med = statistics.median(r["rmse"] for r in good) if good else float("nan")
                errs = len(rs) - len(good)
                exact = sum(r["rel_err"] < 1e-4 for r in good)
                cells.append(f"{sum(r['recovered'] for r in good)}/{exact}/{len(rs)} {med:.2e}"
                             + (f" ({errs} err)" if errs else ""))
        rows.append(f"| {law} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impls", nargs="+", default=["kan", "kanlab.pykan"])
    p.add_argument("--libs", nargs="+", default=["default", "small"], choices=["default", "small"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--laws", nargs="+", default=list(LAWS), choices=list(LAWS))
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--refine", action="store_true")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--timeout", type=float, default=240)
    p.add_argument("--json")
    p.add_argument("--one", nargs=4, metavar=("IMPL", "LAW", "SEED", "LIB"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        impl, law, seed, lib = args.one
        print(json.dumps(run_one(impl, law, int(seed), lib, args.steps, args.refine)))
        return
    cases = [(i, law, s, lb) for s in args.seeds for lb in args.libs for law in args.laws for i in args.impls]
    records = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for rec in pool.map(lambda c: _spawn(c, args), cases):
            records.append(rec)
            print(json.dumps(rec), file=sys.stderr, flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(records, indent=1))
    print(table(records, args.impls, args.libs, args.laws))


def tables(paths, impls=("kan", "kanlab.pykan"), libs=("default", "small")) -> str:
    """The table of the records in several ``--json`` files (runs split over processes)."""
    records = [r for p in paths for r in json.loads(Path(p).read_text())]
    laws = [law for law in LAWS if any(r["law"] == law for r in records)]
    return table(records, list(impls), list(libs), laws)


if __name__ == "__main__":
    main()

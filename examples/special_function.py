"""A special function with a KAN: accuracy against formula complexity (Liu et al. 2024, §3).

The target is the Bessel function ``J0(20x)`` on [-1, 1] (the KAN paper's toy
"bessel"), with labels from ``scipy.special.j0``.  It has no closed form in
elementary functions, so every formula is an approximation and the question
is the trade-off: how much accuracy does each unit of formula complexity buy?

1. **Spline KAN.**  A KAN [1, 1] (one edge) is trained with grid extension
   G = 5 -> 10 -> 20 -> 50 (L-BFGS).  The spline is the "infinite complexity"
   end of the trade-off: accurate, but a table of coefficients, not a formula.
2. **One symbolic edge.**  ``suggest_symbolic`` fits ``c·f(a·x + b) + d`` to the
   learned edge for every candidate ``f`` of ``kanlab.symbolic._library``; the
   best candidate of each complexity is fixed on a copy and its constants are
   re-fitted (``fit`` trains the symbolic constants).
3. **Sums of cosines.**  A KAN [1, n, 1] whose n hidden edges are ``cos`` and
   whose output edges are the identity computes
   ``Σ_j c_j cos(a_j x + b_j) + d``.  Bessel's integral
   ``J0(z) = (1/π) ∫_0^π cos(z sin θ) dθ`` says ``J0(20x)`` is exactly an
   (infinite) superposition of cosines with frequencies in [0, 20], so the
   family should converge.  Terms are added one at a time: the new edge is
   ``fit_candidate``'s best cosine for the current residual, then ``fit``
   re-fits all the constants together.

Every formula is read off with ``symbolic_formula`` and rounded with
``round_formula``; its test RMSE (of the rounded formula, evaluated with
numpy) and its complexity (the sum of the candidates' ``complexity`` over the
symbolic edges; sympy's ``count_ops`` is reported too) give a point of the
trade-off, and the non-dominated points form the Pareto front.  Writes
``pareto.png`` and ``results.json`` into ``--out``; prints the formulas.

    python examples/special_function.py [--out DIR] [--quick]
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

import kanlab
from kanlab.io._atomic import atomic_write_text
from kanlab.symbolic._library import LIBRARY

DTYPE = torch.float64
FREQUENCY = 20.0  # the target is J0(FREQUENCY · x)
DIGITS = 5  # significant digits kept by round_formula (4 costs ~1e-4 of accuracy here)


def bessel(x: torch.Tensor) -> torch.Tensor:
    """``J0(20 x)`` by scipy (the oracle); ``(N, 1) -> (N, 1)``."""
    from scipy.special import j0
    return torch.from_numpy(j0(FREQUENCY * x.detach().cpu().numpy())).to(x)


def refit(model: kanlab.KAN, data: dict, steps: int) -> float:
    """Train the symbolic constants (the splines are masked off); returns the test RMSE."""
    for layer in model.layers:  # masked splines: no need to carry their coefficients
        layer.coef.requires_grad_(False)
    history = model.fit(data, opt="LBFGS", steps=steps, update_grid=False, progress=False)
    return history.test_rmse[-1]


def read_formula(model: kanlab.KAN, data: dict) -> dict:
    """The model's formula, rounded, with its test RMSE and complexity scores."""
    import sympy
    from kanlab.symbolic._formula import round_formula, to_numpy
    x = sympy.Symbol("x")
    raw = model.symbolic_formula([x], x=data["test_input"])[0]  # checks formula == network
    rounded = round_formula(raw, digits=DIGITS)
    with np.errstate(all="ignore"):
        pred = to_numpy(rounded, [x])(data["test_input"].numpy())
    rmse = float(np.sqrt(np.mean((pred - data["test_label"].numpy()[:, 0]) ** 2)))
    complexity = sum(sym.candidate_at(i, j).complexity for sym in model.symbolic
                     for j, row in enumerate(sym.names) for i, name in enumerate(row) if name)
    return {"formula": str(rounded), "latex": sympy.latex(rounded),
            "formula_test_rmse": rmse if math.isfinite(rmse) else None,
            "complexity": complexity, "count_ops": int(sympy.count_ops(rounded))}


def spline_stage(data: dict, grids: list[int], steps: int) -> tuple[kanlab.KAN, list[dict]]:
    """Grid extension of a [1, 1] KAN; one record per grid."""
    model = kanlab.KAN([1, 1], grid=grids[0], k=3, seed=0, dtype=DTYPE)
    records = []
    for i, grid in enumerate(grids):
        if i:
            model = model.refine(grid)
        history = model.fit(data, opt="LBFGS", steps=steps, progress=False)
        records.append({"grid": grid, "coefficients": grid + 3,
                        "test_rmse": history.test_rmse[-1]})
    return model, records


def single_edge(model: kanlab.KAN, data: dict, steps: int) -> list[dict]:
    """For every complexity level, the best-R² candidate for the learned edge, re-fitted."""
    fits = model.suggest_symbolic(0, 0, 0, topk=None)
    best: dict[int, object] = {}
    for fit in fits:  # best R² per complexity
        if fit.complexity not in best or fit.r2 > best[fit.complexity].r2:
            best[fit.complexity] = fit
    points = []
    for complexity in sorted(best):
        fit = best[complexity]
        candidate = copy.deepcopy(model)
        candidate.fix_symbolic(0, 0, 0, fit.name, fit_params=False, params=fit.params)
        rmse = refit(candidate, data, steps)
        points.append({"family": "one edge", "label": fit.name, "edge_r2": fit.r2,
                       "test_rmse": rmse, **read_formula(candidate, data)})
    return points


def cosine_model(terms: list[tuple[float, float, float, float]]) -> kanlab.KAN:
    """KAN [1, n, 1]: hidden edges ``c cos(a x + b) + d``, output edges the identity (frozen)."""
    n = len(terms)
    model = kanlab.KAN([1, n, 1], grid=3, k=3, seed=0, dtype=DTYPE)
    for j, params in enumerate(terms):
        model.fix_symbolic(0, 0, j, "cos", fit_params=False, params=params)
        model.fix_symbolic(1, j, 0, "x", fit_params=False, params=(1.0, 0.0, 1.0, 0.0))
    model.symbolic[1].affine.requires_grad_(False)  # redundant with the hidden c, d
    return model


def cosine_sums(data: dict, max_terms: int, steps: int) -> list[dict]:
    """Grow ``Σ_j c_j cos(a_j x + b_j) + d`` one term at a time (greedy start, joint re-fit)."""
    from kanlab.symbolic._fit import fit_candidate
    x, y = data["train_input"], data["train_label"]
    terms: list[tuple[float, float, float, float]] = []
    points = []
    model = None  # the sum of the terms so far
    for n in range(1, max_terms + 1):
        if terms:
            with torch.no_grad():
                residual = y - model(x)
        else:
            residual = y
        terms.append(fit_candidate(x[:, 0], residual[:, 0], LIBRARY["cos"]).params)
        model = cosine_model(terms)
        rmse = refit(model, data, steps)
        terms = [tuple(float(v) for v in row) for row in model.symbolic[0].affine[:, 0].detach()]
        frequencies = sorted(abs(t[0]) for t in terms)
        points.append({"family": "sum of cosines", "label": f"{n} cos", "terms": n,
                       "frequencies": frequencies, "test_rmse": rmse,
                       **read_formula(model, data)})
    return points


def bessel_quadrature(data: dict, max_terms: int) -> list[dict]:
    """Bessel's integral by the n-point midpoint rule: ``(1/n) Σ_j cos(20 sin(θ_j) x)``.

    ``J0(z) = (2/π) ∫_0^{π/2} cos(z sin θ) dθ`` with ``θ_j = (j - 1/2) π / (2n)``:
    the textbook n-cosine formula, nothing fitted, for comparison.
    """
    points = []
    for n in range(1, max_terms + 1):
        terms = [(FREQUENCY * math.sin((j + 0.5) * math.pi / (2 * n)), 0.0, 1.0 / n, 0.0)
                 for j in range(n)]
        points.append({"family": "Bessel integral", "label": f"{n} nodes", "terms": n,
                       **read_formula(cosine_model(terms), data)})
    return points


def pareto_front(points: list[dict]) -> list[int]:
    """Indices of the points no other point beats in both complexity and formula RMSE."""
    def key(p):
        return p["formula_test_rmse"] if p["formula_test_rmse"] is not None else math.inf
    front = []
    for i, p in enumerate(points):
        dominated = any(
            q["complexity"] <= p["complexity"] and key(q) <= key(p)
            and (q["complexity"] < p["complexity"] or key(q) < key(p))
            for q in points)
        if not dominated and math.isfinite(key(p)):
            front.append(i)
    return sorted(front, key=lambda i: points[i]["complexity"])


def plot(res: dict, data: dict, path: Path) -> None:
    """Left: RMSE against complexity, Pareto front, spline levels; right: front formulas."""
    from matplotlib.figure import Figure
    from kanlab.symbolic._formula import to_numpy
    import sympy
    from kanlab.plotting._common import save_png

    fig = Figure(figsize=(13, 5))
    grid = fig.add_gridspec(1, 2, left=0.06, right=0.98, bottom=0.12, top=0.9, wspace=0.2)
    ax = fig.add_subplot(grid[0, 0])
    points, front = res["points"], res["pareto_front"]
    styles = {"one edge": ("o", "tab:blue"), "sum of cosines": ("s", "tab:orange"),
              "Bessel integral": ("^", "tab:purple")}
    for family, (marker, colour) in styles.items():
        sel = [p for p in points if p["family"] == family and p["formula_test_rmse"] is not None]
        ax.plot([p["complexity"] for p in sel], [p["formula_test_rmse"] for p in sel], marker,
                color=colour, label=family, ms=7, mfc="none")
        for p in sel if family != "Bessel integral" else []:  # n nodes: complexity 4n
            ax.annotate(p["label"], (p["complexity"], p["formula_test_rmse"]), fontsize=7,
                        xytext=(4, 4), textcoords="offset points")
    ax.step([points[i]["complexity"] for i in front],
            [points[i]["formula_test_rmse"] for i in front], where="post", color="k", lw=1,
            label="Pareto front")
    for record in res["spline"][-2:]:
        ax.axhline(record["test_rmse"], color="tab:green", ls="--", lw=0.8)
        ax.text(0.0, record["test_rmse"], f" spline KAN, G={record['grid']} "
                f"({record['coefficients']} coefficients, no formula)", color="tab:green",
                fontsize=7, va="bottom", transform=ax.get_yaxis_transform())
    ax.set_yscale("log")
    ax.set_xlabel("formula complexity (sum of the edges' candidate complexities)")
    ax.set_ylabel("test RMSE of the rounded formula")
    ax.set_title("J0(20x): accuracy against complexity")
    ax.legend(loc="upper right", fontsize=8)

    ax = fig.add_subplot(grid[0, 1])
    xs = torch.linspace(-1, 1, 800, dtype=DTYPE).unsqueeze(1)
    ax.plot(xs[:, 0], bessel(xs)[:, 0], color="k", lw=2.5, alpha=0.3, label="J0(20x) (scipy)")
    x = sympy.Symbol("x")
    # the first formula clearly better than a constant, the first below 1e-2, the best
    constant = res["summary"]["constant_rmse"]
    rmse = [points[i]["formula_test_rmse"] for i in front]
    show = [next((i for i, r in zip(front, rmse) if r < 0.7 * constant), front[-1]),
            next((i for i, r in zip(front, rmse) if r < 1e-2), front[-1]), front[-1]]
    for i in dict.fromkeys(show):
        p = points[i]
        with np.errstate(all="ignore"):
            ys = to_numpy(sympy.sympify(p["formula"]), [x])(xs.numpy())
        ax.plot(xs[:, 0], np.broadcast_to(ys, xs[:, 0].shape), lw=1,
                label=f"{p['label']} (complexity {p['complexity']}, RMSE "
                      f"{p['formula_test_rmse']:.1e})")
    ax.set_xlabel("x")
    ax.set_title("formulas on the Pareto front")
    ax.set_ylim(-0.45, 1.35)
    ax.legend(fontsize=7, loc="upper right")
    save_png(fig, path)


def print_points(res: dict) -> None:
    print("spline KAN [1, 1] (grid extension):")
    for r in res["spline"]:
        print(f"  G = {r['grid']:3d} ({r['coefficients']:3d} coefficients): "
              f"test RMSE {r['test_rmse']:.2e}")
    print(f"\nformulas (rounded to {DIGITS} significant digits), * = on the Pareto front; test RMSE of the "
          "rounded formula and of the re-fitted network it was read from:")
    print(f"  {'':1} {'family':<15} {'label':<9} {'complexity':>10} {'count_ops':>9} "
          f"{'test RMSE':>10} {'(network)':>10}  formula")
    for i, p in enumerate(res["points"]):
        star = "*" if i in res["pareto_front"] else " "
        rmse = p["formula_test_rmse"]
        print(f"  {star} {p['family']:<15} {p['label']:<9} {p['complexity']:>10d} "
              f"{p['count_ops']:>9d} {rmse if rmse is not None else math.nan:>10.2e} "
              f"{format(p['test_rmse'], '.2e') if 'test_rmse' in p else '-':>10}  {p['formula']}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/examples/special_function"),
                        help="output directory (created)")
    parser.add_argument("--quick", action="store_true", help="fewer steps and terms: seconds")
    parser.add_argument("--max-terms", type=int, default=None,
                        help="most cosines in the sum (default 8, quick 3)")
    args = parser.parse_args(argv)
    if args.max_terms is None:
        args.max_terms = 3 if args.quick else 8
    if args.max_terms < 1:
        parser.error(f"--max-terms must be >= 1, got {args.max_terms}")
    args.grids = [10, 20] if args.quick else [5, 10, 20, 50]
    args.spline_steps = 15 if args.quick else 50
    args.refit_steps = 8 if args.quick else 20
    args.samples = 500 if args.quick else 1000
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(1)  # tiny models: one thread is fastest
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    data = kanlab.create_dataset(bessel, n_var=1, train_num=args.samples, test_num=args.samples,
                                 seed=0, dtype=DTYPE)
    model, spline = spline_stage(data, args.grids, args.spline_steps)
    points = single_edge(model, data, args.refit_steps)
    points += cosine_sums(data, args.max_terms, args.refit_steps)
    points += bessel_quadrature(data, args.max_terms + 4)
    res = {"target": "J0(20x) on [-1, 1] (scipy.special.j0)", "spline": spline, "points": points}
    res["pareto_front"] = pareto_front(points)
    front = [points[i] for i in res["pareto_front"]]
    res["summary"] = {
        "best_formula_rmse": min(p["formula_test_rmse"] for p in front),
        "best_formula": min(front, key=lambda p: p["formula_test_rmse"])["formula"],
        "spline_rmse": spline[-1]["test_rmse"],
        "constant_rmse": float(data["test_label"].std(unbiased=False)),
        "front_complexities": [p["complexity"] for p in front],
        "front_rmse": [p["formula_test_rmse"] for p in front],
    }
    res["config"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    res["seconds"] = time.perf_counter() - start
    print_points(res)
    plot(res, data, args.out / "pareto.png")
    atomic_write_text(args.out / "results.json", json.dumps(res, indent=1) + "\n")
    print(f"\nwrote {args.out / 'pareto.png'} and {args.out / 'results.json'} "
          f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

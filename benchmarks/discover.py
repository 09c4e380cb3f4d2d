"""Benchmark of ``kanlab.discover`` on physics laws, side by side with pyoperon and gplearn.

    python benchmarks/discover.py                  # every law, noise 0 and 1 %, every method
    python benchmarks/discover.py --methods kanlab --laws gravity,snell --noise 0
    python benchmarks/discover.py --methods kanlab --group heldout2  # laws not tuned on

Each law gets 2000 rows in physical ranges (seeded); the target gets Gaussian
noise of ``noise · std(y)``.  Every method sees the same rows.  A formula is
*exact* when it reproduces the noise-free law on 20 000 fresh points: at noise 0
within ``1e-6 · std(y)`` everywhere, at noise η with an RMS deviation
``<= 0.1 · η · std(y)``.  pyoperon and gplearn get a fixed amount of work
(:data:`OPERON_BUDGET`, :data:`GPLEARN_BUDGET`), not a time limit, so a busy
machine slows them down without changing their answers; every record holds
the wall time and the CPU time (this process and its worker processes).  Results go
to ``docs/discover_results.md`` (a table) and ``benchmarks/discover_results.jsonl``
(one record per run, appended as it goes).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from _output import emit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

G, EPS0, KB, C = 6.674e-11, 8.8541878128e-12, 1.380649e-23, 2.99792458e8

# name: (formula in numpy, {column: (lo, hi)}, formula text)
LAWS = {
    "gravity": (lambda m1, m2, r: G * m1 * m2 / r ** 2,
                {"m1": (1e3, 1e4), "m2": (1e3, 1e4), "r": (1, 10)}, "G m1 m2 / r^2"),
    "ideal_gas": (lambda n, T, V: n * 8.314 * T / V,
                  {"n": (1, 5), "T": (300, 400), "V": (0.01, 0.1)}, "n R T / V"),
    "pendulum": (lambda L, g: 2 * np.pi * np.sqrt(L / g), {"L": (0.1, 2), "g": (9, 10)},
                 "2 pi sqrt(L/g)"),
    "coulomb": (lambda q1, q2, r: q1 * q2 / (4 * np.pi * EPS0 * r ** 2),
                {"q1": (1e-6, 1e-5), "q2": (1e-6, 1e-5), "r": (0.01, 0.1)},
                "q1 q2 / (4 pi eps0 r^2)"),
    "kinetic_energy": (lambda m, v: 0.5 * m * v ** 2, {"m": (1, 10), "v": (1, 20)}, "m v^2 / 2"),
    "sound_speed": (lambda gamma, p, rho: np.sqrt(gamma * p / rho),
                    {"gamma": (1.1, 1.7), "p": (1e4, 1e5), "rho": (0.5, 1.5)},
                    "sqrt(gamma p / rho)"),
    "cyclotron_radius": (lambda m, v, q, B: m * v / (q * B),
                         {"m": (1e-27, 1e-26), "v": (1e5, 1e6), "q": (1e-19, 5e-19),
                          "B": (0.1, 2)}, "m v / (q B)"),
    "kepler_period": (lambda a, M: 2 * np.pi * np.sqrt(a ** 3 / (G * M)),
                      {"a": (1e10, 1e11), "M": (1e29, 1e30)}, "2 pi sqrt(a^3 / (G M))"),
    "escape_velocity": (lambda M, r: np.sqrt(2 * G * M / r),
                        {"M": (1e23, 1e25), "r": (1e6, 1e7)}, "sqrt(2 G M / r)"),
    "lens_power": (lambda n, R1, R2: (n - 1) * (1 / R1 - 1 / R2),
                   {"n": (1.3, 1.9), "R1": (0.05, 0.5), "R2": (-0.5, -0.05)},
                   "(n-1)(1/R1 - 1/R2)"),
    "relativistic_momentum": (lambda m, v: m * v / np.sqrt(1 - v ** 2 / C ** 2),
                              {"m": (1, 5), "v": (1e7, 2.5e8)}, "m v / sqrt(1 - v^2/c^2)"),
    "snell": (lambda n1, theta, n2: np.arcsin(n1 * np.sin(theta) / n2),
              {"n1": (1.0, 1.5), "theta": (0.1, 1.0), "n2": (1.6, 2.0)},
              "asin(n1 sin(theta) / n2)"),
    "gaussian": (lambda x, sigma: np.exp(-x ** 2 / (2 * sigma ** 2)) / (np.sqrt(2 * np.pi) * sigma),
                 {"x": (-3, 3), "sigma": (0.5, 2)}, "exp(-x^2/(2 sigma^2)) / (sqrt(2 pi) sigma)"),
    "boltzmann": (lambda n0, E, T: n0 * np.exp(-E / (KB * T)),
                  {"n0": (1, 10), "E": (1e-21, 5e-21), "T": (200, 400)}, "n0 exp(-E/(kB T))"),
    "interference": (lambda A, k, d: A * np.cos(k * d),
                     {"A": (1, 2), "k": (1, 3), "d": (0, 1.5)}, "A cos(k d)"),
    "bernoulli": (lambda p, rho, v, h: p + 0.5 * rho * v ** 2 + rho * 9.81 * h,
                  {"p": (1e5, 2e5), "rho": (900, 1100), "v": (1, 10), "h": (0, 10)},
                  "p + rho v^2/2 + rho g h"),
    "six_var_power": (lambda a, b, c, d, e, f: 3 * a * b ** 2 * np.sqrt(c) / (d * e * f ** 3),
                      {"a": (1, 5), "b": (1, 5), "c": (1, 5), "d": (1, 5), "e": (1, 5),
                       "f": (1, 5)}, "3 a b^2 sqrt(c) / (d e f^3)"),
    # added with the structure search (sums, functions of products, a function of two products)
    "doppler": (lambda f, v: f * 343.0 / (343.0 - v), {"f": (100, 1000), "v": (0, 100)},
                "f c / (c - v), c = 343"),
    "rc_discharge": (lambda V0, t, R, Cap: V0 * np.exp(-t / (R * Cap)),
                     {"V0": (1, 10), "t": (0, 5e-3), "R": (1e3, 1e4), "Cap": (1e-7, 1e-6)},
                     "V0 exp(-t/(R C))"),
    "projectile_range": (lambda v, theta, g: v ** 2 * np.sin(2 * theta) / g,
                         {"v": (5, 50), "theta": (0.1, 1.4), "g": (9.7, 9.9)},
                         "v^2 sin(2 theta) / g"),
    "reduced_mass": (lambda m1, m2: m1 * m2 / (m1 + m2), {"m1": (1, 10), "m2": (1, 10)},
                     "m1 m2 / (m1 + m2)"),
    "damped_oscillation": (lambda A, b, t, w: A * np.exp(-b * t) * np.cos(w * t),
                           {"A": (1, 2), "b": (0.1, 1), "t": (0, 3), "w": (1, 3)},
                           "A exp(-b t) cos(w t)"),
    # added with products of sign-changing factors, sums and differences of inputs
    "gas_celsius": (lambda n, Tc, V: n * 8.314 * (Tc + 273.15) / V,
                    {"n": (1, 5), "Tc": (0, 100), "V": (0.01, 0.1)}, "n R (Tc + 273.15) / V"),
    "impedance": (lambda R, X: np.sqrt(R ** 2 + X ** 2), {"R": (10, 100), "X": (-50, 50)},
                  "sqrt(R^2 + X^2)"),
    "mechanical_energy": (lambda m, v, h: 0.5 * m * v ** 2 + 9.81 * m * h,
                          {"m": (1, 10), "v": (0, 10), "h": (0, 20)}, "m v^2/2 + m g h"),
    "phase_angle": (lambda w, L, R: np.arctan(w * L / R),
                    {"w": (10, 1000), "L": (1e-3, 1e-2), "R": (1, 100)}, "atan(w L / R)"),
    "heat_conduction": (lambda k, A, T1, T2, t, d: k * A * (T1 - T2) * t / d,
                        {"k": (10, 400), "A": (0.01, 1), "T1": (350, 400), "T2": (280, 320),
                         "t": (1, 100), "d": (0.01, 0.1)}, "k A (T1 - T2) t / d"),
    "gaussian_mean": (lambda x, mu, sigma: np.exp(-(x - mu) ** 2 / (2 * sigma ** 2)),
                      {"x": (-3, 3), "mu": (-1, 1), "sigma": (0.5, 2)},
                      "exp(-(x - mu)^2 / (2 sigma^2))"),
    "weir_flow": (lambda b, h: 1.84 * b * h ** 1.5, {"b": (1, 10), "h": (0.1, 1)},
                  "1.84 b h^1.5"),
}


from discover_heldout import HELD_OUT  # noqa: E402  (the development set of 2026-12-04)
from discover_heldout2 import HELD_OUT_2  # noqa: E402  (the development set of disc3)
from discover_heldout3 import HELD_OUT_3  # noqa: E402  (the development set of disc4)
from discover_heldout4 import HELD_OUT_4  # noqa: E402  (the development set of disc5)
from discover_heldout5 import HELD_OUT_5  # noqa: E402  (the development set of disc6)
from discover_heldout6 import HELD_OUT_6  # noqa: E402  (blind on 2026-12-05, then development)
from discover_heldout7 import HELD_OUT_7  # noqa: E402  (blind on the final code of 2026-12-05)
from discover_heldout8 import HELD_OUT_8  # noqa: E402  (blind on 2977eb1, then development)
from discover_heldout9 import HELD_OUT_9  # noqa: E402  (blind on the final code of 2026-12-05, 2nd)
from discover_heldout10 import HELD_OUT_10  # noqa: E402  (blind: 8b46bbf and the final code of 2026-12-05, 3rd)
from discover_heldout11 import HELD_OUT_11  # noqa: E402  (blind: 4672c4e and the final code of 2026-12-05, 4th)
from discover_heldout12 import HELD_OUT_12  # noqa: E402  (blind: 230da03 and the final code of 2026-12-05, 5th)
from discover_heldout13 import HELD_OUT_13  # noqa: E402  (blind: after the 6th session's discover change)
from discover_heldout14 import HELD_OUT_14  # noqa: E402  (blind: 037f115, 2026-12-06)

GROUPS = {"main": LAWS, "heldout": HELD_OUT, "heldout2": HELD_OUT_2, "heldout3": HELD_OUT_3,
          "heldout4": HELD_OUT_4, "heldout5": HELD_OUT_5, "heldout6": HELD_OUT_6,
          "heldout7": HELD_OUT_7, "heldout8": HELD_OUT_8, "heldout9": HELD_OUT_9,
          "heldout10": HELD_OUT_10, "heldout11": HELD_OUT_11,
          "heldout12": HELD_OUT_12, "heldout13": HELD_OUT_13, "heldout14": HELD_OUT_14}
# every law by name; a name used again by a later group (heldout8/9 reuse a few of main's and
# the first groups' names for other ranges or constants) keeps the earlier group's law here,
# and `--group G` runs G's own (make_data/fresh_points take the group's dict)
ALL_LAWS = {name: law for group in reversed(list(GROUPS.values())) for name, law in group.items()}


def make_data(name: str, n: int, noise: float, seed: int, laws=None):
    fn, ranges, _ = (laws or ALL_LAWS)[name]
    rng = np.random.default_rng([seed, sum(map(ord, name))])
    X = np.column_stack([rng.uniform(lo, hi, n) for lo, hi in ranges.values()])
    y_true = fn(*X.T)
    y = y_true + noise * np.std(y_true) * rng.standard_normal(n)
    return X, y, list(ranges)


def fresh_points(name: str, n: int = 20000, laws=None):
    fn, ranges, _ = (laws or ALL_LAWS)[name]
    rng = np.random.default_rng([99, sum(map(ord, name))])
    X = np.column_stack([rng.uniform(lo, hi, n) for lo, hi in ranges.values()])
    return X, fn(*X.T)


def is_exact(pred, truth, noise: float, std: float) -> bool:
    if not np.all(np.isfinite(pred)):
        return False
    if noise == 0:
        return float(np.max(np.abs(pred - truth))) <= 1e-6 * std
    return float(np.sqrt(np.mean((pred - truth) ** 2))) <= 0.1 * noise * std


def r2(pred, y) -> float:
    return 1 - float(np.sum((pred - y) ** 2)) / float(np.sum((y - y.mean()) ** 2))


def run_kanlab(X, y, names, seed):
    import sympy
    from kanlab.discover import discover
    from kanlab.discover._constants import evaluate
    res = discover(X, y, names=names, seed=seed)
    # the printed formula, parsed back from its string
    expr = sympy.sympify(res.formula_str, locals=res.sympy_locals)
    symbols = [res.sympy_locals[s] for s in res.symbols]
    predict = (lambda Z: evaluate(expr, symbols, Z)) if res.formula_fits else res.predict
    run_kanlab.extra = {"answer": res.answer}  # the model whose R² is reported
    run_kanlab.spline = res.predict_spline if res.model is not None else None
    return predict, res.formula_str, res.pareto and next(
        p["complexity"] for p in res.pareto if p["chosen"])


# The peers get a fixed amount of work, not a wall-clock limit, so that their rows do not
# depend on how busy the machine is (a `max_time` of 30 s left 1-19 s of CPU under load).
# optimizer_iterations: Levenberg-Marquardt steps on each model's constants (0, the package's
# default: none beyond the linear scaling); --operon-iterations sets it in the budget passed
# (these dicts are the defaults, never changed)
OPERON_BUDGET = {"max_evaluations": 500_000, "generations": 1000, "population_size": 1000,
                 "optimizer_iterations": 0}
GPLEARN_BUDGET = {"population_size": 1000, "generations": 20}


def run_operon(X, y, names, seed, budget=OPERON_BUDGET):
    from pyoperon.sklearn import SymbolicRegressor
    reg = SymbolicRegressor(allowed_symbols="add,sub,mul,div,constant,variable,exp,log,sin,cos,"
                            "sqrt,square", n_threads=1, max_time=None, random_state=seed,
                            **budget)
    reg.fit(X, y)
    return reg.predict, reg.get_model_string(reg.model_, 6, names), reg.model_.Length


def run_gplearn(X, y, names, seed, budget=GPLEARN_BUDGET):
    from gplearn.genetic import SymbolicRegressor
    reg = SymbolicRegressor(function_set=("add", "sub", "mul", "div", "sqrt", "log", "sin", "cos"),
                            parsimony_coefficient=1e-3, random_state=seed, n_jobs=1,
                            **budget)
    reg.fit(X, y)
    return reg.predict, str(reg._program), reg._program.length_


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the restarts' worker processes)."""
    import resource
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


METHODS = {"kanlab": run_kanlab, "pyoperon": run_operon, "gplearn": run_gplearn}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laws", default=None, help="comma-separated (default: the group's)")
    parser.add_argument("--group", choices=sorted(GROUPS), default="main",
                        help="main: the laws the search was developed on; heldout: the first "
                             "held-out laws, a development set since 2026-12-04 "
                             "(benchmarks/discover_heldout.py); heldout2: laws it was not "
                             "tuned on (benchmarks/discover_heldout2.py)")
    parser.add_argument("--noise", default="0,0.01")
    parser.add_argument("--methods", default="kanlab,pyoperon,gplearn")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--operon-iterations", type=int, default=0,
                        help="pyoperon's optimizer_iterations (constant tuning per model)")
    parser.add_argument("--jsonl", default=str(ROOT / "benchmarks" / "discover_results.jsonl"))
    parser.add_argument("--markdown", default=str(ROOT / "docs" / "discover_results.md"))
    parser.add_argument("--from-jsonl", nargs="+", default=None, metavar="FILE",
                        help="only rewrite the markdown table from earlier records")
    args = parser.parse_args(argv)
    # the peers' fixed amounts of work, passed to each run and recorded in its row
    budgets = {"pyoperon": {**OPERON_BUDGET, "optimizer_iterations": args.operon_iterations},
               "gplearn": dict(GPLEARN_BUDGET)}
    if args.from_jsonl:
        records = [json.loads(line) for f in args.from_jsonl for line in open(f) if line.strip()]
        write_markdown(args.markdown, records)
        return 0
    records = []
    laws = {**ALL_LAWS, **GROUPS[args.group]}  # the group's own law where a name is reused
    for noise in [float(v) for v in args.noise.split(",")]:
        for law in (args.laws.split(",") if args.laws else list(GROUPS[args.group])):
            X, y, names = make_data(law, args.rows, noise, args.seed, laws)
            X_new, truth = fresh_points(law, laws=laws)
            for method in args.methods.split(","):
                start, cpu0 = time.perf_counter(), _cpu()
                try:
                    budget = {"budget": budgets[method]} if method in budgets else {}
                    predict, text, size = METHODS[method](X, y, names, args.seed, **budget)
                    wall, cpu = time.perf_counter() - start, _cpu() - cpu0
                    pred = np.asarray(predict(X_new), dtype=float)
                    y_te = truth + noise * np.std(truth) * np.random.default_rng(5).standard_normal(len(truth))
                    std = float(np.std(truth))
                    dev = pred - truth
                    rec = {"law": law, "noise": noise, "method": method, "formula": text,
                           "complexity": int(size) if size is not None else None,
                           "exact": is_exact(pred, truth, noise, std),
                           "test_r2": r2(pred, y_te), "wall_s": wall, "cpu_s": cpu,
                           "load": os.getloadavg()[0],
                           "max_dev_rel": float(np.max(np.abs(dev))) / std,
                           "rms_dev_rel": float(np.sqrt(np.mean(dev ** 2))) / std,
                           **budget, **getattr(METHODS[method], "extra", {})}
                    spline = getattr(METHODS[method], "spline", None)
                    if spline is not None:  # the spline model alone, as a fallback would be
                        rec["spline_r2"] = r2(np.asarray(spline(X_new), dtype=float), y_te)
                except ImportError as err:
                    rec = {"law": law, "noise": noise, "method": method, "error": str(err)}
                except Exception as err:  # a failed method is a row, not a crash
                    rec = {"law": law, "noise": noise, "method": method,
                           "error": f"{type(err).__name__}: {err}",
                           "wall_s": time.perf_counter() - start, "cpu_s": _cpu() - cpu0}
                records.append(rec)
                emit(rec, args.jsonl)
    write_markdown(args.markdown, records)
    return 0


MARKER = "<!-- tables: written by benchmarks/discover.py, text above this line is kept -->"


def write_markdown(path, records) -> None:
    """The tables under :data:`MARKER`, keeping the text above it when the file has one."""
    path = Path(path)
    head = ""
    if path.exists() and MARKER in path.read_text():
        head = path.read_text().split(MARKER)[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    text = head + MARKER + "\n\n" + to_markdown(records) if head else to_markdown(records)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def to_markdown(records) -> str:
    records = list({(r["law"], r["noise"], r["method"]): r for r in records}.values())  # last wins
    loads = [r["load"] for r in records if "load" in r]
    lines = [f"`python benchmarks/discover.py` ({os.cpu_count()} cores"
             + (f", load average {min(loads):.1f}-{max(loads):.1f} during the runs" if loads else "")
             + "; CPU s counts this process and its worker processes).", ""]
    for noise in sorted({r["noise"] for r in records}):
        rows = [r for r in records if r["noise"] == noise]
        methods = list(dict.fromkeys(r["method"] for r in rows))
        lines += [f"## noise {noise:g}·std(y)", "",
                  "| law | " + " | ".join(f"{m} exact | {m} R² | {m} size | {m} wall s | {m} CPU s"
                                          for m in methods)
                  + " |", "|---" * (1 + 5 * len(methods)) + "|"]
        for law in dict.fromkeys(r["law"] for r in rows):
            cells = []
            for m in methods:
                r = next((r for r in reversed(rows) if r["law"] == law and r["method"] == m), None)
                if r is None:
                    cells += ["not run", "", "", "", ""]
                elif "error" in r:
                    cells += ["error", "", "", f"{r.get('wall_s', 0):.1f}", ""]
                else:
                    cpu = f"{r['cpu_s']:.1f}" if "cpu_s" in r else ""
                    cells += ["yes" if r["exact"] else "no", f"{r['test_r2']:.6f}",
                              str(r["complexity"]), f"{r['wall_s']:.1f}", cpu]
            lines.append(f"| {law} | " + " | ".join(cells) + " |")
        for m in methods:
            ok = [r for r in rows if r["method"] == m and "error" not in r]
            n_laws = len({r["law"] for r in rows if r["method"] == m})
            lines.append(f"\n**{m}**: exact {sum(r['exact'] for r in ok)}/{n_laws}, "
                         f"R² ≥ 0.99 on {sum(r['test_r2'] >= 0.99 for r in ok)}, total "
                         f"{sum(r['wall_s'] for r in ok):.0f} s of wall time (slowest "
                         f"{max((r['wall_s'] for r in ok), default=0):.0f} s)"
                         + (f", {sum(r['cpu_s'] for r in ok):.0f} s of CPU time (slowest "
                            f"{max(r['cpu_s'] for r in ok):.0f} s)"
                            if ok and all("cpu_s" in r for r in ok) else ""))
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

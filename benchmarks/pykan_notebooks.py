"""Run pykan's tutorial notebooks on kanlab with only the import lines changed.

The notebooks (pykan's ``docs/``, MIT licence, see
``tests/data/pykan_notebooks/LICENSE``) are kept as test data with their own
printed outputs.  Every code cell runs in order in one namespace (no jupyter:
the cell source is ``exec``-ed; shell ``!`` and ``%`` lines are skipped), after
``from kan import`` / ``import kan`` became ``from kanlab.pykan import`` /
``import kanlab.pykan as kan``.  Each notebook runs in its own subprocess, in a
scratch folder (pykan's ``./model`` checkpoints and figures land there), under
a time budget: a cell still running when it is spent is stopped (a timer signal; what it
printed is kept) and the cells after it are not run; a child that does not stop (a call
stuck outside Python) is killed 300 s later.

The report gives cells run out of cells in total, per notebook and overall,
and next to each other the key numbers the notebook printed (``train_loss``,
``test_loss``, ``l2``, printed lists and results) and the ones kanlab printed.

Usage::

    PYTHONPATH=src python benchmarks/pykan_notebooks.py [NAME ...] [--budget 900] [--json out.json]

``NAME`` selects notebooks by substring (default: :data:`DEFAULT`); a ``NAME`` that is a
notebook file or a folder runs that notebook or every notebook in it (pykan's
``tutorials/``, a user's own), with the notebooks kept here still on ``sys.path``.

Each notebook's cost is recorded next to its wall time: ``cpu``, the child process's user +
system CPU seconds (``getrusage`` of the finished child: interpreter start, imports, every cell,
every thread), and each cell's ``cpu`` (``time.process_time`` around it).  CPU time is what a
busy machine's time limit is made of; wall time there measures the neighbours.  To set kanlab
against pykan itself, run the same notebooks twice (the second time with ``--pykan``, both
with the same ``OMP_NUM_THREADS``) and give both ``--json`` files to ``--markdown``::

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/pykan_notebooks.py intro --json k.json
    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/pykan_notebooks.py intro --pykan --json p.json
    python benchmarks/pykan_notebooks.py --markdown k.json p.json

Example_14/15 read DeepMind's knot data set as ``./knot_data.csv``.  ``--knot-data synthetic``
writes a synthetic stand-in (``synthetic_knots.py``: the real columns, a ``signature`` made from
the slope as the paper found; generated, never downloaded) into the scratch folder of every
notebook that reads that file, and adds the two notebooks to the default set; ``--knot-data
PATH`` copies a hand-downloaded file there instead::

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/pykan_notebooks.py knot --knot-data synthetic
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "tests" / "data" / "pykan_notebooks"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pykan_notebooks_tables import markdown  # noqa: E402  (the report's tables)
from pykan_notebooks_text import (code_cells, compare, key_numbers,  # noqa: E402,F401
                                 rewrite_imports)  # (the notebooks' text; tests read them here)
from synthetic_knots import write_knot_csv  # noqa: E402  (--knot-data synthetic)

# Every tutorial notebook of pykan's docs/ (tutorials/ holds the same ones, but for Example_1,
# whose tutorials/ copy, kept as Example_1_function_fitting_tutorials, printed pykan 0.2.x's
# numbers where docs/ printed an older pykan's, and grows its grid to 100) that runs on a CPU
# with no downloaded data.  Left out: Example_14/15, which read DeepMind's knot data set
# (downloaded by hand; --knot-data adds them, with a synthetic stand-in or the user's file: kept
# out of the default set, where the totals compare runs over time and the synthetic numbers say
# nothing of the real data), and API_9_video where moviepy is not installed (its second cell
# makes the video with it; not a dependency: `pip install moviepy`, 2.2.1 ran it on 2026-12-06).
# Physics_4A/4B/4C import ``constitutive_laws_generator``, a module pykan's repository does not
# ship: our own, written from the notebooks' formulas, lies beside them (the notebooks' folder
# is on sys.path).
# API_10_device asks for 'cuda' by name (kanlab.pykan then uses the CPU, with a warning);
# Example_7 runs ~30 minutes and Community_1 (200 L-BFGS steps through Hessians) longer on a
# loaded machine: give them --budget 3000.
DEFAULT = [
    "hellokan", "intro", "Example_1_", "Example_3_", "Example_4_", "Example_5_", "Example_6_",
    "Example_7_", "Example_8_", "Example_9_", "Example_10_", "Example_11_", "Example_12_",
    "Example_13_", "API_1_", "API_2_", "API_3_", "API_4_", "API_5_", "API_6_", "API_7_",
    "API_8_", "API_10_", "API_11_", "API_12_", "Interp_1_", "Interp_2_", "Interp_3_",
    "Interp_4_", "Interp_5_", "Interp_6_", "Interp_8_", "Interp_9_", "Interp_10_",
    "Interp_10A_", "Interp_10B_", "Interp_11_", "Physics_1_", "Physics_2A_", "Physics_2B_",
    "Physics_3_", "Physics_4A_", "Physics_4B_", "Physics_4C_", "Community_1_", "Community_2_",
] + (["API_9_"] if importlib.util.find_spec("moviepy") else [])
# the notebooks that read ./knot_data.csv, run by default only with --knot-data
KNOT_NOTEBOOKS = ["Example_14_", "Example_15_"]
KNOT_FILE = "knot_data.csv"

# A cell's text keeps its last _TEXT_KEEP characters, and the value of a last bare expression
# is shown in at most _REPR_KEEP: pykan 0.1's `model.train(...)` returns the per-step results
# dict, whose repr after 50 steps (~5000 characters) pushed the progress bar's losses out of
# the text (55f4b39's hellokan cells 25 and 30 compared no number).
_TEXT_KEEP = 4000
_REPR_KEEP = 600


class BudgetSpent(BaseException):
    """Raised inside a running cell when the notebook's time budget runs out.

    A BaseException, so that a notebook's own ``except Exception`` does not swallow it."""


def _raise_budget_spent(signum, frame):
    raise BudgetSpent


def _arm_budget(seconds: float) -> bool:
    """Raise :class:`BudgetSpent` in this (main) thread after ``seconds`` (``0`` disarms).

    Returns False, doing nothing, where no interval timer can be set (not the main thread,
    no ``setitimer``): the budget is then checked between cells only."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    if seconds > 0:
        signal.signal(signal.SIGALRM, _raise_budget_spent)
    # then again every second: a bare ``except:`` in the cell's code (pykan's own fits have
    # them) swallows one BudgetSpent, not all of them
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.0), 1.0 if seconds > 0 else 0.0)
    return True


def _short_repr(value) -> str:
    text = repr(value)
    if len(text) <= _REPR_KEEP:
        return text
    return f"{text[:_REPR_KEEP - 100]} ... ({len(text)} characters) ... {text[-80:]}"


def run_notebook(path: Path, budget: float, out: str | None = None, pykan: bool = False) -> dict:
    """Execute the notebook's cells in one namespace; results per cell (child process side).

    With ``out``, the results so far are written there after every cell, so a notebook
    killed at its time limit still reports the cells it finished.  With ``pykan`` the
    imports are left as they are: the notebook runs on pykan itself (when installed), the
    honest reference for what this machine reaches from the same code."""
    rewrite = (lambda source: source) if pykan else rewrite_imports
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cells = code_cells(path)
    # the cells run in a module registered as __main__, as in a jupyter kernel: a class a
    # notebook defines pickles (pykan's auto-save checkpoints a subclassed KAN)
    import types
    main = types.ModuleType("__main__")
    namespace: dict = main.__dict__
    saved_main = sys.modules.get("__main__")
    sys.modules["__main__"] = main
    # a jupyter kernel imports the modules that lie beside the notebook; the cells run in a
    # scratch folder (pykan's checkpoints land there), so the notebook's folder goes on sys.path
    # (and the folder kept here, whose helper module pykan's Physics_4 notebooks import)
    folders = list(dict.fromkeys([str(path.resolve().parent), str(NOTEBOOKS)]))
    sys.path[:0] = folders
    try:
        return _run_cells(path, cells, namespace, budget, out, rewrite, plt)
    finally:
        for folder in folders:
            sys.path.remove(folder)
        if saved_main is not None:
            sys.modules["__main__"] = saved_main


def _run_cells(path, cells, namespace, budget, out, rewrite, plt) -> dict:
    results = []
    start = time.perf_counter()
    for cell in cells:
        record = {"index": cell["index"], "ok": False, "error": None, "seconds": 0.0,
                  "cpu": 0.0, "text": ""}
        left = budget - (time.perf_counter() - start)
        if left <= 0:
            record["error"] = "not run: notebook time budget spent"
            results.append(record)
            continue
        buf = io.StringIO()
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            # the budget holds inside a cell too (a one-cell PDE loop ran 14 min on a 300 s
            # budget): a timer stops the cell, keeping what it printed
            _arm_budget(left)
            code = compile(rewrite(cell["source"]), f"{path.name}[{cell['index']}]", "exec")
            # the value of a last bare expression is printed, as jupyter would
            tree = __import__("ast").parse(rewrite(cell["source"]))
            last = tree.body[-1] if tree.body else None
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                quiet = rewrite(cell["source"]).rstrip().endswith(";")
                if last is not None and type(last).__name__ == "Expr" and not quiet:
                    import ast
                    head = ast.Module(body=tree.body[:-1], type_ignores=[])
                    exec(compile(head, code.co_filename, "exec"), namespace)
                    value = eval(compile(ast.Expression(last.value), code.co_filename, "eval"),
                                 namespace)
                    if value is not None:
                        print(_short_repr(value))
                else:
                    exec(code, namespace)
            _arm_budget(0)
            record["ok"] = True
        except BudgetSpent:
            record["error"] = "stopped: notebook time budget spent inside this cell"
        except BaseException as exc:  # noqa: BLE001 - a cell's failure is a result
            _arm_budget(0)
            if isinstance(exc, KeyboardInterrupt):
                raise
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            record["error"] = "".join(tb[-3:])[-1500:]
        record["seconds"] = time.perf_counter() - t0
        record["cpu"] = time.process_time() - c0  # this process's user + sys, all threads
        record["text"] = buf.getvalue()[-_TEXT_KEEP:]
        plt.close("all")
        results.append(record)
        if out is not None:
            Path(out).write_text(json.dumps({"cells": results,
                                             "reference": [c["text"] for c in cells]}))
    return {"cells": results, "reference": [c["text"] for c in cells]}


def place_knot_data(path: Path, source: str | None, folder: Path) -> Path | None:
    """Put ``knot_data.csv`` into ``folder`` when the notebook reads it and ``source`` is given:
    ``"synthetic"`` writes :mod:`synthetic_knots`' table, anything else is a file copied."""
    if source is None or not any(KNOT_FILE in c["source"] for c in code_cells(path)):
        return None
    target = Path(folder) / KNOT_FILE
    if source == "synthetic":
        return write_knot_csv(target)
    if not Path(source).is_file():
        raise SystemExit(f"--knot-data: no such file: {source}")
    return Path(shutil.copyfile(source, target))


def _child(name: str, budget: float, out: str, pykan: bool = False,
           knot_data: str | None = None) -> None:
    path = Path(name)
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        place_knot_data(path, knot_data, Path(scratch))
        result = run_notebook(path, budget, out, pykan)
    Path(out).write_text(json.dumps(result))


def _partial(path: Path, out: str) -> dict:
    """The cells a killed notebook finished; the others marked as not finished."""
    cells = code_cells(path)
    try:
        done = json.loads(Path(out).read_text() or "{}").get("cells", [])
    except (OSError, json.JSONDecodeError):
        done = []
    for cell in cells[len(done):]:
        done.append({"index": cell["index"], "ok": False, "seconds": 0.0, "text": "",
                     "error": "not finished: notebook process killed at its time limit "
                              "(budget + 300 s) or crashed"})
    return {"cells": done, "reference": [c["text"] for c in cells]}


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished (waited-for) children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_in_subprocess(path: Path, budget: float, pykan: bool = False,
                      knot_data: str | None = None) -> dict:
    """The child's results, with ``cpu``: the child's user + system CPU seconds, all of it
    (interpreter start, imports, every cell, every thread), from ``getrusage`` around it."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    cmd = [sys.executable, __file__, "--child", str(path.resolve()), "--budget", str(budget),
           "--out", out]
    cmd += ["--pykan"] if pykan else []
    cmd += ["--knot-data", knot_data] if knot_data else []
    cpu0 = _children_cpu()
    try:
        # subprocess.run waits for the child, killed at the timeout or not, so its CPU counts
        subprocess.run(cmd, env=env, timeout=budget + 300, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        data = json.loads(Path(out).read_text() or "{}")
        if len(data.get("cells", [])) < len(code_cells(path)):
            # killed by a signal (a kill, the OOM killer): the cells it wrote, the rest unfinished
            data = _partial(path, out)
    except (subprocess.TimeoutExpired, json.JSONDecodeError):
        data = _partial(path, out)
    finally:
        Path(out).unlink(missing_ok=True)
    data["cpu"] = _children_cpu() - cpu0
    return data


def select(names: list[str]) -> list[Path]:
    """Notebook files from ``NAME`` arguments: files and folders as given, the rest as
    substrings of the names of the notebooks kept here."""
    given = [Path(n) for n in names if n.endswith(".ipynb") or Path(n).is_dir()]
    for p in given:
        if not p.exists():
            raise SystemExit(f"no such notebook or folder: {p}")
    files = [p for g in given for p in (sorted(g.glob("*.ipynb")) if g.is_dir() else [g])]
    wanted = [n for n in names if Path(n) not in given]
    kept = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if any(w in p.name for w in wanted))
    return files + kept


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook name substrings (default: the standard set)")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds per notebook")
    parser.add_argument("--json", help="write the full results here")
    parser.add_argument("--markdown", nargs="+", metavar="JSON",
                        help="only print markdown tables of these --json reports (merged); "
                             "given --pykan reports too, a table of CPU seconds on both sides")
    parser.add_argument("--pykan", action="store_true",
                        help="run the notebooks on pykan itself (imports unchanged); the "
                             "'kanlab' column then holds pykan's numbers on this machine")
    parser.add_argument("--knot-data", metavar="synthetic|PATH",
                        help="give Example_14/15 their ./knot_data.csv: 'synthetic' generates "
                             "a stand-in (benchmarks/synthetic_knots.py), a PATH is copied; "
                             "adds the two notebooks to the default set")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.budget, args.out, args.pykan, args.knot_data)
        return 0
    if args.markdown:
        # reports made with --pykan (their entries say so) are set against the others
        ours, theirs = {}, {}
        for name in args.markdown:
            for notebook, entry in json.loads(Path(name).read_text()).items():
                (theirs if entry.get("pykan") else ours)[notebook] = entry
        print(markdown(ours, theirs) if ours else markdown(theirs), end="")
        return 0
    if args.knot_data not in (None, "synthetic") and not Path(args.knot_data).is_file():
        raise SystemExit(f"--knot-data: no such file: {args.knot_data}")
    knot_data = (args.knot_data if args.knot_data in (None, "synthetic")
                 else str(Path(args.knot_data).resolve()))  # the child runs elsewhere
    paths = select(args.names or DEFAULT + (KNOT_NOTEBOOKS if knot_data else []))
    total_run = total = 0
    report = {}
    for path in paths:
        t0 = time.perf_counter()
        data = run_in_subprocess(path, args.budget, args.pykan, knot_data)
        ok = sum(c["ok"] for c in data["cells"])
        n = len(data["cells"])
        total_run, total = total_run + ok, total + n
        rows = compare(data)
        report[path.name] = {"run": ok, "total": n, "numbers": rows, "cells": data["cells"],
                             "seconds": time.perf_counter() - t0, "cpu": data["cpu"],
                             "pykan": args.pykan, "knot_data": knot_data,
                             "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
        if args.json:  # after every notebook, so a stopped run keeps what it finished
            Path(args.json).write_text(json.dumps(report, indent=1, default=str))
        print(f"{path.name}: {ok}/{n} cells ({time.perf_counter() - t0:.0f} s, "
              f"CPU {data['cpu']:.0f} s)", flush=True)
        for c in data["cells"]:
            if not c["ok"]:
                err = (c["error"] or "").strip().splitlines()
                print(f"    cell {c['index']} failed: {err[-1] if err else '?'}", flush=True)
        for r in rows:
            if r["key"] == "printed":
                print(f"    cell {r['cell']} printed: pykan {r['pykan']!r} | kanlab {r['kanlab']!r}")
            else:
                mine = "-" if r["kanlab"] is None else f"{r['kanlab']:.3g}"
                ratio = "" if r["ratio"] is None or math.isnan(r["ratio"]) else f" (x{r['ratio']:.2f})"
                print(f"    cell {r['cell']} {r['key']}: pykan {r['pykan']:.3g} | kanlab {mine}{ratio}")
    pct = 100.0 * total_run / max(total, 1)
    print(f"TOTAL: {total_run}/{total} code cells run ({pct:.1f}%)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""pykan code as users write it, run on pykan 0.2.8 and on kanlab.pykan side by side.

The cases (``pykan_user_cases/``, one module per kind) are usage patterns seen in public pykan code beyond
pykan's own notebooks.  Each case runs in its own subprocess (a case may change torch's
default dtype), in a fresh temporary directory (pykan writes ``./model``), once with
``K = kan`` and once with ``K = kanlab.pykan``; a markdown table of the key numbers (or the
error) is printed.  Usage::

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/pykan_user_patterns.py \\
        [--only SUBSTRING] [--kinds MODULE ...] [--libs kan kanlab.pykan] [--timeout 300] [--json out.json]

``--extrapolate NAME`` builds kanlab.pykan's models with that continuation beyond the grid
(a what-if; the default is kanlab.pykan's own).
"""
from __future__ import annotations

import argparse
import json
import numbers
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pykan_user_cases import CASES  # noqa: E402


def _short(value):
    """Four significant digits for floats (numpy's too), recursively in lists."""
    if isinstance(value, (list, tuple)):
        return [_short(v) for v in value]
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return float(f"{float(value):.4g}")
    return value


def _child(lib: str, name: str, extrapolate: str | None) -> None:
    """Run one case and print its result as the last line of stdout (JSON)."""
    import importlib
    import matplotlib
    matplotlib.use("Agg")
    import torch
    K = importlib.import_module(lib)
    if extrapolate and lib != "kan":
        import functools
        init = K.KAN.__init__

        @functools.wraps(init)
        def with_continuation(self, *args, **kwargs):
            kwargs.setdefault("extrapolate", extrapolate)
            init(self, *args, **kwargs)
        K.KAN.__init__ = with_continuation
    torch.manual_seed(0)
    try:
        out = {"ok": True, **CASES[name](K)}
    except Exception as e:  # a case's failure is its result
        out = {"ok": False, "error": f"{type(e).__name__}: {e}"[:200],
               "at": traceback.format_exc().splitlines()[-3].strip()[:120]}
    print(json.dumps({k: _short(v) for k, v in out.items()}, default=str))


def _child_env() -> dict:
    """The environment, with ``PYTHONPATH=src`` made absolute (the child runs elsewhere)."""
    paths = os.environ.get("PYTHONPATH", "")
    absolute = os.pathsep.join(os.path.abspath(p) for p in paths.split(os.pathsep) if p)
    return {**os.environ, "PYTHONPATH": absolute, "MPLBACKEND": "Agg"}


def _of_kind(fn, kind: str) -> bool:
    """Whether case ``fn`` is of ``kind``: its module's name, or that name's part before an
    underscore (``round3`` names ``round3_data`` and ``round3_chains``)."""
    module = fn.__module__.rsplit(".", 1)[-1]
    return module == kind or module.startswith(kind + "_")


def run_case(lib: str, name: str, timeout: float, extrapolate: str | None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", lib, name]
    if extrapolate:
        cmd += ["--extrapolate", extrapolate]
    with tempfile.TemporaryDirectory() as tmp:
        try:
            p = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=timeout,
                               env=_child_env())
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"timeout after {timeout:g} s"}
    lines = p.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"ok": False, "error": f"crashed (exit {p.returncode}): {p.stderr.strip()[-200:]}"}


def cell(result: dict) -> str:
    if not result.get("ok"):
        return "**error** " + result.get("error", "").replace("|", "/").replace("\n", " ")
    return ", ".join(f"{k} {v}" for k, v in result.items() if k != "ok").replace("|", "/")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="run the cases whose name contains this")
    ap.add_argument("--kinds", nargs="+", default=None,
                    help="run only these case modules (e.g. analysis formulas round3; "
                         "round3 runs round3_data and round3_chains)")
    ap.add_argument("--libs", nargs="+", default=["kan", "kanlab.pykan"])
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--extrapolate", default=None)
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--child", nargs=2, metavar=("LIB", "CASE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(*args.child, args.extrapolate)
        return
    names = [n for n in CASES if args.only in n
             and (args.kinds is None or any(_of_kind(CASES[n], k) for k in args.kinds))]
    results = {n: {lib: run_case(lib, n, args.timeout, args.extrapolate) for lib in args.libs}
               for n in names}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print("| pattern | " + " | ".join(args.libs) + " |")
    print("|---" * (len(args.libs) + 1) + "|")
    for n in names:
        print(f"| {n} | " + " | ".join(cell(results[n][lib]) for lib in args.libs) + " |")


if __name__ == "__main__":
    main()

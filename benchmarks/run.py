"""Run the benchmark suite: kanlab against pykan, inkan, an MLP and the dense limit.

Usage::

    python benchmarks/run.py [--quick] [--out benchmarks/results] [--budget SECONDS]
    python benchmarks/run.py --conditions --out DIR   # 1 thread, all threads, one core busy
    python benchmarks/run.py --conditions --out DIR --cases "[784,64,10]" --only "1 thread"

Writes ``results.json`` and ``results.md`` into ``--out`` and prints the
markdown.  Times are measured in this process; the memory of every
(workload, contestant) pair in a fresh subprocess (``benchmarks/memory.py``).
pykan and inkan are optional: when one is not importable its cells say so.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from contestants import COMPILED, LABELS, TooBig, Unavailable, available, build, make_input
from report import render
from targets import evaluate
from timing import TooSlow, measure_all
from workloads import FULL, QUICK, TARGETS, Workload
from _output import write_report

HERE = Path(__file__).resolve().parent
MEMORY_TIMEOUT_S = 600
# Seconds per figure for the rows the targets read (--targets, and those rows of a full run).
TARGET_BUDGET_S = 3.0
# Environment variables that change how the CPU kernels run; recorded in the results.
THREAD_ENV = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS", "GOMP_SPINCOUNT")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", "-C", str(HERE.parent), *args], capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def fingerprint(package_dir: Path) -> str:
    """A short hash of a package's source files."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def snapshot_kanlab(into: Path) -> tuple[Path, Path]:
    """Copy kanlab's source into ``into`` and import it from there, here and in subprocesses.

    kanlab may be edited while the suite runs (it takes minutes); the snapshot
    makes every row measure the same code.  Returns ``(live_dir, snapshot_dir)``.
    """
    if "kanlab" in sys.modules:
        raise RuntimeError("snapshot_kanlab must run before kanlab is imported")
    live = Path(importlib.util.find_spec("kanlab").origin).parent
    snapshot = into / "kanlab"
    shutil.copytree(live, snapshot, ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(into))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(into),
                                                             os.environ.get("PYTHONPATH")]))
    return live, snapshot


def environment(mode: str, budget_s: float) -> dict:
    """What the numbers depend on: versions, CPU, threads, date, kanlab commit."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--", "src"):
        commit += "+uncommitted"
    packages = {}
    for package in ("kan", "inkan"):
        ok, info = available(package)
        packages[package] = info if ok else f"unavailable ({info})"
    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "load_average": os.getloadavg()[0],
            "mode": mode, "budget_s": budget_s, "torch": torch.__version__,
            "python": platform.python_version(), "cpu": cpu, "cpu_count": os.cpu_count(),
            "threads": torch.get_num_threads(), "kanlab": commit,
            "packages": packages,
            "env": {k: os.environ[k] for k in THREAD_ENV if k in os.environ}}


def time_workload(w: Workload, budget_s: float) -> dict[str, dict]:
    """Forward and forward+backward timings of every contestant of ``w`` (or why not)."""
    x = make_input(w)
    entries, benches = {}, {}
    for name in w.contestants:
        entries[name] = {"label": LABELS[name], "forward": None, "forward_backward": None,
                         "note": None}
        try:
            benches[name] = build(name, w, x)
        except (Unavailable, TooBig) as exc:
            entries[name]["note"] = str(exc)
    warmup = {name: 3 for name in benches if name in COMPILED}
    for figure in ("forward", "forward_backward"):
        fns = {name: getattr(b, figure) for name, b in benches.items()
               if not entries[name]["note"]}
        log(f"time   {w.key:<32} {figure}: {', '.join(fns)}")
        for name, result in measure_all(fns, budget_s, warmup).items():
            if isinstance(result, TooSlow):
                entries[name]["note"] = f"too slow: {result}"
            else:
                entries[name][figure] = result.to_json()
    del benches
    gc.collect()
    return entries


def memory_of(name: str, w: Workload) -> tuple[dict | None, str | None]:
    """Run benchmarks/memory.py for one case in a fresh process: ``(result, note)``."""
    case = json.dumps({"workload": w.to_json(), "contestant": name})
    try:
        proc = subprocess.run([sys.executable, str(HERE / "memory.py"), case],
                              capture_output=True, text=True, timeout=MEMORY_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"memory run exceeded {MEMORY_TIMEOUT_S} s"
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"memory run failed (exit {proc.returncode}): {tail}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return (None, result["skip"]) if "skip" in result else (result, None)


def run(workloads: list[Workload], budget_s: float, mode: str,
        target_budget_s: float | None = None) -> dict:
    """Times and memory of ``workloads``; the rows the targets read are timed for
    ``target_budget_s`` per figure when given (a full run: its target table then
    rests on as many samples as a ``--targets`` run's)."""
    results = {"meta": environment(mode, budget_s), "cases": {}}
    if target_budget_s is not None:
        results["meta"]["target_budget_s"] = target_budget_s
    targeted = {w.key for w in TARGETS if w.timed}
    start = time.perf_counter()
    for w in workloads:
        case = results["cases"][w.key] = {"workload": w.to_json(), "contestants": {}}
        if w.timed:
            longer = target_budget_s is not None and w.key in targeted
            case["contestants"] = time_workload(w, target_budget_s if longer else budget_s)
        else:
            case["contestants"] = {n: {"label": LABELS[n], "note": None} for n in w.contestants}
    timing_s = time.perf_counter() - start
    for w in workloads:
        for name, entry in results["cases"][w.key]["contestants"].items():
            entry["memory"] = None
            if not w.memory or entry["note"]:  # not asked for, or already explained
                continue
            log(f"memory {w.key:<32} {name}")
            entry["memory"], entry["memory_note"] = memory_of(name, w)
    total_s = time.perf_counter() - start
    results["meta"]["load_average_end"] = os.getloadavg()[0]
    results["suite_seconds"] = {"timing": timing_s, "memory": total_s - timing_s,
                                "total": total_s}
    results["targets"] = evaluate(results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a reduced set of workloads (smoke test, under a minute)")
    parser.add_argument("--out", type=Path, default=HERE / "results",
                        help="directory for results.md and results.json")
    parser.add_argument("--targets", action="store_true",
                        help="only the workloads of the targets, timed longer (a few minutes)")
    parser.add_argument("--conditions", action="store_true",
                        help="only the three-condition table (1 thread, all threads, one core "
                             "busy): benchmarks/conditions.py, writes conditions.{md,json}")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds spent timing each figure (default 0.5, and 3 for the "
                             "rows the targets read; 0.05 with --quick, 3 with --targets)")
    args, rest = parser.parse_known_args(argv)
    if rest and not args.conditions:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.quick and args.targets:
        parser.error("--quick and --targets are exclusive")
    if args.conditions:
        import conditions
        with tempfile.TemporaryDirectory(prefix="kanlab-bench-") as tmp:
            snapshot_kanlab(Path(tmp))
            extra = [] if args.budget is None else ["--budget", str(args.budget)]
            # conditions.py's own options (--cases, --only) pass through.
            return conditions.main(["--out", str(args.out), *extra, *rest])
    mode = "quick" if args.quick else "targets" if args.targets else "full"
    defaults = {"quick": (QUICK, 0.05), "targets": (TARGETS, TARGET_BUDGET_S),
                "full": (FULL, 0.5)}
    workloads, budget_s = defaults[mode]
    # A full run times the targets' rows as long as --targets does, unless --budget is given.
    target_budget_s = TARGET_BUDGET_S if mode == "full" and args.budget is None else None
    if args.budget is not None:
        budget_s = args.budget
    if torch.get_default_dtype() != torch.float32:
        raise SystemExit(f"expected default dtype float32, got {torch.get_default_dtype()}")

    with tempfile.TemporaryDirectory(prefix="kanlab-bench-") as tmp:
        live, snapshot = snapshot_kanlab(Path(tmp))
        results = run(workloads, budget_s, mode, target_budget_s)
        results["meta"]["kanlab_source"] = fingerprint(snapshot)
        results["meta"]["kanlab_source_live_end"] = fingerprint(live)
    write_report(args.out, "results", results, render(results))
    log(f"wrote {args.out / 'results.md'} and {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

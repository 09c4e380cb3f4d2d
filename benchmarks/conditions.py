"""Forward+backward under three machine conditions: 1 thread, all threads, one core busy.

Usage::

    python benchmarks/run.py --conditions --out DIR   # writes DIR/conditions.{md,json}
    python benchmarks/conditions.py --out DIR         # the same

Each condition runs in a fresh worker process (inkan's compiled kernels fix
their thread count when they are compiled, so one process cannot switch):

* ``1 thread``: ``torch.set_num_threads(1)``;
* ``all threads``: ``torch.set_num_threads(os.cpu_count())``;
* ``one core busy``: all threads, while a process this harness starts spins on
  the CPU (``while True: pass``) for the whole measurement, as another user's
  job would.

In a worker the contestants of a workload are timed round-robin (medians of
interleaved repeats, :func:`timing.measure_all`), so a change of load during
the measurement touches them alike; the ratios ``kanlab ÷ other`` are what the
tables report.  Absolute times depend on whatever else runs on the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _output import write_report

HERE = Path(__file__).resolve().parent
WORKER_TIMEOUT_S = 1800
# (row label, widths, batch); G = 5, k = 3 throughout.
CASES = (("[784,64,10]", (784, 64, 10), 512), ("[1024,1024]", (1024, 1024), 1024),
         ("[2,5,1]", (2, 5, 1), 1000))
CONTESTANTS = ("kanlab", "dense", "inkan", "inkan-eager")
# --backends: kanlab once more per work-sharing backend of its kernels (csrc/parallel.h;
# the default, 0, is the "kanlab" column), timed in the same rounds as the others.
BACKENDS = {1: "kanlab inter-op pool", 2: "kanlab intra-op team"}
CONDITIONS = {"1 thread": (1, False), "all threads": (None, False),
              "one core busy": (None, True)}


def start_spinner() -> subprocess.Popen:
    """A process that keeps one core busy until it is killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _on_backend(fn, backend: int):
    """``fn`` with kanlab's kernels sharing work on ``backend``, the default restored after."""
    from kanlab.ops import _extension

    def timed():
        ops = _extension.ops()
        before = ops.set_parallel_backend(backend)
        try:
            return fn()
        finally:
            ops.set_parallel_backend(before)
    return timed


def worker(threads: int, budget_s: float, cases: list[str], backends: bool = False) -> dict:
    """Time every contestant of the chosen cases in this process; medians in seconds."""
    import torch

    torch.set_num_threads(threads)
    sys.path.insert(0, str(HERE))
    from contestants import COMPILED, TooBig, Unavailable, build
    from timing import TooSlow, measure_all
    from workloads import Workload

    out = {}
    for label, width, batch in CASES:
        if label not in cases:
            continue
        w = Workload(label, width, batch, 5, CONTESTANTS)
        benches, notes = {}, {}
        for name in CONTESTANTS:
            try:
                benches[name] = build(name, w)
            except (Unavailable, TooBig) as exc:
                notes[name] = str(exc)
        fns = {name: b.forward_backward for name, b in benches.items()}
        if backends and "kanlab" in fns:
            fns.update({label: _on_backend(fns["kanlab"], b) for b, label in BACKENDS.items()})
        warmup = {name: 3 for name in fns if name in COMPILED}
        row = {}
        for name, result in measure_all(fns, budget_s, warmup).items():
            row[name] = (None if isinstance(result, TooSlow) else result.median_s)
            if isinstance(result, TooSlow):
                notes[name] = str(result)
        out[label] = {"seconds": row, "notes": notes}
    return out


def run_condition(name: str, budget_s: float, cases: list[str], backends: bool = False) -> dict:
    threads, busy = CONDITIONS[name]
    threads = threads or os.cpu_count()
    spinner = start_spinner() if busy else None
    try:
        if spinner is not None:
            time.sleep(0.5)  # let it reach full speed
        proc = subprocess.run([sys.executable, __file__, "--worker", str(threads),
                               "--budget", str(budget_s), "--cases", *cases,
                               *(["--backends"] if backends else [])],
                              capture_output=True, text=True, timeout=WORKER_TIMEOUT_S)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"condition {name!r} failed:\n{proc.stderr[-3000:]}")
    return {"threads": threads, "busy": busy, "load_average": os.getloadavg()[0],
            "cases": json.loads(proc.stdout.strip().splitlines()[-1])}


def _ratio(a, b) -> str:
    return "—" if a is None or b is None else f"{a / b:.2f}×"


def _rows(results: dict):
    """``(label, batch, condition name, condition, seconds)`` for every case measured, in the
    order of CASES, then of the conditions."""
    for label, _, batch in CASES:
        for cname, cond in results["conditions"].items():
            case = cond["cases"].get(label)
            if case is not None:
                yield label, batch, cname, cond, case["seconds"]


def render(results: dict) -> str:
    meta = results["meta"]
    lines = ["# kanlab under three machine conditions", "",
             f"{meta['date']} · torch {meta['torch']} · {meta['cpu_count']} CPUs · "
             f"load average at start {meta['load_average']:.2f} · kanlab {meta['kanlab']}", "",
             "forward+backward, float32, G = 5, k = 3; medians of interleaved repeats in one "
             "process per condition; ratios are kanlab ÷ other (below 1× = kanlab faster). "
             "*one core busy*: all threads while a spinning process started by the harness "
             "keeps one core busy. On a machine shared with other jobs the absolute times "
             "are unreliable; the side-by-side ratios are what to read.", "",
             "| workload | batch | condition | kanlab (ms) | dense limit (ms) | inkan (ms) | "
             "inkan eager (ms) | kanlab/dense | kanlab/inkan | kanlab/inkan eager |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for label, batch, cname, cond, s in _rows(results):
        ms = [f"{s[n] * 1e3:.3g}" if s.get(n) else "—" for n in CONTESTANTS]
        lines.append(f"| {label} | {batch} | {cname} ({cond['threads']} thr, load "
                     f"{cond['load_average']:.1f}) | " + " | ".join(ms) + " | " +
                     " | ".join(_ratio(s.get("kanlab"), s.get(n))
                                for n in ("dense", "inkan", "inkan-eager")) + " |")
    extra = [label for label in BACKENDS.values()
             if any(label in case["seconds"] for c in results["conditions"].values()
                    for case in c["cases"].values())]
    if extra:
        lines += ["", "kanlab's kernels on each work-sharing backend (csrc/parallel.h), "
                  "÷ the dense limit, timed in the same rounds:", "",
                  "| workload | condition | kanlab (default: team while it keeps up) | " +
                  " | ".join(extra) + " |", "|---|---|---|" + "---|" * len(extra)]
        for label, batch, cname, _, s in _rows(results):
            lines.append(f"| {label} b={batch} | {cname} | "
                         + " | ".join(_ratio(s.get(n), s.get("dense"))
                                      for n in ("kanlab", *extra)) + " |")
    notes = {f"{n}: {why}" for c in results["conditions"].values()
             for case in c["cases"].values() for n, why in case["notes"].items()}
    if notes:
        lines += ["", "Notes: " + "; ".join(sorted(notes))]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per contestant")
    parser.add_argument("--cases", nargs="+", default=[c[0] for c in CASES])
    parser.add_argument("--only", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS))
    parser.add_argument("--backends", action="store_true",
                        help="also time kanlab on each work-sharing backend of its kernels")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.budget, args.cases, args.backends)))
        return 0
    import torch
    from datetime import datetime, timezone
    from run import _git
    results = {"meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "torch": torch.__version__, "cpu_count": os.cpu_count(),
                        "load_average": os.getloadavg()[0],
                        "kanlab": _git("rev-parse", "--short", "HEAD") or "unknown",
                        "budget_s": args.budget},
               "conditions": {}}
    for name in args.only:
        print(f"condition {name} ...", file=sys.stderr, flush=True)
        results["conditions"][name] = run_condition(name, args.budget, args.cases, args.backends)
    write_report(args.out, "conditions", results, render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

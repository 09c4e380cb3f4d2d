"""Where the default ``kanlab train`` run spends its time: wall and CPU seconds per stage.

Usage::

    OMP_NUM_THREADS=1 /usr/bin/time python benchmarks/pipeline.py --seed 0 --out /tmp/run0

Runs ``kanlab train --seed S --out DIR --no-progress --threads 1`` in this process
(:func:`kanlab.cli._main.main`, so the option checks count too) and prints, per
stage (each log line of the run), wall time, CPU time of the process (robust to
other processes on the machine) and the number of model evaluations of the
stage's fit.  ``/usr/bin/time`` around it adds what the process costs before
``import kanlab`` and after ``main`` returns (the interpreter's start and exit).
"""
from __future__ import annotations

import argparse
import json
import resource
import time


def cpu() -> float:
    """CPU seconds (user + system) of this process since it started."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


start_wall, start_cpu = time.perf_counter(), cpu()
import kanlab  # noqa: E402,F401
from kanlab.cli import _main as cli  # noqa: E402
from kanlab.cli import _train_job as job  # noqa: E402

IMPORT_WALL, IMPORT_CPU = time.perf_counter() - start_wall, cpu()


def counting(counts: dict) -> None:
    """Count the evaluations of every L-BFGS/Adam step (one closure call each)."""
    from kanlab.train import _optim
    for cls in (_optim.LBFGS, _optim.Adam):
        step = cls.step

        def counted(self, closure, step=step):
            def inner():
                counts["evals"] += 1
                return closure()
            return step(self, inner)
        cls.step = counted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--options", default="", help="more kanlab train options, one string")
    args = parser.parse_args(argv)
    counts = {"evals": 0}
    counting(counts)
    marks = []

    def mark(line: str) -> None:
        marks.append((time.perf_counter(), cpu(), counts["evals"], line))

    run = job.run
    result = {}

    def logged_run(cfg, log=None, **kwargs):  # noqa: ARG001 (the CLI prints; we mark)
        marks.append((time.perf_counter(), cpu(), counts["evals"], "(option checks)"))
        result["metrics"] = run(cfg, mark, **kwargs)
        return result["metrics"]
    job.run = logged_run
    wall0, cpu0 = time.perf_counter(), cpu()
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):  # the CLI's summary lines
        status = cli.main(["train", "--seed", str(args.seed), "--out", args.out, "--overwrite",
                           "--no-progress", "--threads", "1", *args.options.split()])
    wall1, cpu1 = time.perf_counter(), cpu()
    print(f"interpreter + import kanlab: {IMPORT_WALL:.2f} s wall (after the interpreter's "
          f"start), {IMPORT_CPU:.2f} s cpu")
    prev = (wall0, cpu0, 0)
    for wall, c, evals, line in marks:
        print(f"{wall - prev[0]:7.2f} s wall {c - prev[1]:7.2f} s cpu  evals "
              f"{evals - prev[2]:5d} | {line[:90]}")
        prev = (wall, c, evals)
    print(f"{wall1 - prev[0]:7.2f} s wall {cpu1 - prev[1]:7.2f} s cpu  (outputs: checkpoint, "
          "figures, metrics)")
    metrics = result.get("metrics") or {}
    print(f"main: {wall1 - wall0:.2f} s wall, {cpu1 - cpu0:.2f} s cpu; process so far "
          f"{cpu1:.2f} s cpu; exit status {status}; formula {metrics.get('formula')}; "
          f"test RMSE {json.dumps(metrics.get('final', {}).get('test_rmse'))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

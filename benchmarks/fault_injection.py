"""Fault injection: kill ``kanlab train`` at random moments, resume, compare with a clean run.

Each trial starts a small run (every stage: sparse training, pruning, grid
refinement, the symbolic stage and the figures), sends SIGKILL or SIGTERM
after a random delay drawn over the whole duration of an uninterrupted run,
waits for the process to end, then continues it (``--resume DIR``; the same
command again when the run left no ``progress.json``) until it completes.
A share of the trials run under ``torchrun --nproc_per_node=2 ... --ddp``
(gloo on CPU) and the signal goes to one random worker; those runs are
resumed under torchrun as well.

A trial passes when the run completes, its final test RMSE is within
``--tolerance`` (10%) of the uninterrupted run's, and no step of it hung
(every process ended within ``--hang`` seconds).  Any directory left that
``--resume`` refuses counts as a failure.

Usage::

    PYTHONPATH=src python benchmarks/fault_injection.py --n 50 --ddp-share 0.3 \\
        --json docs/fault_injection.json
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARGS = ["--grid", "3,5", "--steps", "6", "--train-num", "100", "--test-num", "50",
        "--no-progress", "--seed", "1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(out: Path, ddp: bool, resume: bool) -> list[str]:
    tail = ["--resume", str(out), "--no-progress"] if resume else [*ARGS, "--out", str(out)]
    if not ddp:
        return [sys.executable, "-m", "kanlab", "train", *tail]
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    return [torchrun, "--nproc_per_node=2", f"--master_port={_free_port()}", "-m", "kanlab",
            "train", "--ddp", "--ddp-timeout", "30", *tail]


def _env() -> dict:
    return dict(os.environ, OMP_NUM_THREADS="1")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _stage_of(out: Path) -> str:
    try:
        state = json.loads((out / "progress.json").read_text())
        return f"next={state.get('next')} status={state.get('status')}"
    except (OSError, ValueError):
        return "no progress.json"


def _final_rmse(out: Path) -> float | None:
    try:
        metrics = json.loads((out / "metrics.json").read_text())
    except (OSError, ValueError):
        return None
    return metrics["final"]["test_rmse"] if metrics.get("status") == "completed" else None


def reference(workdir: Path, ddp: bool, hang: float) -> tuple[float, float]:
    out = workdir / f"reference-{'ddp' if ddp else 'single'}"
    start = time.perf_counter()
    result = subprocess.run(_command(out, ddp, False), capture_output=True, text=True,
                            timeout=hang, env=_env())
    if result.returncode != 0:
        raise SystemExit(f"the reference run failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - start, _final_rmse(out)


def trial(i: int, workdir: Path, ddp: bool, delay: float, sig: int, hang: float,
          rng: random.Random) -> dict:
    out = workdir / f"trial-{i:03d}"
    record = {"trial": i, "ddp": ddp, "signal": signal.Signals(sig).name,
              "delay_s": round(delay, 2)}
    proc = subprocess.Popen(_command(out, ddp, False), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=_env())
    try:
        proc.wait(timeout=delay)
        record["killed_at"] = "after the run ended"
    except subprocess.TimeoutExpired:
        target = proc.pid
        if ddp:
            workers = _children(proc.pid)
            target = rng.choice(workers) if workers else proc.pid
            record["target"] = "worker" if workers else "torchrun"
        record["killed_at"] = _stage_of(out)
        try:
            os.kill(target, sig)
        except ProcessLookupError:
            pass
    try:
        proc.communicate(timeout=hang)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        record.update(ok=False, problem=f"the killed run did not end within {hang} s (hang)")
        return record
    record["first_exit"] = proc.returncode
    attempts = []
    for _ in range(3):
        if _final_rmse(out) is not None and _stage_of(out).endswith("completed"):
            break
        resume = (out / "progress.json").exists()
        result = subprocess.run(_command(out, ddp, resume), capture_output=True, text=True,
                                timeout=hang, env=_env())
        attempts.append({"resume": resume, "exit": result.returncode,
                         "error": (result.stderr.strip().splitlines() or [""])[-1][:200]
                         if result.returncode else ""})
    record["attempts"] = attempts
    record["test_rmse"] = _final_rmse(out)
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50, help="number of trials")
    parser.add_argument("--ddp-share", type=float, default=0.3,
                        help="share of trials run under torchrun --ddp (2 CPU processes)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=0.10)
    parser.add_argument("--hang", type=float, default=300.0, help="seconds before a process "
                        "counts as hung")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--json", default=None, help="write the trials and the summary here")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="kanlab-faults-"))
    workdir.mkdir(parents=True, exist_ok=True)
    plan = [rng.random() < args.ddp_share for _ in range(args.n)]
    refs = {ddp: reference(workdir, ddp, args.hang) for ddp in sorted(set(plan))}
    for ddp, (seconds, value) in refs.items():
        print(f"reference ({'ddp' if ddp else 'single'}): {seconds:.1f} s, test RMSE {value:.4e}",
              flush=True)
    records = []
    for i, ddp in enumerate(plan):
        seconds, expected = refs[ddp]
        sig = rng.choice([signal.SIGKILL, signal.SIGTERM])
        record = trial(i, workdir, ddp, rng.uniform(0.2, seconds * 1.05), sig, args.hang, rng)
        if "ok" not in record:
            value = record["test_rmse"]
            record["ok"] = value is not None and abs(value - expected) <= args.tolerance * expected
            if not record["ok"]:
                record["problem"] = ("did not complete" if value is None else
                                     f"test RMSE {value:.4e} vs {expected:.4e}")
            else:
                record["rel_diff"] = abs(value - expected) / expected
        records.append(record)
        print(json.dumps(record), flush=True)
    passed = sum(r["ok"] for r in records)
    diffs = [r.get("rel_diff", 0.0) for r in records if r["ok"]]
    summary = {"trials": len(records), "passed": passed,
               "ddp_trials": sum(r["ddp"] for r in records),
               "sigkill": sum(r["signal"] == "SIGKILL" for r in records),
               "killed_mid_run": sum(r["killed_at"] != "after the run ended" for r in records),
               "max_rel_diff": max(diffs, default=0.0),
               "exact_matches": sum(d == 0.0 for d in diffs),
               "reference_s": {("ddp" if k else "single"): round(v[0], 1) for k, v in refs.items()}}
    print(json.dumps(summary), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "trials": records},
                                              indent=1) + "\n")
    return 0 if passed == len(records) else 1


if __name__ == "__main__":
    sys.exit(main())

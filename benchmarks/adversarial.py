"""Adversarial cases: bad arguments, damaged files, extreme sizes, hostile strings.

Each case runs in a forked child with a time limit and is judged:

* ``pass``: a clean outcome, either a ``ValueError`` / ``TypeError`` /
  ``OSError`` (``FileNotFoundError`` ...) whose message names the problem
  and shows no torch internals, or a finite, correct result, or for the
  command line one ``kanlab: error: ...`` line with exit status 2 (or a run
  that gets past its checks when the options are valid);
* ``fail``: any other exception (``RuntimeError``, ``IndexError``,
  ``AttributeError``, ``RecursionError``, ...), a traceback or exit 1 from
  the command line, a silent NaN or wrong value, a changed file that should
  not change, or ``timeout`` (the child is killed after ``--timeout`` s).

The cases are of the kinds issue 21 lists (data loss, hangs and cost,
crashes, security, silent wrong results, unclear errors); most are new
variations.  Usage::

    PYTHONPATH=src OMP_NUM_THREADS=1 nice -n 19 python benchmarks/adversarial.py \\
        [--only SUBSTRING] [--timeout 60] [--json out.json]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adversarial_cases import CASES  # noqa: E402


def _child(fn, tmp: Path) -> dict:
    buf_out, buf_err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
            verdict = fn(tmp)
        return {"result": "pass", "detail": str(verdict or "")[:300]}
    except AssertionError as err:
        return {"result": "fail", "detail": f"{err}"[:600]}
    except BaseException as err:  # noqa: BLE001 - any other exception is a finding
        tb = traceback.format_exc(limit=-3)
        return {"result": "fail", "detail": f"{type(err).__name__}: {str(err)[:300]}\n{tb[-600:]}"}


def run_case(fn, timeout: float) -> dict:
    """Run ``fn(tmpdir)`` in a forked child; kill it after ``timeout`` seconds."""
    read, write = os.pipe()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # child
            os.close(read)
            os.setpgid(0, 0)
            os.chdir(tmp)  # a case that writes into the current directory writes there
            try:
                out = _child(fn, Path(tmp))
            except BaseException as err:  # noqa: BLE001
                out = {"result": "fail", "detail": repr(err)}
            os.write(write, json.dumps(out).encode())
            os.close(write)
            os._exit(0)
        os.close(write)
        chunks = []
        deadline = start + timeout
        os.set_blocking(read, False)
        while True:
            try:
                chunk = os.read(read, 65536)
                if chunk:
                    chunks.append(chunk)
                    continue
                break  # EOF
            except BlockingIOError:
                if time.perf_counter() > deadline:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    os.close(read)
                    return {"result": "fail", "detail": f"timeout after {timeout:.0f} s",
                            "seconds": round(time.perf_counter() - start, 2)}
                time.sleep(0.02)
        os.close(read)
        os.waitpid(pid, 0)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)  # leftovers of the case (e.g. a FIFO writer)
    try:
        out = json.loads(b"".join(chunks).decode())
    except ValueError:
        out = {"result": "fail", "detail": "the child died without a verdict"}
    out["seconds"] = round(time.perf_counter() - start, 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    import torch
    torch.set_num_threads(1)
    os.environ.setdefault("MPLBACKEND", "Agg")
    # imported once here, so that every forked case starts with them loaded
    import kanlab.cli._main, kanlab.cli._train_job, kanlab.io, kanlab.symbolic._api  # noqa: E401,F401
    import kanlab.sklearn, kanlab.discover, kanlab.plotting  # noqa: E401,F401
    results = []
    for kind, name, fn in CASES:
        if args.only and args.only not in name and args.only != kind:
            continue
        out = run_case(fn, args.timeout) | {"kind": kind, "case": name}
        results.append(out)
        mark = "ok  " if out["result"] == "pass" else "FAIL"
        print(f"{mark} {kind:<8} {name:<58} {out['seconds']:6.2f}s"
              + ("" if out["result"] == "pass" else "\n     " + out["detail"].replace("\n", "\n     ")),
              flush=True)
    failed = [r for r in results if r["result"] != "pass"]
    print(f"\n{len(results)} cases, {len(results) - len(failed)} passed, {len(failed)} failed")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

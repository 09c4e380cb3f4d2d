"""DDP under faults: a signalled rank stops every rank, a lost rank ends the run with its
checkpoint and a clear message, and the run resumes under torchrun."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from _support import TORCHRUN, free_port as _free_port

ARGS = ["--grid", "3,5,8", "--steps", "40", "--train-num", "100", "--test-num", "50",
        "--no-progress", "--no-symbolic"]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(TORCHRUN), reason="torchrun not installed")]


def _torchrun(*args):
    return [TORCHRUN, "--nproc_per_node=2", f"--master_port={_free_port()}", "-m", "kanlab",
            "train", "--ddp", *args]


def _workers(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _start_and_hit(out: Path, sig: int, extra=()):
    """Start a 2-rank run, wait for its first history rows, send ``sig`` to rank 1."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(_torchrun(*ARGS, "--out", str(out), *extra), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.time() + 240
    while time.time() < deadline:
        history = out / "history.csv"
        if history.exists() and len(history.read_text().splitlines()) > 3:
            break
        time.sleep(0.2)
    workers = sorted(_workers(proc.pid))
    assert len(workers) == 2
    os.kill(workers[1], sig)  # torchrun starts local rank 0 first
    start = time.time()
    output, _ = proc.communicate(timeout=240)
    return proc.returncode, output, time.time() - start


def _resume(out: Path):
    result = subprocess.run(_torchrun("--resume", str(out), "--no-progress"), capture_output=True,
                            text=True, timeout=300, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert result.returncode == 0, result.stdout + result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "completed" and [s["grid"] for s in metrics["stages"]] == [3, 5, 8]


def test_sigterm_to_one_rank_stops_all_ranks_cleanly_then_resumes(tmp_path):
    out = tmp_path / "run"
    code, output, _ = _start_and_hit(out, signal.SIGTERM)
    assert "Connection closed" not in output
    state = json.loads((out / "progress.json").read_text())
    assert state["status"] == "interrupted" and "--resume" in output, output[-2000:]
    _resume(out)


def test_lost_rank_ends_the_run_with_a_message_and_a_resumable_directory(tmp_path):
    out = tmp_path / "run"
    code, output, seconds = _start_and_hit(out, signal.SIGSTOP, ["--ddp-timeout", "5"])
    assert code != 0 and seconds < 120
    assert "a --ddp rank stopped answering" in output and "--resume" in output, output[-2000:]
    assert json.loads((out / "progress.json").read_text())["status"] == "interrupted"
    _resume(out)

"""`kanlab train` stopped by SIGINT writes its work and `--resume` finishes it."""
from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

ARGS = ["train", "--width", "2,1,1", "--grid", "3,5,8", "--steps", "40", "--train-num", "300",
        "--test-num", "300", "--no-symbolic", "--no-progress"]


def _train(*extra):
    return subprocess.run([sys.executable, "-m", "kanlab", *ARGS, *extra], capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_sigint_then_resume_matches_uninterrupted_run(tmp_path):
    """SIGINT in the second stage: exit 130, checkpoint + figures written, progress says
    interrupted; --resume completes with a final test RMSE within 10% of an uninterrupted run."""
    full = _train("--out", str(tmp_path / "full"))
    assert full.returncode == 0, full.stderr
    expected = json.loads((tmp_path / "full" / "metrics.json").read_text())["final"]["test_rmse"]

    out = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "kanlab", *ARGS, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:  # the first stage's summary: the second stage has begun
        if line.startswith("grid"):
            proc.send_signal(signal.SIGINT)
            break
    rest, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, err
    assert "--resume" in rest and "Traceback" not in err
    progress = json.loads((out / "progress.json").read_text())
    assert progress["status"] == "interrupted" and progress["next"] in (1, 2)
    for name in ("model.safetensors", "network.png", "results.png", "metrics.json"):
        assert (out / name).is_file(), name

    resumed = subprocess.run([sys.executable, "-m", "kanlab", "train", "--resume", str(out),
                              "--no-progress"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "completed" and [s["grid"] for s in metrics["stages"]] == [3, 5, 8]
    assert metrics["final"]["test_rmse"] == pytest.approx(expected, rel=0.10)
    again = subprocess.run([sys.executable, "-m", "kanlab", "train", "--resume", str(out)],
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 2 and "already completed" in again.stderr

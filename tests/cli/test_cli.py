"""`kanlab train`: the outputs of a short run, and one-line errors for bad options."""
import json
import subprocess
import sys

import pytest
import torch

import kanlab
from kanlab.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "kanlab", *args], capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    result = run_cli("train", "--grid", "3,6", "--steps", "4", "--train-num", "200",
                     "--test-num", "100", "--out", str(out), "--no-progress")
    return result, out


def test_short_run_writes_every_output(short_run):
    """A short run exits 0 and writes the four figures, metrics.json and the checkpoint."""
    result, out = short_run
    assert result.returncode == 0, result.stderr
    for name in ("network.png", "bspline_visualization.png", "compare.png", "results.png",
                 "metrics.json", "model.safetensors"):
        path = out / name
        assert path.is_file() and path.stat().st_size > 0, name
    assert str(out / "metrics.json") in result.stdout


def test_metrics_hold_stages_and_config(short_run):
    """metrics.json has final and per-stage RMSEs, wall time and the full config."""
    _, out = short_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert [stage["stage"] for stage in metrics["stages"]] == ["train", "prune", "train",
                                                                "symbolic"]
    assert metrics["stages"][0]["grid"] == 3 and metrics["stages"][2]["grid"] == 6
    assert metrics["final"]["test_rmse"] > 0 and metrics["status"] == "completed"
    assert "formula" in metrics
    assert metrics["wall_time"] > 0
    assert metrics["config"]["width"] == [2, 5, 1] and metrics["config"]["steps"] == 4


def test_checkpoint_restores_identical_outputs(short_run):
    """kanlab.load gives a model whose outputs equal the run's reported test RMSE."""
    _, out = short_run
    model = kanlab.load(out / "model.safetensors")
    assert model.grid == 6 and model.width[0] == 2 and model.width[-1] == 1
    metrics = json.loads((out / "metrics.json").read_text())
    data = kanlab.create_dataset(lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2),
                                 2, train_num=200, test_num=100, seed=0, dtype=torch.float64)
    with torch.no_grad():
        rmse = float(torch.sqrt(torch.mean((model(data["test_input"]) - data["test_label"]) ** 2)))
    assert rmse == pytest.approx(metrics["final"]["test_rmse"], rel=1e-12)


@pytest.mark.parametrize("args, message", [
    (["--function", "exp(sin(pi*x) +"], "--function"),
    (["--function", "__import__('os').system('true')"], "--function"),
    (["--ranges", "1,-1"], "lo < hi"),
    (["--ranges", "0,1;0,1;0,1"], "3 ranges for 2 variables"),
    (["--width", "3,5,1"], "--width"),
    (["--grid", "0,5"], "positive"),
    (["--steps", "0"], "--steps"),
    (["--out", "/proc/kanlab-not-writable"], "not writable"),
    (["--r2-threshold", "2"], "--r2-threshold"),
    (["--lamb", "-1"], "--lamb"),
    (["--resume", "/nonexistent-run"], "--resume"),
])
def test_bad_options_fail_before_training(args, message, capsys):
    """A bad option exits with status 2 and one error line naming the problem."""
    with pytest.raises(SystemExit) as exc:
        main(["train", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and "Traceback" not in "\n".join(err)


def test_module_help_runs():
    """`python -m kanlab train --help` lists the options."""
    result = run_cli("train", "--help")
    assert result.returncode == 0 and "--function" in result.stdout and "--grid" in result.stdout


def test_no_symbolic_is_grid_extension(tmp_path):
    """--no-symbolic trains one stage per grid and writes no formula."""
    out = tmp_path / "plain"
    result = run_cli("train", "--grid", "3,5", "--steps", "3", "--train-num", "100",
                     "--test-num", "50", "--no-symbolic", "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert [s["grid"] for s in metrics["stages"]] == [3, 5] and "formula" not in metrics

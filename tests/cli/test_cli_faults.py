"""`kanlab train` under bad options, occupied or damaged run directories and stops."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from kanlab.cli import _train_job
from kanlab.cli._main import main
from kanlab.cli._run_dir import LOCK
from kanlab.cli._train_job import TrainConfig, run
from _support import SMALL_RUN as SMALL, cli_error as _error


@pytest.mark.parametrize("args, message", [
    (["--lamb-smooth", "-1"], "--lamb-smooth"), (["--lamb-smooth", "nan"], "--lamb-smooth"),
    (["--lr", "inf"], "--lr"), (["--lamb", "inf"], "--lamb"),
    (["--width", "2,5,2"], "outputs"), (["--ranges=-1e308,1e308"], "too wide"),
    (["--function", "1"], "no variable"), (["--function", "log(x)"], "non-finite labels"),
    (["--function", "x*exp(exp(exp(exp(10))))"], "not a finite"),
    (["--function", "x+exp(10**25000)"], "not a finite"),
    (["--k", "100"], "--k"), (["--train-num", "1"], "--train-num"),
    (["--width", "[" * 5000 + "]" * 5000], "--width"),
    (["--ranges", "[" * 5000 + "]" * 5000], "--ranges"),
    (["--mult-arity", "1000000", "--width", "2,[0,2],1"], "spline coefficients"),
    (["--grid", "5,10000"], "refining"), (["--steps", "10000000000"], "--steps"),
    (["--ddp-timeout", "0"], "--ddp-timeout"),
])
def test_bad_options_are_one_line_before_any_work(args, message, capsys, tmp_path):
    start = time.perf_counter()
    line = _error(capsys, [*args, "--out", str(tmp_path / "r")])
    assert message in line and line.startswith("kanlab")
    assert time.perf_counter() - start < 30.0  # no hang (seconds only on a loaded machine)
    assert not (tmp_path / "r" / "progress.json").exists()


def test_out_of_a_finished_run_is_refused_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", *SMALL, "--out", str(out)]) == 0
    rows = len((out / "history.csv").read_text().splitlines())
    before = (out / "model.safetensors").read_bytes()
    line = _error(capsys, [*SMALL, "--seed", "3", "--out", str(out)])
    assert "already holds a completed kanlab run" in line and "--overwrite" in line
    assert (out / "model.safetensors").read_bytes() == before  # nothing was touched
    assert main(["train", *SMALL, "--seed", "3", "--out", str(out), "--overwrite"]) == 0
    assert len((out / "history.csv").read_text().splitlines()) == rows  # replaced, not appended
    assert json.loads((out / "metrics.json").read_text())["config"]["seed"] == 3


def test_concurrent_run_in_the_same_directory_is_refused(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from kanlab.cli._run_dir import lock_run_dir; lock_run_dir(Path(sys.argv[1])); "
         "print('locked', flush=True); time.sleep(60)", str(out)],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert holder.stdout.readline().strip() == "locked"
        line = _error(capsys, [*SMALL, "--out", str(out)])
        assert "in use by another kanlab run" in line and str(holder.pid) in line
    finally:
        holder.kill()
        holder.wait()
    assert main(["train", *SMALL, "--out", str(out)]) == 0  # free again once it ends
    assert (out / LOCK).exists()


@pytest.mark.parametrize("content", ["[]", "null", "{}", '{"next": "x", "status": "running"}',
                                     "{" * 100000, "dir", "truncated-checkpoint"])
def test_resume_of_a_damaged_run_directory_is_one_line(tmp_path, capsys, content):
    out = tmp_path / "r"
    out.mkdir()
    progress = out / "progress.json"
    if content == "dir":
        progress.mkdir()
    elif content == "truncated-checkpoint":
        torch.manual_seed(0)
        cfg = TrainConfig(grids=[3, 4], steps=2, train_num=40, test_num=20, progress=False,
                          symbolic=False, out=str(out))
        run(cfg, log=lambda line: None)
        state = json.loads(progress.read_text())
        (out / "checkpoint-1.safetensors").write_bytes(
            (out / "model.safetensors").read_bytes()[:100])
        progress.write_text(json.dumps(state | {"status": "running",
                                                "checkpoint": "checkpoint-1.safetensors"}))
    else:
        progress.write_text(content)
    line = _error(capsys, ["--resume", str(out)])
    assert line.startswith("kanlab train: error: --resume") or "--resume" in line


def test_stop_while_writing_figures_is_resumable(tmp_path, monkeypatch):
    """A full disk (or a kill) while the figures are written: --resume finishes the run."""
    out = tmp_path / "r"
    cfg = dict(grids=[3, 4], steps=2, train_num=40, test_num=20, progress=False,
               symbolic=False)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_train_job, "write_outputs", full_disk)
    with pytest.raises(OSError):
        run(TrainConfig(**cfg, out=str(out)), log=lambda line: None)
    state = json.loads((out / "progress.json").read_text())
    assert state["status"] == "running" and state["next"] == 2
    monkeypatch.undo()
    metrics = run(TrainConfig(out=str(out), progress=False), log=lambda line: None, resume=True)
    assert metrics["status"] == "completed" and (out / "results.png").is_file()
    fresh = run(TrainConfig(**cfg, out=str(tmp_path / "fresh")), log=lambda line: None)
    assert metrics["final"]["test_rmse"] == fresh["final"]["test_rmse"]


def test_crash_mid_stage_resumes_from_the_checkpoint_and_drops_later_history(tmp_path,
                                                                          monkeypatch):
    """A crash (kill -9, power loss) in stage 2 after two of its steps were logged: --resume
    restarts stage 2 from its checkpoint, drops those rows, and ends as a clean run."""
    cfg = dict(grids=[3, 4], steps=3, train_num=40, test_num=20, progress=False,
               symbolic=False)
    fresh = run(TrainConfig(**cfg, out=str(tmp_path / "fresh")), log=lambda line: None)
    real, calls = _train_job._StopRequest.callback, []

    def crash(self, step, model, history):
        result = real(self, step, model, history)  # logs the row first
        calls.append(step)
        if len(calls) == 5:
            raise RuntimeError("simulated crash")
        return result

    monkeypatch.setattr(_train_job._StopRequest, "callback", crash)
    out = tmp_path / "r"
    with pytest.raises(RuntimeError, match="simulated"):
        run(TrainConfig(**cfg, out=str(out)), log=lambda line: None)
    monkeypatch.undo()
    state = json.loads((out / "progress.json").read_text())
    assert state["next"] == 1 and state["history_rows"] == 3
    assert len((out / "history.csv").read_text().splitlines()) == 1 + 5
    metrics = run(TrainConfig(out=str(out), progress=False), log=lambda line: None, resume=True)
    assert metrics["final"]["test_rmse"] == fresh["final"]["test_rmse"]
    rows = (out / "history.csv").read_text().splitlines()
    fresh_rows = (tmp_path / "fresh" / "history.csv").read_text().splitlines()
    assert len(rows) == len(fresh_rows) == 1 + 3 + 3
    column = rows[0].split(",").index("train_rmse")
    assert [r.split(",")[column] for r in rows] == [r.split(",")[column] for r in fresh_rows]


def test_symbolic_stage_stopped_then_resumed_equals_the_uninterrupted_run(tmp_path, monkeypatch):
    cfg = dict(grids=[3, 5], steps=4, train_num=100, test_num=50, progress=False, seed=1,
               width=[2, 2, 1])
    fresh = run(TrainConfig(**cfg, out=str(tmp_path / "fresh")), log=lambda line: None)
    real_fit = _train_job._fit

    def stop_in_symbolic(model, dataset, cfg_, lamb, steps, stop, update_grid=True):
        if not update_grid:  # the symbolic stage's constant fits
            stop.signal = 15
        return real_fit(model, dataset, cfg_, lamb, steps, stop, update_grid)

    monkeypatch.setattr(_train_job, "_fit", stop_in_symbolic)
    out = tmp_path / "r"
    stopped = run(TrainConfig(**cfg, out=str(out)), log=lambda line: None)
    assert stopped["status"] == "interrupted"
    state = json.loads((out / "progress.json").read_text())
    assert state["next"] == 3 and state["steps_done"] == 0  # the symbolic stage starts over
    monkeypatch.undo()
    lines = []
    resumed = run(TrainConfig(out=str(out), progress=False), log=lines.append, resume=True)
    assert resumed["final"]["test_rmse"] == fresh["final"]["test_rmse"]
    assert resumed.get("formula") == fresh.get("formula")
    assert resumed["final"]["width"] == fresh["final"]["width"]


def test_resume_takes_ddp_from_the_command_not_the_stored_run(tmp_path, capsys):
    """A run stored with ddp=True resumes in one process (and --ddp would be honoured)."""
    out = tmp_path / "r"
    cfg = dict(grids=[3, 4], steps=2, train_num=40, test_num=20, progress=False, symbolic=False)
    run(TrainConfig(**cfg, out=str(out)), log=lambda line: None)
    state = json.loads((out / "progress.json").read_text())
    state["config"]["ddp"] = True
    model_file = out / "checkpoint-1.safetensors"
    model_file.write_bytes((out / "model.safetensors").read_bytes())
    state.update(status="interrupted", next=1, checkpoint=model_file.name,
                 records=state["records"][:1], histories=state["histories"][:1])
    (out / "progress.json").write_text(json.dumps(state))
    assert main(["train", "--resume", str(out), "--no-progress"]) == 0
    assert json.loads((out / "metrics.json").read_text())["status"] == "completed"
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        os.environ.pop(name, None)
    line = _error(capsys, ["--resume", str(out), "--ddp"])
    assert "torchrun" in line or "already completed" in line


def test_labels_far_from_unit_scale_are_rescaled_and_reported(tmp_path):
    """Labels of size 1e-5 are fitted as labels of order 1 (see tests/cli/test_label_scale.py),
    and the run log says so; metrics.json records the map."""
    lines = []
    metrics = run(TrainConfig(function="1e-5*exp(sin(pi*x)+y**2)", grids=[3], steps=1,
                              train_num=40, test_num=20, progress=False, symbolic=False,
                              out=str(tmp_path / "r")), log=lines.append)
    assert any("rescaled" in line and "scale 1e-05" in line for line in lines)
    assert metrics["label_scale"] == {"shift": [0.0], "scale": 1e-05}
    plain = run(TrainConfig(grids=[3], steps=1, train_num=40, test_num=20, progress=False,
                            symbolic=False, out=str(tmp_path / "p")), log=lines.append)
    assert plain["label_scale"] == {"shift": [0.0], "scale": 1.0}


def test_a_stop_that_is_not_reached_becomes_a_hard_stop(tmp_path):
    """SIGTERM during one endless step: after GRACE_S the process ends with the signal."""
    script = ("import os, signal, time\n"
              "from kanlab.cli._train_job import _StopRequest\n"
              "_StopRequest.GRACE_S = 1.0\n"
              "with _StopRequest() as stop:\n"
              "    os.kill(os.getpid(), signal.SIGTERM)\n"
              "    time.sleep(3000)  # a step that never reaches the callback\n"
              "print('absorbed')\n")
    start = time.perf_counter()
    # a process that waited for the step would run into the timeout (a loaded machine can
    # take a minute to import torch, so no tighter bound)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == -signal.SIGTERM and "absorbed" not in proc.stdout
    assert time.perf_counter() - start < 600

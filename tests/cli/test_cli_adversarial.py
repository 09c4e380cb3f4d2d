"""`kanlab train` against a second adversarial pass: paths, limits, damaged run directories."""
import json
import os
from dataclasses import asdict

import pytest

from kanlab.cli._run_dir import HISTORY, PROGRESS, truncate_history
from kanlab.cli._train_job import TrainConfig
from _support import SMALL_RUN as SMALL, cli_error as _error


@pytest.mark.parametrize("args, message", [
    (["--out", ""], "not a directory name"), (["--out", "a\0b"], "not a directory name"),
    (["--grid", "100000"], "grid update"), (["--ddp-timeout", "1e300"], "--ddp-timeout"),
    (["--ddp-timeout", "1e-300"], "--ddp-timeout"),
    (["--ranges", "1000000000,1000000001", "--dtype", "float32", "--function", "x"], "too narrow"),
    (["--ranges", "1000000000,1000000100", "--dtype", "float32", "--function", "x-1000000000"],
     "too narrow"),
])
def test_more_bad_options_are_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = [] if "--out" in args else ["--out", str(tmp_path / "r")]
    line = _error(capsys, [*SMALL, *args, *out])
    assert message in line
    assert not (tmp_path / PROGRESS).exists()


def _stopped_run(out, **config):
    """A run directory stopped before its first stage ended (no checkpoint yet)."""
    out.mkdir()
    cfg = asdict(TrainConfig(n_var=2, width=[2, 5, 1], grids=[3, 4], steps=2, train_num=40,
                             test_num=20, out=str(out))) | config
    state = {"config": cfg, "next": 0, "steps_done": 0, "records": [], "histories": [],
             "checkpoint": None, "history_rows": 0, "status": "interrupted"}
    (out / PROGRESS).write_text(json.dumps(state))
    return out


@pytest.mark.parametrize("config, message", [
    ({"width": [2, 10 ** 6, 1]}, "--width"), ({"grids": [3, 10 ** 9]}, "spline coefficients"),
    ({"function": "x+exp(10**25000)"}, "not a finite"), ({"steps": 10 ** 12}, "--steps"),
    ({"function": "__import__('os').system('true')"}, "unsupported"), ({"lr": "nan"}, "lr"),
    ({"train_num": 10 ** 9}, "--train-num"), ({"tensorboard": "yes"}, "tensorboard"),
    ({"refine_steps": 0}, "refine_steps"), ({"edge_th": float("nan")}, "edge_th"),
])
def test_resume_checks_stored_options_as_the_command_line_does(tmp_path, capsys, config,
                                                                message):
    """An edited progress.json cannot bring options the command line refuses."""
    out = _stopped_run(tmp_path / "r", **config)
    line = _error(capsys, ["--resume", str(out), "--no-progress"])
    assert "cannot resume" in line and message in line


@pytest.mark.parametrize("name, kind", [(PROGRESS, "fifo"), (PROGRESS, "dir"), (HISTORY, "fifo"),
                                        (HISTORY, "dir"), (HISTORY, "zero"), ("run.lock", "dir"),
                                        ("run.lock", "fifo")])
def test_run_dir_files_that_are_not_regular_are_refused_without_blocking(tmp_path, capsys,
                                                                          name, kind):
    out = _stopped_run(tmp_path / "r")
    if name == PROGRESS:
        os.unlink(out / PROGRESS)
    {"fifo": os.mkfifo, "dir": os.mkdir,
     "zero": lambda p: os.symlink("/dev/zero", p)}[kind](out / name)
    line = _error(capsys, ["--resume", str(out), "--no-progress"])
    assert name in line


def test_a_lock_that_is_a_symlink_never_touches_its_target(tmp_path, capsys):
    out = _stopped_run(tmp_path / "r")
    (tmp_path / "precious").write_text("my data")
    os.symlink(tmp_path / "precious", out / "run.lock")
    line = _error(capsys, ["--resume", str(out), "--no-progress"])
    assert "run.lock" in line
    assert (tmp_path / "precious").read_text() == "my data"


def test_damaged_histories_and_binary_history_rows(tmp_path, capsys):
    """Histories of the wrong shape are refused; a binary history.csv is cut without decoding."""
    out = _stopped_run(tmp_path / "r")
    state = json.loads((out / PROGRESS).read_text())
    (out / PROGRESS).write_text(json.dumps(state | {"histories": [[3, {"train_loss": "x"}]]}))
    assert "histories" in _error(capsys, ["--resume", str(out), "--no-progress"])
    (out / HISTORY).write_bytes(b"step,rmse\n" + b"\xff\xfe\n" * 3)
    truncate_history(out, 1)
    assert (out / HISTORY).read_bytes() == b"step,rmse\n\xff\xfe\n"


def test_overwrite_of_unremovable_run_files_is_one_line(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "metrics.json").write_text("{}")  # a finished run
    (out / HISTORY).mkdir()
    line = _error(capsys, [*SMALL, "--out", str(out), "--overwrite"])
    assert "cannot remove the old run's files" in line

"""Run logging: history.csv rows from fit callbacks, crash safety, TensorBoard events."""
import os
import subprocess
import sys

import pytest
import torch

import kanlab
from kanlab.io._run_log import (COLUMNS, CSVLogger, RunLog, TensorBoardLogger, check_tensorboard,
                            read_history)


def _row(i: int) -> dict:
    return {"global_step": i, "stage": 0, "grid": 3, "step": i, "train_rmse": 1.0 / 3 ** i,
            "test_rmse": float("nan") if i == 2 else 0.1 * i, "reg": 0.0,
            "grid_update": i == 1, "wall_time": 0.5 * i}


def test_rows_follow_the_fit_history(tmp_path, seed_data):
    """One row per evaluated step; global steps continue over stages; values read back exactly."""
    path = tmp_path / "history.csv"
    model = kanlab.KAN([2, 3, 1], grid=3, seed=0, dtype=torch.float64)
    histories = []
    with RunLog([CSVLogger(path)]) as run_log:
        for stage, (grid, eval_every) in enumerate([(3, 1), (6, 2)]):
            if stage:
                model = model.refine(grid)
            cfg = kanlab.FitConfig(steps=5, eval_every=eval_every, grid_update_num=2,
                                   stop_grid_update_step=4, progress=False,
                                   callback=run_log.fit_callback(stage, grid))
            histories.append(kanlab.fit(model, seed_data, cfg))
    table = read_history(path)
    first, second = histories
    assert table["step"] == first.step + second.step == [1, 2, 3, 4, 5, 2, 4, 5]
    assert table["global_step"] == [1, 2, 3, 4, 5, 7, 9, 10]
    assert table["stage"] == [0] * 5 + [1] * 3 and table["grid"] == [3] * 5 + [6] * 3
    assert table["train_rmse"] == first.train_rmse + second.train_rmse  # exact round trip
    assert table["test_rmse"] == first.test_rmse + second.test_rmse
    assert table["reg"] == first.reg + second.reg
    # grid updates before the 1st and 3rd step of each stage; in stage 1 only steps
    # 2, 4, 5 are evaluated, so each update is flagged on the next row
    assert first.grid_update_steps == [0, 2] == second.grid_update_steps
    assert table["grid_update"] == [1, 0, 1, 0, 0, 1, 1, 0]
    assert all(b >= a >= 0 for a, b in zip(table["wall_time"], table["wall_time"][1:]))


def test_csv_round_trip_and_errors(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("old contents\n")
    log = CSVLogger(path)
    assert path.read_text() == ",".join(COLUMNS) + "\n"  # an old file is replaced
    for i in range(1, 4):
        log.log(_row(i))
    with pytest.raises(ValueError, match="reg"):
        log.log({k: v for k, v in _row(4).items() if k != "reg"})
    log.close()
    log.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        log.log(_row(5))
    table = read_history(path)
    assert table["train_rmse"] == [1 / 3, 1 / 9, 1 / 27]
    assert table["test_rmse"][0] == 0.1 and table["test_rmse"][1] != table["test_rmse"][1]
    assert table["grid_update"] == [1, 0, 0]
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="history.csv"):
        read_history(tmp_path / "other.csv")


def test_torn_last_line_is_dropped(tmp_path):
    path = tmp_path / "history.csv"
    with RunLog([CSVLogger(path)]) as run_log:
        run_log.log(_row(1))
    with open(path, "a") as handle:  # what a power cut mid-write could leave
        handle.write("2,0,3,2,0.11")
    assert read_history(path)["global_step"] == [1]


def test_killed_process_leaves_whole_rows(tmp_path):
    """Rows are on disk as soon as they are logged: SIGKILL without close loses none."""
    path = tmp_path / "history.csv"
    script = (
        "import os, signal, sys\n"
        "from kanlab.io._run_log import CSVLogger\n"
        "log = CSVLogger(sys.argv[1])\n"
        "for i in range(1, 51):\n"
        "    log.log({'global_step': i, 'stage': 0, 'grid': 3, 'step': i, 'train_rmse': i / 7,\n"
        "             'test_rmse': 0.5, 'reg': 0.0, 'grid_update': 0, 'wall_time': 0.0})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    result = subprocess.run([sys.executable, "-c", script, str(path)], timeout=60)
    assert result.returncode != 0  # it really was killed
    table = read_history(path)
    assert table["global_step"] == list(range(1, 51))
    assert table["train_rmse"] == [i / 7 for i in range(1, 51)]


def test_close_closes_every_logger_even_if_one_fails():
    closed = []

    class Failing:
        def log(self, row): pass
        def close(self): raise OSError("disk gone")

    class Good:
        def log(self, row): pass
        def close(self): closed.append(True)

    with pytest.raises(OSError, match="disk gone"):
        RunLog([Failing(), Good()]).close()
    assert closed == [True]


def test_tensorboard_events(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    logger = TensorBoardLogger(tmp_path / "tb")
    for i in (1, 2, 3):
        logger.log(_row(i))
    logger.close()
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    assert {"rmse/train", "rmse/test", "reg", "grid"} <= set(events.Tags()["scalars"])
    train = events.Scalars("rmse/train")
    assert [e.step for e in train] == [1, 2, 3]
    assert [e.value for e in train] == pytest.approx([1 / 3, 1 / 9, 1 / 27], rel=1e-6)


def test_missing_tensorboard_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import now fails
    with pytest.raises(ImportError, match="pip install"):
        check_tensorboard()
    with pytest.raises(ImportError, match="tensorboard"):
        TensorBoardLogger(tmp_path / "tb")
    from kanlab.cli import main
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--tensorboard", "--out", str(tmp_path / "run"), "--steps", "1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "--tensorboard" in err[-1] and "pip install" in err[-1]


def test_train_job_writes_history_and_tensorboard(tmp_path):
    """`run` writes history.csv (one row per step, both stages) and, when asked, TensorBoard."""
    tensorboard = True
    try:
        check_tensorboard()
    except ImportError:
        tensorboard = False
    from kanlab.cli._train_job import TrainConfig, run
    out = tmp_path / "run"
    metrics = run(TrainConfig(grids=[3, 5], steps=2, train_num=60, test_num=30, out=str(out),
                              progress=False, tensorboard=tensorboard, symbolic=False),
                  log=lambda line: None)
    table = read_history(out / "history.csv")
    assert table["grid"] == [3, 3, 5, 5] and table["global_step"] == [1, 2, 3, 4]
    assert table["test_rmse"][-1] == pytest.approx(metrics["final"]["test_rmse"], rel=1e-12)
    assert metrics["files"]["history"] == str(out / "history.csv")
    if tensorboard:
        assert any(name.startswith("events.") for name in os.listdir(out / "tensorboard"))

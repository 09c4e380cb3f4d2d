"""``kanlab train --device``: the whole run (training, grid extension, pruning, the symbolic
stage, plots, checkpoints) on a device, checked on CPU with the emulated accelerator
(``tests/_device_guard.py``); a run started on a device resumes, and its model loads, on a
machine without one.  The paths only a real GPU can check run when CUDA is there."""
import json

import pytest
import torch

import kanlab
from kanlab.cli import _train_job
from kanlab.cli._main import main
from kanlab.cli._train_job import TrainConfig, run

from _device_guard import DEVICE, assert_on_device, is_device, on_device
from _support import SMALL_RUN, cli_error

EMULATED = "cpu:0"  # the emulated accelerator's name (tests/_device_guard.py: DEVICE)
SMALL = dict(grids=[3, 4], steps=2, train_num=40, test_num=20, progress=False)


def _fits_on_device(monkeypatch):
    """Wrap the job's ``fit``: every training stage must see model and data on the device."""
    seen, real = [], _train_job.fit

    def checked(model, dataset, config):
        assert_on_device([model, dataset])
        seen.append(model.grid)
        return real(model, dataset, config)

    monkeypatch.setattr(_train_job, "fit", checked)
    return seen


@pytest.mark.parametrize("symbolic, dtype", [(True, "float64"), (False, "float32")])
def test_train_job_runs_every_stage_on_the_device(tmp_path, monkeypatch, symbolic, dtype):
    """Sparse stage, prune, refine, the symbolic stage's constant fits: all on the device;
    figures, metrics and the checkpoint are written, and the checkpoint loads on the host."""
    assert torch.device(EMULATED) == DEVICE
    seen = _fits_on_device(monkeypatch)
    out = tmp_path / "r"
    with on_device():
        metrics = run(TrainConfig(**SMALL, symbolic=symbolic, dtype=dtype, device=EMULATED,
                                  out=str(out)), log=lambda line: None)
    assert metrics["status"] == "completed" and len(seen) >= 2
    assert metrics["config"]["device"] == EMULATED
    for name in ("network", "bspline", "compare", "results", "checkpoint"):
        assert (out / metrics["files"][name].split("/")[-1]).is_file(), name
    model = kanlab.load(out / "model.safetensors")  # no map_location: a CPU-only machine
    assert not any(is_device(p) for p in model.parameters())
    x = torch.zeros(3, 2, dtype=model.dtype)
    assert torch.isfinite(model(x)).all()


def test_a_run_stopped_on_the_device_resumes_on_the_cpu(tmp_path, monkeypatch):
    """progress.json's checkpoint, written from the device, is read on the CPU and the run
    finishes there: the device is an option of the command, not of the stored run."""
    real_fit = _train_job._fit

    def stop_in_second_stage(model, dataset, cfg_, lamb, steps, stop, update_grid=True):
        if model.grid == 4:
            stop.signal = 15
        return real_fit(model, dataset, cfg_, lamb, steps, stop, update_grid)

    monkeypatch.setattr(_train_job, "_fit", stop_in_second_stage)
    out = tmp_path / "r"
    with on_device():
        stopped = run(TrainConfig(**SMALL, symbolic=False, device=EMULATED, out=str(out)),
                      log=lambda line: None)
    assert stopped["status"] == "interrupted"
    state = json.loads((out / "progress.json").read_text())
    assert state["checkpoint"] and state["config"]["device"] == EMULATED
    monkeypatch.undo()
    assert main(["train", "--resume", str(out), "--no-progress"]) == 0  # here: the CPU
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["config"]["device"] == "cpu"
    assert metrics["final"]["grid"] == 4 and metrics["final"]["test_rmse"] < 1.0


def test_device_option_reaches_the_run(tmp_path, monkeypatch):
    """``--device`` on the command line becomes the job's device (auto: the CPU here)."""
    seen = []
    monkeypatch.setattr(_train_job, "_locked_run",
                        lambda cfg, log, resume, device, main: seen.append(device) or None)
    for option, expected in (("cpu", "cpu"), ("auto", "cuda" if torch.cuda.is_available()
                                              else "cpu")):
        out = tmp_path / option
        main(["train", *SMALL_RUN, "--device", option, "--out", str(out)])
        assert seen[-1] == torch.device(expected)


@pytest.mark.parametrize("args, message", [
    (["--device", "nonsense"], "is not a device"),
    (["--device", "cuda:7"] if torch.cuda.is_available() else ["--device", "cuda"],
     "--device"),
    (["--device", "cpu:0", "--ddp"], "--ddp"),
])
def test_bad_device_is_one_line_before_any_work(tmp_path, capsys, args, message):
    if "--ddp" in args:
        pytest.importorskip("torch.distributed")
    line = cli_error(capsys, [*args, "--out", str(tmp_path / "r")])
    assert message in line and line.startswith("kanlab")
    assert not (tmp_path / "r" / "progress.json").exists()


def test_data_runs_refuse_a_device_and_nccl(tmp_path, capsys):
    """kanlab.discover runs on the CPU: ``--data`` with a GPU device or with NCCL is one line."""
    data = tmp_path / "d.csv"
    data.write_text("a,b\n" + "\n".join(f"{i},{2 * i}" for i in range(30)) + "\n")
    for extra, message in ((["--device", "cpu:0"], "--data"),
                           (["--ddp", "--ddp-backend", "nccl"], "gloo")):
        with pytest.raises(SystemExit) as info:
            main(["train", "--data", str(data), "--target", "b", *extra, "--out",
                  str(tmp_path / "r"), "--no-progress"])
        assert info.value.code == 2
        assert message in capsys.readouterr().err


def test_ddp_data_ranks_use_gloo(monkeypatch):
    """``--ddp --data`` trains kanlab.discover's CPU models: its process group is gloo even
    where ``auto`` would pick NCCL (a GPU machine), whose collectives take only GPU tensors."""
    import argparse

    from kanlab.cli._data_ddp import run_data_ddp
    from kanlab.train import _distributed

    class Joined(Exception):
        pass

    def process_group(backend, timeout):
        raise Joined(backend)

    monkeypatch.setattr(_distributed, "process_group", process_group)
    args = argparse.Namespace(ddp_backend="auto", ddp_timeout=60.0)
    with pytest.raises(Joined, match="gloo"):
        run_data_ddp(None, args, None)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_train_on_cuda_and_load_on_cpu(tmp_path):
    """On a GPU: ``kanlab train --device cuda`` runs, its checkpoint loads on the CPU."""
    out = tmp_path / "r"
    assert main(["train", *SMALL_RUN, "--device", "cuda", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["config"]["device"] == "cuda"
    model = kanlab.load(out / "model.safetensors", map_location="cpu")
    assert model.device.type == "cpu"

"""Data-parallel fit on two CPU processes (gloo over loopback) against a single-process fit.

The two ranks are started by running this file as a script with the env
vars torchrun would set; they write their final state to ``rank<r>.pt``.
"""
import math
import os
import shutil
import socket
import subprocess
import sys

import pytest
import torch

import kanlab
from kanlab.train import _distributed as distributed

WORLD = 2


def _target(x):
    return torch.exp(torch.sin(math.pi * x[:, [0]]) + x[:, [1]] ** 2)


def _data():
    return kanlab.create_dataset(_target, 2, train_num=101, test_num=53, seed=1,
                                 dtype=torch.float64)


# Fits run by both the ranks and the single-process reference: full-batch
# L-BFGS with both penalties, and minibatch Adam with a batch that does not
# split evenly; grid updates on in both.  L-BFGS runs only 3 steps (60
# iterations): a sharded sum rounds differently, and on this problem even a
# one-process fit amplifies a 1e-15 change of the initial coefficients to
# 7e-9 after 3 steps but to 2e-2 after 6, so longer runs cannot be compared.
CONFIGS = {
    "lbfgs": dict(opt="LBFGS", steps=3, lamb=1e-3, lamb_smooth=1e-4, grid_update_num=3,
                  stop_grid_update_step=3, progress=False),
    "adam": dict(opt="Adam", lr=1e-2, steps=8, batch=37, grid_update_num=2,
                 stop_grid_update_step=8, seed=3, progress=False),
}


def _run_fits(distributed_: bool) -> dict:
    results = {}
    for name, options in CONFIGS.items():
        # rank 1 starts from another seed: the fit must broadcast rank 0's model
        seed = 0 if not distributed_ else distributed.rank()
        model = kanlab.KAN([2, 3, 1], grid=4, k=3, seed=seed, dtype=torch.float64)
        history = kanlab.fit(model, _data(), kanlab.FitConfig(distributed=distributed_, **options))
        results[name] = {
            "params": {n: p.detach().clone() for n, p in model.named_parameters()},
            "buffers": {n: b.clone() for n, b in model.named_buffers()},
            "history": history.to_dict(),
        }
    return results


def _worker(out_dir: str) -> None:
    torch.set_num_threads(1)
    device = distributed.init("gloo")
    assert device == torch.device("cpu")
    results = _run_fits(True)
    other = _data()
    if distributed.rank() == 1:  # a different dataset on one rank must be refused on all
        other["train_input"] = other["train_input"] + 1e-3
    try:
        kanlab.fit(kanlab.KAN([2, 3, 1], grid=4, dtype=torch.float64), other,
                   kanlab.FitConfig(steps=1, distributed=True, progress=False))
        results["mismatch_error"] = None
    except ValueError as err:
        results["mismatch_error"] = str(err)
    torch.save(results, os.path.join(out_dir, f"rank{distributed.rank()}.pt"))
    distributed.teardown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()),
               WORLD_SIZE=str(WORLD), OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, __file__, str(out)],
                              env=env | {"RANK": str(r), "LOCAL_RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r in range(WORLD)]
    logs = [p.communicate(timeout=120)[0] for p in procs]
    for p, log in zip(procs, logs):
        assert p.returncode == 0, log
    return [torch.load(out / f"rank{r}.pt") for r in range(WORLD)]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_ranks_end_bit_identical(rank_results, name):
    """Both ranks hold bit-identical parameters and buffers (knots, span tables) at the end."""
    a, b = (r[name] for r in rank_results)
    assert a["history"]["grid_update_steps"], "the fit should have updated the grid"
    for kind in ("params", "buffers"):
        assert a[kind].keys() == b[kind].keys()
        for key in a[kind]:
            assert torch.equal(a[kind][key], b[kind][key]), f"{kind} {key} differ between ranks"
    assert a["history"]["train_rmse"] == b["history"]["train_rmse"]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_matches_single_process(rank_results, name):
    """The two-rank fit equals a one-process fit on the same data within 1e-6 (float64)."""
    torch.set_num_threads(1)
    single = _run_fits(False)[name]
    ranked = rank_results[0][name]
    assert ranked["history"]["grid_update_steps"] == single["history"]["grid_update_steps"]
    for kind in ("params", "buffers"):
        for key, ref in single[kind].items():
            torch.testing.assert_close(ranked[kind][key], ref, rtol=0, atol=1e-6)
    for key in ("train_rmse", "test_rmse", "reg"):
        assert ranked["history"][key] == pytest.approx(single["history"][key], rel=1e-6, abs=1e-12)


def test_different_datasets_are_refused_on_every_rank(rank_results):
    for r in rank_results:
        assert r["mismatch_error"] is not None and "train_input" in r["mismatch_error"]


def test_shard_rows_partition_the_rows():
    t = torch.arange(7.0)[:, None]
    blocks = [distributed.shard_rows(t, r, 3) for r in range(3)]
    assert [b.shape[0] for b in blocks] == [3, 2, 2]
    assert torch.equal(torch.cat(blocks), t)
    assert distributed.shard_rows(torch.arange(1.0), 1, 2).shape == (0,)
    with pytest.raises(ValueError, match="rank"):
        distributed.shard_rows(t, 3, 3)


def test_errors_outside_a_process_group(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="torchrun"):
        distributed.init("gloo")
    with pytest.raises(ValueError, match="backend"):
        distributed.choose_backend("mpi")
    model = kanlab.KAN([2, 1], grid=3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="process group"):
        kanlab.fit(model, _data(), kanlab.FitConfig(steps=1, distributed=True, progress=False))
    with pytest.raises(TypeError, match="distributed"):
        kanlab.FitConfig(distributed="yes")
    assert (distributed.rank(), distributed.world_size(), distributed.is_main()) == (0, 1, True)


def test_cli_ddp_outside_torchrun_is_a_one_line_error(monkeypatch, tmp_path, capsys):
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    from kanlab.cli import main
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--ddp", "--steps", "1", "--out", str(tmp_path / "run")])
    assert exit_info.value.code == 2
    assert "torchrun" in capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("torchrun") is None and not os.path.exists(
    os.path.join(os.path.dirname(sys.executable), "torchrun")), reason="torchrun not installed")
def test_torchrun_train_writes_one_run_directory(tmp_path):
    """`torchrun --nproc_per_node=2 -m kanlab train --ddp` writes the run directory once."""
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    out = tmp_path / "run"
    result = subprocess.run(
        [torchrun if os.path.exists(torchrun) else "torchrun", "--nproc_per_node=2",
         f"--master_port={_free_port()}", "-m", "kanlab", "train", "--ddp", "--steps", "3",
         "--grid", "3,5", "--train-num", "100", "--test-num", "50", "--no-progress", "--no-symbolic",
         "--out", str(out)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("metrics.json") == 1  # only rank 0 reports
    names = sorted(p.name for p in out.iterdir())
    assert [n for n in names if n.startswith(".")] == []  # no temp files left behind
    assert {"metrics.json", "model.safetensors", "history.csv", "results.png"} <= set(names)
    lines = (out / "history.csv").read_text().splitlines()
    assert len(lines) == 1 + 2 * 3  # header, 3 steps on each of two grids, written once


if __name__ == "__main__":
    _worker(sys.argv[1])

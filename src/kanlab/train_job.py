"""The main job behind ``kanlab train``: fit a formula with a grid-extension schedule.

``run(TrainConfig(...))`` trains ``KAN(width, grid=grids[0])``, then refines
to every further grid of the schedule and trains again, and writes into the
run directory: ``network.png``, ``bspline_visualization.png``,
``compare.png``, ``results.png``, ``metrics.json``, ``model.safetensors`` and
``history.csv`` (one row per step, written as training goes; see
:mod:`kanlab.run_log`), plus ``tensorboard/`` with ``tensorboard=True``.
With ``ddp=True`` (under ``torchrun``) every rank trains its share of each
batch and rank 0 alone writes the run directory.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch

from .atomic import atomic_write_text
from .datasets import FUNCTIONS, create_dataset
from .network import KAN
from .training import FitConfig, History, fit

__all__ = ["TrainConfig", "run", "resolve_function"]

DEFAULT_FUNCTION = "exp(sin(pi*x) + y**2)"


@dataclass
class TrainConfig:
    """Everything ``kanlab train`` needs; the CLI fills it from its options."""

    function: str = DEFAULT_FUNCTION  # formula in x, y, z or x1..xn, or a name in datasets.FUNCTIONS
    n_var: int | None = None  # number of inputs; inferred from the formula when None
    ranges: list = field(default_factory=lambda: [-1.0, 1.0])  # (lo, hi) or one pair per input
    width: list[int] | None = None  # hidden sizes included, e.g. [2, 5, 1]; default [n_var, 5, 1]
    grids: list[int] = field(default_factory=lambda: [3, 5, 10, 20])  # grid-extension schedule
    k: int = 3  # spline degree
    steps: int = 200  # optimiser steps per grid
    opt: str = "LBFGS"  # "LBFGS" or "Adam"
    lr: float = 1.0  # learning rate (1.0 for LBFGS, ~1e-2 for Adam)
    lamb: float = 0.0  # sparsity regularisation weight
    lamb_smooth: float = 0.0  # smoothness regularisation weight
    train_num: int = 1000  # training points
    test_num: int = 1000  # test points
    seed: int = 0  # seeds data, initialisation and minibatches
    dtype: str = "float64"  # "float64" or "float32"
    out: str | None = None  # run directory; default runs/<timestamp>
    progress: bool = True  # tqdm progress bars
    tensorboard: bool = False  # also write TensorBoard events to <out>/tensorboard
    ddp: bool = False  # data-parallel over the processes started by torchrun
    ddp_backend: str = "auto"  # "auto" (nccl with GPUs, else gloo), "gloo" or "nccl"


def resolve_function(text: str, n_var: int | None = None):
    """``(callable (N, n) -> (N, 1), variable names, sympy expression)`` for a formula or a name.

    With ``n_var`` larger than the formula needs, the extra inputs are ones
    the function ignores (``x1..xn`` style, or ``x, y, z`` up to three).
    """
    from .expressions import parse_formula, to_torch
    formula = FUNCTIONS[text][0] if text in FUNCTIONS else text
    expr, symbols = parse_formula(formula)
    names = [str(s) for s in symbols]
    if n_var is not None and n_var != len(names):
        if n_var < len(names):
            raise ValueError(f"{n_var} inputs are fewer than the {len(names)} that {formula!r} uses")
        if names and names[0] == "x" and n_var <= 3:
            names = ["x", "y", "z"][:n_var]
        elif not names or names[0] == "x1":
            names = [f"x{i}" for i in range(1, n_var + 1)]
        else:
            raise ValueError(f"{n_var} inputs need names x1..x{n_var}; rewrite the formula so")
        expr, symbols = parse_formula(formula, names)
    return to_torch(expr, symbols), names, expr


def _stage_record(grid: int, history: History) -> dict:
    return {"grid": grid, "steps": history.step[-1] if history.step else 0,
            "train_rmse": history.train_rmse[-1] if history.train_rmse else math.nan,
            "test_rmse": history.test_rmse[-1] if history.test_rmse else math.nan,
            "wall_time": history.wall_time, "status": history.status}


def run(cfg: TrainConfig, log: Callable[[str], None] = print) -> dict | None:
    """Train, write the run directory, return the metrics (also in ``metrics.json``).

    With ``cfg.ddp`` every rank calls ``run``; rank 0 logs, writes and returns
    the metrics, the other ranks return None.
    """
    if not cfg.ddp:
        return _run(cfg, log, None, True)
    from .distributed import is_main, process_group
    with process_group(cfg.ddp_backend) as device:
        return _run(cfg, log if is_main() else (lambda line: None), device, is_main())


def _run(cfg: TrainConfig, log: Callable[[str], None], device, main: bool) -> dict | None:
    start = time.perf_counter()
    f, var_names, expr = resolve_function(cfg.function, cfg.n_var)
    n_var = len(var_names)
    width = cfg.width or [n_var, 5, 1]
    if width[0] != n_var:
        raise ValueError(f"width starts with {width[0]} inputs but the function has {n_var}")
    dtype = {"float64": torch.float64, "float32": torch.float32}[cfg.dtype]
    out = Path(cfg.out or f"runs/{time.strftime('%Y%m%d-%H%M%S')}")
    if main:
        out.mkdir(parents=True, exist_ok=True)

    dataset = create_dataset(f, n_var, cfg.ranges, cfg.train_num, cfg.test_num, cfg.seed, dtype)
    if dataset["train_label"].shape[1] != width[-1]:
        raise ValueError(f"width ends with {width[-1]} outputs but the function has "
                         f"{dataset['train_label'].shape[1]}")
    model = KAN(width, grid=cfg.grids[0], k=cfg.k, seed=cfg.seed, dtype=dtype,
                grid_range=_first_layer_range(cfg.ranges, n_var))
    if device is not None and device.type != "cpu":  # NCCL: train on this rank's GPU
        model, dataset = model.to(device), {key: t.to(device) for key, t in dataset.items()}
    run_log = _open_run_log(out, cfg) if main else None
    stages: list[tuple[int, History]] = []
    for i, grid in enumerate(cfg.grids):
        if i:
            model = model.refine(grid)
        history = fit(model, dataset, FitConfig(opt=cfg.opt, steps=cfg.steps, lr=cfg.lr,
                                                lamb=cfg.lamb, lamb_smooth=cfg.lamb_smooth,
                                                seed=cfg.seed, progress=cfg.progress,
                                                distributed=cfg.ddp, callback=run_log and
                                                run_log.fit_callback(i, grid)))
        stages.append((grid, history))
        record = _stage_record(grid, history)
        log(f"grid {grid:>3}: train RMSE {record['train_rmse']:.3e}  "
            f"test RMSE {record['test_rmse']:.3e}  ({history.wall_time:.1f} s)")
        if history.status != "completed":
            log(f"training stopped at step {history.stopped_at}: the loss became non-finite")
            break
    if run_log is not None:
        run_log.close()
    if not main:
        return None
    if device is not None and device.type != "cpu":  # figures and checkpoint from the CPU
        model, dataset = model.cpu(), {key: t.cpu() for key, t in dataset.items()}

    paths = _write_outputs(out, model, dataset, f, var_names, cfg, stages)
    paths.update(_run_log_paths(out, cfg))
    metrics = {
        "function": str(expr),
        "variables": var_names,
        "final": _stage_record(*stages[-1]),
        "stages": [_stage_record(g, h) for g, h in stages],
        "wall_time": time.perf_counter() - start,
        "config": asdict(cfg) | {"width": width},
        "kanlab_version": _version(),
        "torch_version": torch.__version__,
        "files": {name: str(path) for name, path in paths.items()},
    }
    metrics_path = out / "metrics.json"
    atomic_write_text(metrics_path, json.dumps(metrics, indent=2, default=str) + "\n")
    metrics["files"]["metrics"] = str(metrics_path)
    return metrics


def _run_log_paths(out: Path, cfg: TrainConfig) -> dict:
    return {"history": out / "history.csv"} | ({"tensorboard": out / "tensorboard"}
                                                if cfg.tensorboard else {})


def _open_run_log(out: Path, cfg: TrainConfig):
    """``history.csv`` (and TensorBoard events) for the whole run, see :mod:`kanlab.run_log`."""
    from .run_log import CSVLogger, RunLog, TensorBoardLogger
    paths = _run_log_paths(out, cfg)
    loggers = [CSVLogger(paths["history"])]
    if cfg.tensorboard:
        loggers.append(TensorBoardLogger(paths["tensorboard"]))
    return RunLog(loggers)


def _first_layer_range(ranges, n_var: int):
    r = torch.as_tensor(ranges, dtype=torch.float64)
    return r.tolist() if r.dim() == 2 else [r.tolist()] * n_var


def _version() -> str:
    from . import __version__
    return __version__


def _write_outputs(out: Path, model, dataset, f, var_names, cfg: TrainConfig, stages) -> dict:
    from . import plotting
    paths = {"checkpoint": out / "model.safetensors", "network": out / "network.png",
             "bspline": out / "bspline_visualization.png", "compare": out / "compare.png",
             "results": out / "results.png"}
    model.save(paths["checkpoint"])
    ranges = _first_layer_range(cfg.ranges, len(var_names))
    labels = [f"${v}$" if len(v) == 1 else f"${v[0]}_{{{v[1:]}}}$" for v in var_names]
    plotting.plot_network(model, dataset["train_input"], in_vars=labels, path=paths["network"])
    plotting.plot_bspline_basis(model.layers[0], path=paths["bspline"])
    plotting.plot_compare(model, f, ranges=ranges, var_names=labels, path=paths["compare"])
    plotting.plot_history(stages, path=paths["results"])
    return paths

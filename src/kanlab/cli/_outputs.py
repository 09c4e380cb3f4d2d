"""The outputs of ``kanlab train``: checkpoint, figures and the run log (``history.csv``)."""
from __future__ import annotations

from pathlib import Path

import torch

__all__ = ["write_outputs", "open_run_log", "run_log_paths", "first_layer_range"]


def run_log_paths(out: Path, cfg) -> dict:
    return {"history": out / "history.csv"} | ({"tensorboard": out / "tensorboard"}
                                                if cfg.tensorboard else {})


def open_run_log(out: Path, cfg, append: bool):
    """``history.csv`` (and TensorBoard events) for the whole run, see :mod:`kanlab.io._run_log`."""
    from kanlab.io._run_log import CSVLogger, RunLog, TensorBoardLogger
    paths = run_log_paths(out, cfg)
    loggers = [CSVLogger(paths["history"], append=append)]
    if cfg.tensorboard:
        loggers.append(TensorBoardLogger(paths["tensorboard"]))
    return RunLog(loggers)


def first_layer_range(ranges, n_var: int):
    r = torch.as_tensor(ranges, dtype=torch.float64, device="cpu")
    return r.tolist() if r.dim() == 2 else [r.tolist()] * n_var


def write_outputs(out: Path, model, dataset, f, var_names, cfg, stages) -> dict:
    from kanlab import plotting
    paths = {"checkpoint": out / "model.safetensors", "network": out / "network.png",
             "bspline": out / "bspline_visualization.png", "compare": out / "compare.png",
             "results": out / "results.png"}
    model.save(paths["checkpoint"])
    ranges = first_layer_range(cfg.ranges, len(var_names))
    labels = [f"${v}$" if len(v) == 1 else f"${v[0]}_{{{v[1:]}}}$" for v in var_names]
    plotting.plot_network(model, dataset["train_input"], in_vars=labels, path=paths["network"])
    plotting.plot_edge_in_use(model, dataset["train_input"], in_vars=labels, path=paths["bspline"])
    plotting.plot_compare(model, f, ranges=ranges, var_names=labels, path=paths["compare"])
    if stages:
        plotting.plot_history(stages, path=paths["results"])
    return paths

"""The main job behind ``kanlab train``: fit a formula, prune, refine, read off a formula.

``run(TrainConfig(...))`` follows the KAN paper's recipe as a list of stages
(:func:`plan`):

1. ``sparse``: train ``KAN(width, grid=grids[0])`` with sparsity
   regularisation (``lamb``);
2. ``prune``: drop the hidden nodes and edges that do not matter;
3. one stage per further grid: refine the splines to it and train;
4. ``symbolic``: fix every edge to its best symbolic candidate, train the
   constants, and compose, round and check the formula.

With ``symbolic=False`` it is plain grid extension: one training stage per
grid.  The run directory receives ``network.png``,
``bspline_visualization.png``, ``compare.png``, ``results.png``,
``metrics.json``, ``model.safetensors`` and ``history.csv`` (one row per
step, written as training goes, see :mod:`kanlab.io._run_log`; ``tensorboard/``
too with ``tensorboard=True``); ``progress.json`` records the
finished stages (see :mod:`kanlab.cli._run_dir`), so a run stopped at any
moment continues with ``run(..., resume=True)`` (``kanlab train --resume
DIR``) from the start of the stage it stopped in: SIGINT or SIGTERM finish
the current optimiser step, then write the figures; ``kill -9``, a full disk
or a lost ``--ddp`` rank stop at once.
With ``ddp=True`` (under ``torchrun``) every rank trains its share of each
batch and rank 0 alone writes the run directory; the ranks agree on every
stop, and a rank that stops answering for ``ddp_timeout`` seconds ends the
run with :class:`RankLost` instead of a hang.
"""
from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import torch

from kanlab.cli._run_dir import lock_run_dir, load_progress, release_run_dir, save_progress, \
    truncate_history
from kanlab._version import __version__
from kanlab.cli._outputs import first_layer_range, open_run_log, run_log_paths, write_outputs
from kanlab.cli._stop import StopRequest as _StopRequest
from kanlab.io._atomic import atomic_write_text
from kanlab.train._datasets import FUNCTIONS, create_dataset
from kanlab.nn._network import KAN
from kanlab.train._config import FitConfig
from kanlab.train._fit import fit, rmse
from kanlab.train._history import History
from kanlab.train._label_scale import LabelScale

__all__ = ["TrainConfig", "run", "plan", "resolve_function", "RankLost"]


class RankLost(RuntimeError):
    """A ``--ddp`` rank stopped answering; the run stopped at its last checkpoint."""

DEFAULT_FUNCTION = "exp(sin(pi*x) + y**2)"


@dataclass
class TrainConfig:
    """Everything ``kanlab train`` needs; the CLI fills it from its options."""

    function: str = DEFAULT_FUNCTION  # formula in x, y, z or x1..xn, or a name in datasets.FUNCTIONS
    n_var: int | None = None  # number of inputs; inferred from the formula when None
    ranges: list = field(default_factory=lambda: [-1.0, 1.0])  # (lo, hi) or one pair per input
    width: list | None = None  # e.g. [2, 5, 1] or [3, [1, 1], 1] (mult nodes); default [n_var, 5, 1]
    mult_arity: int = 2  # factors per multiplication node
    grids: list[int] = field(default_factory=lambda: [5, 10, 20])  # grid-extension schedule
    k: int = 3  # spline degree
    basis: str = "bspline"  # edge functions: "bspline", "chebyshev", "fourier" or "rbf"
    steps: int = 50  # optimiser steps of the first training stage (L-BFGS steps of up to 20 iterations)
    # at most this many optimiser steps in each later training stage (after pruning, on a
    # refined grid the splines start close and L-BFGS needs far fewer); None: ``steps``.
    # 10: seeds 0, 1, 2, 3 and 42 give the default run's formula with 5 (measured) as with 50
    refine_steps: int | None = 10
    opt: str = "LBFGS"  # "LBFGS" or "Adam"
    lr: float = 1.0  # learning rate (1.0 for LBFGS, ~1e-2 for Adam)
    lamb: float | None = None  # sparsity weight of the first stage; None: 0.01 if symbolic else 0
    lamb_smooth: float = 0.0  # smoothness regularisation weight
    train_num: int = 1000  # training points
    test_num: int = 1000  # test points
    seed: int = 0  # seeds data, initialisation and minibatches
    dtype: str = "float64"  # "float64" or "float32"
    out: str | None = None  # run directory; default runs/<timestamp>
    progress: bool = True  # tqdm progress bars
    symbolic: bool = True  # sparsity -> prune -> refine -> symbolic formula; False: grid extension
    # prune: hidden nodes scoring at most node_th are removed.  0.05 rather than the API's
    # 1e-2: after 50 sparse steps on the seed function, seeds 0, 1 and 42 keep a second
    # hidden node scoring 0.011-0.039 that only mops up the first node's error
    node_th: float = 0.05
    edge_th: float = 3e-2  # prune: edges scoring at most this are removed
    r2_threshold: float = 0.99  # auto_symbolic: an edge needs this R² to become symbolic
    digits: int = 4  # rounding of the formula's constants
    tensorboard: bool = False  # also write TensorBoard events to <out>/tensorboard
    ddp: bool = False  # data-parallel over the processes started by torchrun
    ddp_backend: str = "auto"  # "auto" (nccl with GPUs, else gloo), "gloo" or "nccl"
    ddp_timeout: float = 300.0  # seconds a rank waits in a collective before the run stops
    # where to train ("cpu", "cuda:0", "auto", ...; not with ddp, whose ranks take their own):
    # the data are drawn and the outputs written on the CPU, so a run is the same data on any
    # device and resumes on any machine
    device: str = "cpu"


def resolve_function(text: str, n_var: int | None = None):
    """``(callable (N, n) -> (N, 1), variable names, sympy expression)`` for a formula or a name.

    With ``n_var`` larger than the formula needs, the extra inputs are ones
    the function ignores (``x1..xn`` style, or ``x, y, z`` up to three).
    """
    from kanlab.symbolic._evaluation import to_torch
    from kanlab.symbolic._expressions import parse_formula
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


def plan(cfg: TrainConfig) -> list[dict]:
    """The stages of a run: ``{"kind": "train" | "prune" | "symbolic", "grid", "lamb", "steps"}``."""
    lamb = cfg.lamb if cfg.lamb is not None else (0.01 if cfg.symbolic else 0.0)
    refine = cfg.steps if cfg.refine_steps is None else min(cfg.steps, cfg.refine_steps)
    first = {"kind": "train", "grid": cfg.grids[0], "lamb": lamb, "steps": cfg.steps}
    if not cfg.symbolic:
        return [first] + [{"kind": "train", "grid": g, "lamb": lamb, "steps": refine}
                          for g in cfg.grids[1:]]
    stages = [first, {"kind": "prune"}]
    stages += [{"kind": "train", "grid": g, "lamb": 0.0, "steps": refine} for g in cfg.grids[1:]]
    return stages + [{"kind": "symbolic"}]


def _stage_record(stage: dict, history: History | None, model) -> dict:
    record = {"stage": stage["kind"], "grid": model.grid, "width": model.width}
    if history is not None:
        record |= {"steps": history.step[-1] if history.step else 0,
                   "train_rmse": history.train_rmse[-1] if history.train_rmse else math.nan,
                   "test_rmse": history.test_rmse[-1] if history.test_rmse else math.nan,
                   "wall_time": history.wall_time, "status": history.status}
    return record



def run(cfg: TrainConfig, log: Callable[[str], None] = print, *,
        resume: bool = False) -> dict | None:
    """Train, write the run directory, return the metrics (also in ``metrics.json``).

    With ``resume=True``, ``cfg.out`` names the directory of an interrupted
    run, whose configuration, checkpoint and finished stages are used.  With
    ``cfg.ddp`` every rank calls ``run``; rank 0 logs, writes and returns the
    metrics, the other ranks return None.
    """
    out = Path(cfg.out or f"runs/{time.strftime('%Y%m%d-%H%M%S')}")
    cfg.out = str(out)
    if not cfg.ddp:
        from kanlab._validation import choose_device
        return _locked_run(cfg, log, resume, choose_device(cfg.device, "device"), True)
    from kanlab.train._distributed import is_main, process_group
    with process_group(cfg.ddp_backend, cfg.ddp_timeout) as device:
        return _locked_run(cfg, log if is_main() else (lambda line: None), resume, device,
                           is_main())


def _locked_run(cfg: TrainConfig, log, resume: bool, device, main: bool) -> dict | None:
    """``_run`` holding the run directory's lock (rank 0 only); see :mod:`kanlab.cli._run_dir`."""
    out = Path(cfg.out)
    if not main:
        return _run(cfg, log, resume, device, main)
    out.mkdir(parents=True, exist_ok=True)
    lock_run_dir(out)
    try:
        return _run(cfg, log, resume, device, main)
    finally:
        release_run_dir(out)


def _run(cfg: TrainConfig, log, resume: bool, device, main: bool) -> dict | None:
    start = time.perf_counter()
    out = Path(cfg.out)
    state = load_progress(out) if resume else None
    if state is not None:  # the stored options; how to run (ddp, progress bars) from this call
        here = {name: getattr(cfg, name) for name in ("progress", "ddp", "ddp_backend",
                                                      "ddp_timeout", "device")}
        cfg = TrainConfig(**{f.name: state["config"][f.name] for f in fields(TrainConfig)
                             if f.name in state["config"]} | {"out": str(out)} | here)
        state["config"].update(here)
    f, var_names, expr = resolve_function(cfg.function, cfg.n_var)
    n_var = len(var_names)
    width = cfg.width or [n_var, 5, 1]
    if width[0] != n_var:
        raise ValueError(f"width starts with {width[0]} inputs but the function has {n_var}")
    dtype = {"float64": torch.float64, "float32": torch.float32}[cfg.dtype]
    stages = plan(cfg)
    if state is None:
        state = {"config": asdict(cfg) | {"width": width}, "next": 0, "steps_done": 0,
                 "records": [], "histories": [], "wall_time": 0.0, "symbolic": None,
                 "checkpoint": None}
        if main:  # resumable from here on: no checkpoint yet means "start from the options"
            save_progress(out, None, state, "running")
    elif main:
        truncate_history(out, state["history_rows"])  # rows of steps past the checkpoint
    dataset = create_dataset(f, n_var, cfg.ranges, cfg.train_num, cfg.test_num, cfg.seed, dtype,
                             device="cpu")
    n_out = width[-1] if isinstance(width[-1], int) else sum(width[-1])
    if dataset["train_label"].shape[1] != n_out:
        raise ValueError(f"width ends with {n_out} outputs but the function has "
                         f"{dataset['train_label'].shape[1]}")
    if state["checkpoint"] is None:
        model = KAN(width, grid=cfg.grids[0], k=cfg.k, seed=cfg.seed, dtype=dtype,
                    grid_range=first_layer_range(cfg.ranges, n_var), mult_arity=cfg.mult_arity,
                    basis=cfg.basis, device="cpu")
    else:  # written from any device; read on the CPU, then moved with the data below
        from kanlab.io._checkpoint import load
        model = load(out / state["checkpoint"], map_location="cpu")
    # a checkpoint from before labels were rescaled (no "label_scale" in progress.json) holds
    # a model of the labels themselves
    old = state["checkpoint"] is not None and "label_scale" not in state
    scale = LabelScale.none(n_out) if old else \
        LabelScale.choose(dataset["train_label"], "round").restricted_to(model)
    state["label_scale"] = scale.to_dict()
    if not scale.identity and not resume:
        log(f"labels rescaled for training to (y - shift) / scale, scale {scale.unit:g}, shift "
            f"{_numbers(scale.shift)} (the labels are far from order one); the model, "
            "formula and RMSEs are in the labels' units")
    if resume:
        where = (f"stage {state['next'] + 1}/{len(stages)} ({stages[state['next']]['kind']}), "
                 f"step {state['steps_done']}" if state["next"] < len(stages)
                 else "its outputs (every stage had finished)")
        log(f"resuming {out} at {where}")
    if device is not None:  # --device, or with NCCL this rank's GPU
        model, dataset = model.to(device), {key: t.to(device) for key, t in dataset.items()}
    model.reference_input = dataset["train_input"]
    histories = [(g, History(**h)) for g, h in state["histories"]]
    run_log = open_run_log(out, cfg, append=resume) if main else None

    try:
        with _StopRequest(cfg.ddp, device) as stop:
            model = _run_stages(model, stages, cfg, scale.rescale(dataset), state, stop,
                                log, var_names, histories, run_log, out, main,
                                (scale, dataset["test_label"]))
            interrupted = stop.signal is not None
    except RuntimeError as err:
        if not cfg.ddp or isinstance(err, RankLost):
            raise
        if main:  # progress.json still names the last checkpoint
            save_progress(out, None, state, "interrupted")
        raise RankLost(f"a --ddp rank stopped answering ({str(err).splitlines()[0][:160]}); "
                       f"the run stopped at stage {state['next'] + 1}/{len(stages)} and its "
                       f"last checkpoint is in {out}: continue with kanlab train --resume "
                       f"{out} (with --ddp under torchrun, or in one process)") from None
    finally:
        if run_log is not None:
            run_log.close()
    if not main:
        return None
    if device is not None:  # figures and checkpoint from the CPU
        model, dataset = model.cpu(), {key: t.cpu() for key, t in dataset.items()}
    if scale.fold_into(model):
        log("an output lost every edge in pruning, so its label shift could not be added back")
    state["wall_time"] += time.perf_counter() - start
    paths = write_outputs(out, model, dataset, f, var_names, cfg, histories)
    paths.update(run_log_paths(out, cfg))
    status = "interrupted" if interrupted else "completed"
    if interrupted:
        log(f"interrupted by signal {stop.signal}: checkpoint and figures written; continue "
            f"with: kanlab train --resume {out}")
    metrics = {
        "function": str(expr),
        "variables": var_names,
        "status": status,
        "final": {"train_rmse": rmse(model, dataset["train_input"], dataset["train_label"]),
                  "test_rmse": rmse(model, dataset["test_input"], dataset["test_label"]),
                  "test_r2": _r2(model, dataset["test_input"], dataset["test_label"]),
                  "grid": model.grid, "width": model.width},
        "stages": state["records"],
        "label_scale": scale.to_dict(),
        **(state["symbolic"] or {}),
        "wall_time": state["wall_time"],
        "config": state["config"],
        "kanlab_version": __version__,
        "torch_version": torch.__version__,
        "files": {name: str(path) for name, path in paths.items()},
    }
    metrics_path = out / "metrics.json"
    atomic_write_text(metrics_path, json.dumps(metrics, indent=2, default=str) + "\n")
    metrics["files"]["metrics"] = str(metrics_path)
    if not interrupted:  # metrics.json first: a stop before this line leaves a resumable run
        state["checkpoint"] = None
    save_progress(out, None, state, status)
    return metrics


def _run_stages(model, stages, cfg, dataset, state, stop, log, var_names, histories, run_log,
                out: Path, main: bool, labels: tuple):
    """Run the stages from ``state["next"]`` until the end, a stop or a non-finite loss.

    After every finished stage the model is checkpointed with the progress; a
    stop inside a stage leaves the progress at that stage's start (the
    resumed run trains the stage again, so the result is the uninterrupted
    one); the figures of the stopped run show the model it stopped with.
    """
    while state["next"] < len(stages) and not stop.agreed():
        stage = stages[state["next"]]
        stop.log_step = run_log and _scaled_rows(run_log.fit_callback(
            state["next"], stage.get("grid", model.grid)), labels[0])
        before = copy.deepcopy(model) if stage["kind"] == "symbolic" else None
        model, history = _run_stage(model, stage, cfg, dataset, state, stop, log, var_names,
                                    labels)
        if history is not None and history.status == "interrupted":
            # progress.json still names the checkpoint this stage started from: the resumed
            # run trains the stage again from there and ends as an uninterrupted run would
            # (continuing mid-stage with a fresh optimiser did not: 19% off in 1 of 50 trials)
            if main:
                save_progress(out, None, state, "interrupted")
            if before is not None:
                state["symbolic"] = None
                return before
            return model
        if history is not None:
            label = model.grid if stage["kind"] == "train" else stage["kind"]
            histories.append((label, history))
            state["histories"].append([label, history.to_dict()])
        state["records"].append(_stage_record(stage, history, model))
        state["next"], state["steps_done"] = state["next"] + 1, 0
        if main:
            save_progress(out, model, state, "running", str(state["next"]))
        if history is not None and history.status == "nonfinite":
            log(f"training stopped at step {history.stopped_at}: the loss became non-finite")
            break
    return model


def _run_stage(model, stage, cfg, dataset, state, stop, log, var_names, labels):
    """Run one stage; returns the (possibly new) model and the stage's History (or None).

    ``dataset`` holds the standardised labels; ``labels`` is ``(LabelScale, test
    labels in the user's units)``, and the History returned is in the user's units.
    """
    if stage["kind"] == "prune":
        before = model.width
        model = model.prune(node_th=cfg.node_th, edge_th=cfg.edge_th)
        log(f"prune: width {before} -> {model.width}")
        return model, None
    if stage["kind"] == "train":
        if model.grid != stage["grid"]:
            model = model.refine(stage["grid"])
        steps = stage.get("steps", cfg.steps)  # (a run saved before stages had steps: cfg's)
        history = labels[0].history(_fit(model, dataset, cfg, stage["lamb"],
                                         steps - state["steps_done"], stop))
        _log_fit(log, f"grid {stage['grid']:>3}" + (" sparse" if stage["lamb"] else ""), history)
        return model, history
    from kanlab.cli._symbolic_stage import symbolic_stage
    model, history = symbolic_stage(model, cfg, dataset, state, log, var_names,
                                    lambda m, steps: _fit(m, dataset, cfg, 0.0, steps, stop, False),
                                    labels)
    return model, None if history is None else labels[0].history(history)


def _fit(model, dataset, cfg, lamb, steps, stop, update_grid: bool = True) -> History:
    config = FitConfig(opt=cfg.opt, steps=max(steps, 0), lr=cfg.lr, lamb=lamb,
                       lamb_smooth=cfg.lamb_smooth, seed=cfg.seed, progress=cfg.progress,
                       update_grid=update_grid, callback=stop.callback, distributed=cfg.ddp)
    history = fit(model, dataset, config)
    model.reference_input = dataset["train_input"]
    return history


def _scaled_rows(callback, scale):
    """The run log's per-step callback, given RMSEs in the labels' units."""
    return lambda step, model, history: callback(step, model, scale.history(history))


def _r2(model, x, y) -> float:
    """Coefficient of determination of ``model`` on ``(x, y)`` (all outputs pooled)."""
    sse = rmse(model, x, y) ** 2
    sst = float(((y - y.mean(0)) ** 2).mean())
    return 1.0 - sse / sst if sst > 0 else (1.0 if sse == 0 else -math.inf)


def _numbers(values) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _log_fit(log, name: str, history: History) -> None:
    if history.test_rmse:
        log(f"{name}: train RMSE {history.train_rmse[-1]:.3e}  test RMSE "
            f"{history.test_rmse[-1]:.3e}  ({history.wall_time:.1f} s)")

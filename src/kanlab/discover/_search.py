"""One restart of the search: a KAN of one width and seed, in one space, read off as formulas.

:func:`run_trial` is what each worker process runs (torch on one thread):
sparse training on the standardised training rows, pruning, a finer grid,
then every remaining edge fixed to its best library candidate, the
constants trained, and the formula expressed in the original columns (see
:meth:`kanlab.discover._scaling.Space.to_original`).  The constants are
refitted later, on the raw rows, by :mod:`kanlab.discover._constants`.
"""
from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["Trial", "run_trial", "run_trials", "validation_rmse"]


@dataclass(frozen=True)
class Trial:
    space: str  # "raw" or "log"
    width: tuple  # hidden layers and output, after the inputs: (1,), (1, 1), (2, 1), ...
    seed: int = 0
    grids: tuple = (5, 10)
    steps: int = 30
    lamb: float = 0.01
    symbolic: bool = True  # False: the spline model only, no formula read off

    @property
    def label(self) -> str:
        """How the trial is named in the Pareto table and the metrics."""
        return f"KAN {self.space} {list(self.width)} seed {self.seed}"


def _dataset(space, X_tr, y_tr, X_va, y_va, torch):
    t = lambda a: torch.as_tensor(a, dtype=torch.float64, device="cpu")  # noqa: E731
    keep_tr, keep_va = space.usable(y_tr), space.usable(y_va)
    X_tr, y_tr, X_va, y_va = X_tr[keep_tr], y_tr[keep_tr], X_va[keep_va], y_va[keep_va]
    return {"train_input": t(space.x(X_tr)), "train_label": t(space.y(y_tr))[:, None],
            "test_input": t(space.x(X_va)), "test_label": t(space.y(y_va))[:, None]}


def run_trial(trial: Trial, data: dict) -> dict:
    """Train one KAN and read it off; returns ``{"trial", "spline", "formulas", "error"}``.

    ``data`` holds ``X_train, y_train, X_val, y_val`` (original units) and
    ``names`` (identifiers).  ``spline`` is ``{"model", "space", "val_rmse"}``
    (validation RMSE in the target's units), ``formulas`` a list of sympy
    expressions in the original columns.
    """
    import torch
    torch.set_num_threads(1)
    from kanlab.discover._scaling import make_space
    out = {"trial": trial, "spline": None, "formulas": [], "error": None}
    space = make_space(trial.space, data["X_train"], data["y_train"])
    if space is None:
        return out
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _train_and_read(trial, space, data, out, torch)
    except Exception as err:  # a failed restart is one candidate fewer, not a failed search
        out["error"] = f"{type(err).__name__}: {err}"
    return out


def _train_and_read(trial, space, data, out, torch) -> None:
    import sympy
    from kanlab.nn._network import KAN
    from kanlab.train._config import FitConfig
    from kanlab.train._fit import fit
    ds = _dataset(space, data["X_train"], data["y_train"], data["X_val"], data["y_val"], torch)
    n = ds["train_input"].shape[1]
    lo = ds["train_input"].min(0).values - 0.01
    hi = ds["train_input"].max(0).values + 0.01
    width = [n, *trial.width]
    model = KAN(width, grid=trial.grids[0], k=3, seed=trial.seed, dtype=torch.float64,
                grid_range=[[float(a), float(b)] for a, b in zip(lo, hi)], device="cpu")
    sparse = trial.lamb if len(trial.width) > 1 else 0.0
    cfg = dict(steps=trial.steps, progress=False, seed=trial.seed)
    fit(model, ds, FitConfig(lamb=sparse, **cfg))
    if len(trial.width) > 1:
        model = model.prune(node_th=0.05, edge_th=0.03, x=ds["train_input"])
    # the spline model is the grid stage that validates best: on few noisy rows a finer grid
    # follows the noise (the formulas are still read off the last stage)
    out["spline"] = _stage(model, space, data, ds["train_input"])
    for g in trial.grids[1:]:
        model = model.refine(g)
        fit(model, ds, FitConfig(**cfg))
        stage = _stage(model, space, data, ds["train_input"])
        if not stage["val_rmse"] > out["spline"]["val_rmse"]:
            out["spline"] = stage
    model.reference_input = ds["train_input"]
    if not trial.symbolic:
        return
    z = [sympy.Symbol(f"_z{i}", real=True) for i in range(n)]
    from kanlab.discover._names import symbols_for
    symbols = symbols_for(data["names"], data["positive"])
    model.auto_symbolic(r2_threshold=0.0, x=ds["train_input"])
    fit(model, ds, FitConfig(steps=max(trial.steps // 2, 5), update_grid=False, progress=False,
                             seed=trial.seed))
    formulas = model.symbolic_formula([z[i] for i in model.input_ids], x=ds["train_input"],
                                      check=False)
    out["formulas"].append(space.to_original(formulas[0], [z[i] for i in model.input_ids],
                                             [symbols[i] for i in model.input_ids]))


def _stage(model, space, data, x) -> dict:
    """A copy of ``model`` as a spline model (``reference_input`` set to ``x``), validated."""
    import torch
    kept = copy.deepcopy(model)
    kept.reference_input = x
    val = validation_rmse(kept, space, data["X_val"], data["y_val"], torch)
    return {"model": kept, "space": space, "val_rmse": val}


def validation_rmse(model, space, X_val, y_val, torch) -> float:
    """The spline model's validation RMSE in the target's units, on every validation row."""
    with torch.no_grad():
        z = torch.as_tensor(space.x(X_val), dtype=torch.float64, device="cpu")
        pred = space.y_back(model(z)[:, 0].numpy())
    value = float(np.sqrt(np.mean((pred - y_val) ** 2)))
    return value if math.isfinite(value) else math.inf


def _init_worker() -> None:
    import torch
    torch.set_num_threads(1)


def run_trials(trials: list[Trial], data: dict, n_jobs: int | None = None) -> list[dict]:
    """Run ``trials`` in parallel processes (``n_jobs``: default every core; 1: in this process)."""
    import os
    n_jobs = n_jobs or os.cpu_count() or 1
    if n_jobs == 1 or len(trials) == 1:
        import torch
        threads = torch.get_num_threads()
        try:
            return [run_trial(t, data) for t in trials]
        finally:
            torch.set_num_threads(threads)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    # fork: workers need no re-import of the caller's script (which may lack a __main__
    # guard); torch resets its thread pools in forked children, which then use one thread
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(trials)), mp_context=ctx,
                             initializer=_init_worker) as pool:
        return list(pool.map(run_trial, trials, [data] * len(trials)))

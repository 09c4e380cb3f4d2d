"""Large tables: the best spline model trained further on every training row, in minibatches.

The search (:mod:`kanlab.discover._search`) works on a seeded subsample of at
most ``MAX_SEARCH_ROWS`` training rows: its networks, grid updates, symbolic
fits and constant refits all see that subsample.  When the table holds more
training rows, :func:`train_on_rows` trains a copy of the search's best
spline model further with Adam on minibatches drawn from *every* training
row (the grid, fitted on the subsample, stays), and :func:`refine_best` keeps
it only if it predicts the validation rows better.  Nothing here holds more
than one minibatch of scaled rows at a time: rows are gathered by index from
the caller's array, scaled, and dropped.

Under ``torch.distributed`` (``kanlab train --ddp --data``) every rank holds
its own shard of the rows and calls :func:`train_on_rows` with it: each step's
gradient is averaged over the ranks' minibatches (one all-reduce per step),
so every rank takes the same step from the same parameters, and validation
errors are summed over the ranks.
"""
from __future__ import annotations

import copy
import math

import numpy as np

__all__ = ["train_on_rows", "refine_best", "sum_squares", "BATCH"]

BATCH = 4096  # rows per minibatch (per rank)
EPOCHS = 2  # passes over the training rows (fewer when MAX_STEPS is reached first)
MAX_STEPS = 2000
CHUNK = 65536  # rows per forward pass when evaluating


def _world():
    from kanlab.train import _distributed as d
    return (d.rank(), d.world_size()) if d.is_initialized() else (0, 1)


def _reduce(values):
    """``values`` (floats) summed over the ranks (unchanged in one process)."""
    import torch
    t = torch.tensor(values, dtype=torch.float64, device="cpu")  # gloo: the CPU
    if _world()[1] > 1:
        from kanlab.train._distributed import all_reduce_sum
        t = all_reduce_sum(t)
    return t.tolist()


def predict_rows(model, space, X, rows=None) -> np.ndarray:
    """The spline model's predictions (target units) on ``X[rows]``, ``CHUNK`` rows at a time."""
    import torch
    rows = np.arange(len(X)) if rows is None else np.asarray(rows)
    ids = getattr(model, "input_ids", None)
    out = np.empty(len(rows))
    with torch.no_grad():
        for s in range(0, len(rows), CHUNK):
            z = torch.as_tensor(space.x(X[rows[s:s + CHUNK]]), dtype=torch.float64,
                                device="cpu")
            out[s:s + CHUNK] = model(z if ids is None else z[:, ids])[:, 0].numpy()
    return space.y_back(out)


def sum_squares(model, space, X, y, rows=None) -> tuple[float, int]:
    """``(Σ (prediction − y)², count)`` over ``rows`` of this rank (see :func:`_reduce`)."""
    rows = np.arange(len(y)) if rows is None else np.asarray(rows)
    err = predict_rows(model, space, X, rows) - y[rows]
    return float(np.sum(err * err)), len(rows)


def train_on_rows(model, space, X, y, rows, *, seed: int = 0, batch: int = BATCH,
                  epochs: int = EPOCHS, max_steps: int = MAX_STEPS, lr: float = 1e-3,
                  progress: bool = False):
    """Train ``model`` (in place) with Adam on minibatches of ``X[rows]``, ``y[rows]``.

    ``space`` scales the rows as the model was trained (rows the space cannot
    fit, e.g. the minority sign in log space, are skipped).  Under
    ``torch.distributed`` every rank passes its own rows and the same number
    of steps is taken everywhere (the largest shard sets it).  ``progress``
    shows a tqdm bar on stderr (rank 0 only).  Returns the number of steps.
    """
    import torch
    rank, world = _world()
    rows = np.asarray(rows)
    rows = rows[space.usable(y[rows])]
    counts = _reduce([float(len(rows)) if r == rank else 0.0 for r in range(world)])
    n_steps = min(max_steps, max(1, math.ceil(epochs * max(counts) / batch)))
    if len(rows) == 0:  # still takes part in every all-reduce, with a zero gradient
        rows = None
    rng = np.random.default_rng([seed, rank])
    ids = getattr(model, "input_ids", None)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    from tqdm.auto import tqdm
    bar = tqdm(range(n_steps), disable=not progress or rank != 0, desc="all rows (Adam)",
               leave=False)
    for _ in bar:
        opt.zero_grad(set_to_none=False)
        if rows is not None:
            pick = rows[rng.integers(0, len(rows), min(batch, len(rows)))]
            z = torch.as_tensor(space.x(X[pick]), dtype=torch.float64, device="cpu")
            t = torch.as_tensor(space.y(y[pick]), dtype=torch.float64, device="cpu")
            loss = torch.mean((model(z if ids is None else z[:, ids])[:, 0] - t) ** 2)
            loss.backward()
            bar.set_postfix(loss=f"{float(loss.detach()):.2e}", refresh=False)
        if world > 1:
            _average_grads(model, world)
        opt.step()
    bar.close()
    return n_steps


def _average_grads(model, world: int) -> None:
    import torch
    from kanlab.train._distributed import all_reduce_sum
    params = [p for p in model.parameters() if p.requires_grad]
    flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                      for p in params])
    flat = all_reduce_sum(flat) / world
    offset = 0
    for p in params:
        n = p.numel()
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        p.grad.copy_(flat[offset:offset + n].view_as(p))
        offset += n


def refine(spline: dict, X, y, train_rows, val_rows, *, seed: int = 0,
           progress: bool = False, log=None) -> dict | None:
    """A copy of ``spline["model"]`` trained on every training row, or None when it is not better.

    Better means a lower validation RMSE over ``val_rows`` (of every rank).
    The returned dict has ``model``, ``space``, ``val_rmse_all`` (on those
    rows) and ``steps``.
    """
    log = log or (lambda line: None)
    space = spline["space"]
    model = copy.deepcopy(spline["model"])
    before = _reduce(list(sum_squares(spline["model"], space, X, y, val_rows)))
    n_total = int(_reduce([float(len(train_rows))])[0])
    log(f"large table: the best spline model is trained further on all {n_total} training rows "
        f"(Adam, minibatches of {BATCH})")
    steps = train_on_rows(model, space, X, y, train_rows, seed=seed, progress=progress)
    after = _reduce(list(sum_squares(model, space, X, y, val_rows)))
    rmse_before = math.sqrt(before[0] / max(before[1], 1))
    rmse_after = math.sqrt(after[0] / max(after[1], 1))
    if not math.isfinite(rmse_after) or rmse_after >= rmse_before:
        log(f"  kept the search's model (validation RMSE {rmse_before:.3e}; "
            f"after {steps} steps {rmse_after:.3e})")
        return None
    log(f"  validation RMSE {rmse_before:.3e} -> {rmse_after:.3e} ({steps} steps)")
    return {"model": model, "space": space, "val_rmse_all": rmse_after, "steps": steps}


def refine_best(splines: list, X, y, train_rows, val_rows, data: dict, *, seed: int = 0,
                progress: bool = False, log=None) -> list:
    """``splines`` with the best one's all-rows refinement appended when it validates better.

    Its ``val_rmse`` is measured on ``data["X_val"]`` (the rows the formulas
    are compared on), so the spline models and formulas stay comparable.
    """
    if not splines:
        return splines
    best = min(splines, key=lambda s: s["val_rmse"])
    new = refine(best, X, y, train_rows, val_rows, seed=seed, progress=progress, log=log)
    if new is None:
        return splines
    ss, n = sum_squares(new["model"], new["space"], data["X_val"], data["y_val"])
    return [*splines, {"model": new["model"], "space": new["space"],
                       "val_rmse": math.sqrt(ss / max(n, 1)), "trial": best["trial"],
                       "all_rows": True}]

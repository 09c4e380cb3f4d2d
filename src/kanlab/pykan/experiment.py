"""``kan.experiment``: pykan's train–prune–refine sweep ``runner1`` and ``pareto_frontier``.

``runner1`` follows pykan's loop: ``prune_round`` times train (``fit`` with ``lamb``) and
prune, then refine to each of ``grids[:refine_round]`` in turn and train again, recording
the test loss, the edge count and the grid after every step; each prune round after the
first starts again from the previous round's pruned model.  pykan finds that model by
rewinding its auto-saved checkpoints by version number; here it is kept in memory, so the
models are built with ``auto_save=False`` and nothing is written to disk.  The ``'id'``
entries are the models' own ``round.state_id``; pykan's come from its rewinds (each
starting a new round), so they differ from pykan's.
"""
from __future__ import annotations

import importlib

import numpy as np

# the module (the package's ``MultKAN`` is the class, as pykan's)
_multkan = importlib.import_module("kanlab.pykan.MultKAN")

# pykan's module does ``from .MultKAN import *``: those names, read through by __getattr__
__all__ = ["runner1", "pareto_frontier", *_multkan.__all__]


def __getattr__(name: str):
    if name in _multkan.__all__:
        return getattr(_multkan, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def runner1(width, dataset, grids=(5, 10, 20), steps=20, lamb=0.001, prune_round=3,
            refine_round=3, edge_th=1e-2, node_th=1e-2, metrics=None, seed=1):
    """Returns ``{'test_loss', 'c', 'G', 'id', <metric names>}``, each a numpy array with
    one entry per recorded step (``prune_round · (1 + refine_round)`` of them)."""
    from kanlab.pykan._model import KAN
    if len(grids) < refine_round:
        raise ValueError(f"grids needs at least refine_round={refine_round} entries, got "
                         f"{list(grids)}")
    metrics = list(metrics or [])
    result = {"test_loss": [], "c": [], "G": [], "id": []}
    result.update({m.__name__: [] for m in metrics})

    def collect(model):
        evaluation = model.evaluate(dataset)
        result["test_loss"].append(evaluation["test_loss"])
        result["c"].append(evaluation["n_edge"])
        result["G"].append(evaluation["n_grid"])
        result["id"].append(f"{model.round}.{model.state_id}")
        for m in metrics:
            result[m.__name__].append(float(m(model, dataset)))

    pruned = None
    for _ in range(prune_round):
        model = (KAN(width=width, grid=grids[0], seed=seed, auto_save=False) if pruned is None
                 else pruned.copy())
        model.fit(dataset, steps=steps, lamb=lamb)
        model = model.prune(edge_th=edge_th, node_th=node_th)
        pruned = model.copy()
        collect(model)
        for j in range(refine_round):
            model = model.refine(grids[j])
            model.fit(dataset, steps=steps)
            collect(model)
    return {key: np.array(value) for key, value in result.items()}


def pareto_frontier(x, y):
    """The points of ``(x, y)`` (1-D arrays) that no other point matches or beats in both
    (lower is better): ``(x_pf, y_pf, pf_id)``."""
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D arrays of one length, got shapes {x.shape} "
                         f"and {y.shape}")
    dominated_or_equal = (x[:, None] <= x[None, :]) & (y[:, None] <= y[None, :])  # (i, j): i ≤ j
    pf_id = np.where(dominated_or_equal.sum(axis=0) == 1)[0]
    return x[pf_id], y[pf_id], pf_id

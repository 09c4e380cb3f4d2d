"""pykan 0.2.8's ``fit`` loop over a subclass's own hooks.

kanlab.pykan's :func:`~kanlab.pykan._fit.fit` trains the network this model *is* (its
``layers``) with kanlab's engine.  A subclass that overrides ``get_params`` trains other
parameters: pykan's tutorial autoencoder (``tutorials/Extension_2_autoencoder`` of July 2024,
later ``kan/models.py``) subclasses ``KAN(width=[1, 1])`` only to borrow ``fit``, holds an
encoder and a decoder, and overrides ``forward``, ``get_params``, ``get_reg``, ``update_grid``,
``attribute`` and ``disable_symbolic_in_fit``.  pykan's ``fit`` calls exactly those hooks, so
such a model trains there; the engine would look at the unused ``[1, 1]`` network.  This is
pykan's loop on the hooks:

* the optimiser (pykan's L-BFGS: history 10, strong Wolfe, tolerances 1e-32; or Adam) on
  ``get_params()``;
* the objective ``loss_fn(forward(x, singularity_avoiding=, y_th=), y)`` plus, while
  ``save_act`` is on, ``lamb · get_reg(reg_metric, lamb_l1, lamb_entropy, lamb_coef,
  lamb_coefdiff)`` (after ``attribute()`` / ``node_attribute()`` for the backward metrics);
* ``update_grid(x)`` every ``stop_grid_update_step // grid_update_num`` steps before
  ``stop_grid_update_step``;
* ``disable_symbolic_in_fit(lamb)`` before, ``save_act`` back on for the last step, the
  symbolic switch restored after, ``log_history('fit')``.

Batches are drawn from a local generator (pykan draws from numpy's global one); the
recorded training loss is evaluated after the step.
"""
from __future__ import annotations

import sys

import numpy as np
import torch

from kanlab.pykan._lbfgs import LBFGS
from kanlab.pykan._loop_step import take_step

__all__ = ["fit_on_hooks", "overrides_params"]


def overrides_params(model, base: type) -> bool:
    """True when ``model``'s class trains parameters of its own (overrides ``get_params``)."""
    return type(model).get_params is not base.get_params


def _mse(pred, y):
    return torch.mean((pred - y) ** 2)


def fit_on_hooks(model, dataset, *, opt="LBFGS", steps=100, log=1, lamb=0.0, lamb_l1=1.0,
                 lamb_entropy=2.0, lamb_coef=0.0, lamb_coefdiff=0.0, update_grid=True,
                 grid_update_num=10, loss_fn=None, lr=1.0, start_grid_update_step=-1,
                 stop_grid_update_step=50, batch=-1, metrics=None, singularity_avoiding=False,
                 y_th=1000.0, reg_metric="edge_forward_spline_n", display_metrics=None,
                 **ignored) -> dict:
    if opt not in ("LBFGS", "Adam"):
        raise ValueError(f"opt must be 'LBFGS' or 'Adam', got {opt!r}")
    if ignored.get("pred_fn") is not None:
        raise ValueError("pred_fn is kanlab's hook into its own fit; a subclass that overrides "
                         "get_params trains through its own forward: leave pred_fn out")
    steps = int(steps)
    loss_fn = loss_fn or _mse
    old_save_act, old_symbolic = model.disable_symbolic_in_fit(lamb)
    params = list(model.get_params())
    if opt == "LBFGS":
        optimizer = LBFGS(params, lr=lr, history_size=10, line_search_fn="strong_wolfe",
                          tolerance_grad=1e-32, tolerance_change=1e-32, tolerance_ys=1e-32)
    else:
        optimizer = torch.optim.Adam(params, lr=lr)
    x_tr, y_tr = dataset["train_input"], dataset["train_label"]
    x_te, y_te = dataset["test_input"], dataset["test_label"]
    n_tr, n_te = x_tr.shape[0], x_te.shape[0]
    size, size_te = (n_tr, n_te) if batch == -1 or batch > n_tr else (batch, batch)
    gen = np.random.default_rng(0)
    every = max(int(stop_grid_update_step / grid_update_num), 1)
    results = {"train_loss": [], "test_loss": [], "reg": []}
    for m in metrics or ():
        results[m.__name__] = []
    names = list(display_metrics or ["train_loss", "test_loss", "reg"])
    state = {}

    def objective(idx):
        pred = model.forward(x_tr[idx], singularity_avoiding=singularity_avoiding, y_th=y_th)
        data = loss_fn(pred, y_tr[idx])
        if model.save_act:
            if reg_metric == "edge_backward":
                model.attribute()
            if reg_metric == "node_backward":
                model.node_attribute()
            reg = model.get_reg(reg_metric, lamb_l1, lamb_entropy, lamb_coef, lamb_coefdiff)
        else:
            reg = torch.zeros((), device=data.device)
        state["reg"] = torch.as_tensor(reg).detach()
        return data + lamb * reg

    from tqdm.auto import tqdm
    bar = tqdm(range(steps), desc="description", ncols=100, file=sys.stderr)
    try:
        for step in bar:
            if step == steps - 1 and old_save_act:
                model.save_act = True
            idx = gen.choice(n_tr, size, replace=False)
            idx_te = gen.choice(n_te, size_te, replace=False)
            if (update_grid and step % every == 0 and step < stop_grid_update_step
                    and step >= start_grid_update_step):
                model.update_grid(x_tr[idx])
            take_step(optimizer, opt, objective, idx)
            with torch.no_grad():  # at the step's point (pykan keeps the closure's last
                # evaluation, which can be a rejected trial point of the line search)
                train = loss_fn(model.forward(x_tr[idx]), y_tr[idx])
                test = loss_fn(model.forward(x_te[idx_te]), y_te[idx_te])
            for fn in metrics or ():
                value = fn()
                results[fn.__name__].append(value.item() if torch.is_tensor(value) else value)
            results["train_loss"].append(np.asarray(float(torch.sqrt(train))))
            results["test_loss"].append(np.asarray(float(torch.sqrt(test))))
            results["reg"].append(np.asarray(float(state["reg"])))
            if log and step % int(log) == 0:
                bar.set_description("| " + " | ".join(
                    f"{n}: {float(results[n][-1]):.2e}" for n in names if n in results) + " |")
    finally:
        bar.close()
        if old_symbolic is not None:  # the tutorial's override returns (None, None)
            model.symbolic_enabled = old_symbolic
    model.log_history("fit")
    return results

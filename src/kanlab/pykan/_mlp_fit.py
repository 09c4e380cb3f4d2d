"""``kan.MLP.fit``: pykan's training loop for its MLP baseline.

One optimiser step per step (pykan's L-BFGS with a strong-Wolfe line search and
history 10, or Adam), on the whole training set or a random ``batch`` of it;
the objective is ``loss_fn + lamb · reg(reg_metric, lamb_l1, lamb_entropy)``.
After every step the square roots of the training and test losses, the
penalty and each ``metrics`` function's value are appended to pykan's dict of
lists; a progress bar shows ``display_metrics`` every ``log`` steps (pykan's
side effect, only in this module).  Batches are drawn from a generator seeded
by the model's seed-free default, so the global random state is not touched.
"""
from __future__ import annotations

import numpy as np
import torch

from kanlab.pykan._lbfgs import LBFGS
from kanlab.pykan._loop_step import take_step

__all__ = ["fit_mlp"]


def _mse(pred, y):
    return torch.mean((pred - y) ** 2)


def fit_mlp(model, dataset, *, opt, steps, log, lamb, lamb_l1, lamb_entropy, loss_fn, lr, batch,
            metrics, reg_metric, display_metrics, stream) -> dict:
    if opt not in ("LBFGS", "Adam"):
        raise ValueError(f"opt must be 'LBFGS' or 'Adam', got {opt!r}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    model._metric_values(reg_metric) if reg_metric != "fa" else None  # validates the name
    loss_fn = loss_fn or _mse
    params = list(model.parameters())
    if opt == "LBFGS":
        optimizer = LBFGS(params, lr=lr, history_size=10, line_search_fn="strong_wolfe",
                          tolerance_grad=1e-32, tolerance_change=1e-32)
    else:
        optimizer = torch.optim.Adam(params, lr=lr)
    x_tr, y_tr = dataset["train_input"], dataset["train_label"]
    x_te, y_te = dataset["test_input"], dataset["test_label"]
    n_tr, n_te = x_tr.shape[0], x_te.shape[0]
    full = batch == -1 or batch >= n_tr
    gen = torch.Generator().manual_seed(0)
    results = {"train_loss": [], "test_loss": [], "reg": []}
    for m in metrics or ():
        results[m.__name__] = []
    names = list(display_metrics or ["train_loss", "test_loss", "reg"])
    for n in names:
        if n not in results:
            raise ValueError(f"display_metrics: {n!r} is not one of {sorted(results)}")
    keep = model.save_act
    model.save_act = keep and lamb > 0
    state = {}

    def objective(idx):
        pred = model(x_tr if idx is None else x_tr[idx])
        data = loss_fn(pred, y_tr if idx is None else y_tr[idx])
        reg = (model.reg(reg_metric, lamb_l1, lamb_entropy) if model.save_act
               else torch.zeros((), device=data.device))
        state["train"], state["reg"] = data.detach(), reg.detach()
        return data + lamb * reg

    from tqdm.auto import tqdm
    bar = tqdm(range(steps), desc="description", ncols=100, file=stream)
    try:
        for step in bar:
            idx = None if full else torch.randperm(n_tr, generator=gen, device="cpu")[:batch]
            take_step(optimizer, opt, objective, idx)
            with torch.no_grad():
                t_idx = (None if full or batch >= n_te
                         else torch.randperm(n_te, generator=gen, device="cpu")[:batch])
                test = loss_fn(model(x_te if t_idx is None else x_te[t_idx]),
                               y_te if t_idx is None else y_te[t_idx])
            results["train_loss"].append(np.asarray(float(torch.sqrt(state["train"]))))
            results["test_loss"].append(np.asarray(float(torch.sqrt(test))))
            results["reg"].append(np.asarray(float(state["reg"])))
            for fn in metrics or ():
                value = fn()
                results[fn.__name__].append(float(value) if torch.is_tensor(value) else value)
            if log and step % log == 0:
                bar.set_description(" ".join(f"{n}: {float(results[n][-1]):.2e} |" for n in names))
    finally:
        bar.close()
        model.save_act = keep
    return results

"""pykan's ``KAN.fit`` on :func:`kanlab.train.fit`.

The arguments are translated to a :class:`kanlab.train.FitConfig`; what kanlab's
loss has no field for (``lamb_coef``, ``lamb_coefdiff``) is added to the data
loss through ``FitConfig.loss_fn``.  Every step runs (pykan's indexing of the
returned lists by step relies on it) and after every step the losses and the
``metrics`` are recorded in pykan's dict of lists; ``train_loss`` and
``test_loss`` are ``sqrt(loss_fn)`` on the full sets (the RMSE for the
default MSE), as in pykan.  A progress bar on stderr shows ``display_metrics``
every ``log`` steps (pykan's side effect, only in this module).
"""
from __future__ import annotations

import contextlib
import os
import sys

import numpy as np
import torch

from kanlab.nn import KAN as NativeKAN
from kanlab.pykan import _fit_settings as settings
from kanlab.pykan._continuation import (DEFAULT_CONTINUATION, UNPLACED_CONTINUATION, chooses,
                                        grids_placed, record_choice)
from kanlab.pykan._far_samples import continue_far_samples
from kanlab.pykan._input_ids import own_columns_of_dataset
from kanlab.pykan._model import KAN
from kanlab.train import FitConfig
from kanlab.train import fit as _fit
from kanlab.train._objective import with_autograd_if_needed

__all__ = ["fit", "avoid_singularities"]


def _coef_penalty(model, lamb_coef: float, lamb_coefdiff: float):
    """pykan's coefficient terms: per layer, the mean over output nodes of ``|coef|`` (and of
    ``|Δcoef|`` along the basis), summed over inputs and basis functions.  The mean runs over
    outputs only, so a layer's term grows with its inputs and its grid as pykan's does (Example_12
    trains ``[6, 1, 1]`` with ``lamb_coef=1``)."""
    total = 0.0
    for layer in model.layers:
        coef = layer.coef * layer.mask.unsqueeze(-1)  # (out, in, basis); pruned edges count 0
        if lamb_coef:
            total = total + lamb_coef * coef.abs().mean(0).sum()
        if lamb_coefdiff:
            total = total + lamb_coefdiff * coef.diff(dim=-1).abs().mean(0).sum()
    return total


def _with_coef_penalty(model, data_loss, lamb: float, lamb_coef: float, lamb_coefdiff: float):
    """``data_loss`` plus ``lamb`` times pykan's coefficient terms (:func:`_coef_penalty`)."""
    def penalised(pred, y):
        return data_loss(pred, y) + lamb * _coef_penalty(model, lamb_coef, lamb_coefdiff)
    return penalised


@contextlib.contextmanager
def avoid_singularities(model, y_th: float | None):
    """pykan's ``singularity_avoiding``: symbolic edges cap ``|f|`` at ``y_th`` inside the block
    (see :mod:`kanlab.nn._symbolic_edges`); ``None`` leaves them exact."""
    before = [getattr(s, "y_th", None) for s in model.symbolic]
    for s in model.symbolic:
        s.y_th = y_th
    try:
        yield
    finally:
        for s, v in zip(model.symbolic, before):
            s.y_th = v


@torch.no_grad()
def _pred_and_reg(model, x, lamb_l1: float, lamb_entropy: float, metric: str):
    """The model's output on ``x`` (None when a hidden layer overflowed) and pykan's displayed
    ``reg``: the sparsity penalty without ``lamb``, every step (nan on an overflow)."""
    from kanlab.train._fit import penalties
    try:
        pred, reg = penalties(model, x, FitConfig(lamb=1.0, lamb_l1=lamb_l1,
                                                  lamb_entropy=lamb_entropy, reg_metric=metric))
    except ValueError:  # NonFiniteError: a hidden layer overflowed on these parameters
        return None, float("nan")
    return pred, float(reg)


def _library_forward(model) -> bool:
    """Whether ``model(x)`` is kanlab's own forward pass (not a subclass's)."""
    return getattr(type(model), "forward", None) in (KAN.forward, NativeKAN.forward)


def _through_pred_fn(model, dataset, pred_fn, data_loss, extra, batch):
    """pykan's ``pred_fn(model, x)``: the loss compares ``pred_fn``'s output, not ``model(x)``,
    with the labels (e.g. a normalised gradient against a flow field).  kanlab's fit hands the
    loss the model's output, so the inputs are found from the labels it comes with."""
    if not callable(pred_fn):
        raise TypeError(f"pred_fn must be a callable (model, x) -> prediction, got {pred_fn!r}")
    if int(batch) != -1:
        raise ValueError("pred_fn needs batch=-1 (the whole training set every step)")
    pairs = [(dataset[f"{p}_input"], dataset[f"{p}_label"]) for p in ("train", "test")]

    def inputs_of(y):  # in y's dtype: fit trains in float64 after a float32 stall
        for x, labels in pairs:
            if y is labels or (y.shape == labels.shape and torch.equal(y, labels.to(y.dtype))):
                return x.to(y.dtype)
        raise ValueError("pred_fn: the loss got labels that are neither the training nor the "
                         "test labels (pred_fn needs batch=-1)")

    def through(pred, y, _loss=data_loss):
        return _loss(pred_fn(model, inputs_of(y)), y)

    if extra is None:
        return through, through
    return through, lambda pred, y: through(pred, y) + extra()


def _as_model_dtype(model, dataset: dict) -> dict:
    """Floating inputs and labels in the model's dtype: pykan's notebooks build datasets from
    numpy's float64 arrays and train float32 models on them."""
    out = dict(dataset)
    for k, v in dataset.items():
        if torch.is_tensor(v) and v.is_floating_point() and v.dtype != model.dtype:
            out[k] = v.to(model.dtype)
    return out


def _labels_as_columns(model, dataset: dict) -> dict:
    """One-output labels given as ``(N,)`` vectors taken as the column ``(N, 1)``.

    pykan's loss broadcast ``(N, 1) - (N,)`` to ``(N, N)`` (every prediction against every
    label); the column is what such a label means.  Labels ``(N, N)`` for one output, the
    broadcast already made (pykan 0.1's Example_4 adds an ``(N,)`` noise to ``(N, 1)``
    labels), pair no label with its sample: a ValueError says so.
    """
    if model.n_nodes[-1] != 1:
        return dataset
    out = dict(dataset)
    for part in ("train", "test"):
        x, y = dataset[f"{part}_input"], dataset[f"{part}_label"]
        if not (torch.is_tensor(x) and torch.is_tensor(y) and y.is_floating_point()):
            continue
        n = x.shape[0] if x.dim() else -1
        if y.dim() == 1 and y.shape[0] == n:
            out[f"{part}_label"] = y[:, None]
        elif y.dim() == 2 and y.shape == (n, n) and n > 1:
            raise ValueError(
                f"dataset['{part}_label'] has shape {tuple(y.shape)} for a model with 1 "
                "output: it pairs every sample with N labels (an (N,) array added to an "
                "(N, 1) one broadcasts to (N, N)); give the labels shape (N, 1), e.g. "
                "noise of shape (N, 1)")
    return out


def fit(model, dataset, opt="LBFGS", steps=100, log=1, lamb=0.0, lamb_l1=1.0, lamb_entropy=2.0,
        lamb_coef=0.0, lamb_coefdiff=0.0, update_grid=True, grid_update_num=10, loss_fn=None,
        lr=1.0, start_grid_update_step=-1, stop_grid_update_step=50, batch=-1, metrics=None,
        save_fig=False, in_vars=None, out_vars=None, beta=3, save_fig_freq=1,
        img_folder="./video", singularity_avoiding=False, y_th=1000.0,
        reg_metric="edge_forward_spline_n", display_metrics=None, pred_fn=None) -> dict:
    reg_metric = settings.reg_metric_name(reg_metric)
    steps = int(steps)
    dataset = own_columns_of_dataset(model, _as_model_dtype(model, dataset))  # input_id
    if loss_fn is None and pred_fn is None:  # else the labels are the loss's business
        dataset = _labels_as_columns(model, dataset)
    base_loss = loss_fn
    data_loss = base_loss or (lambda p, y: torch.mean((p - y) ** 2))
    penalised = data_loss
    if lamb > 0 and (lamb_coef > 0 or lamb_coefdiff > 0):
        penalised = _with_coef_penalty(model, data_loss, lamb, lamb_coef, lamb_coefdiff)
    if pred_fn is not None:
        extra = None if penalised is data_loss else (
            lambda: lamb * _coef_penalty(model, lamb_coef, lamb_coefdiff))
        data_loss, penalised = _through_pred_fn(model, dataset, pred_fn, data_loss, extra, batch)
    # class indices (integer labels): the loss gets them as they are, batch by batch; kanlab's
    # fit checks labels of any shape and dtype only when it is handed the loss
    classify = pred_fn is None and not dataset["train_label"].is_floating_point()
    results = {"train_loss": [], "test_loss": [], "reg": []}
    for m in metrics or ():
        results[m.__name__] = []
    names = list(display_metrics or ["train_loss", "test_loss", "reg"])

    from tqdm.auto import tqdm
    bar = tqdm(total=steps, desc="description", ncols=100, file=sys.stderr)
    x_tr, x_te = dataset["train_input"], dataset["test_input"]
    y_tr, y_te = dataset["train_label"], dataset["test_label"]
    if save_fig:
        os.makedirs(img_folder, exist_ok=True)

    def record(step, m, history):
        # the reg's forward pass over the training set gives the training loss too: one pass
        # of the whole set fewer a step (Example_15's record read its 80 000 training rows 3
        # times a step with its metrics, its 20 000 test rows twice: most of the rows a step
        # evaluates; docs/pykan_notebook_runs.md, noextspeed); pred_fn, inputs of another
        # dtype, or a subclass's own forward take m(x)
        pred, reg = _pred_and_reg(m, x_tr, lamb_l1, lamb_entropy, metric)
        if not (pred_fn is None and x_tr.dtype == m.dtype and _library_forward(m)):
            pred = None

        def losses(graph: bool) -> tuple[float, float]:
            # with a graph, a loss that differentiates the prediction takes a fresh one
            p_tr = m(x_tr) if pred is None or graph else pred
            return (float(torch.sqrt(data_loss(p_tr, y_tr).detach())),
                    float(torch.sqrt(data_loss(m(x_te), y_te).detach())))
        if pred_fn is not None:  # it differentiates the model as a rule: autograd on
            tr, te = losses(True)
        else:  # a user's loss_fn may differentiate (a PINN residual through autograd.grad)
            tr, te = with_autograd_if_needed(losses)
        results["train_loss"].append(np.float64(tr))
        results["test_loss"].append(np.float64(te))
        results["reg"].append(np.float64(reg))
        for fn in metrics or ():
            value = fn()
            if torch.is_tensor(value) and value.numel() == 1:  # pykan keeps ``.item()``
                value = value.item()
            results[fn.__name__].append(np.asarray(value.detach().cpu()) if torch.is_tensor(value)
                                        else value)
        if log and step % int(log) == 0:
            parts = [f"{n}: {float(results[n][-1]):.2e}" for n in names if n in results]
            bar.set_description("| " + " | ".join(parts) + " |")
        bar.update(1)
        if save_fig and step % int(save_fig_freq) == 0:
            from kanlab.pykan._plot import plot
            fig = plot(m, folder=img_folder, in_vars=in_vars, out_vars=out_vars,
                       title=f"Step {step}", beta=beta)
            fig.savefig(os.path.join(img_folder, f"{step}.jpg"), bbox_inches="tight", dpi=100)
            import matplotlib.pyplot as plt
            plt.close(fig)
        return False

    metric = settings.NATIVE_METRIC[reg_metric]
    train_lamb = 0.0 if reg_metric == "edge_forward_sum" else float(lamb)
    first_now = (update_grid and steps > 0
                 and int(start_grid_update_step) <= 0 < int(stop_grid_update_step))
    if update_grid and not first_now:  # no update at step 0: the grids are placed now
        grids_placed(model)
    # an update at step 0 is the model's own update_grid (kanlab.pykan._grid_methods): a
    # fresh model's splines are refitted on the continuation it computes with, then placed
    choice = settings.CONTINUATION_CHOICE
    choice = choice if chooses(model, choice) else None
    if choice is not None and first_now:  # before the first update
        continue_far_samples(model, x_tr, UNPLACED_CONTINUATION
                             if getattr(model, "continuation_unplaced", False)
                             else DEFAULT_CONTINUATION)
    cfg = FitConfig(opt=opt, steps=steps, lr=float(lr), lamb=train_lamb, lamb_l1=float(lamb_l1),
                    lamb_entropy=float(lamb_entropy), batch=int(batch),
                    update_grid=bool(update_grid), grid_update_num=int(grid_update_num),
                    start_grid_update_step=int(start_grid_update_step),
                    stop_grid_update_step=int(stop_grid_update_step), eval_every=max(steps, 1),
                    progress=False, callback=record, stop_when_converged=False,
                    grid_max_change=settings.grid_max_change(opt, float(lr)), grid_carry=True,
                    reg_metric=metric,
                    choose_first_grid_update=True,
                    first_grid_update_margin=settings.FIRST_GRID_UPDATE_MARGIN,
                    first_grid_update_skipped=grids_placed,
                    float64_when_stalled=True, float64_min_progress=settings.FLOAT64_MIN_PROGRESS,
                    history_size=settings.lbfgs_history(model, train_lamb),
                    keep_memory_below=settings.KEEP_MEMORY_BELOW,
                    retry_trapped=settings.RETRY_TRAPPED,
                    retry_trapped_above=settings.RETRY_TRAPPED_ABOVE,
                    labels_are_targets=base_loss is None and pred_fn is None and not classify,
                    choose_continuation=choice,
                    choose_continuation_decisive=(settings.CONTINUATION_DECISIVE if choice
                                                  else None),
                    choose_continuation_far=settings.CONTINUATION_FAR if choice else None,
                    loss_fn=penalised if (base_loss is not None or penalised is not data_loss
                                          or classify or pred_fn is not None) else None)
    with avoid_singularities(model, float(y_th) if singularity_avoiding else None):
        try:
            history = _fit(model, dataset, cfg)
        finally:
            bar.close()
    model.reference_input = x_tr
    if cfg.choose_continuation is not None and cfg.update_grid:  # refine: theirs back
        record_choice(model, history.continuation_layers)
    model.log_history("fit")
    return results

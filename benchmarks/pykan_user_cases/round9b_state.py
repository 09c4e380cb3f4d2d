"""A ninth round, ML engineers' code (with ``round9b_nets``, ``round9b_loops``): what training
frameworks do to a module's layers and copies — per-layer learning rates over
``act_fun[l].parameters()``, a layer frozen by ``act_fun[0].requires_grad_(False)``, an EMA
copy through ``torch.optim.swa_utils.AveragedModel``, activation checkpointing, non-contiguous
(transposed) inputs, ``fit``'s history into a ``pandas.DataFrame``, a ``torch.device`` object as
``device=``, ``nn.DataParallel`` on the CPU, ``eval()`` before ``fit`` and per-parameter gradient
norms for logging; an optimiser state resumed from a checkpoint, a float64-trained state served in
float32, an ``nn.ModuleDict`` of KAN heads, and ``fit`` on a frozen model."""

import numpy as np
import torch
from torch import nn

from ._common import case, f2, rmse, small_dataset, small_kan


def _mse_steps(model, ds, opt, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2)
        loss.backward()
        opt.step()
    return loss.item()


@case
def act_fun_param_groups_per_layer_lr(K):
    # a learning rate per layer: Adam([{params: act_fun[0].parameters(), lr}, {act_fun[1]...}])
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K)
    groups = [{"params": [p for p in model.act_fun[l].parameters() if p.requires_grad], "lr": lr}
              for l, lr in ((0, 2e-2), (1, 5e-3))]
    sizes = [sum(p.numel() for p in g["params"]) for g in groups]
    opt = torch.optim.Adam(groups)
    loss = _mse_steps(model, ds, opt, 50)
    return {"group_sizes": sizes, "loss": loss, "test_rmse": rmse(model(ds["test_input"]).detach(), ds["test_label"])}


@case
def act_fun_requires_grad_freeze_layer(K):
    # freeze the first layer through its handle; train the rest; the first layer is unchanged
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K)
    before = model.act_fun[0].coef.detach().clone()
    model.act_fun[0].requires_grad_(False)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    loss = _mse_steps(model, ds, opt, 40)
    after = model.act_fun[0].coef.detach()
    return {"trainable": trainable, "layer0_unchanged": bool(torch.equal(before, after)),
            "layer1_moved": True, "loss": loss}


@case
def averaged_model_ema(K):
    # torch.optim.swa_utils.AveragedModel as an EMA of the weights, evaluated at the end
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2).backward()
        opt.step()
        ema.update_parameters(model)
    with torch.no_grad():
        return {"model_rmse": rmse(model(ds["test_input"]), ds["test_label"]),
                "ema_rmse": rmse(ema(ds["test_input"]), ds["test_label"]),
                "n_averaged": int(ema.n_averaged)}


@case
def activation_checkpoint_forward(K):
    # torch.utils.checkpoint around the KAN inside a bigger forward; gradients as without it
    from torch.utils.checkpoint import checkpoint
    ds = small_dataset(K, f2, n=100)
    model = small_kan(K)
    x, y = ds["train_input"], ds["train_label"]
    loss = torch.mean((checkpoint(model, x, use_reentrant=False) - y) ** 2)
    loss.backward()
    g1 = [p.grad.clone() for p in model.parameters() if p.grad is not None]
    model.zero_grad()
    torch.mean((model(x) - y) ** 2).backward()
    g2 = [p.grad.clone() for p in model.parameters() if p.grad is not None]
    return {"n_grads": len(g1), "grad_gap": max(float((a - b).abs().max()) for a, b in zip(g1, g2))}


@case
def transposed_noncontiguous_inputs_fit(K):
    # features stored as rows (d, N) and passed as X.T: non-contiguous train/test inputs to fit
    rng = np.random.default_rng(0)
    raw = rng.uniform(-1, 1, size=(2, 300)).astype(np.float32)
    X = torch.from_numpy(raw).T
    y = (torch.sin(torch.pi * X[:, 0]) + X[:, 1] ** 2).unsqueeze(1)
    ds = {"train_input": X[:200], "train_label": y[:200], "test_input": X[200:], "test_label": y[200:]}
    model = small_kan(K)
    r = model.fit(ds, opt="LBFGS", steps=8)
    with torch.no_grad():
        gap = rmse(model(X[200:]), model(X[200:].contiguous()))
    return {"contiguous": X.is_contiguous(), "test_loss": float(r["test_loss"][-1]), "gap": gap}


@case
def history_dataframe_and_plot(K):
    # pd.DataFrame(results) for logging, results['train_loss'] on a log plot, saved to png
    import matplotlib.pyplot as plt
    import pandas as pd
    ds = small_dataset(K, f2, n=100)
    model = small_kan(K)
    r = model.fit(ds, opt="Adam", lr=1e-2, steps=20, lamb=1e-3, update_grid=False)
    df = pd.DataFrame(r)
    fig, ax = plt.subplots()
    ax.semilogy(df["train_loss"], label="train")
    ax.semilogy(df["test_loss"], label="test")
    ax.legend()
    fig.savefig("history.png")
    plt.close(fig)
    return {"columns": sorted(df.columns), "rows": len(df), "dtypes": sorted({str(t) for t in df.dtypes}),
            "last_test": float(df["test_loss"].iloc[-1])}


@case
def device_object_and_dataparallel(K):
    # device=torch.device('cpu') in the constructor; nn.DataParallel on a CPU-only machine
    dev = torch.device("cpu")
    model = small_kan(K, device=dev)
    dp = nn.DataParallel(model)
    x = torch.rand(20, 2, device=dev) * 2 - 1
    with torch.no_grad():
        gap = rmse(dp(x), model(x))
    return {"device": str(model.device), "dp_gap": gap, "dp_params": len(list(dp.parameters()))}


@case
def eval_mode_then_fit(K):
    # model.eval() before fit (left from an earlier evaluation); the fit still trains
    ds = small_dataset(K, f2, n=100)
    model = small_kan(K)
    model.eval()
    r = model.fit(ds, opt="LBFGS", steps=5)
    return {"training_after": model.training, "test_loss": float(r["test_loss"][-1]),
            "layers_training": [m.training for m in model.act_fun]}


@case
def grad_norms_by_name_logging(K):
    # after backward, log each named parameter's gradient norm (None for frozen ones)
    ds = small_dataset(K, f2, n=100)
    model = small_kan(K)
    torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2).backward()
    norms = {n.split(".")[-1]: 0.0 for n, _ in model.named_parameters()}
    for n, p in model.named_parameters():
        if p.grad is not None:
            norms[n.split(".")[-1]] += float(p.grad.norm())
    total = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1e9))
    return {"coef": norms.get("coef"), "scale_base": norms.get("scale_base"),
            "scale_sp": norms.get("scale_sp"), "total": total}


@case
def optimizer_state_resume_checkpoint(K):
    # {'model', 'optimizer', 'epoch'} saved mid-training; a fresh model and Adam resume from it
    # and follow the uninterrupted run step for step
    ds = small_dataset(K, f2, n=150)
    model = small_kan(K)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    _mse_steps(model, ds, opt, 20)
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 20}, "ckpt.pt")
    straight = _mse_steps(model, ds, opt, 20)
    ckpt = torch.load("ckpt.pt", weights_only=False)
    fresh = small_kan(K)
    fresh.load_state_dict(ckpt["model"])
    opt2 = torch.optim.Adam(fresh.parameters(), lr=1e-2)
    opt2.load_state_dict(ckpt["optimizer"])
    resumed = _mse_steps(fresh, ds, opt2, 20)
    return {"straight": straight, "resumed": resumed, "gap": abs(straight - resumed)}


@case
def float64_state_into_float32_model(K):
    # trained in float64 (model.double()), its state_dict loaded into a float32 model for serving
    ds = small_dataset(K, f2, n=150)
    model = small_kan(K).double()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    ds64 = {k: v.double() for k, v in ds.items()}
    _mse_steps(model, ds64, opt, 30)
    serve = small_kan(K)
    serve.load_state_dict(model.state_dict())
    with torch.no_grad():
        gap = rmse(serve(ds["test_input"]), model(ds64["test_input"]))
    return {"dtypes": sorted({str(p.dtype) for p in serve.parameters()}), "gap": gap}


@case
def moduledict_multitask_heads(K):
    # a shared Linear trunk, nn.ModuleDict of two KAN heads (regression + classification);
    # the whole net's state_dict into a fresh net
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 3, generator=g) * 2 - 1
    y_reg = torch.sin(2 * x[:, :1]) * x[:, 1:2]
    y_cls = (x[:, 2] > 0).long()

    class MultiTask(nn.Module):
        def __init__(self):
            super().__init__()
            self.trunk = nn.Linear(3, 3)
            self.heads = nn.ModuleDict({"reg": small_kan(K, [3, 3, 1]), "cls": small_kan(K, [3, 3, 2], seed=1)})

        def forward(self, t):
            h = torch.tanh(self.trunk(t))
            return self.heads["reg"](h), self.heads["cls"](h)
    torch.manual_seed(0)
    net = MultiTask()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        r, c = net(x)
        loss = nn.functional.mse_loss(r, y_reg) + nn.functional.cross_entropy(c, y_cls)
        loss.backward()
        opt.step()
    torch.manual_seed(1)
    other = MultiTask()
    other.load_state_dict(net.state_dict())
    with torch.no_grad():
        r1, c1 = net(x)
        r2, c2 = other(x)
    return {"loss": loss.item(), "acc": float((c1.argmax(1) == y_cls).float().mean()),
            "reload_gap": max(rmse(r1, r2), rmse(c1, c2))}


@case
def frozen_model_then_fit(K):
    # a model frozen with requires_grad_(False) for transfer, later handed to model.fit
    ds = small_dataset(K, f2, n=100)
    model = small_kan(K)
    model.requires_grad_(False)
    try:
        r = model.fit(ds, opt="LBFGS", steps=3, update_grid=False)
        return {"fit_ok": True, "test_loss": float(r["test_loss"][-1]),
                "trainable_after": sum(p.requires_grad for p in model.parameters())}
    except Exception as e:
        return {"fit_ok": False, "error": type(e).__name__}

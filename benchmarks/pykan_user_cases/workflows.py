"""Whole workflows from public pykan code: 0.1's ``train`` with metrics, datasets with
per-variable ranges and from pandas tables, the grid-update schedule and ``save_fig``,
a physics-informed loss, a copy of pykan's own ``fit`` loop, grid extension by
``initialize_from_another_model`` and whole-model pickling."""

import os
import pickle
import tempfile

import numpy as np
import torch

from ._common import case, f2, rmse


@case
def old_train_metrics_round(K):
    # pykan 0.1's ``model.train(dataset, ...)`` with a round()-accuracy on a 0/1 float label
    torch.manual_seed(0)
    x = torch.rand(400, 2) * 2 - 1
    y = ((x[:, [0]] ** 2 + x[:, [1]] ** 2) < 0.5).float()
    ds = {"train_input": x[:300], "train_label": y[:300], "test_input": x[300:], "test_label": y[300:]}
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0)

    def train_acc():
        return torch.mean((torch.round(model(ds["train_input"])[:, 0]) == ds["train_label"][:, 0]).float())

    def test_acc():
        return torch.mean((torch.round(model(ds["test_input"])[:, 0]) == ds["test_label"][:, 0]).float())
    r = model.train(ds, opt="LBFGS", steps=20, metrics=(train_acc, test_acc), device="cpu")
    return {"train_acc": float(r["train_acc"][-1]), "test_acc": float(r["test_acc"][-1])}


@case
def create_dataset_per_var_ranges(K):
    f = lambda x: torch.sin(x[:, [0]]) * x[:, [1]]  # noqa: E731
    ds = K.create_dataset(f, n_var=2, ranges=[[-3, 3], [0, 2]], train_num=200, test_num=100, seed=1)
    lo = ds["train_input"].min(0).values.tolist()
    hi = ds["train_input"].max(0).values.tolist()
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, grid_range=[-3, 3])
    r = model.fit(ds, opt="LBFGS", steps=15)
    return {"shapes": [list(ds["train_input"].shape), list(ds["test_label"].shape)],
            "in_range": bool(lo[0] >= -3 and hi[0] <= 3 and lo[1] >= 0 and hi[1] <= 2),
            "test_loss": r["test_loss"][-1]}


@case
def fit_grid_update_schedule(K):
    ds = K.create_dataset(f2, n_var=2, train_num=300, test_num=300, seed=0)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    g0 = model.act_fun[0].grid.clone()
    r1 = model.fit(ds, opt="LBFGS", steps=20, update_grid=True, grid_update_num=4, start_grid_update_step=5,
                   stop_grid_update_step=15)
    g1 = model.act_fun[0].grid.clone()
    r2 = model.fit(ds, opt="Adam", lr=1e-2, steps=30, update_grid=False)
    g2 = model.act_fun[0].grid.clone()
    return {"grid_moved": bool((g1 - g0).abs().max() > 0), "grid_kept": bool(torch.equal(g1, g2)),
            "lbfgs_loss": r1["train_loss"][-1], "adam_loss": r2["train_loss"][-1]}


@case
def fit_save_fig_frames(K):
    ds = K.create_dataset(f2, n_var=2, train_num=200, test_num=200, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    d = os.path.join(tempfile.mkdtemp(), "video")
    r = model.fit(ds, opt="LBFGS", steps=6, save_fig=True, img_folder=d, beta=10, save_fig_freq=2,
                  in_vars=[r"$x$", r"$y$"], out_vars=[r"$f$"])
    import matplotlib.pyplot as plt
    plt.close("all")
    return {"frames": sorted(os.listdir(d)), "loss": r["train_loss"][-1]}


@case
def pandas_lagged_series_from_data(K):
    import pandas as pd
    t = np.arange(600) * 0.05
    s = pd.Series(np.sin(t) + 0.5 * np.sin(3.1 * t), name="y")
    df = pd.concat({f"lag{k}": s.shift(k) for k in (1, 2, 3)} | {"y": s}, axis=1).dropna()
    X = torch.tensor(df[["lag1", "lag2", "lag3"]].values, dtype=torch.float32)
    y = torch.tensor(df[["y"]].values, dtype=torch.float32)
    np.random.seed(0)
    ds = K.create_dataset_from_data(X, y, train_ratio=0.8, device="cpu")
    model = K.KAN(width=[3, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="Adam", lr=1e-2, steps=100, batch=64)
    return {"n_train": int(ds["train_input"].shape[0]), "test_loss": r["test_loss"][-1]}


@case
def pinn_poisson_autograd(K):
    # u'' = -pi^2 sin(pi x) on [-1, 1], u(+-1) = 0; exact u = sin(pi x)
    torch.manual_seed(0)
    model = K.KAN(width=[1, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    xi = torch.linspace(-1, 1, 101)[1:-1].unsqueeze(1)
    xb = torch.tensor([[-1.0], [1.0]])
    opt = torch.optim.LBFGS(model.parameters(), lr=1, history_size=10, line_search_fn="strong_wolfe")

    def loss_fn():
        x = xi.clone().requires_grad_(True)
        u = model(x)
        du = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)[0]
        d2u = torch.autograd.grad(du, x, torch.ones_like(du), create_graph=True)[0]
        res = d2u + torch.pi ** 2 * torch.sin(torch.pi * x)
        return (res ** 2).mean() + 100 * (model(xb) ** 2).mean()

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    for step in range(30):
        if step in (0, 10):
            model.update_grid_from_samples(xi)
        opt.step(closure)
    xt = torch.linspace(-1, 1, 201).unsqueeze(1)
    return {"pde_loss": float(loss_fn()), "u_rmse": rmse(model(xt), torch.sin(torch.pi * xt))}


@case
def copied_fit_loop(K):
    # a user's copy of pykan 0.2's ``fit`` body, calling the model's members directly
    import importlib
    LBFGS = importlib.import_module(K.__name__).LBFGS
    ds = K.create_dataset(f2, n_var=2, train_num=300, test_num=300, seed=0)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    lamb, steps = 1e-3, 20
    old_save_act, old_symbolic_enabled = model.disable_symbolic_in_fit(lamb)
    optimizer = LBFGS(model.get_params(), lr=1., history_size=10, line_search_fn="strong_wolfe",
                      tolerance_grad=1e-32, tolerance_change=1e-32, tolerance_ys=1e-32)
    regs = []

    def closure():
        optimizer.zero_grad()
        pred = model.forward(ds["train_input"], singularity_avoiding=False, y_th=1000.)
        loss = torch.mean((pred - ds["train_label"]) ** 2)
        reg_ = model.get_reg("edge_forward_spline_n", 1., 2., 0., 0.) if model.save_act else torch.tensor(0.)
        obj = loss + lamb * reg_
        obj.backward()
        regs.append(float(reg_))
        return obj
    for step in range(steps):
        if step % 5 == 0 and step < 15:
            model.update_grid(ds["train_input"])
        optimizer.step(closure)
    model.log_history("fit")
    model.symbolic_enabled = old_symbolic_enabled
    model.save_act = old_save_act
    return {"test_rmse": rmse(model(ds["test_input"]), ds["test_label"]), "reg_last": regs[-1]}


@case
def grid_extension_initialize_from(K):
    ds = K.create_dataset(f2, n_var=2, train_num=500, test_num=500, seed=0)
    model = K.KAN(width=[2, 5, 1], grid=3, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=20)
    out = []
    for g in (5, 10):
        new = K.KAN(width=[2, 5, 1], grid=g, k=3, seed=0, auto_save=False)
        new = new.initialize_from_another_model(model, ds["train_input"])
        gap = rmse(new(ds["test_input"]), model(ds["test_input"]))
        r = new.fit(ds, opt="LBFGS", steps=15, stop_grid_update_step=10)
        out.append((round(gap, 5), r["test_loss"][-1]))
        model = new
    return {"gap_then_test": out}


@case
def torch_save_whole_model(K):
    ds = K.create_dataset(f2, n_var=2, train_num=200, test_num=200, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    path = os.path.join(tempfile.mkdtemp(), "model.pt")
    torch.save(model, path)
    back = torch.load(path, weights_only=False)
    clone = pickle.loads(pickle.dumps(model))
    x = ds["test_input"]
    y = model(x)
    load_diff = float((back(x) - y).abs().max())
    r = back.fit(ds, opt="LBFGS", steps=3)
    return {"load_diff": load_diff, "pickle_diff": float((clone(x) - y).abs().max()),
            "refit_loss": r["train_loss"][-1]}


@case
def fit_reg_metrics(K):
    # every reg_metric pykan 0.2.8's fit takes, with lamb > 0
    ds = K.create_dataset(f2, n_var=2, train_num=200, test_num=200, seed=0)
    out = {}
    for metric in ("edge_forward_spline_n", "edge_forward_spline_u", "edge_forward_sum", "edge_backward",
                   "node_backward"):
        model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
        r = model.fit(ds, opt="LBFGS", steps=5, lamb=1e-3, lamb_coef=1e-4, lamb_coefdiff=1e-4, reg_metric=metric)
        out[metric] = [r["train_loss"][-1], r["reg"][-1]]
    return out

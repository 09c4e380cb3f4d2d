"""A fourth round of public pykan code, the training side: the fit's knobs (grid-update
schedules, L-BFGS on mini-batches, ``display_metrics``, a ``fit`` per learning rate), pykan's own
L-BFGS class and spline helpers in user loops, auto-save versions, state dicts across grids,
``torch.compile``, autoregressive roll-outs and a KAN head in a user's module
(``round4_edit`` holds the round's editing side)."""

import os
import tempfile

import numpy as np
import torch

from ._common import case, f2, holdout_rmse, rmse, small_dataset


@case
def lbfgs_fit_minibatch(K):
    # fit(opt="LBFGS", batch=...): each step on a random batch of rows
    ds = small_dataset(K, f2, n=500)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=30, batch=100)
    return {"train_loss": r["train_loss"][-1], "test_loss": r["test_loss"][-1], "n": len(r["train_loss"])}


@case
def grid_update_schedule_late_start(K):
    # the grid updated 3 times between steps 10 and 40 of an Adam fit
    ds = small_dataset(K, f2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="Adam", lr=0.02, steps=60, update_grid=True, grid_update_num=3,
                  start_grid_update_step=10, stop_grid_update_step=40)
    return {"test_loss": r["test_loss"][-1], "grid_lo": round(float(model.act_fun[0].grid[0, 3]), 3)}


@case
def fit_per_learning_rate(K):
    # a fit per learning rate, results concatenated (a manual schedule)
    ds = small_dataset(K, f2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    hist = []
    for lr in (1e-2, 3e-3, 1e-3):
        hist += list(model.fit(ds, opt="Adam", lr=lr, steps=40, update_grid=False)["test_loss"])
    return {"n": len(hist), "first": hist[0], "last": hist[-1]}


@case
def display_metrics_fit(K):
    # display_metrics and a metrics tuple of accuracy functions
    from ._common import acc_fns, moons
    ds = moons()
    model = K.KAN(width=[2, 3, 2], grid=5, k=3, seed=0, auto_save=False)
    tr, te = acc_fns(model, ds)
    r = model.fit(ds, opt="Adam", lr=0.01, steps=60, loss_fn=torch.nn.CrossEntropyLoss(),
                  metrics=(tr, te), display_metrics=["train_loss", "test_acc"])
    return {"keys": sorted(r), "test_acc": float(r["test_acc"][-1])}


@case
def pykan_lbfgs_class_custom_loop(K):
    # pykan's own LBFGS class (kan.LBFGS) in a closure loop, pykan's tolerances
    import importlib
    LBFGS = importlib.import_module(K.__name__ + ".LBFGS").LBFGS
    ds = small_dataset(K, f2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    opt = LBFGS(model.parameters(), lr=1, history_size=10, line_search_fn="strong_wolfe",
                tolerance_grad=1e-32, tolerance_change=1e-32, tolerance_ys=1e-32)

    def closure():
        opt.zero_grad()
        loss = torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2)
        loss.backward()
        return loss
    for _ in range(20):
        opt.step(closure)
    return {"test_rmse": holdout_rmse(model, ds)}


@case
def spline_helpers_direct(K):
    # kan.spline's B_batch / curve2coef / coef2curve on a grid from extend_grid
    import importlib
    sp = importlib.import_module(K.__name__ + ".spline")
    g = torch.linspace(-1, 1, 6)[None, :]
    grid = sp.extend_grid(g, k_extend=3)
    x = torch.linspace(-1, 1, 200)[:, None]
    y = torch.sin(3 * x)[:, :, None]
    coef = sp.curve2coef(x, y, grid, k=3)
    fit = sp.coef2curve(x, grid, coef, k=3)
    return {"B_shape": list(sp.B_batch(x, grid, k=3).shape), "coef_shape": list(coef.shape),
            "fit_rmse": rmse(fit, y)}


@case
def state_dict_across_grids(K):
    # torch.save(state_dict) of a grid-5 model loaded into a grid-10 model (an error), then
    # into a grid-5 one (the same outputs)
    d = tempfile.mkdtemp()
    ds = small_dataset(K, f2)
    a = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    a.fit(ds, opt="LBFGS", steps=5)
    torch.save(a.state_dict(), os.path.join(d, "kan.pth"))
    sd = torch.load(os.path.join(d, "kan.pth"))
    try:
        K.KAN(width=[2, 5, 1], grid=10, k=3, seed=0, auto_save=False).load_state_dict(sd)
        other = "loaded"
    except Exception as e:
        other = type(e).__name__
    b = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=1, auto_save=False)
    b.load_state_dict(sd)
    with torch.no_grad():
        gap = rmse(a(ds["test_input"]), b(ds["test_input"]))
    return {"grid10": other, "same_grid_gap": gap}


@case
def autosave_versions_files(K):
    # auto-save: fit, refine, fit; the version ids of each model and the files written
    d = tempfile.mkdtemp()
    ds = small_dataset(K, f2)
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=1, ckpt_path=d)
    model.fit(ds, opt="LBFGS", steps=3)
    v1 = f"{model.round}.{model.state_id}"
    model = model.refine(6)
    v2 = f"{model.round}.{model.state_id}"
    model.fit(ds, opt="LBFGS", steps=3)
    v3 = f"{model.round}.{model.state_id}"
    files = sorted(f for f in os.listdir(d) if f.endswith("_state"))
    m2 = K.KAN.loadckpt(os.path.join(d, v3))
    with torch.no_grad():
        same = rmse(model(ds["test_input"]), m2(ds["test_input"]))
    return {"versions": [v1, v2, v3], "state_files": files, "same": same}


@case
def param_count_requires_grad(K):
    # the parameter count users print (trainable only / all)
    model = K.KAN(width=[3, 5, 2], grid=5, k=3, seed=0, auto_save=False)
    return {"trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "coef": sum(p.numel() for n, p in model.named_parameters() if n.endswith("coef"))}


@case
def torch_compile_model(K):
    # torch.compile(model) for inference and one training step
    ds = small_dataset(K, f2, n=200)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    cm = torch.compile(model)
    with torch.no_grad():
        gap = rmse(cm(ds["test_input"]), model(ds["test_input"]))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.mean((cm(ds["train_input"]) - ds["train_label"]) ** 2)
    loss.backward()
    opt.step()
    return {"compiled_gap": gap, "loss": loss.item()}


@case
def autoregressive_rollout(K):
    # 6-lag windows of a sine series scaled to [-1, 1]; a fit, then a 30-step roll-out
    t = np.arange(400) * 0.1
    s = np.sin(t) * 0.8 + 0.1 * np.sin(3.1 * t)
    lag = 6
    X = np.stack([s[i:i + lag] for i in range(len(s) - lag)])
    Y = s[lag:, None]
    X, Y = torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)
    ds = {"train_input": X[:300], "train_label": Y[:300], "test_input": X[300:], "test_label": Y[300:]}
    model = K.KAN(width=[lag, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=20)
    win = list(X[300].numpy())
    preds = []
    with torch.no_grad():
        for _ in range(30):
            p = float(model(torch.tensor([win[-lag:]], dtype=torch.float32))[0, 0])
            preds.append(p)
            win.append(p)
    return {"test_loss": r["test_loss"][-1],
            "rollout_rmse": float(np.sqrt(np.mean((np.array(preds) - s[300 + lag:330 + lag]) ** 2)))}


@case
def bce_logits_binary(K):
    # a binary classifier: one output, float 0/1 labels, BCEWithLogitsLoss
    from ._common import moons
    ds = moons()
    for k in ("train_label", "test_label"):
        ds[k] = ds[k].float()[:, None]
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="Adam", lr=0.02, steps=80, loss_fn=torch.nn.BCEWithLogitsLoss())
    with torch.no_grad():
        acc = float(((model(ds["test_input"]) > 0).float() == ds["test_label"]).float().mean())
    return {"test_acc": acc, "train_loss": r["train_loss"][-1]}


@case
def normalized_dataset_keys(K):
    # create_dataset(normalize_input=True, normalize_label=True): the keys and a fit on it
    ds = small_dataset(K, lambda x: 3 * x[:, [0]] + x[:, [1]] ** 2 + 5, ranges=[[0, 4], [-2, 2]],
             normalize_input=True, normalize_label=True)
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=15)
    return {"keys": sorted(ds), "label_std": round(float(ds["train_label"].std()), 3),
            "test_loss": r["test_loss"][-1]}


@case
def fit_full_regularisation(K):
    # every regularisation weight at once, the reg curve reported
    ds = small_dataset(K, f2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=15, lamb=0.01, lamb_l1=1.0, lamb_entropy=2.0,
                  lamb_coef=0.1, lamb_coefdiff=0.1)
    return {"test_loss": r["test_loss"][-1], "reg_first": r["reg"][0], "reg_last": r["reg"][-1]}


@case
def kan_head_on_linear_features(K):
    # a Linear feature layer feeding a KAN, one optimizer for both, weight decay, .to('cpu')
    torch.manual_seed(0)
    x = torch.randn(400, 8)
    y = torch.sin(x[:, :2].sum(1, keepdim=True)) + 0.1 * x[:, [3]]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(8, 3)
            self.kan = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)

        def forward(self, z):
            return self.kan(torch.tanh(self.proj(z)))
    net = Net().to("cpu")
    opt = torch.optim.AdamW(net.parameters(), lr=5e-3, weight_decay=1e-4)
    for _ in range(200):
        net.train()
        loss = torch.mean((net(x[:300]) - y[:300]) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        test = rmse(net(x[300:]), y[300:])
    return {"train_mse": loss.item(), "test_rmse": test}

"""A third round of public pykan code: data as users bring it (inputs far outside [-1, 1],
targets in the hundreds or tens of thousands, integer counts, 1-D labels, one-hot and
class-weighted labels, pandas columns, float64 arrays), sklearn/sktime-style wrappers,
``DataLoader`` and scheduler loops, ``torch.func`` and ``torch.compile``, and the
prune/refine/symbolic chains of tabular studies."""

import copy
import os
import tempfile

import numpy as np
import torch

from ._common import case, rmse


def _split(x, y, n_train):
    return {"train_input": x[:n_train], "train_label": y[:n_train],
            "test_input": x[n_train:], "test_label": y[n_train:]}


def _argmax_acc(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


@case
def square_wave_wide_inputs_adamw(K):
    # x in [-2 pi, 2 pi] with the default grid_range [-1, 1]; an AdamW loop as for an MLP
    torch.manual_seed(0)
    x = torch.linspace(-2 * np.pi, 2 * np.pi, 400).view(-1, 1)
    y = torch.sign(torch.sin(x)) + 0.05 * torch.randn_like(x)
    model = K.KAN(width=[1, 5, 1], grid=10, k=3, seed=42)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1e-4)
    lossf = torch.nn.MSELoss()
    for _ in range(300):
        loss = lossf(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        grid_pred = model(torch.linspace(-2 * np.pi, 2 * np.pi, 1000).view(-1, 1))
    return {"loss": loss.item(), "finite": bool(torch.isfinite(grid_pred).all()),
            "n_params": sum(p.numel() for p in model.parameters() if p.requires_grad)}


def _airline_like(n=144):
    t = np.arange(n, dtype=np.float64)
    return 110 + 2.3 * t + (20 + 0.35 * t) * np.sin(2 * np.pi * t / 12) + 3 * np.cos(t)


@case
def sktime_style_forecaster_windows(K):
    # sktime's PyKANForecaster shape: raw series (values 100-600), 12-lag windows -> 3 steps,
    # two hidden layers, a grid schedule through initialize_from_another_model, best model kept,
    # a float64 numpy window at predict time
    y = _airline_like()
    y_tr, y_te = y[:-36], y[-36:]

    def windows(s, lag=12, h=3):
        xs = [torch.tensor(s[i:i + lag]).float() for i in range(len(s) - lag - h + 1)]
        ys = [torch.from_numpy(s[i + lag:i + lag + h]).float() for i in range(len(s) - lag - h + 1)]
        return torch.stack(xs), torch.stack(ys)
    xtr, ytr = windows(y_tr)
    xte, yte = windows(y_te)
    ds = {"train_input": xtr, "train_label": ytr, "test_input": xte, "test_label": yte}
    best, losses, model = None, [], None
    for i, g in enumerate([5, 10]):
        new = K.KAN(width=[12, 5, 5, 3], grid=g, k=3, seed=0, auto_save=False)
        model = new if i == 0 else new.initialize_from_another_model(model, ds["train_input"])
        r = model.fit(ds, opt="LBFGS", steps=10, stop_grid_update_step=30)
        if not losses or r["test_loss"][-1] < min(losses):
            best = model
        losses.append(r["test_loss"][-1])
    pred = best(torch.from_numpy(y[-12:]).reshape(1, -1).float()).detach().numpy().reshape(-1)
    return {"test_losses": losses, "pred_shape": list(pred.shape), "pred_finite": bool(np.isfinite(pred).all())}


@case
def grid_range_data_range_adam_batch(K):
    # inputs in [0, 20] and grid_range=[0, 20] (a fine grid), base_fun named, Adam with batch
    torch.manual_seed(0)
    x = torch.rand(600, 2) * 20
    y = torch.sin(x[:, [0]] / 3) + torch.cos(x[:, [1]] / 5)
    ds = _split(x, y, 400)
    model = K.KAN(width=[2, 4, 1], grid=20, k=3, base_fun="silu", seed=0, grid_range=[0, 20])
    r = model.fit(ds, opt="Adam", steps=150, lr=1e-2, lamb=0.0, loss_fn=torch.nn.MSELoss(), batch=64)
    return {"train_loss": r["train_loss"][-1], "test_loss": r["test_loss"][-1]}


@case
def onehot_weighted_ce_batch(K):
    # one-hot float labels into a class-weighted CrossEntropyLoss, Adam with batch = test size
    from sklearn.datasets import load_wine
    from sklearn.preprocessing import StandardScaler
    X, y = load_wine(return_X_y=True)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y))
    X = StandardScaler().fit_transform(X[idx]).astype(np.float32)
    y = y[idx]
    x = torch.from_numpy(X)
    lab = torch.tensor(y).view(-1, 1).float()
    ds = _split(x, lab, 120)
    for key in ("train_label", "test_label"):
        ds[key] = torch.nn.functional.one_hot(ds[key].long(), num_classes=3).squeeze(1).float()
    counts = torch.bincount(torch.tensor(y[:120]), minlength=3).float()
    weights = counts.sum() / (3 * counts)
    model = K.KAN(width=[13, 4, 3], grid=3, k=3, seed=0)
    r = model.fit(ds, opt="Adam", steps=60, lamb=0.001, lr=0.01, batch=ds["test_label"].shape[0],
                  loss_fn=torch.nn.CrossEntropyLoss(weight=weights))
    return {"test_acc": _argmax_acc(model, ds["test_input"], ds["test_label"].argmax(1)),
            "train_loss": r["train_loss"][-1]}


def _auc(model, x, y):
    from sklearn.metrics import roc_auc_score
    with torch.no_grad():
        p = torch.softmax(model(x), 1)[:, 1].numpy()
    return float(roc_auc_score(y.numpy(), p))


@case
def attribute_topk_prune_input_retrain(K):
    # node_scores[0] after attribute(), keep the top inputs, prune + prune_input(threshold),
    # retrain with CE, update_grid=False and singularity_avoiding=True
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=500, n_features=8, n_informative=3, n_redundant=0,
                               random_state=0, shuffle=False)  # the informative columns first
    rows = np.random.default_rng(0).permutation(len(y))  # (shuffle=False also sorts the rows by class)
    X, y = X[rows], y[rows]
    x = torch.tensor(X, dtype=torch.float32)
    lab = torch.tensor(y)
    ds = _split(x, lab, 350)
    model = K.KAN(width=[8, 4, 2], grid=5, k=3, seed=0)
    model.fit(ds, opt="Adam", steps=60, lr=1e-2, lamb=0.005, lamb_entropy=2.0,
              loss_fn=torch.nn.CrossEntropyLoss())
    acc0, auc0 = _argmax_acc(model, ds["test_input"], ds["test_label"]), _auc(model, ds["test_input"], ds["test_label"])
    model.attribute()
    score = model.node_scores[0]
    top = torch.topk(score, 3).indices
    threshold = score[top[-1]]
    model = model.prune()
    model = model.prune_input(threshold=threshold)
    model.fit(ds, opt="Adam", steps=30, lr=1e-3, lamb=0.001, update_grid=False, singularity_avoiding=True,
              loss_fn=torch.nn.CrossEntropyLoss())
    return {"acc_auc_before": [acc0, auc0],
            "acc_auc_after": [_argmax_acc(model, ds["test_input"], ds["test_label"]),
                              _auc(model, ds["test_input"], ds["test_label"])],
            "top3": sorted(top.tolist()), "n_inputs_left": int(model.width_in[0])}


@case
def prune_input_names_from_columns(K):
    # which DataFrame columns survive prune_input: df.columns[model.input_id]
    import pandas as pd
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.uniform(-1, 1, size=(600, 5)), columns=["temp", "press", "hum", "wind", "rain"])
    df["y"] = np.sin(2 * df["press"]) + df["wind"] ** 2
    x = torch.tensor(df[["temp", "press", "hum", "wind", "rain"]].values, dtype=torch.float32)
    yy = torch.tensor(df[["y"]].values, dtype=torch.float32)
    ds = _split(x, yy, 400)
    model = K.KAN(width=[5, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=20, lamb=0.01)
    model = model.prune_input(threshold=0.05, log_history=False)
    kept = df.columns[model.input_id.cpu().numpy()].tolist()
    r = model.fit(ds, opt="LBFGS", steps=10)  # the same 5-column dataset: pykan takes x[:, input_id]
    return {"kept": kept, "refit_test": r["test_loss"][-1]}


@case
def binary_mse_threshold_k2(K):
    # 0/1 labels trained by plain MSE, grid=3 k=2, "test" = the first 100 training rows, threshold 0.5
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=600, n_features=4, n_informative=3, n_redundant=1, random_state=2)
    xt = torch.tensor(X[:450], dtype=torch.float32)
    yt = torch.tensor(y[:450], dtype=torch.float32).view(-1, 1)
    ds = {"train_input": xt, "train_label": yt, "test_input": xt[:100], "test_label": yt[:100]}
    model = K.KAN(width=[4, 2, 1], grid=3, k=2, seed=0)
    model.fit(ds, opt="Adam", steps=80, lr=0.01)
    with torch.no_grad():
        logits = model(torch.tensor(X[450:], dtype=torch.float32))
    pred = (logits > 0.5).int().flatten().numpy()
    return {"holdout_acc": float((pred == y[450:]).mean())}


@case
def speed_then_adam_batch_over_rows(K):
    # model.speed() first, then Adam with batch=2048 on 500 rows, lamb=0.0, no grid update, log=60
    torch.manual_seed(0)
    x = torch.rand(700, 3)
    y = torch.cat([x[:, [0]] * x[:, [1]], torch.cos(3 * x[:, [2]])], 1)
    ds = _split(x, y, 500)
    model = K.KAN(width=[3, 16, 2], grid=5, k=3, seed=42, auto_save=False)
    model.speed()
    r = model.fit(ds, opt="Adam", steps=120, lr=8e-3, batch=2048, lamb=0.0, update_grid=False, log=60)
    return {"train_loss": r["train_loss"][-1], "test_loss": r["test_loss"][-1], "n": len(r["train_loss"])}


@case
def autosave_toggled_refine_versions(K):
    # auto_save off at construction, switched on around each fit of a refine schedule; the
    # last '<version>_state' file loaded back with torch.load
    d = tempfile.mkdtemp()
    torch.manual_seed(0)
    x = torch.rand(500, 2) * 2 - 1
    y = torch.exp(torch.sin(np.pi * x[:, [0]]) + x[:, [1]] ** 2)
    ds = _split(x, y, 400)
    model = None
    for i, g in enumerate([3, 6]):
        if i == 0:
            model = K.KAN(width=[2, 3, 1], grid=g, k=3, seed=1, ckpt_path=d, auto_save=False)
        else:
            model = model.refine(g)
        model.auto_save = True
        model.fit(ds, opt="Adam", steps=20, lr=0.01, batch=64)
        model.auto_save = False
    files = sorted(f for f in os.listdir(d) if f != "history.txt")
    m2 = K.KAN(width=[2, 3, 1], grid=6, k=3, seed=1, auto_save=False)
    m2.load_state_dict(torch.load(os.path.join(d, "0.3_state")))  # the user's hard-coded last version
    with torch.no_grad():
        same = rmse(model(ds["test_input"]), m2(ds["test_input"]))
    return {"files": files, "same": same}


def _standardized_table(n=500, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)) * np.array([1, 5, 0.2, 30, 2, 1]) + np.array([0, 50, 1, 200, -3, 0])
    target = 40 + 12 * np.tanh((X[:, 1] - 50) / 5) + 0.05 * (X[:, 3] - 200) + rng.normal(scale=0.5, size=n)
    return X, target


@case
def standardized_table_prune_edge_refine(K):
    # StandardScaler'd features (tails past +-3), an unscaled target (~40), .to(device) returning the
    # model, Adam with lamb_coef, prune(edge_th=0.1), refine(10), a second Adam fit; r2 by sklearn
    from sklearn.metrics import r2_score
    from sklearn.preprocessing import StandardScaler
    X, t = _standardized_table()
    X = StandardScaler().fit_transform(X)
    x = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(t, dtype=torch.float32).view(-1, 1)
    ds = _split(x, y, 400)
    model = K.KAN(width=[6, 1, 1], grid=5, k=3, seed=1).to("cpu")
    model.fit(ds, opt="Adam", lr=1e-2, steps=150, lamb=0.01, lamb_coef=1.0)
    model = model.prune(edge_th=0.1)
    model2 = model.refine(10)
    r = model2.fit(ds, opt="Adam", lr=1e-3, lamb=0.01, steps=80)
    with torch.no_grad():
        r2 = r2_score(ds["test_label"].numpy(), model2(ds["test_input"]).numpy())
    return {"test_loss": r["test_loss"][-1], "test_r2": float(r2), "is_model": isinstance(model, torch.nn.Module)}


@case
def copy_auto_symbolic_get_fun_nsimplify(K):
    # a copy for the symbolic pass, auto_symbolic(lib, r2_threshold, weight_simple=0), get_fun's sorted
    # arrays, then nsimplify(ex_round(ex_round(formula, 3), 3)) evaluated against the data
    import sympy
    torch.manual_seed(0)
    x = torch.randn(600, 3)
    y = 2 * x[:, [0]] + torch.sin(x[:, [1]]) + 0.5 * x[:, [2]] ** 2
    ds = _split(x, y, 450)
    model = K.KAN(width=[3, 1, 1], grid=5, k=3, seed=1, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=30)
    best = model.copy()
    with torch.no_grad():  # the user's predictions before the symbolic pass (pykan's copy has no acts)
        best(ds["train_input"])
    lib = ["x", "x^2", "x^3", "exp", "sin", "tanh", "abs"]
    best.auto_symbolic(lib=lib, r2_threshold=0.1, weight_simple=0)
    best(ds["train_input"])
    fx, fy = best.get_fun(0, 0, 0)
    import matplotlib.pyplot as plt
    plt.close("all")
    import importlib
    ex_round = importlib.import_module(K.__name__ + ".utils").ex_round
    sf = best.symbolic_formula()[0][0]
    simple = sympy.nsimplify(ex_round(ex_round(sf, 3), 3))
    cols = {f"x_{i + 1}": ds["test_input"][:, i].double().numpy() for i in range(3)}

    def test_rmse(expr):
        syms = sorted(expr.free_symbols, key=str)
        val = np.broadcast_to(sympy.lambdify(syms, expr, "numpy")(*[cols[str(s)] for s in syms]), (150,))
        return rmse(torch.tensor(val).view(-1, 1), ds["test_label"])
    return {"sorted": bool(np.all(np.diff(fx) >= 0)), "fun_len": len(fx), "same_len": len(fx) == len(fy),
            "formula_test_rmse": test_rmse(sf), "rounded_test_rmse": test_rmse(simple)}


@case
def kanpiler_perturb_finetune_float64(K):
    # a theory formula compiled into a KAN, perturbed, fine-tuned to data with a correction term
    # (inputs on [0,1], [0,0.9], [1.1,2]), then auto_symbolic and a named-variable formula
    import importlib
    import sympy
    kanpiler = importlib.import_module(K.__name__ + ".compiler").kanpiler
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(1)
    f = lambda x: x[:, [0]] / torch.sqrt(1 - x[:, [1]] ** 2 / x[:, [2]] ** 2 + x[:, [1]] ** 4 / x[:, [2]] ** 4)  # noqa: E731
    ds = K.create_dataset(f, n_var=3, ranges=[[0, 1], [0, 0.9], [1.1, 2]], train_num=500, test_num=200, seed=1)
    m0, v, c = sympy.symbols("m0 v c")
    model = kanpiler([m0, v, c], m0 / sympy.sqrt(1 - v ** 2 / c ** 2))
    with torch.no_grad():
        before = rmse(model(ds["test_input"]), ds["test_label"])
    model.get_act(ds)
    model.perturb(mag=0.1, mode="all")
    model.fit(ds, opt="LBFGS", steps=25, lamb=1e-5, lamb_coef=1.0)
    with torch.no_grad():
        after = rmse(model(ds["test_input"]), ds["test_label"])
    return {"rmse_theory": before, "rmse_finetuned": after,
            "dtype": str(next(model.parameters()).dtype)}


@case
def dataloader_1d_targets_loop(K):
    # TensorDataset with a 1-D target, DataLoader(shuffle=True), the prediction squeezed to match
    from torch.utils.data import DataLoader, TensorDataset
    torch.manual_seed(0)
    x = torch.rand(800, 2) * 4 - 2
    y = torch.sin(x[:, 0]) * torch.exp(-0.3 * x[:, 1] ** 2)
    loader = DataLoader(TensorDataset(x[:600], y[:600]), batch_size=32, shuffle=True)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    lossf = torch.nn.MSELoss()
    for epoch in range(15):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = lossf(model(xb).squeeze(-1), yb)
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(x[600:]).squeeze(-1)
    return {"test_rmse": rmse(pred, y[600:]), "pred_shape": list(pred.shape)}


@case
def fit_1d_labels(K):
    # a dataset whose labels were left 1-D (shape [N]) going into fit with the default loss
    torch.manual_seed(0)
    x = torch.rand(500, 2) * 2 - 1
    y = x[:, 0] ** 2 + torch.sin(2 * x[:, 1])
    ds = {"train_input": x[:400], "train_label": y[:400], "test_input": x[400:], "test_label": y[400:]}
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=15)
    with torch.no_grad():
        true_rmse = rmse(model(x[400:]).squeeze(-1), y[400:])
    return {"reported_test_loss": r["test_loss"][-1], "true_test_rmse": true_rmse}


@case
def fit_integer_count_labels(K):
    # counts stored as int64 labels [N, 1], regressed with fit's default (MSE) loss
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(600, 2))
    lam = np.exp(1.5 + X[:, 0] + 0.5 * X[:, 1])
    counts = rng.poisson(lam)
    x = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(counts).view(-1, 1)
    ds = _split(x, y, 450)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=15)
    with torch.no_grad():
        out = model(ds["test_input"])
    return {"test_loss": r["test_loss"][-1], "out_shape": list(out.shape),
            "rmse_vs_rate": rmse(out, torch.tensor(lam[450:]).view(-1, 1))}


@case
def large_scale_targets_lbfgs(K):
    # a target around 2e4 with spread 5e3 (prices), no scaling, LBFGS with grid updates
    torch.manual_seed(0)
    x = torch.rand(600, 3) * 2 - 1
    y = 20000 + 5000 * (torch.sin(np.pi * x[:, [0]]) + x[:, [1]] ** 2 - 0.5 * x[:, [2]])
    ds = _split(x, y, 450)
    model = K.KAN(width=[3, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=20)
    return {"train_loss": r["train_loss"][-1], "test_loss": r["test_loss"][-1],
            "rel_test": float(r["test_loss"][-1]) / 5000}


@case
def scheduler_clip_grad_loop(K):
    # StepLR + clip_grad_norm_ + model.zero_grad() in a hand-written loop, a grid update at step 50
    torch.manual_seed(0)
    x = torch.rand(500, 2) * 2 - 1
    y = torch.tanh(3 * x[:, [0]] * x[:, [1]]) + 0.3 * x[:, [0]]
    model = K.KAN(width=[2, 6, 1], grid=5, k=3, seed=0, auto_save=False)
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=100, gamma=0.3)
    for step in range(250):
        model.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x[:400]), y[:400])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
        sched.step()
        if step == 50:
            model.update_grid_from_samples(x[:400])
    with torch.no_grad():
        return {"test_rmse": rmse(model(x[400:]), y[400:]), "lr_end": opt.param_groups[0]["lr"]}


@case
def torch_func_jacrev_vmap(K):
    # per-sample input gradients with torch.func (vmap over jacrev of a one-row call)
    from torch.func import jacrev, vmap
    ds = K.create_dataset(lambda x: x[:, [0]] ** 2 * x[:, [1]], n_var=2, train_num=300, test_num=50, seed=0)
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    model.speed()
    xs = ds["test_input"]

    def one(xi):
        return model(xi.unsqueeze(0)).squeeze(0)
    J = vmap(jacrev(one))(xs)
    xg = xs.clone().requires_grad_(True)
    g = torch.autograd.grad(model(xg).sum(), xg)[0]
    return {"jac_shape": list(J.shape), "jac_vs_autograd": float((J[:, 0, :] - g).abs().max())}


@case
def speed_compile_forward(K):
    # model.speed(compile=True) (torch.compile) and the compiled model used for inference
    ds = K.create_dataset(lambda x: torch.sin(x[:, [0]]) + x[:, [1]], n_var=2, train_num=200, test_num=100, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    fast = model.speed(compile=True)
    with torch.no_grad():
        a = fast(ds["test_input"])
        b = model(ds["test_input"])
    return {"compiled_vs_eager": rmse(a, b), "shape": list(a.shape)}


@case
def double_method_then_fit(K):
    # model.double() (not .to(float64)) with a dataset cast by .double()
    ds = K.create_dataset(lambda x: torch.exp(-x[:, [0]] ** 2) * x[:, [1]], n_var=2, train_num=400, seed=0)
    ds = {k: v.double() for k, v in ds.items()}
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False).double()
    r = model.fit(ds, opt="LBFGS", steps=15)
    with torch.no_grad():
        out = model(ds["test_input"])
    return {"test_loss": r["test_loss"][-1], "out_dtype": str(out.dtype)}


@case
def sklearn_regressor_deepcopy_numpy64(K):
    # pykan issue #473's wrapper: one template model deep-copied per fit, float64 numpy splits with
    # test_size=0.8, y[:, None], predict via .detach().numpy()
    from sklearn.model_selection import train_test_split
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, size=(500, 3))
    y = X[:, 0] * X[:, 1] + np.cos(2 * X[:, 2])

    class KANRegressor:
        def __init__(self, steps=10):
            self.model, self.steps, self.fitted = None, steps, []

        def fit(self, X, y):
            if self.model is None:
                self.model = K.KAN(width=[X.shape[1], 4, 1], grid=3, k=3, seed=0, auto_save=False)
            model = copy.deepcopy(self.model)
            Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.8, random_state=0)
            ds = {"train_input": torch.from_numpy(Xtr), "test_input": torch.from_numpy(Xte),
                  "train_label": torch.from_numpy(ytr[:, None]), "test_label": torch.from_numpy(yte[:, None])}
            model.fit(ds, opt="LBFGS", steps=self.steps)
            self.fitted.append(model)
            return self

        def predict(self, X):
            return self.fitted[-1](torch.from_numpy(X)).detach().numpy()
    reg = KANRegressor().fit(X[:400], y[:400])
    pred = reg.predict(X[400:])
    return {"pred_shape": list(pred.shape), "pred_dtype": str(pred.dtype),
            "test_rmse": float(np.sqrt(np.mean((pred[:, 0] - y[400:]) ** 2)))}


@case
def digits_ce_adam_batch(K):
    # sklearn's 8x8 digits (64 pixels in [0, 16] scaled to [0, 1]), 10 classes, Adam + batch
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    x = torch.tensor(X / 16.0, dtype=torch.float32)
    lab = torch.tensor(y)
    ds = _split(x, lab, 1300)
    model = K.KAN(width=[64, 8, 10], grid=3, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="Adam", steps=100, lr=1e-2, batch=128, loss_fn=torch.nn.CrossEntropyLoss())
    return {"test_acc": _argmax_acc(model, ds["test_input"], ds["test_label"])}


@case
def regression_loss_fns_reported(K):
    # L1 and Huber losses through fit(loss_fn=...): what results['train_loss'] reports
    ds = K.create_dataset(lambda x: x[:, [0]] * torch.cos(2 * x[:, [1]]), n_var=2, train_num=400, seed=0)
    out = {}
    for name, lf in (("l1", torch.nn.L1Loss()), ("huber", torch.nn.HuberLoss(delta=0.1))):
        model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
        r = model.fit(ds, opt="LBFGS", steps=15, loss_fn=lf)
        with torch.no_grad():
            direct = float(lf(model(ds["train_input"]), ds["train_label"]))
        out[name] = [float(r["train_loss"][-1]), direct ** 0.5, rmse(model(ds["test_input"]).detach(), ds["test_label"])]
    return out


@case
def metrics_r2_named_results(K):
    # metric functions returning floats (sklearn r2) and the result keys they create
    from sklearn.metrics import r2_score
    ds = K.create_dataset(lambda x: x[:, [0]] ** 3 - x[:, [1]], n_var=2, train_num=300, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)

    def r2_train():
        with torch.no_grad():
            return r2_score(ds["train_label"].numpy(), model(ds["train_input"]).numpy())

    def r2_test():
        with torch.no_grad():
            return r2_score(ds["test_label"].numpy(), model(ds["test_input"]).numpy())
    r = model.fit(ds, opt="LBFGS", steps=10, metrics=(r2_train, r2_test), display_metrics=["train_loss", "r2_test"])
    return {"keys": sorted(r.keys()), "r2_test": float(r["r2_test"][-1]), "len": len(r["r2_train"])}


@case
def freeze_by_parameter_name(K):
    # named_parameters() filtered by pykan's names: freeze the base branch, train the rest
    ds = K.create_dataset(lambda x: torch.sin(3 * x[:, [0]]) + x[:, [1]] ** 2, n_var=2, train_num=400, seed=0)
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    names = [n for n, _ in model.named_parameters()]
    frozen = []
    for n, p in model.named_parameters():
        if "scale_base" in n:
            p.requires_grad_(False)
            frozen.append(n)
    before = [p.detach().clone() for n, p in model.named_parameters() if "scale_base" in n]
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(100):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(ds["train_input"]), ds["train_label"])
        loss.backward()
        opt.step()
    after = [p.detach() for n, p in model.named_parameters() if "scale_base" in n]
    return {"names": sorted({n.split(".")[-1] for n in names}), "n_frozen": len(frozen),
            "frozen_kept": bool(all(torch.equal(a, b) for a, b in zip(before, after))), "loss": loss.item()}


@case
def sp_sb_untrainable_fit(K):
    # sp_trainable=False, sb_trainable=False: the scales stay put through fit, the coefficients move
    ds = K.create_dataset(lambda x: torch.sin(np.pi * x[:, [0]]) * x[:, [1]], n_var=2, train_num=400, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, noise_scale=0.1, sp_trainable=False, sb_trainable=False,
                  save_act=True, auto_save=False)
    sp0 = [a.scale_sp.detach().clone() for a in model.act_fun]
    sb0 = [a.scale_base.detach().clone() for a in model.act_fun]
    r = model.fit(ds, opt="Adam", steps=60, lr=0.01)
    sp_kept = all(torch.equal(a.scale_sp.detach(), s) for a, s in zip(model.act_fun, sp0))
    sb_kept = all(torch.equal(a.scale_base.detach(), s) for a, s in zip(model.act_fun, sb0))
    return {"sp_kept": sp_kept, "sb_kept": sb_kept, "train_loss": r["train_loss"][-1]}


@case
def autocast_bfloat16_inference(K):
    # inference under torch.autocast("cpu", bfloat16), as in mixed-precision pipelines
    ds = K.create_dataset(lambda x: x[:, [0]] + x[:, [1]] ** 2, n_var=2, train_num=200, test_num=100, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    with torch.no_grad():
        ref = model(ds["test_input"])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = model(ds["test_input"])
    return {"dtype": str(low.dtype), "gap": rmse(low.float(), ref)}

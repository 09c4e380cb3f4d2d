"""A third round of public pykan code, part 1: data as users bring it — inputs far outside
[-1, 1], targets in the hundreds or tens of thousands, integer counts, 1-D labels, one-hot and
class-weighted labels, float64 arrays — through sklearn/sktime-style wrappers, ``DataLoader``
loops, ``batch=`` fits and user loss functions and metrics.  ``--kinds round3`` runs it with
``round3_chains``."""

import copy

import numpy as np
import torch

from ._common import argmax_acc, case, rmse, split


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
    ds = split(x, y, 400)
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
    ds = split(x, lab, 120)
    for key in ("train_label", "test_label"):
        ds[key] = torch.nn.functional.one_hot(ds[key].long(), num_classes=3).squeeze(1).float()
    counts = torch.bincount(torch.tensor(y[:120]), minlength=3).float()
    weights = counts.sum() / (3 * counts)
    model = K.KAN(width=[13, 4, 3], grid=3, k=3, seed=0)
    r = model.fit(ds, opt="Adam", steps=60, lamb=0.001, lr=0.01, batch=ds["test_label"].shape[0],
                  loss_fn=torch.nn.CrossEntropyLoss(weight=weights))
    return {"test_acc": argmax_acc(model, ds["test_input"], ds["test_label"].argmax(1)),
            "train_loss": r["train_loss"][-1]}


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
    ds = split(x, y, 500)
    model = K.KAN(width=[3, 16, 2], grid=5, k=3, seed=42, auto_save=False)
    model.speed()
    r = model.fit(ds, opt="Adam", steps=120, lr=8e-3, batch=2048, lamb=0.0, update_grid=False, log=60)
    return {"train_loss": r["train_loss"][-1], "test_loss": r["test_loss"][-1], "n": len(r["train_loss"])}


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
    ds = split(x, y, 450)
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
    ds = split(x, y, 450)
    model = K.KAN(width=[3, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=20)
    return {"train_loss": r["train_loss"][-1], "test_loss": r["test_loss"][-1],
            "rel_test": float(r["test_loss"][-1]) / 5000}


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
    ds = split(x, lab, 1300)
    model = K.KAN(width=[64, 8, 10], grid=3, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="Adam", steps=100, lr=1e-2, batch=128, loss_fn=torch.nn.CrossEntropyLoss())
    return {"test_acc": argmax_acc(model, ds["test_input"], ds["test_label"])}


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

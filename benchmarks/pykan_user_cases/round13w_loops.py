"""A thirteenth round, whole third-party scripts that use pykan (found in public repositories,
run unchanged on both libraries; these cases are their essence, written here): training loops
the scripts wrap around a KAN — ``fit(steps=1)`` epochs with early stopping on
``state_dict``/``load_state_dict`` snapshots (an autoencoder), a plain ``AdamW`` loop on a
square wave, a fold loop with a class-weighted ``CrossEntropyLoss`` through ``fit(loss_fn=)``,
``fit(loss_fn=BCEWithLogitsLoss())`` on a sklearn table, float64 numpy arrays handed to a
float32 model as they come from ``torch.from_numpy``, and a wide ``[21, 20, 2, 1]`` LBFGS fit on
240 rows of descriptors."""

import numpy as np
import torch

from ._common import case, quiet, sklearn_split, small_kan, tensor_dataset


@case
def autoencoder_fit_one_step_early_stopping(K):
    # an anomaly-detection script: KAN [d, h, d] reconstructs its input, one LBFGS step per
    # epoch, validation MSE by hand, best weights kept as state_dict (live references, as the
    # script keeps them) and restored after `patience` epochs without improvement
    g = torch.Generator().manual_seed(0)
    x = torch.rand(400, 6, generator=g)
    x[:, 3] = 0.5 * x[:, 0] + 0.5 * x[:, 1]
    ds = {"train_input": x[:300], "train_label": x[:300],
          "test_input": x[300:], "test_label": x[300:]}
    model = small_kan(K, width=(6, 3, 6), grid=5, seed=42)
    best, stale, best_wts, patience, epochs = np.inf, 0, None, 3, 12
    for _ in range(epochs):
        quiet(model.fit, ds, opt="LBFGS", steps=1, lamb=0.001)
        with torch.no_grad():
            val = torch.mean((model(ds["test_input"]) - ds["test_label"]) ** 2).item()
        if val < best:
            best, stale, best_wts = val, 0, model.state_dict()
        else:
            stale += 1
            if stale >= patience:
                model.load_state_dict(best_wts)
                break
    with torch.no_grad():
        err = torch.mean((model(ds["test_input"]) - ds["test_label"]) ** 2, dim=1).numpy()
    return {"best_val": best, "final_val": float(err.mean()),
            "anomalies_p95": int((err > np.percentile(err, 95)).sum())}


@case
def adamw_loop_square_wave(K):
    # a KAN-vs-MLP script: one input, a noisy square wave, AdamW with weight decay, MSE
    from scipy.signal import square
    g = torch.Generator().manual_seed(0)
    x = torch.linspace(-2 * np.pi, 2 * np.pi, 200).view(-1, 1)
    y = torch.from_numpy(square(x.numpy())).view(-1, 1).float()
    y = y + 0.05 * torch.randn(y.shape, generator=g)
    model = small_kan(K, width=(1, 5, 1), grid=10, seed=42)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1e-4)
    for _ in range(300):
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"final_mse": float(loss), "params": n_params}


@case
def fold_loop_weighted_cross_entropy(K):
    # a hyper-parameter search script: TimeSeriesSplit folds, a class-weighted
    # CrossEntropyLoss per fold through fit(loss_fn=), two output logits, AUC from softmax
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import TimeSeriesSplit
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils.class_weight import compute_class_weight
    x, y = load_breast_cancer(return_X_y=True)
    x = StandardScaler().fit_transform(x[:, :8])
    aucs = []
    for tr, te in TimeSeriesSplit(n_splits=2).split(x):
        w = compute_class_weight("balanced", classes=np.unique(y[tr]), y=y[tr])
        loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(w, dtype=torch.float32))
        ds = tensor_dataset(x[tr], y[tr], x[te], y[te], label_dtype=torch.long)
        model = K.KAN(width=[8, 5, 2], grid=3, k=3, seed=42, auto_save=False)
        quiet(model.fit, ds, opt="Adam", steps=40, lr=0.01, loss_fn=loss_fn)
        with torch.no_grad():
            proba = torch.softmax(model(ds["test_input"]), dim=1)[:, 1].numpy()
        aucs.append(roc_auc_score(y[te], proba))
    return {"auc_fold1": aucs[0], "auc_fold2": aucs[1]}


@case
def bce_with_logits_fit_table(K):
    # a tabular script's helper: fit(opt="Adam", loss_fn=BCEWithLogitsLoss()) on one logit,
    # sigmoid of the output as the probability
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler
    x, y = load_breast_cancer(return_X_y=True)
    xtr, xte, ytr, yte = sklearn_split(x[:, :10], y, stratify=True)
    sc = StandardScaler().fit(xtr)
    ds = tensor_dataset(sc.transform(xtr), np.asarray(ytr).reshape(-1, 1),
                        sc.transform(xte), np.asarray(yte).reshape(-1, 1))
    torch.manual_seed(0)
    model = K.KAN(width=[10, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    hist = quiet(model.fit, ds, opt="Adam", lr=1e-2, steps=60,
                 loss_fn=torch.nn.BCEWithLogitsLoss())
    with torch.no_grad():
        p = torch.sigmoid(model(ds["test_input"])).numpy().reshape(-1)
    return {"train_loss": hist["train_loss"][-1], "auc": roc_auc_score(yte, p),
            "acc": float(((p > 0.5) == yte).mean())}


@case
def numpy_float64_moons_fit_metrics(K):
    # torch.from_numpy(make_moons(...)) is float64; the script hands it to a float32 KAN as it
    # is, trains with round()-accuracy metrics and reads the symbolic formula's accuracy
    from sklearn.datasets import make_moons
    xtr, ytr = make_moons(n_samples=300, shuffle=True, noise=0.1, random_state=0)
    xte, yte = make_moons(n_samples=300, shuffle=True, noise=0.1, random_state=1)
    ds = {"train_input": torch.from_numpy(xtr), "test_input": torch.from_numpy(xte),
          "train_label": torch.from_numpy(ytr[:, None]), "test_label": torch.from_numpy(yte[:, None])}
    model = K.KAN(width=[2, 1], grid=3, k=3, seed=0, auto_save=False)

    def train_acc():
        return torch.mean((torch.round(model(ds["train_input"])[:, 0]) == ds["train_label"][:, 0]).float())

    def test_acc():
        return torch.mean((torch.round(model(ds["test_input"])[:, 0]) == ds["test_label"][:, 0]).float())
    res = quiet(model.fit, ds, opt="LBFGS", steps=20, metrics=(train_acc, test_acc))
    quiet(model.auto_symbolic, lib=["x", "x^2", "x^3", "exp", "tanh", "sin", "tan", "abs"])
    formula = model.symbolic_formula()[0][0]
    pred = [float(formula.subs("x_1", float(a)).subs("x_2", float(b))) for a, b in xte]
    return {"train_acc": res["train_acc"][-1], "test_acc": res["test_acc"][-1],
            "formula_acc": float(np.mean(np.round(pred) == yte))}


@case
def wide_descriptor_table_lbfgs(K):
    # a descriptor-regression script's first fit: 21 descriptors (3 informative), 240 rows,
    # [21, 20, 2, 1] with k=2 on grid 10, 20 LBFGS steps; it reads the lowest test loss and
    # the step it came at (then refines the model from there)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (300, 21))
    y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 - 0.5 * x[:, 2] + 0.05 * rng.normal(size=300)
    idx = rng.permutation(300)
    tr, te = idx[:240], idx[240:]
    ds = tensor_dataset(x[tr], y[tr].reshape(-1, 1), x[te], y[te].reshape(-1, 1))
    model = K.KAN(width=[21, 20, 2, 1], grid=10, k=2, seed=1, auto_save=False)
    res = quiet(model.fit, ds, opt="LBFGS", steps=20)
    best = min(res["test_loss"])
    return {"min_test": best, "at_step": res["test_loss"].index(best) + 1,
            "final_train": res["train_loss"][-1], "final_test": res["test_loss"][-1]}

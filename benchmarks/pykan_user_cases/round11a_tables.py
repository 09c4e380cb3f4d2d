"""An eleventh round (with ``round11a_columns`` and ``round11a_lab``; ``--kinds round11a`` runs
the three): an ML engineer swapping an MLP for a KAN on real tables — sklearn's bundled wine, digits (constant pixel
columns), breast cancer in raw units, make_friedman1/2/3, make_regression with three noisy
targets, make_classification; ``CrossEntropyLoss`` with the tutorial's ``metrics``; ``batch=``
Adam fits; ``lamb``/``lamb_entropy`` then ``prune``; ``attribute`` ranking columns; k-fold loops
over ``model.copy()``; early stopping over ``fit(steps=1)``.  Columns and labels of odd kinds are in
``round11a_columns``."""

import numpy as np
import torch

from ._common import acc_fns, case, holdout_rmse, quiet, sklearn_split, tensor_dataset


@case
def wine_standardized_ce_tutorial_metrics(K):
    # load_wine, StandardScaler, CE with metrics=(train_acc, test_acc), results['test_acc'][-1]
    from sklearn.datasets import load_wine
    from sklearn.preprocessing import StandardScaler
    x, y = load_wine(return_X_y=True)
    xtr, xte, ytr, yte = sklearn_split(x, y, stratify=True)
    sc = StandardScaler().fit(xtr)
    ds = tensor_dataset(sc.transform(xtr), ytr, sc.transform(xte), yte, torch.long)
    model = K.KAN(width=[13, 3, 3], grid=3, k=3, seed=0, auto_save=False)
    train_acc, test_acc = acc_fns(model, ds)
    res = quiet(model.fit, ds, opt="LBFGS", steps=15, metrics=(train_acc, test_acc),
                 loss_fn=torch.nn.CrossEntropyLoss())
    return {"keys": sorted(res), "n": len(res["test_acc"]),
            "train_acc": float(res["train_acc"][-1]), "test_acc": float(res["test_acc"][-1])}


@case
def wine_raw_units_ce_adam(K):
    # the same table unscaled (proline in the hundreds to ~1700), Adam lr=1e-2, default grid update
    from sklearn.datasets import load_wine
    x, y = load_wine(return_X_y=True)
    xtr, xte, ytr, yte = sklearn_split(x, y, stratify=True)
    ds = tensor_dataset(xtr, ytr, xte, yte, torch.long)
    model = K.KAN(width=[13, 4, 3], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="Adam", lr=1e-2, steps=60, loss_fn=torch.nn.CrossEntropyLoss())
    with torch.no_grad():
        acc = float((model(ds["test_input"]).argmax(1) == ds["test_label"]).float().mean())
    return {"test_acc": acc, "finite": bool(torch.isfinite(model(ds["test_input"])).all())}


@case
def breast_cancer_raw_thousands_ce(K):
    # 30 unscaled columns (area in the thousands), [30, 2], LBFGS with CE
    from sklearn.datasets import load_breast_cancer
    x, y = load_breast_cancer(return_X_y=True)
    xtr, xte, ytr, yte = sklearn_split(x, y, stratify=True)
    ds = tensor_dataset(xtr, ytr, xte, yte, torch.long)
    model = K.KAN(width=[30, 2], grid=3, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=10, loss_fn=torch.nn.CrossEntropyLoss())
    with torch.no_grad():
        acc = float((model(ds["test_input"]).argmax(1) == ds["test_label"]).float().mean())
    return {"test_acc": acc}


@case
def digits_constant_pixel_columns_batch(K):
    # load_digits / 16 (columns that are always 0), [64, 10], Adam batch=128, CE
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    xtr, xte, ytr, yte = sklearn_split(x[:900], y[:900])
    ds = tensor_dataset(xtr, ytr, xte, yte, torch.long)
    model = K.KAN(width=[64, 10], grid=3, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="Adam", lr=1e-2, steps=60, batch=128,
           loss_fn=torch.nn.CrossEntropyLoss())
    with torch.no_grad():
        out = model(ds["test_input"])
        acc = float((out.argmax(1) == ds["test_label"]).float().mean())
    return {"test_acc": acc, "finite": bool(torch.isfinite(out).all()),
            "n_const": int((x.std(0) == 0).sum())}


@case
def friedman1_attribute_five_informative(K):
    # make_friedman1: 10 columns, only the first 5 matter; attribute() should rank them on top
    from sklearn.datasets import make_friedman1
    x, y = make_friedman1(n_samples=500, noise=0.5, random_state=0)
    x = 2 * x - 1
    y = (y - y.mean()) / y.std()
    ds = tensor_dataset(x[:350], y[:350, None], x[350:], y[350:, None])
    model = K.KAN(width=[10, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=1e-3)
    model.attribute()
    score = model.feature_score.detach().numpy()
    top5 = sorted(int(i) for i in np.argsort(-score)[:5])
    return {"top5": top5, "rmse": holdout_rmse(model, ds)}


@case
def friedman2_unscaled_inputs_targets(K):
    # make_friedman2 as is: x up to ~1700, y in the hundreds; fit with the default grid update
    from sklearn.datasets import make_friedman2
    x, y = make_friedman2(n_samples=400, noise=0.0, random_state=0)
    ds = tensor_dataset(x[:300], y[:300, None], x[300:], y[300:, None])
    model = K.KAN(width=[4, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"rel_rmse": holdout_rmse(model, ds) / float(np.std(y[300:]))}


@case
def friedman3_minmax_pipeline_r2(K):
    # make_friedman3 with MinMaxScaler(feature_range=(-1, 1)) on x and StandardScaler on y
    from sklearn.datasets import make_friedman3
    from sklearn.metrics import r2_score
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    x, y = make_friedman3(n_samples=400, noise=0.0, random_state=1)
    xs = MinMaxScaler(feature_range=(-1, 1)).fit(x[:300])
    ys = StandardScaler().fit(y[:300, None])
    ds = tensor_dataset(xs.transform(x[:300]), ys.transform(y[:300, None]),
             xs.transform(x[300:]), ys.transform(y[300:, None]))
    model = K.KAN(width=[4, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=25)
    with torch.no_grad():
        pred = ys.inverse_transform(model(ds["test_input"]).numpy())
    return {"r2": float(r2_score(y[300:], pred[:, 0]))}


@case
def make_regression_three_noisy_targets(K):
    # make_regression(n_targets=3, noise=10): raw targets (~±300), [6, 6, 3], per-output RMSE
    from sklearn.datasets import make_regression
    x, y = make_regression(n_samples=400, n_features=6, n_informative=4, n_targets=3,
                           noise=10.0, random_state=0)
    ds = tensor_dataset(x[:300], y[:300], x[300:], y[300:])
    model = K.KAN(width=[6, 6, 3], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    with torch.no_grad():
        err = (model(ds["test_input"]) - ds["test_label"]).pow(2).mean(0).sqrt()
    return {"shape": list(model(ds["test_input"]).shape),
            "rel_rmse": [float(e) / float(s) for e, s in zip(err, y[300:].std(0))]}


@case
def make_classification_prune_retrain(K):
    # make_classification 3 classes; fit with lamb, prune(), fit again; accuracy and widths
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=500, n_features=8, n_informative=3, n_redundant=1,
                               n_classes=3, n_clusters_per_class=1, random_state=0)
    ds = tensor_dataset(x[:350], y[:350], x[350:], y[350:], torch.long)
    model = K.KAN(width=[8, 4, 3], grid=5, k=3, seed=0)  # pykan's prune logs to ./model (auto_save)
    ce = torch.nn.CrossEntropyLoss()
    quiet(model.fit, ds, opt="LBFGS", steps=15, lamb=5e-3, loss_fn=ce)
    model = model.prune()
    quiet(model.fit, ds, opt="LBFGS", steps=10, loss_fn=ce)
    with torch.no_grad():
        acc = float((model(ds["test_input"]).argmax(1) == ds["test_label"]).float().mean())
    return {"test_acc": acc, "in_width": int(model.width_in[0])}


@case
def diabetes_lamb_entropy_prune_input_names(K):
    # load_diabetes(as_frame=True); fit(lamb, lamb_entropy); prune(); attribute; kept column names
    from sklearn.datasets import load_diabetes
    df = load_diabetes(as_frame=True).frame
    cols = list(df.columns[:-1])
    x = df[cols].values / 0.1
    y = (df["target"].values - df["target"].mean()) / df["target"].std()
    ds = tensor_dataset(x[:330], y[:330, None], x[330:], y[330:, None])
    model = K.KAN(width=[10, 3, 1], grid=3, k=3, seed=0)  # pykan's prune logs to ./model (auto_save)
    quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=1e-2, lamb_entropy=10.0)
    model = model.prune()
    model.attribute()
    score = model.feature_score.detach().numpy()
    top3 = [cols[i] for i in np.argsort(-score)[:3]]
    return {"top3_has_bmi": "bmi" in top3, "rmse": holdout_rmse(model, ds),
            "hidden": int(model.width_in[1])}


@case
def kfold_model_copy_per_fold(K):
    # base = KAN(...); for each KFold split: m = base.copy(); m.fit(...); mean and spread of RMSE
    from sklearn.model_selection import KFold
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(300, 3))
    y = np.sin(np.pi * x[:, :1]) + x[:, 1:2] * x[:, 2:3]
    base = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    errs, same_init = [], []
    x0 = torch.tensor(x[:5], dtype=torch.float32)
    with torch.no_grad():
        ref = base(x0).clone()
    for tr, te in KFold(n_splits=3, shuffle=True, random_state=0).split(x):
        m = base.copy()
        with torch.no_grad():
            same_init.append(bool(torch.allclose(m(x0), ref)))
        ds = tensor_dataset(x[tr], y[tr], x[te], y[te])
        quiet(m.fit, ds, opt="LBFGS", steps=15)
        errs.append(holdout_rmse(m, ds))
    with torch.no_grad():
        untouched = bool(torch.allclose(base(x0), ref))
    return {"mean": float(np.mean(errs)), "max": float(np.max(errs)),
            "same_init": all(same_init), "base_untouched": untouched}


@case
def early_stopping_fit_steps1_patience(K):
    # while True: fit(steps=1, opt='Adam', lr=1e-2); keep the best test loss; patience 10
    import copy
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(300, 2))
    y = np.exp(np.sin(np.pi * x[:, :1]) + x[:, 1:2] ** 2) + 0.1 * rng.normal(size=(300, 1))
    ds = tensor_dataset(x[:200], y[:200], x[200:], y[200:])
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    best, best_state, wait, it = float("inf"), None, 0, 0
    while it < 150 and wait < 10:
        res = quiet(model.fit, ds, opt="Adam", lr=1e-2, steps=1, update_grid=False)
        it += 1
        loss = float(res["test_loss"][-1])
        if loss < best - 1e-4:
            best, best_state, wait = loss, copy.deepcopy(model.state_dict()), 0
        else:
            wait += 1
    model.load_state_dict(best_state)
    return {"best": best, "rmse": holdout_rmse(model, ds), "iters_ge_50": it >= 50}


@case
def early_stopping_lbfgs_steps1_default_grid(K):
    # the same loop with LBFGS and fit's default update_grid=True on every call
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, size=(300, 2))
    y = np.sin(np.pi * x[:, :1]) * x[:, 1:2]
    ds = tensor_dataset(x[:200], y[:200], x[200:], y[200:])
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    hist = []
    for _ in range(12):
        res = quiet(model.fit, ds, opt="LBFGS", steps=1)
        hist.append(float(res["test_loss"][-1]))
    return {"first": hist[0], "last": hist[-1], "best": min(hist)}

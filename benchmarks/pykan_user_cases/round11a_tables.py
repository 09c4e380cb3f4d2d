"""An eleventh round (with ``round11a_lab``; ``--kinds round11a`` runs both): an ML engineer
swapping an MLP for a KAN on real tables — sklearn's bundled wine, digits (constant pixel
columns), breast cancer in raw units, make_friedman1/2/3, make_regression with three noisy
targets, make_classification; ``CrossEntropyLoss`` with the tutorial's ``metrics``; ``batch=``
Adam fits; ``lamb``/``lamb_entropy`` then ``prune``; ``attribute`` ranking columns; k-fold loops
over ``model.copy()``; early stopping over ``fit(steps=1)``; Huber and L1 losses on
heavy-tailed targets; Fortran-ordered arrays; pandas Series labels."""

import contextlib
import io

import numpy as np
import torch

from ._common import acc_fns, case, holdout_rmse, rmse


def _quiet(fn, *a, **kw):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*a, **kw)


def _ds(xtr, ytr, xte, yte, label_dtype=torch.float32):
    f = lambda a, d=torch.float32: torch.tensor(np.asarray(a), dtype=d)  # noqa: E731
    return {"train_input": f(xtr), "train_label": f(ytr, label_dtype),
            "test_input": f(xte), "test_label": f(yte, label_dtype)}


def _split(x, y, seed=0, test_size=0.3, stratify=False):
    from sklearn.model_selection import train_test_split
    return train_test_split(x, y, test_size=test_size, random_state=seed,
                            stratify=y if stratify else None)


@case
def wine_standardized_ce_tutorial_metrics(K):
    # load_wine, StandardScaler, CE with metrics=(train_acc, test_acc), results['test_acc'][-1]
    from sklearn.datasets import load_wine
    from sklearn.preprocessing import StandardScaler
    x, y = load_wine(return_X_y=True)
    xtr, xte, ytr, yte = _split(x, y, stratify=True)
    sc = StandardScaler().fit(xtr)
    ds = _ds(sc.transform(xtr), ytr, sc.transform(xte), yte, torch.long)
    model = K.KAN(width=[13, 3, 3], grid=3, k=3, seed=0, auto_save=False)
    train_acc, test_acc = acc_fns(model, ds)
    res = _quiet(model.fit, ds, opt="LBFGS", steps=15, metrics=(train_acc, test_acc),
                 loss_fn=torch.nn.CrossEntropyLoss())
    return {"keys": sorted(res), "n": len(res["test_acc"]),
            "train_acc": float(res["train_acc"][-1]), "test_acc": float(res["test_acc"][-1])}


@case
def wine_raw_units_ce_adam(K):
    # the same table unscaled (proline in the hundreds to ~1700), Adam lr=1e-2, default grid update
    from sklearn.datasets import load_wine
    x, y = load_wine(return_X_y=True)
    xtr, xte, ytr, yte = _split(x, y, stratify=True)
    ds = _ds(xtr, ytr, xte, yte, torch.long)
    model = K.KAN(width=[13, 4, 3], grid=5, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="Adam", lr=1e-2, steps=60, loss_fn=torch.nn.CrossEntropyLoss())
    with torch.no_grad():
        acc = float((model(ds["test_input"]).argmax(1) == ds["test_label"]).float().mean())
    return {"test_acc": acc, "finite": bool(torch.isfinite(model(ds["test_input"])).all())}


@case
def breast_cancer_raw_thousands_ce(K):
    # 30 unscaled columns (area in the thousands), [30, 2], LBFGS with CE
    from sklearn.datasets import load_breast_cancer
    x, y = load_breast_cancer(return_X_y=True)
    xtr, xte, ytr, yte = _split(x, y, stratify=True)
    ds = _ds(xtr, ytr, xte, yte, torch.long)
    model = K.KAN(width=[30, 2], grid=3, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=10, loss_fn=torch.nn.CrossEntropyLoss())
    with torch.no_grad():
        acc = float((model(ds["test_input"]).argmax(1) == ds["test_label"]).float().mean())
    return {"test_acc": acc}


@case
def digits_constant_pixel_columns_batch(K):
    # load_digits / 16 (columns that are always 0), [64, 10], Adam batch=128, CE
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    xtr, xte, ytr, yte = _split(x[:900], y[:900])
    ds = _ds(xtr, ytr, xte, yte, torch.long)
    model = K.KAN(width=[64, 10], grid=3, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="Adam", lr=1e-2, steps=60, batch=128,
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
    ds = _ds(x[:350], y[:350, None], x[350:], y[350:, None])
    model = K.KAN(width=[10, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=1e-3)
    model.attribute()
    score = model.feature_score.detach().numpy()
    top5 = sorted(int(i) for i in np.argsort(-score)[:5])
    return {"top5": top5, "rmse": holdout_rmse(model, ds)}


@case
def friedman2_unscaled_inputs_targets(K):
    # make_friedman2 as is: x up to ~1700, y in the hundreds; fit with the default grid update
    from sklearn.datasets import make_friedman2
    x, y = make_friedman2(n_samples=400, noise=0.0, random_state=0)
    ds = _ds(x[:300], y[:300, None], x[300:], y[300:, None])
    model = K.KAN(width=[4, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=20)
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
    ds = _ds(xs.transform(x[:300]), ys.transform(y[:300, None]),
             xs.transform(x[300:]), ys.transform(y[300:, None]))
    model = K.KAN(width=[4, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=25)
    with torch.no_grad():
        pred = ys.inverse_transform(model(ds["test_input"]).numpy())
    return {"r2": float(r2_score(y[300:], pred[:, 0]))}


@case
def make_regression_three_noisy_targets(K):
    # make_regression(n_targets=3, noise=10): raw targets (~±300), [6, 6, 3], per-output RMSE
    from sklearn.datasets import make_regression
    x, y = make_regression(n_samples=400, n_features=6, n_informative=4, n_targets=3,
                           noise=10.0, random_state=0)
    ds = _ds(x[:300], y[:300], x[300:], y[300:])
    model = K.KAN(width=[6, 6, 3], grid=5, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=20)
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
    ds = _ds(x[:350], y[:350], x[350:], y[350:], torch.long)
    model = K.KAN(width=[8, 4, 3], grid=5, k=3, seed=0)  # pykan's prune logs to ./model (auto_save)
    ce = torch.nn.CrossEntropyLoss()
    _quiet(model.fit, ds, opt="LBFGS", steps=15, lamb=5e-3, loss_fn=ce)
    model = model.prune()
    _quiet(model.fit, ds, opt="LBFGS", steps=10, loss_fn=ce)
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
    ds = _ds(x[:330], y[:330, None], x[330:], y[330:, None])
    model = K.KAN(width=[10, 3, 1], grid=3, k=3, seed=0)  # pykan's prune logs to ./model (auto_save)
    _quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=1e-2, lamb_entropy=10.0)
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
        ds = _ds(x[tr], y[tr], x[te], y[te])
        _quiet(m.fit, ds, opt="LBFGS", steps=15)
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
    ds = _ds(x[:200], y[:200], x[200:], y[200:])
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    best, best_state, wait, it = float("inf"), None, 0, 0
    while it < 150 and wait < 10:
        res = _quiet(model.fit, ds, opt="Adam", lr=1e-2, steps=1, update_grid=False)
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
    ds = _ds(x[:200], y[:200], x[200:], y[200:])
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    hist = []
    for _ in range(12):
        res = _quiet(model.fit, ds, opt="LBFGS", steps=1)
        hist.append(float(res["test_loss"][-1]))
    return {"first": hist[0], "last": hist[-1], "best": min(hist)}


@case
def huber_loss_student_t_noise(K):
    # heavy-tailed noise on the labels; loss_fn=torch.nn.HuberLoss(delta=0.5) beside default MSE
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(400, 2))
    clean = np.sin(np.pi * x[:, :1]) + x[:, 1:2] ** 2
    y = clean + 0.3 * rng.standard_t(df=1.5, size=(400, 1))
    ds = _ds(x[:300], y[:300], x[300:], clean[300:])
    out = {}
    for name, fn in [("mse", None), ("huber", torch.nn.HuberLoss(delta=0.5))]:
        model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
        _quiet(model.fit, ds, opt="LBFGS", steps=20, loss_fn=fn)
        out[name] = holdout_rmse(model, ds)
    return out


@case
def l1_loss_adam_outliers(K):
    # loss_fn=torch.nn.L1Loss() with Adam on labels with 5% gross outliers
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(400, 2))
    clean = x[:, :1] ** 2 + 0.5 * np.cos(2 * x[:, 1:2])
    y = clean.copy()
    bad = rng.choice(300, size=15, replace=False)
    y[bad] += rng.normal(scale=5.0, size=(15, 1))
    ds = _ds(x[:300], y[:300], x[300:], clean[300:])
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="Adam", lr=1e-2, steps=150, loss_fn=torch.nn.L1Loss())
    return {"rmse": holdout_rmse(model, ds)}


@case
def fortran_order_numpy_inputs(K):
    # np.asfortranarray(X) through torch.from_numpy (non-contiguous), float64 cast with .float()
    rng = np.random.default_rng(4)
    x = np.asfortranarray(rng.uniform(-1, 1, size=(300, 3)))
    y = np.asfortranarray(np.stack([x[:, 0] * x[:, 1], np.sin(2 * x[:, 2])], axis=1))
    xt = torch.from_numpy(x).float()
    yt = torch.from_numpy(y).float()
    ds = {"train_input": xt[:200], "train_label": yt[:200],
          "test_input": xt[200:], "test_label": yt[200:]}
    model = K.KAN(width=[3, 4, 2], grid=5, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"contig": bool(torch.from_numpy(x).is_contiguous()), "rmse": holdout_rmse(model, ds)}


@case
def pandas_series_labels_long_stratified(K):
    # torch.tensor(y_train.values) from a pandas Series of ints; X from df.values (float64)
    import pandas as pd
    from sklearn.datasets import load_breast_cancer
    data = load_breast_cancer(as_frame=True)
    df = data.frame
    cols = ["mean radius", "mean texture", "mean smoothness", "worst concavity"]
    X = df[cols]
    X = (X - X.mean()) / X.std()
    ytr_s = pd.Series(df["target"].values)
    xtr, xte, ytr, yte = _split(X, ytr_s, stratify=True)
    ds = {"train_input": torch.tensor(xtr.values).float(), "train_label": torch.tensor(ytr.values),
          "test_input": torch.tensor(xte.values).float(), "test_label": torch.tensor(yte.values)}
    model = K.KAN(width=[4, 3, 2], grid=5, k=3, seed=0, auto_save=False)
    train_acc, test_acc = acc_fns(model, ds)
    res = _quiet(model.fit, ds, opt="LBFGS", steps=15, metrics=(train_acc, test_acc),
                 loss_fn=torch.nn.CrossEntropyLoss())
    return {"label_dtype": str(ds["train_label"].dtype), "test_acc": float(res["test_acc"][-1])}


@case
def near_constant_column_grid_update(K):
    # one column with std 1e-6 (a sensor stuck at a value); fit with the default grid update
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=(300, 3))
    x[:, 2] = 0.37 + 1e-6 * rng.normal(size=300)
    y = np.sin(np.pi * x[:, :1]) + x[:, 1:2] ** 2
    ds = _ds(x[:200], y[:200], x[200:], y[200:])
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=20)
    with torch.no_grad():
        out = model(ds["test_input"])
    return {"finite": bool(torch.isfinite(out).all()), "rmse": holdout_rmse(model, ds)}


@case
def exactly_constant_column_then_attribute(K):
    # a column that is exactly constant (one-hot level never seen); fit, attribute, feature_score
    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, size=(300, 3))
    x[:, 1] = 1.0
    y = x[:, :1] ** 2 + np.cos(2 * x[:, 2:3])
    ds = _ds(x[:200], y[:200], x[200:], y[200:])
    model = K.KAN(width=[3, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=20)
    model.attribute()
    score = model.feature_score.detach()
    return {"finite": bool(torch.isfinite(score).all()), "rmse": holdout_rmse(model, ds),
            "const_is_least": int(torch.argmin(score)) == 1}


@case
def integer_categorical_codes_column(K):
    # a category coded 0..4 (pd.Categorical().codes) next to a numeric column
    import pandas as pd
    rng = np.random.default_rng(7)
    cat = pd.Categorical(rng.choice(["a", "b", "c", "d", "e"], size=400))
    num = rng.uniform(-1, 1, size=400)
    effect = np.array([0.0, 1.0, -0.5, 2.0, 0.3])[cat.codes]
    y = effect + np.sin(2 * num)
    x = np.stack([cat.codes.astype(np.float64), num], axis=1)
    ds = _ds(x[:300], y[:300, None], x[300:], y[300:, None])
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"rmse": holdout_rmse(model, ds)}


@case
def thousands_inputs_grid_update_or_not(K):
    # x in [1000, 3000] unscaled: default fit (grid follows the data) beside update_grid=False
    rng = np.random.default_rng(8)
    x = rng.uniform(1000, 3000, size=(300, 2))
    y = np.sin(x[:, :1] / 400) + (x[:, 1:2] / 2000) ** 2
    ds = _ds(x[:200], y[:200], x[200:], y[200:])
    out = {}
    for ug in (True, False):
        model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
        _quiet(model.fit, ds, opt="LBFGS", steps=20, update_grid=ug)
        out[f"update_{ug}"] = holdout_rmse(model, ds)
    return out


@case
def lognormal_heavy_tailed_feature(K):
    # income-like lognormal column (a few values 50x the median) with log effect
    rng = np.random.default_rng(9)
    inc = rng.lognormal(mean=0.0, sigma=1.2, size=400)
    age = rng.uniform(-1, 1, size=400)
    y = np.log(inc) + 0.5 * age ** 2
    x = np.stack([inc, age], axis=1)
    ds = _ds(x[:300], y[:300, None], x[300:], y[300:, None])
    model = K.KAN(width=[2, 3, 1], grid=10, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"rmse": holdout_rmse(model, ds), "max_x": float(x[:, 0].max())}


@case
def float64_model_float64_numpy_mlp_swap(K):
    # torch.set_default_dtype(float64); torch.from_numpy(df.values) straight in; MLP swapped out
    torch.set_default_dtype(torch.float64)
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True)
    x = (x - x.mean(0)) / x.std(0)
    y = (y - y.mean()) / y.std()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).unsqueeze(-1)
    ds = {"train_input": xt[:330], "train_label": yt[:330], "test_input": xt[330:], "test_label": yt[330:]}
    model = K.KAN(width=[10, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    _quiet(model.fit, ds, opt="LBFGS", steps=15, lamb=1e-3)
    with torch.no_grad():
        out = model(ds["test_input"])
    return {"dtype": str(out.dtype), "rmse": holdout_rmse(model, ds)}


@case
def adam_batch_regression_lr_sweep(K):
    # for lr in [1e-3, 1e-2]: fresh model, Adam batch=64, steps=100 on make_regression (noise 5)
    from sklearn.datasets import make_regression
    x, y = make_regression(n_samples=500, n_features=4, noise=5.0, random_state=2)
    x = x / x.std(0)
    y = (y - y.mean()) / y.std()
    ds = _ds(x[:400], y[:400, None], x[400:], y[400:, None])
    out = {}
    for lr in (1e-3, 1e-2):
        model = K.KAN(width=[4, 3, 1], grid=5, k=3, seed=0, auto_save=False)
        _quiet(model.fit, ds, opt="Adam", lr=lr, steps=100, batch=64)
        out[f"lr{lr}"] = holdout_rmse(model, ds)
    return out


@case
def labels_n_vs_n1_regression(K):
    # labels of shape (n,) (MSE broadcasting, a warning) beside (n, 1): losses and predictions
    import warnings
    rng = np.random.default_rng(10)
    x = rng.uniform(-1, 1, size=(200, 2))
    y = x[:, 0] ** 2 + x[:, 1]
    out = {}
    for name, yy in [("n1", y[:, None]), ("n", y)]:
        ds = _ds(x[:150], yy[:150], x[150:], yy[150:])
        model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = _quiet(model.fit, ds, opt="LBFGS", steps=10)
        with torch.no_grad():
            out[name] = rmse(model(ds["test_input"])[:, 0], torch.tensor(y[150:]))
        out[name + "_loss"] = float(res["train_loss"][-1])
    return out


@case
def row_normalized_patience_loop_k2(K):
    # sklearn.preprocessing.normalize (rows) on iris; fit(steps=1, lamb, metrics, CE) in a loop with
    # patience 3, width [4, 4, 2, 3], k=2; the model handed back and trained again
    import sklearn.preprocessing
    from sklearn.datasets import load_iris
    data = load_iris()
    X = sklearn.preprocessing.normalize(data.data)
    xtr, xte, ytr, yte = _split(X, data.target, seed=7, test_size=0.33)
    ds = _ds(xtr, ytr, xte, yte, torch.long)

    def run(steps, model=None, best=0.0):
        if model is None:
            model = K.KAN(width=[4, 4, 2, 3], grid=3, k=2, seed=0, auto_save=False)
        train_acc, test_acc = acc_fns(model, ds)
        patience, accs = 3, []
        for _ in range(steps):
            r = _quiet(model.fit, ds, opt="LBFGS", steps=1, lamb=1e-3, metrics=(train_acc, test_acc),
                       loss_fn=torch.nn.CrossEntropyLoss())
            accs.append(float(r["test_acc"][0]))
            if r["test_acc"][0] < best:
                if patience == 0:
                    break
                patience -= 1
            else:
                patience, best = 3, float(r["test_acc"][0])
        return model, accs, best

    model, a1, best = run(3)
    model, a2, best = run(20, model, best)
    return {"n_calls": len(a1) + len(a2), "best": best,
            "final": float((model(ds["test_input"]).argmax(1) == ds["test_label"]).float().mean())}


@case
def prune_result_discarded_then_symbolic(K):
    # model.prune() without assignment (the returned model dropped), then auto_symbolic and formula
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, size=(300, 3))
    y = np.sin(np.pi * x[:, :1]) + x[:, 1:2] ** 2
    ds = _ds(x[:200], y[:200], x[200:], y[200:])
    model = K.KAN(width=[3, 3, 1], grid=5, k=3, seed=0)  # pykan's prune logs to ./model (auto_save)
    _quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=1e-2)
    with torch.no_grad():
        before = model(ds["test_input"]).clone()
    pruned = model.prune()
    with torch.no_grad():
        unchanged = bool(torch.allclose(model(ds["test_input"]), before, atol=1e-5))
    _quiet(model.auto_symbolic, lib=["x", "x^2", "sin"])
    expr = model.symbolic_formula()[0][0]
    return {"unchanged": unchanged, "width": [int(w) for w in model.width_in],
            "pruned_width": [int(w) for w in pruned.width_in], "n_symbols": len(expr.free_symbols),
            "sym_rmse": holdout_rmse(model, ds)}

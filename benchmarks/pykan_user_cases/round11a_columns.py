"""Round 11a's tables, continued (``--kinds round11a``): what a table's columns and labels bring —
Huber and L1 losses on heavy-tailed targets and outliers, Fortran-ordered arrays, pandas Series
labels, near-constant, exactly constant, integer-coded and lognormal columns, inputs in the
thousands with and without grid updates, float64 end to end, an Adam ``batch`` lr sweep, labels
``(n,)`` beside ``(n, 1)``, a patience loop over ``fit(steps=1)``, and ``prune()`` with its result
dropped."""

import numpy as np
import torch

from ._common import acc_fns, case, holdout_rmse, quiet, rmse, sklearn_split, tensor_dataset


@case
def huber_loss_student_t_noise(K):
    # heavy-tailed noise on the labels; loss_fn=torch.nn.HuberLoss(delta=0.5) beside default MSE
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(400, 2))
    clean = np.sin(np.pi * x[:, :1]) + x[:, 1:2] ** 2
    y = clean + 0.3 * rng.standard_t(df=1.5, size=(400, 1))
    ds = tensor_dataset(x[:300], y[:300], x[300:], clean[300:])
    out = {}
    for name, fn in [("mse", None), ("huber", torch.nn.HuberLoss(delta=0.5))]:
        model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
        quiet(model.fit, ds, opt="LBFGS", steps=20, loss_fn=fn)
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
    ds = tensor_dataset(x[:300], y[:300], x[300:], clean[300:])
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="Adam", lr=1e-2, steps=150, loss_fn=torch.nn.L1Loss())
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
    quiet(model.fit, ds, opt="LBFGS", steps=20)
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
    xtr, xte, ytr, yte = sklearn_split(X, ytr_s, stratify=True)
    ds = {"train_input": torch.tensor(xtr.values).float(), "train_label": torch.tensor(ytr.values),
          "test_input": torch.tensor(xte.values).float(), "test_label": torch.tensor(yte.values)}
    model = K.KAN(width=[4, 3, 2], grid=5, k=3, seed=0, auto_save=False)
    train_acc, test_acc = acc_fns(model, ds)
    res = quiet(model.fit, ds, opt="LBFGS", steps=15, metrics=(train_acc, test_acc),
                 loss_fn=torch.nn.CrossEntropyLoss())
    return {"label_dtype": str(ds["train_label"].dtype), "test_acc": float(res["test_acc"][-1])}


@case
def near_constant_column_grid_update(K):
    # one column with std 1e-6 (a sensor stuck at a value); fit with the default grid update
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=(300, 3))
    x[:, 2] = 0.37 + 1e-6 * rng.normal(size=300)
    y = np.sin(np.pi * x[:, :1]) + x[:, 1:2] ** 2
    ds = tensor_dataset(x[:200], y[:200], x[200:], y[200:])
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
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
    ds = tensor_dataset(x[:200], y[:200], x[200:], y[200:])
    model = K.KAN(width=[3, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
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
    ds = tensor_dataset(x[:300], y[:300, None], x[300:], y[300:, None])
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"rmse": holdout_rmse(model, ds)}


@case
def thousands_inputs_grid_update_or_not(K):
    # x in [1000, 3000] unscaled: default fit (grid follows the data) beside update_grid=False
    rng = np.random.default_rng(8)
    x = rng.uniform(1000, 3000, size=(300, 2))
    y = np.sin(x[:, :1] / 400) + (x[:, 1:2] / 2000) ** 2
    ds = tensor_dataset(x[:200], y[:200], x[200:], y[200:])
    out = {}
    for ug in (True, False):
        model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
        quiet(model.fit, ds, opt="LBFGS", steps=20, update_grid=ug)
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
    ds = tensor_dataset(x[:300], y[:300, None], x[300:], y[300:, None])
    model = K.KAN(width=[2, 3, 1], grid=10, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
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
    quiet(model.fit, ds, opt="LBFGS", steps=15, lamb=1e-3)
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
    ds = tensor_dataset(x[:400], y[:400, None], x[400:], y[400:, None])
    out = {}
    for lr in (1e-3, 1e-2):
        model = K.KAN(width=[4, 3, 1], grid=5, k=3, seed=0, auto_save=False)
        quiet(model.fit, ds, opt="Adam", lr=lr, steps=100, batch=64)
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
        ds = tensor_dataset(x[:150], yy[:150], x[150:], yy[150:])
        model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = quiet(model.fit, ds, opt="LBFGS", steps=10)
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
    xtr, xte, ytr, yte = sklearn_split(X, data.target, seed=7, test_size=0.33)
    ds = tensor_dataset(xtr, ytr, xte, yte, torch.long)

    def run(steps, model=None, best=0.0):
        if model is None:
            model = K.KAN(width=[4, 4, 2, 3], grid=3, k=2, seed=0, auto_save=False)
        train_acc, test_acc = acc_fns(model, ds)
        patience, accs = 3, []
        for _ in range(steps):
            r = quiet(model.fit, ds, opt="LBFGS", steps=1, lamb=1e-3, metrics=(train_acc, test_acc),
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
    ds = tensor_dataset(x[:200], y[:200], x[200:], y[200:])
    model = K.KAN(width=[3, 3, 1], grid=5, k=3, seed=0)  # pykan's prune logs to ./model (auto_save)
    quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=1e-2)
    with torch.no_grad():
        before = model(ds["test_input"]).clone()
    pruned = model.prune()
    with torch.no_grad():
        unchanged = bool(torch.allclose(model(ds["test_input"]), before, atol=1e-5))
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin"])
    expr = model.symbolic_formula()[0][0]
    return {"unchanged": unchanged, "width": [int(w) for w in model.width_in],
            "pruned_width": [int(w) for w in pruned.width_in], "n_symbols": len(expr.free_symbols),
            "sym_rmse": holdout_rmse(model, ds)}

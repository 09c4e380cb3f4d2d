"""A tenth round (with ``round10a_course`` and ``round10a_sym``): Kaggle notebooks' and
scientists' data — a CSV read with pandas, scaled, split and given to
``create_dataset_from_data``; an ``.npz`` of float64 arrays; one-hot columns from
``get_dummies`` (booleans); ``dropna``; a multi-horizon window forecaster; a two-output
regression with per-output RMSE; breast-cancer classification with a ``MinMaxScaler`` and
sklearn metrics; 1D long labels through ``create_dataset_from_data``; MinMax to [-1, 1] and
back to raw units; ``train_ratio=0.7``; Adam with ``log=10``; a ``lamb`` fit then
``prune(node_th, edge_th)`` and ``auto_symbolic`` on a table."""

import os
import tempfile

import numpy as np
import torch

from ._common import case, holdout_rmse, quiet, rmse


def _table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 3))
    y = np.sin(np.pi * x[:, 0]) + x[:, 1] ** 2 + 0.1 * rng.normal(size=n)
    return x, y


@case
def csv_pandas_scaler_split_from_data(K):
    # df.to_csv / read_csv; StandardScaler; train_test_split; create_dataset_from_data; r2
    import pandas as pd
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    x, y = _table()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.csv")
        pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "target": y}).to_csv(path, index=False)
        df = pd.read_csv(path)
    X = StandardScaler().fit_transform(df.drop(columns="target").values)
    xtr, xte, ytr, yte = train_test_split(X, df["target"].values, test_size=0.25, random_state=0)
    ds = {"train_input": torch.tensor(xtr, dtype=torch.float32),
          "train_label": torch.tensor(ytr, dtype=torch.float32).unsqueeze(1),
          "test_input": torch.tensor(xte, dtype=torch.float32),
          "test_label": torch.tensor(yte, dtype=torch.float32).unsqueeze(1)}
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    with torch.no_grad():
        pred = model(ds["test_input"]).numpy()[:, 0]
    return {"r2": float(r2_score(yte, pred)), "rmse": holdout_rmse(model, ds)}


@case
def npz_float64_arrays_from_data(K):
    # np.savez then np.load; torch.from_numpy (float64) straight into create_dataset_from_data
    x, y = _table(seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "arrays.npz")
        np.savez(path, X=x, y=y[:, None])
        data = np.load(path)
        X, Y = torch.from_numpy(data["X"]), torch.from_numpy(data["y"])
    torch.manual_seed(0)
    ds = K.create_dataset_from_data(X, Y, train_ratio=0.8, device="cpu")
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"dtype": str(ds["train_input"].dtype), "n_train": int(ds["train_input"].shape[0]),
            "rmse": holdout_rmse(model, ds.copy())}


@case
def get_dummies_bool_columns_dropna(K):
    # a categorical column one-hot with get_dummies (bool), NaN rows dropped, .astype(float32)
    import pandas as pd
    rng = np.random.default_rng(2)
    n = 320
    df = pd.DataFrame({"x": rng.uniform(-1, 1, n), "kind": rng.choice(["a", "b", "c"], n)})
    df.loc[::40, "x"] = np.nan
    df["y"] = df["x"] ** 2 + df["kind"].map({"a": 0.0, "b": 0.5, "c": -0.5})
    df = pd.get_dummies(df.dropna(), columns=["kind"])
    X = torch.tensor(df.drop(columns="y").values.astype(np.float32))
    Y = torch.tensor(df[["y"]].values.astype(np.float32))
    h = int(0.75 * len(X))
    ds = {"train_input": X[:h], "train_label": Y[:h], "test_input": X[h:], "test_label": Y[h:]}
    model = K.KAN(width=[X.shape[1], 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"n_cols": int(X.shape[1]), "rows": int(len(X)), "rmse": holdout_rmse(model, ds)}


@case
def multi_horizon_window_forecaster(K):
    # windows of 8 past values -> the next 3; chronological split; Adam batch; per-horizon RMSE
    t = np.arange(600)
    s = np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 17) + 0.05 * np.random.default_rng(0).normal(size=600)
    w, h = 8, 3
    X = np.stack([s[i:i + w] for i in range(len(s) - w - h)])
    Y = np.stack([s[i + w:i + w + h] for i in range(len(s) - w - h)])
    X, Y = torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)
    cut = int(0.8 * len(X))
    ds = {"train_input": X[:cut], "train_label": Y[:cut], "test_input": X[cut:], "test_label": Y[cut:]}
    model = K.KAN(width=[w, 4, h], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="Adam", lr=0.01, steps=150, batch=64, update_grid=False)
    with torch.no_grad():
        pred = model(ds["test_input"])
    per = [rmse(pred[:, [j]], ds["test_label"][:, [j]]) for j in range(h)]
    return {"per_horizon": per, "naive": rmse(ds["test_input"][:, [-1]].expand(-1, h), ds["test_label"])}


@case
def two_output_regression_per_output(K):
    # create_dataset with f returning two columns; width [3, 5, 2]; RMSE of each output
    f = lambda x: torch.cat([torch.sin(torch.pi * x[:, [0]]) + x[:, [1]],  # noqa: E731
                             x[:, [1]] * x[:, [2]]], dim=1)
    ds = K.create_dataset(f, n_var=3, train_num=300, test_num=300, seed=0)
    model = K.KAN(width=[3, 5, 2], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=25)
    with torch.no_grad():
        pred = model(ds["test_input"])
    return {"label_shape": list(ds["train_label"].shape),
            "rmse": [rmse(pred[:, [j]], ds["test_label"][:, [j]]) for j in range(2)]}


@case
def breast_cancer_minmax_metrics(K):
    # 30 features MinMax-scaled, two logits, CrossEntropyLoss; accuracy, F1, confusion matrix
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import confusion_matrix, f1_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler
    data = load_breast_cancer()
    xtr, xte, ytr, yte = train_test_split(data.data, data.target, test_size=0.3, random_state=42,
                                          stratify=data.target)
    sc = MinMaxScaler(feature_range=(-1, 1)).fit(xtr)
    ds = {"train_input": torch.tensor(sc.transform(xtr), dtype=torch.float32),
          "train_label": torch.tensor(ytr, dtype=torch.long),
          "test_input": torch.tensor(sc.transform(xte), dtype=torch.float32),
          "test_label": torch.tensor(yte, dtype=torch.long)}
    model = K.KAN(width=[30, 2, 2], grid=3, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=10, loss_fn=torch.nn.CrossEntropyLoss())
    with torch.no_grad():
        pred = model(ds["test_input"]).argmax(1).numpy()
    return {"acc": float((pred == yte).mean()), "f1": float(f1_score(yte, pred)),
            "cm_diag": int(np.trace(confusion_matrix(yte, pred)))}


@case
def long_labels_through_from_data(K):
    # create_dataset_from_data(X, y_long_1d) for three blobs; CE loss; metrics accuracy
    from sklearn.datasets import make_blobs
    x, y = make_blobs(n_samples=300, centers=3, n_features=2, random_state=0, cluster_std=1.2)
    x = (x - x.mean(0)) / x.std(0)
    torch.manual_seed(0)
    ds = K.create_dataset_from_data(torch.tensor(x, dtype=torch.float32), torch.tensor(y))
    model = K.KAN(width=[2, 3, 3], grid=5, k=3, seed=0, auto_save=False)

    def test_acc():
        return torch.mean((model(ds["test_input"]).argmax(1) == ds["test_label"]).float())
    res = quiet(model.fit, ds, opt="LBFGS", steps=15, loss_fn=torch.nn.CrossEntropyLoss(),
                 metrics=(test_acc,))
    return {"label_dtype": str(ds["train_label"].dtype), "acc": float(res["test_acc"][-1])}


@case
def minmax_to_raw_units_inverse(K):
    # MinMaxScaler to [-1, 1] on inputs and target; predictions inverse-transformed to raw units
    from sklearn.preprocessing import MinMaxScaler
    rng = np.random.default_rng(3)
    raw_x = np.column_stack([rng.uniform(200, 400, 400), rng.uniform(0.5, 3.0, 400)])
    raw_y = (0.02 * raw_x[:, 0] + np.log(raw_x[:, 1]) * 3.0)[:, None]
    sx, sy = MinMaxScaler((-1, 1)).fit(raw_x[:300]), MinMaxScaler((-1, 1)).fit(raw_y[:300])
    X, Y = sx.transform(raw_x), sy.transform(raw_y)
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    ds = {"train_input": t(X[:300]), "train_label": t(Y[:300]), "test_input": t(X[300:]), "test_label": t(Y[300:])}
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    with torch.no_grad():
        pred = sy.inverse_transform(model(ds["test_input"]).numpy())
    return {"raw_rmse": float(np.sqrt(np.mean((pred - raw_y[300:]) ** 2))), "y_std": float(raw_y.std())}


@case
def train_ratio_07_shapes_and_fit(K):
    # create_dataset_from_data(X, Y, train_ratio=0.7); shapes, then an LBFGS fit
    g = torch.Generator().manual_seed(4)
    X = torch.rand(200, 2, generator=g) * 2 - 1
    Y = X[:, [0]] * X[:, [1]] + X[:, [0]]
    torch.manual_seed(0)
    ds = K.create_dataset_from_data(X, Y, train_ratio=0.7)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"shapes": [int(ds["train_input"].shape[0]), int(ds["test_input"].shape[0])],
            "rmse": holdout_rmse(model, ds)}


@case
def adam_log10_printed_progress(K):
    # fit(opt='Adam', lr=1e-2, steps=200, log=10): the progress line and the result
    x, y = _table(seed=5)
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    ds = {"train_input": t(x[:240]), "train_label": t(y[:240, None]), "test_input": t(x[240:]),
          "test_label": t(y[240:, None])}
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    res = quiet(model.fit, ds, opt="Adam", lr=1e-2, steps=200, log=10)
    return {"n_logged": len(res["train_loss"]), "rmse": holdout_rmse(model, ds)}


@case
def table_lamb_prune_thresholds_symbolic(K):
    # lamb fit on a 4-column table with two useless columns; prune(node_th, edge_th); formula
    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, size=(300, 4))
    y = x[:, [0]] ** 2 + 0.8 * x[:, [2]]
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    ds = {"train_input": t(x[:220]), "train_label": t(y[:220]), "test_input": t(x[220:]), "test_label": t(y[220:])}
    model = K.KAN(width=[4, 3, 1], grid=5, k=3, seed=0)
    quiet(model.fit, ds, opt="LBFGS", steps=25, lamb=1e-2, lamb_entropy=2.0)
    model = model.prune(node_th=1e-2, edge_th=5e-2)
    quiet(model.fit, ds, opt="LBFGS", steps=15)
    quiet(model.auto_symbolic, lib=["x", "x^2"])
    expr = model.symbolic_formula()[0][0]
    return {"vars": sorted(str(s) for s in expr.free_symbols), "rmse": holdout_rmse(model, ds)}


@case
def speed_then_predict_numpy(K):
    # model.speed() before a big batch of predictions turned into numpy
    x, y = _table(seed=7)
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    ds = {"train_input": t(x[:240]), "train_label": t(y[:240, None]), "test_input": t(x[240:]),
          "test_label": t(y[240:, None])}
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=15)
    before = holdout_rmse(model, ds)
    model = model.speed() or model
    big = t(np.random.default_rng(8).uniform(-1, 1, size=(5000, 3)))
    with torch.no_grad():
        pred = model(big).cpu().numpy()
    return {"shape": list(pred.shape), "finite": bool(np.isfinite(pred).all()),
            "same_rmse": abs(holdout_rmse(model, ds) - before) < 1e-6}

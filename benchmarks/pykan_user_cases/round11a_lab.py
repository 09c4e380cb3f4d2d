"""An eleventh round (with ``round11a_tables``): a scientist with a file of measurements — a
CSV written with ``np.savetxt`` and read back with ``np.genfromtxt(names=True)`` (NaN rows
dropped), ideal-gas readings in kelvin and kilopascal, a pendulum's period, radioactive
counts, Beer–Lambert absorbance, a projectile's two outputs, statsmodels' bundled series
(sunspots, Nile) as window regressors and its tables (copper, fair, spector); ``auto_symbolic``
with a small ``lib`` on noisy data and ``symbolic_formula(var=[column names])``."""

import os
import tempfile

import numpy as np
import torch

from ._common import case, holdout_rmse, quiet


def _ds(x, y, n_train):
    t = lambda a: torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.get_default_dtype())  # noqa: E731
    x, y = t(x), t(y)
    if y.dim() == 1:
        y = y.unsqueeze(1)
    return {"train_input": x[:n_train], "train_label": y[:n_train],
            "test_input": x[n_train:], "test_label": y[n_train:]}


def _symbols(expr):
    return sorted(str(s) for s in expr.free_symbols)


@case
def genfromtxt_names_nan_rows_dropped(K):
    # np.savetxt(header='T,P,V'); np.genfromtxt(names=True); drop rows with nan; fit V(T, P)
    rng = np.random.default_rng(0)
    T = rng.uniform(280, 380, 300)
    P = rng.uniform(90, 210, 300)
    V = 8.314 * T / P * (1 + 0.01 * rng.normal(size=300))
    data = np.stack([T, P, V], axis=1)
    data[rng.choice(300, 12, replace=False), 2] = np.nan
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "gas.csv")
        np.savetxt(path, data, delimiter=",", header="T,P,V", comments="")
        rec = np.genfromtxt(path, delimiter=",", names=True)
    arr = np.stack([rec["T"], rec["P"], rec["V"]], axis=1)
    arr = arr[~np.isnan(arr).any(axis=1)]
    ds = _ds(arr[:, :2], arr[:, 2], 200)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"rows": int(arr.shape[0]), "rel_rmse": holdout_rmse(model, ds) / float(arr[200:, 2].std())}


@case
def ideal_gas_raw_units_symbolic_var_names(K):
    # V = nRT/P in raw units; auto_symbolic(lib=[...]); symbolic_formula(var=['T', 'P'])
    rng = np.random.default_rng(1)
    T = rng.uniform(280, 380, 300)
    P = rng.uniform(90, 210, 300)
    V = 8.314 * T / P
    ds = _ds(np.stack([T, P], 1), V, 200)
    model = K.KAN(width=[2, 1, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    spline = holdout_rmse(model, ds)
    quiet(model.auto_symbolic, lib=["x", "log", "exp", "1/x", "x^2"])
    quiet(model.fit, ds, opt="LBFGS", steps=10)
    expr = model.symbolic_formula(var=["T", "P"])[0][0]
    return {"spline_rmse": spline, "sym_rmse": holdout_rmse(model, ds), "vars": _symbols(expr)}


@case
def pendulum_period_suggest_sqrt(K):
    # T = 2 pi sqrt(L / g) with 1% noise; [1, 1]; suggest_symbolic on the one edge
    rng = np.random.default_rng(2)
    L = rng.uniform(0.1, 2.0, 300)
    T = 2 * np.pi * np.sqrt(L / 9.81) * (1 + 0.01 * rng.normal(size=300))
    ds = _ds(L[:, None], T, 200)
    model = K.KAN(width=[1, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    model(ds["train_input"])
    name = quiet(model.suggest_symbolic, 0, 0, 0, lib=["x", "x^2", "sqrt", "exp", "log"],
                  verbose=False)[0]
    return {"name": name, "rmse": holdout_rmse(model, ds)}


@case
def radioactive_counts_log_transform(K):
    # Poisson counts of a decaying source, log(counts) vs time in seconds (0..600)
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 600, 300))
    counts = rng.poisson(1000 * np.exp(-t / 200)).astype(np.float64)
    keep = counts > 0
    t, counts = t[keep], counts[keep]
    idx = rng.permutation(len(t))
    ds = _ds(t[idx, None], np.log(counts[idx]), 200)
    model = K.KAN(width=[1, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    quiet(model.auto_symbolic, lib=["x", "x^2", "exp"])
    quiet(model.fit, ds, opt="LBFGS", steps=10)
    return {"rmse": holdout_rmse(model, ds)}


@case
def beer_lambert_two_inputs_formula(K):
    # A = eps * l * c with concentration in mmol/L (0..5) and path in cm (0.5..2)
    rng = np.random.default_rng(4)
    c = rng.uniform(0, 5, 300)
    l = rng.uniform(0.5, 2, 300)
    A = 0.35 * l * c + 0.005 * rng.normal(size=300)
    ds = _ds(np.stack([c, l], 1), A, 200)
    model = K.KAN(width=[2, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=25)
    spline = holdout_rmse(model, ds)
    quiet(model.auto_symbolic, lib=["x", "x^2"])
    quiet(model.fit, ds, opt="LBFGS", steps=10)
    expr = model.symbolic_formula(var=["c", "l"])[0][0]
    return {"spline_rmse": spline, "sym_rmse": holdout_rmse(model, ds), "vars": _symbols(expr)}


@case
def projectile_two_outputs_angle_speed(K):
    # range and max height from launch angle (degrees!) and speed (m/s): [2, 4, 2]
    rng = np.random.default_rng(5)
    ang = rng.uniform(15, 75, 300)
    v = rng.uniform(5, 20, 300)
    th = np.deg2rad(ang)
    R = v ** 2 * np.sin(2 * th) / 9.81
    H = (v * np.sin(th)) ** 2 / (2 * 9.81)
    ds = _ds(np.stack([ang, v], 1), np.stack([R, H], 1), 200)
    model = K.KAN(width=[2, 4, 2], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=25)
    with torch.no_grad():
        err = (model(ds["test_input"]) - ds["test_label"]).pow(2).mean(0).sqrt()
    sd = ds["test_label"].std(0)
    return {"rel_rmse": [float(e / s) for e, s in zip(err, sd)]}


@case
def sunspots_lag_window_regressor(K):
    # statsmodels' sunspots: 6 lags -> next year, scaled by the train max, chronological split
    import statsmodels.api as sm
    s = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].values
    lags = 6
    X = np.stack([s[i:i + lags] for i in range(len(s) - lags)])
    y = s[lags:]
    n = 230
    scale = X[:n].max()
    ds = _ds(X / scale, y / scale, n)
    model = K.KAN(width=[lags, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=1e-3)
    return {"rmse_units": holdout_rmse(model, ds) * float(scale),
            "naive_units": float(np.sqrt(np.mean((y[n:] - X[n:, -1]) ** 2)))}


@case
def nile_raw_flow_window_update_grid(K):
    # statsmodels' Nile flow (hundreds to ~1400) unscaled: 3 lags -> next, default grid update
    import statsmodels.api as sm
    s = sm.datasets.nile.load_pandas().data["volume"].values.astype(np.float64)
    X = np.stack([s[i:i + 3] for i in range(len(s) - 3)])
    y = s[3:]
    ds = _ds(X, y, 75)
    model = K.KAN(width=[3, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=15)
    return {"rmse": holdout_rmse(model, ds), "std": float(y[75:].std())}


@case
def copper_table_25_rows_columns_as_vars(K):
    # statsmodels' copper (25 rows, 5 columns); standardise; formula with the column names
    import statsmodels.api as sm
    df = sm.datasets.copper.load_pandas().data
    cols = [c for c in df.columns if c != "WORLDCONSUMPTION"]
    X = ((df[cols] - df[cols].mean()) / df[cols].std()).values
    y = ((df["WORLDCONSUMPTION"] - df["WORLDCONSUMPTION"].mean())
         / df["WORLDCONSUMPTION"].std()).values
    ds = _ds(X, y, 20)
    model = K.KAN(width=[len(cols), 1], grid=3, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=15)
    quiet(model.auto_symbolic, lib=["x", "x^2"])
    expr = model.symbolic_formula(var=cols)[0][0]
    return {"vars_subset": set(_symbols(expr)) <= set(cols), "n_vars": len(_symbols(expr)),
            "rmse": holdout_rmse(model, ds)}


@case
def fair_integer_survey_columns(K):
    # statsmodels' fair: integer-coded survey answers (rate_marriage 1..5, educ 9..20, ...)
    import statsmodels.api as sm
    df = sm.datasets.fair.load_pandas().data.iloc[:800]
    cols = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]
    X = df[cols].values
    y = (df["affairs"].values > 0).astype(np.int64)
    ds = _ds(X, y, 600)
    ds["train_label"] = ds["train_label"][:, 0].long()
    ds["test_label"] = ds["test_label"][:, 0].long()
    model = K.KAN(width=[6, 3, 2], grid=3, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=15, loss_fn=torch.nn.CrossEntropyLoss())
    with torch.no_grad():
        acc = float((model(ds["test_input"]).argmax(1) == ds["test_label"]).float().mean())
    return {"test_acc": acc, "base_rate": float(1 - y[600:].mean())}


@case
def spector_32_rows_binary_leave_out(K):
    # statsmodels' spector (32 students): GPA, TUCE, PSI -> GRADE; leave-4-out, CE
    import statsmodels.api as sm
    df = sm.datasets.spector.load_pandas().data
    X = df[["GPA", "TUCE", "PSI"]].values
    y = df["GRADE"].values.astype(np.int64)
    accs = []
    for k in range(4):
        te = np.arange(k * 8, k * 8 + 8)
        tr = np.setdiff1d(np.arange(32), te)
        idx = np.concatenate([tr, te])
        ds = _ds(X[idx], y[idx], 24)
        ds["train_label"] = ds["train_label"][:, 0].long()
        ds["test_label"] = ds["test_label"][:, 0].long()
        model = K.KAN(width=[3, 2], grid=3, k=3, seed=0, auto_save=False)
        quiet(model.fit, ds, opt="LBFGS", steps=10, loss_fn=torch.nn.CrossEntropyLoss())
        with torch.no_grad():
            accs.append(float((model(ds["test_input"]).argmax(1) == ds["test_label"]).float().mean()))
    return {"mean_acc": float(np.mean(accs))}


@case
def noisy_auto_symbolic_small_lib_formula(K):
    # y = 2 x^2 + sin(3 z) + 0.1 noise; auto_symbolic(lib=['x','x^2','sin','exp']); rounded formula
    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, size=(400, 2))
    y = 2 * x[:, 0] ** 2 + np.sin(3 * x[:, 1]) + 0.1 * rng.normal(size=400)
    ds = _ds(x, y, 300)
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin", "exp"])
    quiet(model.fit, ds, opt="LBFGS", steps=10)
    expr = K.ex_round(model.symbolic_formula(var=["dose", "angle"])[0][0], 2)
    s = str(expr)
    truth = 2 * x[300:, 0] ** 2 + np.sin(3 * x[300:, 1])
    with torch.no_grad():
        err = float(np.sqrt(np.mean((model(ds["test_input"])[:, 0].double().numpy() - truth) ** 2)))
    return {"has_sin": "sin" in s, "has_dose": "dose" in s, "rmse_truth": err}


@case
def float64_lab_pipeline_prune_formula(K):
    # set_default_dtype(float64); Coulomb-like F = q1 q2 / r^2 (r in 1..3); lamb fit; prune; symbolic
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(7)
    q1 = rng.uniform(0.5, 2, 300)
    q2 = rng.uniform(0.5, 2, 300)
    r = rng.uniform(1, 3, 300)
    F = q1 * q2 / r ** 2
    ds = _ds(np.stack([q1, q2, r], 1), F, 200)
    model = K.KAN(width=[3, 3, 1], grid=5, k=3, seed=0)  # pykan's prune logs to ./model (auto_save)
    quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=1e-3)
    model = model.prune()
    quiet(model.fit, ds, opt="LBFGS", steps=15)
    spline = holdout_rmse(model, ds)
    quiet(model.auto_symbolic, lib=["x", "x^2", "log", "exp", "1/x^2"])
    quiet(model.fit, ds, opt="LBFGS", steps=10)
    expr = model.symbolic_formula(var=["q1", "q2", "r"])[0][0]
    return {"spline_rmse": spline, "sym_rmse": holdout_rmse(model, ds),
            "dtype": str(model(ds["test_input"]).dtype), "vars": _symbols(expr)}


@case
def calibration_curve_inverse_predict(K):
    # a sensor calibration: fit reading(temp); then predict a grid of temperatures in raw units
    rng = np.random.default_rng(8)
    temp = rng.uniform(-20, 80, 250)
    reading = 1.2e3 + 15.0 * temp + 0.05 * temp ** 2 + 5 * rng.normal(size=250)
    ds = _ds(temp[:, None], reading, 180)
    model = K.KAN(width=[1, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    grid = torch.linspace(-20, 80, 11, dtype=torch.get_default_dtype()).unsqueeze(1)
    with torch.no_grad():
        pred = model(grid)[:, 0].double().numpy()
    g = grid[:, 0].double().numpy()
    truth = 1.2e3 + 15.0 * g + 0.05 * g ** 2
    return {"rmse": holdout_rmse(model, ds), "grid_rmse": float(np.sqrt(np.mean((pred - truth) ** 2)))}

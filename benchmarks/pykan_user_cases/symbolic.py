"""Pruning and formulas: thresholds, ``auto_symbolic`` / ``fix_symbolic``, sympy post-processing,
feature scores, plots."""

import os
import tempfile

import numpy as np
import torch

from ._common import case, f2, rmse


@case
def readme_fit_prune_symbolic(K):
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0)
    ds = K.create_dataset(f2, n_var=2)
    model(ds["train_input"])
    r = model.fit(ds, opt="LBFGS", steps=20, lamb=0.01)
    model = model.prune()
    model.fit(ds, opt="LBFGS", steps=20)
    model.auto_symbolic(lib=["x", "x^2", "exp", "sin"])
    r2 = model.fit(ds, opt="LBFGS", steps=20)
    f = K.ex_round(model.symbolic_formula()[0][0], 3)
    return {"loss": r["train_loss"][-1], "width": str(model.width), "sym_loss": r2["train_loss"][-1], "formula": str(f)}


@case
def prune_thresholds(K):
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2  # noqa: E731
    ds = K.create_dataset(f, n_var=3)
    model = K.KAN(width=[3, 5, 1], grid=5, k=3, seed=0)
    model.fit(ds, opt="LBFGS", steps=30, lamb=0.01)
    p = model.prune(node_th=0.05, edge_th=0.05)
    r = p.fit(ds, opt="LBFGS", steps=10)
    return {"width": str(p.width), "loss": r["train_loss"][-1]}


@case
def auto_symbolic_sympy_post(K):
    import sympy
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2  # noqa: E731
    ds = K.create_dataset(f, n_var=2, seed=0)
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0)
    model.fit(ds, opt="LBFGS", steps=30)
    model.auto_symbolic(lib=["x", "x^2", "sin", "exp"])
    model.fit(ds, opt="LBFGS", steps=10)
    ex = model.symbolic_formula()[0][0]
    ex = sympy.simplify(K.ex_round(ex, 4))
    xs = sympy.symbols("x_1 x_2")
    fn = sympy.lambdify(xs, ex, "numpy")
    xt = ds["test_input"].numpy().astype(np.float64)
    pred = torch.tensor(fn(xt[:, 0], xt[:, 1]) * np.ones(len(xt)))
    return {"formula": str(K.ex_round(ex, 2)), "formula_rmse": rmse(pred, ds["test_label"][:, 0])}


@case
def fix_suggest_symbolic_manual(K):
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2  # noqa: E731
    ds = K.create_dataset(f, n_var=2)
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0)
    model.fit(ds, opt="LBFGS", steps=20)
    best = model.suggest_symbolic(0, 0, 0, topk=3)
    r2 = model.fix_symbolic(0, 0, 0, "sin")
    model.fix_symbolic(0, 1, 0, "x^2")
    r = model.fit(ds, opt="LBFGS", steps=10)
    return {"suggest0": best[0], "r2": float(r2), "loss": r["train_loss"][-1]}


@case
def normalized_formula_vars(K):
    import sympy
    f = lambda x: 3 * x[:, [0]] + x[:, [1]] ** 2  # noqa: E731
    ds = K.create_dataset(f, n_var=2, normalize_input=True, normalize_label=True)
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0)
    model.fit(ds, opt="LBFGS", steps=20)
    model.auto_symbolic(lib=["x", "x^2"])
    a, b = sympy.symbols("a b")
    ex = model.symbolic_formula(var=[a, b])[0][0]
    return {"formula": str(K.ex_round(ex, 2)), "free": sorted(str(s) for s in ex.free_symbols)}


@case
def feature_score_ranking(K):
    f = lambda x: torch.sin(2 * x[:, [0]]) + 0.5 * x[:, [2]] ** 2  # noqa: E731
    ds = K.create_dataset(f, n_var=4, seed=0)
    model = K.KAN(width=[4, 3, 1], grid=3, k=3, seed=0)
    model.fit(ds, opt="LBFGS", steps=20, lamb=0.001)
    s = model.feature_score
    return {"score_is_tensor": isinstance(s, torch.Tensor), "rank": torch.argsort(s, descending=True).tolist(),
            "shape": list(s.shape)}


@case
def plot_beta_savefig(K):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ds = K.create_dataset(f2, n_var=2)
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=0)
    model.fit(ds, opt="LBFGS", steps=5)
    model.plot(beta=10)
    p = os.path.join(tempfile.mkdtemp(), "kan.png")
    plt.savefig(p)
    model.plot(beta=100, in_vars=["a", "b"], out_vars=["y"], title="t")
    plt.close("all")
    return {"png_bytes": os.path.getsize(p) > 1000}

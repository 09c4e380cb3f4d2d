"""A tenth round of pykan code from courses, blog posts and students' notebooks (with
``round10a_sym`` and ``round10a_data``; ``--kinds round10a`` runs all three): the tutorial
chain in float64 with ``refine`` and a library, ``create_dataset(f_mode='row')``, per-variable
``ranges`` with ``device=``, loss curves from ``fit``'s results saved to files,
``model.plot(folder=...)`` with LaTeX names, a ``suggest_symbolic`` loop over every edge,
a grid-scaling exponent from ``polyfit``, a ``lamb`` sweep counting edges, ``attribute``
then the top features by name, ``get_fun`` against the truth, ``fit(update_grid=False)``
beside the default, ``refine`` then ``prune``, and a ``[1, 1, 1]`` net on data over ``[-2, 2]``."""

import os
import tempfile

import numpy as np
import torch

from ._common import case, holdout_rmse, quiet, rmse, small_dataset


@case
def tutorial_chain_float64_refine_lib(K):
    # the README chain as blogs copy it: float64, grid 3, seed 42, prune, refine(10), library
    torch.set_default_dtype(torch.float64)
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    ds = K.create_dataset(f, n_var=2, train_num=300, test_num=300, device="cpu")
    model = K.KAN(width=[2, 5, 1], grid=3, k=3, seed=42, device="cpu")
    quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=0.001)
    model = model.prune()
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    model = model.refine(10)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    before = holdout_rmse(model, ds)
    lib = ["x", "x^2", "x^3", "x^4", "exp", "log", "sqrt", "tanh", "sin", "abs"]
    quiet(model.auto_symbolic, lib=lib)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    expr = K.ex_round(model.symbolic_formula()[0][0], 4)
    return {"width": [int(w[0]) if isinstance(w, list) else int(w) for w in model.width],
            "spline_rmse": before, "sym_rmse": holdout_rmse(model, ds),
            "has_exp": "exp" in str(expr), "has_sin": "sin" in str(expr)}


@case
def create_dataset_f_mode_row(K):
    # f written for one sample (x[0], x[1]) and f_mode='row'
    f = lambda x: torch.sin(torch.pi * x[0]) + x[1] ** 2  # noqa: E731
    ds = K.create_dataset(f, n_var=2, f_mode="row", train_num=200, test_num=200, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"label_shape": list(ds["train_label"].shape), "rmse": holdout_rmse(model, ds)}


@case
def create_dataset_per_var_ranges_device(K):
    # ranges=[[a, b], [c, d]], train_num=, test_num=, device= as course notebooks pass them
    f = lambda x: x[:, [0]] * torch.exp(-x[:, [1]])  # noqa: E731
    ds = K.create_dataset(f, n_var=2, ranges=[[0, 2], [-1, 1]], train_num=250, test_num=150,
                          device=torch.device("cpu"), seed=1)
    x = ds["train_input"]
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False,
                  device=torch.device("cpu"))
    quiet(model.fit, ds, opt="LBFGS", steps=20)
    return {"x0": [round(float(x[:, 0].min()), 1), round(float(x[:, 0].max()), 1)],
            "n_test": int(ds["test_input"].shape[0]), "rmse": holdout_rmse(model, ds)}


@case
def loss_curves_saved_to_file(K):
    # plt.plot(results['train_loss']); plt.plot(results['test_loss']); yscale log; savefig
    import matplotlib.pyplot as plt
    ds = small_dataset(K, lambda x: torch.sin(2 * x[:, [0]]) * x[:, [1]], n=200)
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    results = quiet(model.fit, ds, opt="LBFGS", steps=15)
    with tempfile.TemporaryDirectory() as tmp:
        plt.figure()
        plt.plot(results["train_loss"], label="train")
        plt.plot(results["test_loss"], label="test")
        plt.yscale("log")
        plt.legend()
        path = os.path.join(tmp, "loss.png")
        plt.savefig(path, dpi=80, bbox_inches="tight")
        plt.close("all")
        size = os.path.getsize(path)
    return {"keys": sorted(results), "n": len(results["train_loss"]),
            "last_test": float(results["test_loss"][-1]), "png": size > 1000}


@case
def plot_folder_latex_names_title(K):
    # model.plot(folder=tmp, in_vars=[r'$x$', ...], out_vars=..., title=...) then savefig
    import matplotlib.pyplot as plt
    ds = small_dataset(K, lambda x: x[:, [0]] ** 2 + torch.sin(x[:, [1]]), n=150)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=10)
    model(ds["train_input"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "figs")
        model.plot(folder=folder, beta=10, in_vars=[r"$x$", r"$\theta$"], out_vars=[r"$E$"],
                   title="KAN after training", scale=0.8)
        plt.savefig(os.path.join(tmp, "kan.png"), dpi=60)
        n_edges = len([n for n in os.listdir(folder) if n.endswith(".png")])
        ok = os.path.exists(os.path.join(tmp, "kan.png"))
    title = plt.gcf().axes[0].get_title() if plt.gcf().axes else ""
    plt.close("all")
    return {"edge_pngs": n_edges, "saved": ok, "title_set": bool(title) or n_edges > 0}


@case
def suggest_symbolic_every_edge_then_fix(K):
    # loop over l, i, j: suggest_symbolic(..., verbose=False), keep the name, fix_symbolic it
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2 + torch.exp(x[:, [2]])  # noqa: E731
    ds = small_dataset(K, f, n_var=3, n=200)
    model = K.KAN(width=[3, 1], grid=7, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20, update_grid=False)
    model(ds["train_input"])
    lib = ["x", "x^2", "sin", "exp", "tanh"]
    names = {}
    for l in range(len(model.width) - 1):
        for i in range(model.width_in[l]):
            for j in range(model.width_out[l + 1]):
                name = quiet(model.suggest_symbolic, l, i, j, lib=lib, verbose=False)[0]
                names[f"{l},{i},{j}"] = name
                quiet(model.fix_symbolic, l, i, j, name, verbose=False)
    quiet(model.fit, ds, opt="LBFGS", steps=10, update_grid=False)
    return {"names": [names[k] for k in sorted(names)], "rmse": holdout_rmse(model, ds)}


@case
def grid_scaling_exponent_polyfit(K):
    # grids = [3, 5, 10, 20]; refine each time; slope of log test RMSE against log grid
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    ds = small_dataset(K, f, n=300)
    grids = [3, 5, 10, 20]
    test = []
    model = None
    for g in grids:
        model = K.KAN(width=[2, 1, 1], grid=g, k=3, seed=0) if model is None \
            else model.refine(g)
        quiet(model.fit, ds, opt="LBFGS", steps=15)
        test.append(holdout_rmse(model, ds))
    slope = np.polyfit(np.log(grids), np.log(test), 1)[0]
    return {"test": test, "slope": float(slope)}


@case
def lamb_sweep_counts_edges(K):
    # for lamb in [...]: fresh model, fit, prune, count edges left and the holdout error
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + 0.0 * x[:, [2]] + x[:, [1]] ** 2  # noqa: E731
    ds = small_dataset(K, f, n_var=3, n=200)
    edges, errs = [], []
    for lamb in [0.0, 1e-3, 1e-2]:
        model = K.KAN(width=[3, 3, 1], grid=5, k=3, seed=0)
        quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=lamb, lamb_entropy=2.0)
        model = model.prune(edge_th=3e-2)
        edges.append(int(model.n_edge))
        errs.append(holdout_rmse(model, ds))
    return {"edges": edges, "rmse": errs}


@case
def attribute_top_features_by_name(K):
    # model.attribute(); sorted(zip(names, feature_score)) to rank the table's columns
    g = torch.Generator().manual_seed(0)
    x = torch.rand(300, 5, generator=g) * 2 - 1
    y = torch.sin(torch.pi * x[:, [1]]) + 2 * x[:, [3]] ** 2
    ds = {"train_input": x[:200], "train_label": y[:200], "test_input": x[200:], "test_label": y[200:]}
    model = K.KAN(width=[5, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=1e-3)
    model.attribute()
    names = ["age", "dose", "weight", "temp", "noise"]
    score = model.feature_score.detach().numpy()
    top = [n for _, n in sorted(zip(score, names), reverse=True)[:2]]
    return {"top2": sorted(top), "share_top2": float(np.sort(score)[-2:].sum() / score.sum())}


@case
def get_fun_against_truth(K):
    # x, y = model.get_fun(0, 0, 0); compare the edge's shape with the truth after centring
    import matplotlib.pyplot as plt
    f = lambda x: torch.sin(torch.pi * x[:, [0]])  # noqa: E731
    ds = small_dataset(K, f, n_var=1, n=200)
    model = K.KAN(width=[1, 1], grid=10, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20, update_grid=False)
    model(ds["train_input"])
    xs, ys = model.get_fun(0, 0, 0)
    plt.close("all")
    xs = torch.as_tensor(xs).double().flatten()
    ys = torch.as_tensor(ys).double().flatten()
    truth = torch.sin(torch.pi * xs)
    return {"n": int(xs.numel()), "sorted": bool(torch.all(xs[1:] >= xs[:-1])),
            "gap": rmse(ys - ys.mean(), truth - truth.mean())}


@case
def update_grid_false_beside_default(K):
    # fit(..., update_grid=False) on inputs in [-1, 1] beside the default, same seed
    f = lambda x: torch.tanh(3 * x[:, [0]]) + x[:, [0]] * x[:, [1]]  # noqa: E731
    ds = small_dataset(K, f, n=250)
    out = {}
    for upd in (True, False):
        model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
        quiet(model.fit, ds, opt="LBFGS", steps=20, update_grid=upd)
        out[f"rmse_update_{upd}"] = holdout_rmse(model, ds)
    return out


@case
def refine_then_prune_then_formula(K):
    # refine(10) first, then lamb fit, prune and a formula of what is left
    f = lambda x: x[:, [0]] ** 2 + 0.5 * torch.sin(torch.pi * x[:, [1]])  # noqa: E731
    ds = small_dataset(K, f, n_var=3, n=200)
    model = K.KAN(width=[3, 3, 1], grid=3, k=3, seed=0)
    quiet(model.fit, ds, opt="LBFGS", steps=15)
    model = model.refine(10)
    quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=5e-3)
    model = model.prune()
    quiet(model.fit, ds, opt="LBFGS", steps=15)
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin"])
    expr = model.symbolic_formula()[0][0]
    return {"width_in": list(model.width_in), "vars": sorted(str(s) for s in expr.free_symbols),
            "rmse": holdout_rmse(model, ds)}


@case
def wider_range_one_hidden_node(K):
    # create_dataset(ranges=[-2, 2]) on the Lorentzian 1/(1+x^2), the README's [1, 1, 1] shape
    f = lambda x: 1 / (1 + x[:, [0]] ** 2)  # noqa: E731
    ds = K.create_dataset(f, n_var=1, ranges=[-2, 2], train_num=300, test_num=200, seed=0)
    model = K.KAN(width=[1, 1, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=30)
    grid = model.act_fun[0].grid[0]
    return {"rmse": holdout_rmse(model, ds), "grid0": [round(float(grid[3]), 2), round(float(grid[-4]), 2)]}

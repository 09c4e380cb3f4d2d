"""An eleventh round (with ``round11b_sym``): structure and grids edited in orders the
tutorials do not use — ``expand_depth``/``expand_width`` then ``refine``/``prune``,
``perturb`` then fit, ``auto_swap`` then prune, ``rewind`` then fit again with a
``ckpt_path``, coarser ``refine``, ``remove_node`` then refine, ``get_fun`` after refine,
``tree``, ``node_scores``/``edge_scores``, ``plot`` with every option into a folder."""

import os

import torch

from ._common import case, f2, rmse, small_dataset, small_kan


def _fit(model, ds, steps=10, **kw):
    model.fit(ds, opt="LBFGS", steps=steps, log=1000, **kw)
    return rmse(model(ds["test_input"]), ds["test_label"])


@case
def expand_depth_then_refine_fit(K):
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 3, 1))
    _fit(model, ds)
    model.expand_depth()
    model = model.refine(8)
    err = _fit(model, ds)
    return {"depth": int(model.depth), "width": [list(w) for w in model.width],
            "grid": int(model.grid), "rmse": err}


@case
def expand_width_then_prune_formula(K):
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 2, 1))
    _fit(model, ds, lamb=0.001)
    model.expand_width(1, 2)
    _fit(model, ds, lamb=0.001)
    model = model.prune()
    model.auto_symbolic(lib=["x", "x^2", "sin", "exp"], verbose=0)
    return {"width": [list(w) for w in model.width],
            "rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def perturb_all_then_refit(K):
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 3, 1))
    before = _fit(model, ds)
    model.perturb(mag=0.1, mode="all")
    with torch.no_grad():
        moved = rmse(model(ds["test_input"]), ds["test_label"])
    after = _fit(model, ds)
    return {"before": before, "perturbed_worse": moved > before, "after": after}


@case
def auto_swap_then_prune_then_fit(K):
    f = lambda x: torch.sin(x[:, [0]]) + x[:, [2]] ** 2  # noqa: E731
    ds = small_dataset(K, f, n_var=3, n=200)
    model = small_kan(K, width=(3, 4, 1), auto_save=True)
    _fit(model, ds, lamb=0.002)
    model.auto_swap()
    model = model.prune()
    err = _fit(model, ds)
    return {"width": [list(w) for w in model.width], "rmse": err}


@case
def rewind_ckpt_path_then_fit_again(K):
    ds = small_dataset(K, f2, n=200)
    os.makedirs("runs", exist_ok=True)
    model = small_kan(K, width=(2, 3, 1), auto_save=True, ckpt_path="./runs/exp")
    _fit(model, ds)
    model = model.prune()
    ids = [model.state_id, model.round]
    model = model.rewind("0.1")
    err = _fit(model, ds)
    files = sorted(os.listdir("runs/exp"))
    return {"ids": ids, "now": [model.state_id, model.round], "n_files": len(files),
            "has_history": any(f.endswith("history.txt") for f in files), "rmse": err}


@case
def ckpt_path_folder_loadckpt_equal(K):
    ds = small_dataset(K, f2, n=200)
    os.makedirs("ck", exist_ok=True)
    model = small_kan(K, width=(2, 3, 1), auto_save=True, ckpt_path="./ck/m")
    _fit(model, ds)
    loaded = K.KAN.loadckpt("./ck/m/0.1")
    with torch.no_grad():
        same = bool(torch.allclose(loaded(ds["test_input"]), model(ds["test_input"]), atol=1e-6))
    return {"same": same, "files": sorted(os.listdir("ck/m"))}


@case
def refine_to_coarser_grid_then_fit(K):
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 3, 1), grid=10, auto_save=True)
    fine = _fit(model, ds)
    coarse = model.refine(4)
    with torch.no_grad():
        moved = rmse(coarse(ds["test_input"]), ds["test_label"])
    after = _fit(coarse, ds)
    return {"fine": fine, "coarse_at_once": moved, "after": after, "grid": int(coarse.grid)}


@case
def refine_chain_prune_between(K):
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 4, 1), auto_save=True)
    errs = []
    for g in (5, 10, 20):
        if g != 5:
            model = model.refine(g)
        errs.append(_fit(model, ds, lamb=0.001 if g == 5 else 0.0))
        if g == 5:
            model = model.prune()
    return {"errs": errs, "width": [list(w) for w in model.width]}


@case
def remove_node_then_refine_fit(K):
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 4, 1))
    _fit(model, ds)
    model.remove_node(1, 3)
    model = model.refine(10)
    err = _fit(model, ds)
    return {"width": [list(w) for w in model.width], "rmse": err}


@case
def get_fun_after_refine_points(K):
    import matplotlib.pyplot as plt
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 1), auto_save=True)
    _fit(model, ds)
    model = model.refine(10)
    _fit(model, ds)
    model(ds["train_input"])
    out = model.get_fun(0, 0, 0)
    plt.close("all")
    x, y = out[0], out[1]
    return {"n": len(x), "sorted": bool((torch.as_tensor(x)[1:] >= torch.as_tensor(x)[:-1]).all()),
            "range": [round(float(min(y)), 2), round(float(max(y)), 2)]}


@case
def tree_after_fit_savefig(K):
    import matplotlib.pyplot as plt
    f = lambda x: torch.sin(x[:, [0]] + x[:, [1]]) + x[:, [2]]  # noqa: E731
    ds = small_dataset(K, f, n_var=3, n=200)
    model = small_kan(K, width=(3, 3, 1))
    _fit(model, ds)
    model.tree(ds["train_input"], sym_th=1e-2, sep_th=1e-1)
    plt.savefig("tree.png")
    plt.close("all")
    return {"file": os.path.getsize("tree.png") > 0}


@case
def node_edge_scores_after_attribute_ranked(K):
    f = lambda x: torch.sin(3 * x[:, [0]]) + 0.1 * x[:, [1]]  # noqa: E731
    ds = small_dataset(K, f, n_var=3, n=200)
    model = small_kan(K, width=(3, 3, 1))
    _fit(model, ds)
    model.attribute()
    order = torch.argsort(model.node_scores[0], descending=True).tolist()
    return {"n_node": [len(s) for s in model.node_scores],
            "edge_shapes": [list(s.shape) for s in model.edge_scores], "top_input": order[0]}


@case
def plot_every_option_folder_files(K):
    import matplotlib.pyplot as plt
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 3, 1))
    _fit(model, ds)
    model.plot(folder="./figs", beta=10, metric="forward_n", scale=0.8, varscale=0.5,
               in_vars=["a", "b"], out_vars=["y"], title="run")
    plt.savefig("all.png")
    plt.close("all")
    pngs = [f for f in os.listdir("figs") if f.endswith(".png")]
    return {"n_png": len(pngs), "file": os.path.getsize("all.png") > 0}

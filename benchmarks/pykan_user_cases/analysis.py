"""Looking inside a trained model: edges and nodes removed by hand, ranges, node scores,
feature interactions, derivatives through the model, ``fit_params``, ``augment_input``,
plots saved to files."""

import os
import tempfile

import numpy as np
import torch

from ._common import case, f2, rmse


def _trained(K, width=(2, 5, 1), steps=15, f=f2, n_var=2):
    ds = K.create_dataset(f, n_var=n_var, train_num=300, test_num=300, seed=0)
    model = K.KAN(width=list(width), grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=steps)
    return model, ds


@case
def remove_edge_node_by_hand(K):
    model, ds = _trained(K)
    x = ds["test_input"]
    base = model(x).detach()
    model.remove_edge(0, 0, 1)
    after_edge = model(x).detach()
    model.remove_node(1, 2)
    after_node = model(x).detach()
    r = model.fit(ds, opt="LBFGS", steps=10, update_grid=False)
    return {"edge_changed": bool((after_edge - base).abs().max() > 0),
            "node_changed": bool((after_node - after_edge).abs().max() > 0),
            "loss": r["train_loss"][-1], "test": rmse(model(x), ds["test_label"])}


@case
def get_range_after_forward(K):
    model, ds = _trained(K, steps=5)
    model(ds["train_input"])
    x_min, x_max, y_min, y_max = model.get_range(0, 1, 0, verbose=False)
    pre = model.spline_preacts[0][:, 0, 1]
    return {"x_range": [float(x_min), float(x_max)], "y_ordered": bool(y_min <= y_max),
            "matches_preacts": bool(abs(float(x_min) - float(pre.min())) < 1e-6)}


@case
def node_attribute_feature_interaction(K):
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] * x[:, [2]]  # noqa: E731
    model, ds = _trained(K, width=(4, 4, 1), steps=20, f=f, n_var=4)
    model(ds["train_input"])
    model.attribute(plot=False)
    model.node_attribute()
    scores = [s.detach().cpu().numpy().round(3).tolist() for s in model.node_attribute_scores]
    inter = model.feature_interaction(1, neuron_th=1e-2, feature_th=1e-2)
    keys = sorted(tuple(int(v) for v in k) for k in inter)
    return {"n_levels": len(scores), "feature_rank": np.argsort(-model.feature_score.detach().numpy()).tolist(),
            "interactions": str(keys)}


@case
def jacobian_hessian_through_model(K):
    model, ds = _trained(K, steps=5)
    x = ds["test_input"][:50]
    jac = K.batch_jacobian(model, x)
    hes = K.batch_hessian(model, x)
    xr = x.clone().requires_grad_(True)
    g = torch.autograd.grad(model(xr).sum(), xr, create_graph=True)[0]
    h00 = torch.autograd.grad(g[:, 0].sum(), xr)[0][:, 0]
    return {"jac_shape": list(jac.shape), "hes_shape": list(hes.shape),
            "jac_err": float((jac - g).abs().max()), "hes_err": float((hes[:, 0, 0] - h00).abs().max())}


@case
def fit_params_sweep(K):
    import importlib
    fit_params = importlib.import_module(K.__name__ + ".utils").fit_params
    torch.manual_seed(0)
    x = torch.linspace(-1, 1, 200)
    y = 2.5 * torch.sin(3.0 * x + 0.5) - 0.3 + 0.01 * torch.randn(200)
    params, r2 = fit_params(x, y, torch.sin, a_range=(-5, 5), b_range=(-5, 5), grid_number=51,
                            iteration=3, verbose=False)
    return {"params": [round(float(p), 3) for p in params], "r2": float(r2)}


@case
def augment_input_aux_vars(K):
    import sympy
    a, b = sympy.symbols("a b")
    f = lambda x: torch.exp(x[:, [0]] * x[:, [1]]) + x[:, [0]]  # noqa: E731
    ds = K.create_dataset(f, n_var=2, train_num=300, test_num=300, seed=0)
    ds = K.augment_input([a, b], [a * b], ds)
    model = K.KAN(width=[3, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=20)
    return {"in_dim": int(ds["train_input"].shape[1]), "test_loss": r["test_loss"][-1]}


@case
def plot_folder_vars_savefig(K):
    import matplotlib.pyplot as plt
    model, ds = _trained(K, steps=5)
    model(ds["train_input"])
    d = tempfile.mkdtemp()
    model.plot(folder=os.path.join(d, "figs"), in_vars=[r"$x$", r"$y$"], out_vars=[r"$f$"], scale=0.8,
               title="trained", beta=10)
    out = os.path.join(d, "kan.png")
    plt.savefig(out, bbox_inches="tight", dpi=60)
    plt.close("all")
    figs = os.path.join(d, "figs")  # pykan draws each edge into a png there first
    return {"png_bytes_gt_1k": os.path.getsize(out) > 1000,
            "n_edge_pngs": len(os.listdir(figs)) if os.path.isdir(figs) else 0}


@case
def inference_mode_forward_attribute(K):
    # scoring code that runs the forward under torch.inference_mode, then attribute()
    model, ds = _trained(K, steps=5)
    x = ds["train_input"][:200]
    how = "inference_mode"
    try:
        with torch.inference_mode():
            y = model(x, singularity_avoiding=True)
        model.attribute(plot=False)
    except RuntimeError:
        how = "no_grad"
        with torch.no_grad():
            y = model(x, singularity_avoiding=True)
        model.attribute(plot=False)
    return {"how": how, "y_shape": list(y.shape),
            "feature_score": [round(float(v), 3) for v in model.feature_score]}

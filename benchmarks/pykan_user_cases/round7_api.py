"""A seventh round of pykan code beyond the tutorials (with ``round7_state``): methods and helpers
of pykan 0.2.8's source that public code calls and no tutorial shows — ``remove_node`` with
``mode``, ``history``/``n_edge``/``evaluate``, ``suggest_symbolic``'s returned tuple,
``symbolic_formula(var=<sympy symbols>)``, ``update_grid(x)``, ``kan.MLP``'s ``attribute``
and ``plot``, ``kan.utils.batch_jacobian``/``batch_hessian``, ``kan.hypothesis``'s
``get_dependence``/``test_symmetry_var``, a standalone ``Symbolic_KANLayer``, ``plot(mask=True)``
after an unkept ``prune()``, ``fit(steps=0)``, ``reg`` over its metrics at initialisation and
``fix_symbolic``'s r² on the initial model."""

import contextlib
import io
import os

import torch

from ._common import case, f2, rmse, small_dataset


def _trained(K, width=(2, 3, 1), steps=10, **fit):
    ds = small_dataset(K, f2, n=200)
    model = K.KAN(width=list(width), grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=steps, update_grid=False, **fit)
    return model, ds


@case
def remove_node_modes(K):
    # remove_node(l, i, mode) by hand: 'up' cuts the outgoing edges, 'down' the incoming
    model, ds = _trained(K)
    x = ds["test_input"]
    with torch.no_grad():
        before = model(x)
        model.remove_node(1, 0, mode="up")
        up = model(x)
        model.remove_node(1, 1, mode="down")
        down = model(x)
        model.remove_node(1, 2)
        gone = model(x)
    return {"up_changes": rmse(up, before) > 1e-4, "down_changes": rmse(down, up) > 1e-4,
            "all_constant": float(gone.std()) < 1e-6,
            "mask_sums": [float(model.act_fun[0].mask.sum()), float(model.act_fun[1].mask.sum())]}


@case
def history_n_edge_evaluate(K):
    # auto-saved history printed by history(k), n_edge after a prune, evaluate(dataset)
    ds = small_dataset(K, f2, n=200)
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, ckpt_path="./hist_model")
    model.fit(ds, opt="LBFGS", steps=5, lamb=0.01, update_grid=False)
    model = model.prune(edge_th=0.05)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.history(k=2)
    ev = model.evaluate(ds)
    return {"history_lines": len(out.getvalue().splitlines()), "n_edge": int(model.n_edge),
            "evaluate_keys": sorted(ev), "test_loss": float(ev["test_loss"])}


@case
def suggest_symbolic_returned_tuple(K):
    # best_name, best_fun, best_r2, best_c = suggest_symbolic(...); best_fun is the library's
    # entry (fn, sympy fn, complexity, singularity-avoiding fn), its fn applied
    model, ds = _trained(K, width=(2, 1), steps=20)
    name, fun, r2, c = model.suggest_symbolic(0, 0, 0, lib=["x", "x^2", "sin", "exp"],
                                              topk=3, verbose=False, weight_simple=0.0)
    y = fun[0](torch.tensor([0.5]))
    return {"name": name, "r2": float(r2), "c": int(c), "fun_at_half": float(y)}


@case
def symbolic_formula_sympy_symbols(K):
    # symbolic_formula(var=[sympy symbols]) and evaluating the result with subs
    import sympy
    model, ds = _trained(K, width=(2, 1), steps=20)
    model.fix_symbolic(0, 0, 0, "sin", verbose=False)
    model.fix_symbolic(0, 1, 0, "x^2", verbose=False)
    a, b = sympy.symbols("a b")
    expr = model.symbolic_formula(var=[a, b])[0][0]
    val = float(expr.subs({a: 0.3, b: -0.4}))
    with torch.no_grad():
        direct = float(model(torch.tensor([[0.3, -0.4]])))
    return {"free": sorted(str(s) for s in expr.free_symbols), "gap": abs(val - direct)}


@case
def update_grid_method(K):
    # pykan 0.2.8's update_grid(x) (an alias of update_grid_from_samples) on wider data
    model, ds = _trained(K)
    x = ds["train_input"] * 1.5
    with torch.no_grad():
        before = model(ds["test_input"])
    model.update_grid(x)
    with torch.no_grad():
        after = model(ds["test_input"])
    knots = model.act_fun[0].grid
    return {"change": rmse(after, before), "grid_shape": list(knots.shape),
            "spans_data": bool(knots.min() < -1.4 and knots.max() > 1.4)}


@case
def mlp_attribute_plot(K):
    # kan.MLP as a baseline: fit, attribute() -> feature_score, plot()
    MLP = __import__(K.__name__ + ".MLP", fromlist=["MLP"]).MLP
    ds = small_dataset(K, f2, n=200)
    mlp = MLP(width=[2, 8, 1], act="silu", save_act=True, seed=0)
    r = mlp.fit(ds, opt="LBFGS", steps=10)
    mlp(ds["train_input"])
    mlp.attribute()
    mlp.plot()
    import matplotlib.pyplot as plt
    plt.savefig("mlp.png")
    return {"test_loss": r["test_loss"][-1], "input_scores": len(mlp.node_scores[0]),
            "png": os.path.isfile("mlp.png")}


@case
def batch_jacobian_hessian_utils(K):
    # kan.utils.batch_jacobian / batch_hessian on a model at initialisation
    utils = __import__(K.__name__ + ".utils", fromlist=["utils"])
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    x = torch.linspace(-0.9, 0.9, 20)[:, None] * torch.tensor([[1.0, -0.7]])
    jac = utils.batch_jacobian(model, x)
    hess = utils.batch_hessian(model, x)
    return {"jac_shape": list(jac.shape), "hess_shape": list(hess.shape),
            "jac_sum": float(jac.sum()), "hess_abs": float(hess.abs().sum())}


@case
def hypothesis_dependence_symmetry_var(K):
    # kan.hypothesis.get_dependence and test_symmetry_var (per-row cosines) on a function
    import sympy
    hyp = __import__(K.__name__ + ".hypothesis", fromlist=["hypothesis"])
    f = lambda x: x[:, [0]] * (x[:, [1]] + x[:, [2]])  # noqa: E731
    g = torch.Generator().manual_seed(0)
    x = torch.normal(0, 1, size=(100, 3), generator=g)
    dep = hyp.get_dependence(f, x, [0])
    a, b, c = sympy.symbols("a b c")
    with contextlib.redirect_stdout(io.StringIO()):
        sim_sum = hyp.test_symmetry_var(f, x, [a, b, c], b + c)
        sim_prod = hyp.test_symmetry_var(f, x, [a, b, c], b * c)
    return {"dep_shape": list(dep.shape), "dep": [round(float(v), 4) for v in dep.flatten()],
            "cos_shape": list(sim_sum.shape), "sum_mean": float(sim_sum.mean()),
            "prod_share": float((sim_prod > 0.9).float().mean())}


@case
def symbolic_kanlayer_standalone(K):
    # Symbolic_KANLayer on its own: fix_symbolic(i, j, name, x, y) fits and returns r2;
    # forward returns (y, postacts)
    layer_mod = __import__(K.__name__ + ".Symbolic_KANLayer", fromlist=["Symbolic_KANLayer"])
    layer = layer_mod.Symbolic_KANLayer(in_dim=2, out_dim=1)
    x = torch.linspace(-1, 1, 101)[:, None].repeat(1, 2)
    x[:, 1] = x[:, 1].flip(0)
    r2 = layer.fix_symbolic(0, 0, "sin", x=x[:, 0], y=2 * torch.sin(3 * x[:, 0] + 0.5),
                            verbose=False)
    y, post = layer(x)
    return {"r2": float(r2), "y_shape": list(y.shape), "post_shape": list(post.shape),
            "affine": [round(float(v), 2) for v in layer.affine[0, 0]]}


@case
def plot_mask_after_unkept_prune(K):
    # model.prune() whose result is dropped, then model.plot(mask=True) (public install tests;
    # the folder is pykan's workaround: its prune logs to ./model/history.txt)
    import matplotlib.pyplot as plt
    os.makedirs("model", exist_ok=True)
    model, ds = _trained(K, width=(2, 5, 1), lamb=0.01)
    model.prune()
    model.plot(mask=True)
    plt.savefig("masked.png")
    return {"png": os.path.isfile("masked.png"), "width": [w[0] for w in model.width]}


@case
def fit_zero_steps(K):
    # fit(steps=0), as some wrappers call it to set things up: empty histories, model unchanged
    ds = small_dataset(K, f2, n=200)
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    with torch.no_grad():
        before = model(ds["test_input"])
    r = model.fit(ds, opt="LBFGS", steps=0)
    with torch.no_grad():
        after = model(ds["test_input"])
    return {"lengths": {k: len(v) for k, v in sorted(r.items())}, "change": rmse(after, before)}


@case
def reg_metrics_at_init(K):
    # reg(metric, l1, entropy, coef, coefdiff) after a forward pass, for each of pykan's metrics
    ds = small_dataset(K, f2, n=200)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model(ds["train_input"])
    out = {}
    for metric in ("edge_forward_spline_n", "edge_forward_sum", "edge_forward_spline_u",
                   "edge_backward", "node_backward"):
        try:
            out[metric] = float(model.reg(metric, 1.0, 2.0, 0.0, 0.0))
        except Exception as e:  # noqa: BLE001
            out[metric] = type(e).__name__
    return out


@case
def fix_symbolic_r2_initial_model(K):
    # fix_symbolic's r2 for a few functions on the initial model's edges (same seed)
    ds = small_dataset(K, f2, n=200)
    model = K.KAN(width=[2, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    model(ds["train_input"])
    out = {}
    for (l, i, j), name in (((0, 0, 0), "x"), ((0, 1, 1), "x^2"), ((1, 0, 0), "tanh")):
        out[f"{l}{i}{j}_{name}"] = round(float(model.fix_symbolic(l, i, j, name, verbose=False)), 4)
    return out


@case
def loadckpt_get_act_dict_attribute(K):
    # the initial model saved and loaded back, get_act(dataset) with the dataset dict, then
    # attribute() and plot(): the scores of the same seed's model compared across libraries
    import matplotlib.pyplot as plt
    ds = small_dataset(K, f2, n=200)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model(ds["train_input"])
    os.makedirs("ck", exist_ok=True)
    model.saveckpt("./ck/init")
    loaded = K.KAN.loadckpt("./ck/init")
    loaded.get_act(ds)
    loaded.attribute()
    loaded.plot()
    plt.savefig("loaded.png")
    return {"feature_score": [round(float(v), 4) for v in loaded.feature_score],
            "png": os.path.isfile("loaded.png")}

"""An eighth round of pykan code beyond the tutorials (with ``round8_torch``): pykan 0.2.8 calls
on states no earlier round reached — ``expand_width`` with a multiplication node, the scores
and affine tables of a model with multiplication nodes, ``refine`` and ``prune`` of a model with
symbolic edges, ``grid_eps`` set on the layers before a grid update, a ``grid=1``/``k=1`` model,
``speed()`` then the symbolic pass, a two-output ``auto_symbolic``, ``fix_symbolic`` with narrow
``a_range``/``b_range``, ``suggest_symbolic`` with its own loss functions, ``perturb``'s modes
and ``create_dataset``'s one-dimensional ("lazier") labels."""

import os

import torch

from ._common import case, f2, quiet, rmse, small_dataset


def _fitted(K, f=f2, width=(2, 3, 1), steps=10, n=200, n_var=2, lamb=0.0, **kw):
    ds = small_dataset(K, f, n_var=n_var, n=n)
    model = K.KAN(width=list(width), grid=kw.pop("grid", 5), k=kw.pop("k", 3), seed=0,
                  auto_save=False, **kw)
    model.fit(ds, opt="LBFGS", steps=steps, update_grid=False, lamb=lamb)
    return model, ds


@case
def expand_width_mult_node(K):
    # Physics_4B's edit: a multiplication node added to the hidden layer, then more fitting
    model, ds = _fitted(K, lambda x: x[:, [0]] * x[:, [1]] + torch.sin(x[:, [0]]))
    x = ds["test_input"]
    with torch.no_grad():
        before = model(x)
    quiet(model.expand_width, 1, 1, sum_bool=False, mult_arity=2)
    with torch.no_grad():
        after = model(x)
    r = model.fit(ds, opt="LBFGS", steps=10, update_grid=False)
    return {"width": model.width, "kept_gap": rmse(after, before), "test_loss": float(r["test_loss"][-1])}


@case
def mult_model_scores_and_affine(K):
    # a [2, [1, 1], 1] model: attribute(), then node/subnode/edge scores and the node affine tables
    f = lambda x: x[:, [0]] * x[:, [1]] + x[:, [0]] ** 2  # noqa: E731
    model, ds = _fitted(K, f, width=(2, [1, 1], 1), steps=15)
    model(ds["train_input"])
    model.attribute()
    return {"node_scores": [list(s.shape) for s in model.node_scores],
            "subnode_scores": [list(s.shape) for s in model.subnode_scores],
            "edge_scores": [list(s.shape) for s in model.edge_scores],
            "subnode_scale": [[round(float(v), 3) for v in p] for p in model.subnode_scale],
            "node_bias": [[round(float(v), 3) for v in p] for p in model.node_bias],
            "in_score_sum": float(model.node_scores[0].sum())}


@case
def refine_keeps_symbolic_edge(K):
    # an edge fixed to sin before refine(10): still symbolic afterwards, the same function
    os.makedirs("model", exist_ok=True)  # pykan's refine writes ./model/history.txt
    model, ds = _fitted(K, width=(2, 1), steps=10)
    quiet(model.fix_symbolic, 0, 0, 0, "sin")
    x = ds["test_input"]
    with torch.no_grad():
        before = model(x)
    model2 = quiet(model.refine, 10)
    with torch.no_grad():
        after = model2(x)
    return {"names": [str(n) for n in model2.symbolic_fun[0].funs_name[0]],
            "sym_mask": model2.symbolic_fun[0].mask.tolist(), "gap": rmse(after, before),
            "grid": int(model2.grid)}


@case
def prune_keeps_symbolic_edges(K):
    # fix two output edges symbolically, prune the hidden layer: the kept edges keep their names
    # (./model: pykan's prune logs to ./model/history.txt, its users' workaround)
    os.makedirs("model", exist_ok=True)
    model, ds = _fitted(K, width=(2, 4, 1), steps=15, lamb=0.01)
    model(ds["train_input"])
    quiet(model.fix_symbolic, 1, 0, 0, "x")
    quiet(model.fix_symbolic, 1, 1, 0, "x")
    with torch.no_grad():
        before = model(ds["test_input"])
    pruned = quiet(model.prune, node_th=0.0, edge_th=0.0)
    with torch.no_grad():
        after = pruned(ds["test_input"])
    return {"width": pruned.width, "names_out": [str(n) for n in pruned.symbolic_fun[1].funs_name[0]],
            "gap": rmse(after, before)}


@case
def grid_eps_set_on_layers(K):
    # grid_eps switched on each layer after building (uniform grid), then update_grid_from_samples
    model = K.KAN(width=[1, 2, 1], grid=5, k=3, seed=0, auto_save=False, grid_eps=0.02)
    x = (torch.rand(400, 1) ** 3) * 2 - 1  # skewed to -1
    for layer in model.act_fun:
        layer.grid_eps = 1.0
    model.update_grid_from_samples(x)
    knots = model.act_fun[0].grid[0]
    steps = knots[1:] - knots[:-1]
    return {"grid_eps": float(model.act_fun[0].grid_eps), "uniform": float(steps.std() / steps.mean()) < 1e-3,
            "lo": float(knots[3]), "hi": float(knots[-4])}


@case
def tiny_grid_linear_splines(K):
    # grid=1, k=1 (one interval, piecewise linear), then refine(3); and a k=5 model beside it
    os.makedirs("model", exist_ok=True)
    model, ds = _fitted(K, grid=1, k=1, steps=10)
    m3 = quiet(model.refine, 3)
    r = m3.fit(ds, opt="LBFGS", steps=5, update_grid=False)
    m5, _ = _fitted(K, grid=4, k=5, steps=5)
    return {"coef_shapes": [list(model.act_fun[0].coef.shape), list(m3.act_fun[0].coef.shape),
                            list(m5.act_fun[0].coef.shape)],
            "test_loss_k1": float(r["test_loss"][-1]), "k5_rmse": rmse(m5(ds["test_input"]).detach(), ds["test_label"])}


@case
def speed_then_symbolic(K):
    # speed() for the training, then get_act(dataset) and auto_symbolic as the tutorials go on
    ds = small_dataset(K, lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2, n=200)
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    model.speed()
    model.fit(ds, opt="LBFGS", steps=15, update_grid=False)
    flags = [bool(model.save_act), bool(model.symbolic_enabled)]
    try:
        model.get_act(ds)
        quiet(model.auto_symbolic, lib=["x", "x^2", "sin"], weight_simple=0.0)
        names = [str(n) for n in model.symbolic_fun[0].funs_name[0]]
    except Exception as e:
        names = [type(e).__name__]
    with torch.no_grad():
        sym_rmse = rmse(model(ds["test_input"]), ds["test_label"])
    return {"flags_after_speed": flags, "auto_save": bool(model.auto_save), "names": names,
            "symbolic_rmse": sym_rmse}


@case
def two_output_auto_symbolic(K):
    # a [2, 3, 2] model on two targets; symbolic_formula()[0] has one formula per output
    import sympy
    f = lambda x: torch.cat([torch.sin(torch.pi * x[:, [0]]), x[:, [0]] + x[:, [1]] ** 2], 1)  # noqa: E731
    model, ds = _fitted(K, f, width=(2, 3, 2), steps=20)
    model(ds["train_input"])
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin", "0"], weight_simple=0.0)
    model.fit(ds, opt="LBFGS", steps=10, update_grid=False)
    forms, xs = model.symbolic_formula()
    pt = {xs[0]: 0.3, xs[1]: -0.5}
    with torch.no_grad():
        direct = model(torch.tensor([[0.3, -0.5]]))[0]
    gaps = [abs(float(sympy.N(fm.subs(pt))) - float(direct[i])) for i, fm in enumerate(forms)]
    return {"n_formulas": len(forms), "gaps_small": all(g < 1e-3 for g in gaps),
            "test_rmse": rmse(model(ds["test_input"]).detach(), ds["test_label"])}


@case
def fix_symbolic_narrow_ranges(K):
    # fix_symbolic with a_range/b_range narrowed around the expected frequency; r2 and the affine
    model, ds = _fitted(K, lambda x: torch.sin(2 * x[:, [0]] + 0.5) + x[:, [1]], width=(2, 1), steps=20)
    model(ds["train_input"])
    r2_narrow = quiet(model.fix_symbolic, 0, 0, 0, "sin", a_range=(1.5, 2.5), b_range=(0, 1))
    a, b = (float(v) for v in model.symbolic_fun[0].affine[0, 0, :2])
    r2_off = quiet(model.fix_symbolic, 0, 1, 0, "sin", a_range=(5, 6), b_range=(-0.1, 0.1))
    return {"r2_narrow": float(r2_narrow), "a": a, "b": b, "r2_off": float(r2_off)}


@case
def suggest_symbolic_own_losses(K):
    # suggest_symbolic with r2_loss_fun / c_loss_fun of one's own (a ranking on r2 alone)
    model, ds = _fitted(K, lambda x: torch.exp(x[:, [0]]) + x[:, [1]], width=(2, 1), steps=20)
    model(ds["train_input"])
    name, fun, r2, c = quiet(model.suggest_symbolic, 0, 0, 0, lib=["x", "x^2", "exp", "sin", "tanh"],
                              topk=5, r2_loss_fun=lambda r: -r, c_loss_fun=lambda c: 0 * c,
                              weight_simple=0.5)
    return {"name": name, "r2": float(r2), "c": int(c)}


@case
def perturb_modes_changes(K):
    # perturb(mag, mode) for each of pykan's modes: how far the output moves
    out = {}
    for mode in ("all", "minimal", "non-intrusive"):
        model, ds = _fitted(K, steps=5, n=100)
        model(ds["train_input"])
        model.attribute()
        with torch.no_grad():
            before = model(ds["test_input"])
        model.perturb(mag=0.5, mode=mode)
        with torch.no_grad():
            out[mode] = rmse(model(ds["test_input"]), before) > 1e-4
    return {"moved": out}


@case
def create_dataset_lazier_labels(K):
    # create_dataset(f) with f returning 1-D x[:, 0] * x[:, 1] (no brackets): labels [N, 1]
    ds = K.create_dataset(lambda x: x[:, 0] * x[:, 1], n_var=2, train_num=100, test_num=50, seed=0)
    return {"train_label": list(ds["train_label"].shape), "test_label": list(ds["test_label"].shape),
            "first": float(ds["train_label"][0, 0])}

"""A fourth round of public pykan code, the editing side: hand-made pruning (issue #416's
``prune_edge`` / ``attribute`` / ``log_history`` / ``prune_node``), custom symbolic libraries
after pruning (issue #480), in-place mask edits, ``module``, ``swap``, ``expand_width``,
``prune_input`` without data and activations read back (``round4_fit`` holds the round's
training side)."""

import numpy as np
import torch

from ._common import case, f2, holdout_rmse, rmse, small_dataset


@case
def custom_prune_edge_attribute_node(K):
    # issue #416: float64 default dtype, fits, then a hand-made prune: prune_edge without
    # history, a forward on cache_data, attribute, log_history('prune'), prune_node; refit
    torch.set_default_dtype(torch.float64)
    model = K.KAN(width=[2, 5, 1], grid=3, k=3, seed=42, auto_save=False)
    ds = K.create_dataset(lambda x: x[:, [0]] ** 3 + x[:, [1]] ** 2, n_var=2, train_num=300,
                          test_num=300, seed=0)
    model.fit(ds, opt="LBFGS", steps=20, lamb=0.001)
    model.prune_edge(3e-2, log_history=False)
    model.forward(model.cache_data)
    model.attribute()
    model.log_history("prune")
    model = model.prune_node(1e-2, log_history=False)
    r = model.fit(ds, opt="LBFGS", steps=20)
    return {"width": [w[0] for w in model.width], "train_loss": r["train_loss"][-1],
            "finite": bool(np.isfinite(r["train_loss"]).all()), "dtype": str(model(ds["test_input"]).dtype)}


@case
def auto_symbolic_custom_lib_after_prune(K):
    # issue #480: prune, then auto_symbolic(lib=[...]) with pykan's names 'x^4', 'cosh'
    # ('cosh' is commented out of pykan 0.2.8's library: an error or a skip is the result)
    ds = small_dataset(K, lambda x: x[:, [0]] ** 2 + torch.sin(x[:, [1]]) + 0 * x[:, [2]], n_var=3)
    model = K.KAN(width=[3, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=20, lamb=0.005)
    model = model.prune()
    model.fit(ds, opt="LBFGS", steps=10)
    try:
        model.auto_symbolic(lib=["x", "x^2", "x^3", "x^4", "exp", "log", "sqrt", "tanh", "sin",
                                 "abs", "cosh"], verbose=0)
        cosh = "accepted"
    except Exception as e:
        cosh = type(e).__name__
        model.auto_symbolic(lib=["x", "x^2", "x^3", "x^4", "exp", "sin", "tanh", "abs"], verbose=0)
    r = model.fit(ds, opt="LBFGS", steps=10)
    return {"cosh_lib": cosh, "n_inputs_used": model.width[0][0], "sym_loss": r["test_loss"][-1]}


@case
def get_act_acts_postacts(K):
    # get_act, then the cached lists users read: acts, spline_preacts/postacts, acts_scale
    model = K.KAN(width=[2, 4, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    x = torch.rand(64, 2) * 2 - 1
    model.get_act(x)
    post = model.spline_postacts[0]
    return {"n_acts": len(model.acts), "acts_shapes": [list(a.shape) for a in model.acts],
            "pre_shape": list(model.spline_preacts[1].shape), "post_shape": list(post.shape),
            "scale_shape": list(model.acts_scale[0].shape),
            "pre_is_input": rmse(model.spline_preacts[0][:, 0, :], x)}


@case
def mask_inplace_edits(K):
    # an edge switched off by hand (act_fun mask), and a fixed symbolic edge switched off by
    # its symbolic mask, both in place
    ds = small_dataset(K, f2)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    x = ds["test_input"]
    with torch.no_grad():
        y0 = model(x)
        model.act_fun[0].mask.data[1, 2] = 0.0
        y1 = model(x)
        model.act_fun[1].mask.data[0, 0] = 0.0  # edge (1, 0, 0) off: the reference
        y_off = model(x)
        model.act_fun[1].mask.data[0, 0] = 1.0
        model(x)  # pykan's fix_symbolic fits the activations of the last forward pass
        model.fix_symbolic(1, 0, 0, "x", verbose=False)
        y2 = model(x)
        model.symbolic_fun[1].mask.data[0, 0] = 0.0  # the fixed edge off by its symbolic mask
        y3 = model(x)
    return {"spline_edge_off_changes": rmse(y0, y1) > 1e-6, "fixed_changes": rmse(y_off, y2) > 1e-6,
            "sym_off_vs_edge_off": rmse(y3, y_off)}


@case
def module_chain_then_fit(K):
    # pykan's model.module: two separate sub-networks built in, then a fit
    f = lambda x: torch.sin(np.pi * x[:, [0]]) * x[:, [1]] + x[:, [2]] * x[:, [3]]  # noqa: E731
    ds = small_dataset(K, f, n_var=4)
    model = K.KAN(width=[4, 4, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    model.module(0, "[0,1]->[0,1]->[0,1]->[0]")
    r = model.fit(ds, opt="LBFGS", steps=20)
    w = model.act_fun[0].mask
    return {"test_loss": r["test_loss"][-1], "mask_off": int((w == 0).sum())}


@case
def swap_keeps_function(K):
    # swap two hidden nodes: the same function, the nodes' edges moved
    ds = small_dataset(K, f2)
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    with torch.no_grad():
        y0 = model(ds["test_input"])
        c0 = model.act_fun[0].coef[0, 1].clone()
        model.swap(1, 1, 3)
        y1 = model(ds["test_input"])
    return {"gap": rmse(y0, y1), "moved": bool(torch.allclose(model.act_fun[0].coef[0, 3], c0))}


@case
def expand_width_then_fit(K):
    # a hidden node added after a fit, then more fitting
    ds = small_dataset(K, f2)
    model = K.KAN(width=[2, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    r1 = model.fit(ds, opt="LBFGS", steps=10)
    model.expand_width(1, 2)
    with torch.no_grad():
        gap = rmse(model(ds["test_input"]), ds["test_label"])
    r2 = model.fit(ds, opt="LBFGS", steps=10)
    return {"width": [w[0] for w in model.width], "before": r1["test_loss"][-1],
            "after_expand": gap, "after": r2["test_loss"][-1]}


@case
def prune_input_active_before_data(K):
    # prune_input(active_inputs=...) on a freshly built model (no data seen)
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    m2 = model.prune_input(active_inputs=[0, 2])
    x = torch.rand(20, 3) * 2 - 1
    with torch.no_grad():
        y = m2(x)
        try:  # rows of the pruned width (pykan 0.2.8 indexes them with input_id: an error)
            narrow = rmse(y, m2(x[:, [0, 2]]))
        except Exception as e:
            narrow = type(e).__name__
    return {"width0": m2.width[0][0], "input_id": [int(i) for i in m2.input_id],
            "shape": list(y.shape), "narrow_rows_gap": narrow}


@case
def cache_data_after_prune_input(K):
    # cache_data of a model pruned to its inputs, reused for get_act / attribute
    ds = small_dataset(K, lambda x: x[:, [0]] ** 2 + 0.5 * x[:, [1]], n_var=3)
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=15, lamb=0.005)
    m2 = model.prune_input(active_inputs=[0, 1])
    shape = list(m2.cache_data.shape) if m2.cache_data is not None else None
    m2.get_act(m2.cache_data)
    m2.attribute()
    return {"cache_shape": shape, "n_scores": len(m2.node_scores[0]),
            "test_loss": holdout_rmse(m2, ds)}


@case
def suggest_symbolic_topk_table(K):
    # suggest_symbolic on every edge, topk=3, the best name per edge collected
    ds = small_dataset(K, lambda x: torch.sin(np.pi * x[:, [0]]) + x[:, [1]] ** 2)
    model = K.KAN(width=[2, 1], grid=7, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=20)
    best = []
    for i in range(2):
        name = model.suggest_symbolic(0, i, 0, topk=3, verbose=False)[0]
        best.append(name)
    return {"best": best}


@case
def symbolic_formula_lambdify_rows(K):
    # symbolic_formula()[0][0] with ex_round(.., 4), lambdified and compared with the model
    import sympy
    ds = small_dataset(K, lambda x: 2 * x[:, [0]] + x[:, [1]] ** 2)
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=20)
    model.auto_symbolic(lib=["x", "x^2"], verbose=0)
    ex = K.ex_round(model.symbolic_formula()[0][0], 4)
    syms = sorted(ex.free_symbols, key=str)
    fn = sympy.lambdify(syms, ex, "numpy")
    xt = ds["test_input"].numpy()
    pred = np.broadcast_to(fn(*[xt[:, int(str(s)[-1]) - 1] for s in syms]), (len(xt),))
    with torch.no_grad():
        gap = float(np.sqrt(np.mean((pred - model(ds["test_input"])[:, 0].numpy()) ** 2)))
    return {"formula": str(ex), "lambdify_vs_model": gap}

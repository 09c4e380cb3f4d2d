"""A sixth round of public pykan code (with ``round6_edges``; ``--kinds round6`` runs both):
the parts of pykan 0.2.8 the earlier rounds left alone — ``kan.hypothesis`` (separability,
symmetry, molecules, ``plot_tree``/``model.tree``), ``kan.MLP``, ``kan.experiment.runner1``,
``kan.feynman``, ``kan.utils``' ``get_derivative``/``model2param``/``sparse_mask``;
``set_mode``/``unfix_symbolic_all``, per-node ``mult_arity`` lists;
``expand_depth``/``expand_width``/``perturb``, ``prune_node`` by hand, ``auto_swap``,
``rewind``/``checkout``; ``KANLayer.get_subset``/``swap``/``initialize_grid_from_parent``;
``plot`` with ``metric``/``sample``/``varscale``."""

import importlib
import os

import numpy as np
import torch

from ._common import case, rmse, small_dataset


def _sub(K, name):
    return importlib.import_module(K.__name__ + "." + name)


@case
def hypothesis_separability_symmetry(K):
    # kan.hypothesis on a known function and on a trained model: detect_separability,
    # test_symmetry, test_separability, test_general_separability
    H = _sub(K, "hypothesis")
    f = lambda x: x[:, [0]] * x[:, [1]] + torch.sin(x[:, [2]]) + x[:, [3]] ** 2
    g = torch.Generator().manual_seed(0)
    x = torch.rand(100, 4, generator=g) * 2 - 1
    sep = H.detect_separability(f, x, mode="add")
    out = {"add_groups": [sorted(int(v) for v in grp) for grp in sep["groups"]],
           "sym01": bool(H.test_symmetry(f, x, [0, 1])),
           "sym02": bool(H.test_symmetry(f, x, [0, 2])),
           "sep": bool(H.test_separability(f, x, [[0, 1], [2, 3]], mode="add")),
           "gensep": bool(H.test_general_separability(f, x, [[0, 1], [2, 3]]))}
    ds = small_dataset(K, f, n_var=4)
    model = K.KAN(width=[4, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=20)
    out["model_sep"] = bool(H.test_separability(model, x, [[0, 1], [2, 3]], mode="add", threshold=0.1))
    return out


@case
def hypothesis_plot_tree_molecules(K):
    # plot_tree(f, x) from kan.hypothesis and model.tree() on a trained model; get_molecule's
    # groups read as the structure
    import matplotlib.pyplot as plt
    H = _sub(K, "hypothesis")
    f = lambda x: (x[:, [0]] ** 2 + x[:, [1]] ** 2) ** 2 + (x[:, [2]] ** 2 + x[:, [3]] ** 2) ** 2
    g = torch.Generator().manual_seed(0)
    x = torch.rand(100, 4, generator=g) * 2 - 1
    H.plot_tree(f, x)
    plt.savefig("tree_f.png")
    plt.close("all")
    mol = H.get_molecule(f, x, verbose=False)
    ds = small_dataset(K, f, n_var=4)
    model = K.KAN(width=[4, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    model.tree()
    plt.savefig("tree_model.png")
    plt.close("all")
    return {"molecules": [[sorted(int(v) for v in m) for m in level] for level in mol],
            "pngs": sorted(p for p in os.listdir(".") if p.endswith(".png"))}


@case
def expand_depth_width_perturb(K):
    # the compiler tutorial's edit sequence on a trained model: expand_depth (function kept),
    # expand_width(1, 2), perturb, get_act on the dataset dict and with no argument, then a fit
    f = lambda x: torch.sin(2 * x[:, [0]]) * x[:, [1]]
    ds = small_dataset(K, f)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    with torch.no_grad():
        y0 = model(ds["test_input"])
    model.expand_depth()
    with torch.no_grad():
        depth_gap = float((model(ds["test_input"]) - y0).abs().max())
    model.expand_width(1, 2)
    model.perturb(mag=0.1)
    model.get_act(ds)
    model.get_act()
    r = model.fit(ds, opt="LBFGS", steps=10)
    return {"width": [w[0] for w in model.width], "depth_gap": depth_gap, "test_loss": r["test_loss"][-1]}


@case
def prune_node_manual_ids(K):
    # prune_node with active_neurons_id (the manual mode): keep hidden nodes 0 and 2 by hand
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2
    ds = small_dataset(K, f)
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    model.get_act(ds["train_input"])
    small = model.prune_node(active_neurons_id=[[0, 2]], log_history=False)
    with torch.no_grad():
        full = model(ds["test_input"])
        m = model.act_fun[1].mask.data.clone()
        model.act_fun[1].mask.data[[1, 3]] = 0.
        masked = model(ds["test_input"])
        model.act_fun[1].mask.data = m
        gap = float((small(ds["test_input"]) - masked).abs().max())
    return {"width": [w[0] for w in small.width], "gap_to_masked": gap,
            "dropped_effect": float((full - masked).abs().max()) > 0}


@case
def auto_swap_connection_cost(K):
    # auto_swap to shorten the drawn connections: connection_cost before/after, function kept
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [2]] ** 2
    ds = small_dataset(K, f, n_var=3)
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10, lamb=0.01)
    with torch.no_grad():
        y0 = model(ds["test_input"])
    before = float(model.connection_cost)
    model.auto_swap()
    with torch.no_grad():
        gap = float((model(ds["test_input"]) - y0).abs().max())
    return {"cost_not_up": float(model.connection_cost) <= before + 1e-6, "gap": gap}


@case
def rewind_checkout_versions(K):
    # auto-save on (pykan's default): fit, prune, refine; then checkout an old version and rewind
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2
    ds = small_dataset(K, f)
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=0)
    model.fit(ds, opt="LBFGS", steps=5)
    model = model.prune()
    model = model.refine(5)
    model.fit(ds, opt="LBFGS", steps=5)
    ids = f"{model.round}.{model.state_id}"
    old = model.checkout("0.1")
    back = model.rewind("0.1")
    return {"id": ids, "old_width": [w[0] for w in old.width],
            "old_rmse": rmse(old(ds["test_input"]), ds["test_label"]),
            "rewound_round": int(model.round), "back_grid": int(back.grid)}


@case
def experiment_runner1_pareto(K):
    # kan.experiment.runner1 (prune rounds with rewind, refine rounds) and pareto_frontier
    E = _sub(K, "experiment")
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2
    ds = small_dataset(K, f, n=200)
    res = E.runner1([2, 3, 1], ds, grids=[3, 5], steps=5, prune_round=2, refine_round=2, seed=1)
    return {"ids": [str(i) for i in res["id"]], "c": [int(c) for c in res["c"]],
            "G": [int(G) for G in res["G"]], "n_loss": len(res["test_loss"])}


@case
def mlp_baseline_beside_kan(K):
    # kan.MLP as the baseline: fit with LBFGS, attribute, parameter count
    M = _sub(K, "MLP")
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)
    ds = small_dataset(K, f)
    mlp = M.MLP(width=[2, 16, 1], act="silu", seed=0)
    r = mlp.fit(ds, opt="LBFGS", steps=20)
    mlp.attribute()
    return {"test_loss": r["test_loss"][-1], "n_params": sum(p.numel() for p in mlp.parameters()),
            "keys": sorted(r.keys())}


@case
def get_derivative_hessian_model2param(K):
    # kan.utils.get_derivative (loss Hessian over the parameters) and model2param
    U = _sub(K, "utils")
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2
    ds = small_dataset(K, f, n=100)
    model = K.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    p = U.model2param(model)
    H = U.get_derivative(model, ds["train_input"], ds["train_label"], derivative="hessian")
    H2 = H.reshape(-1, H.shape[-2], H.shape[-1])[0]  # the first output's (param, param) block
    return {"n_param": int(p.numel()), "shape": list(H.shape),
            "symmetric": float((H2 - H2.T).abs().max()) < 1e-4, "trace": float(torch.trace(H2))}


@case
def feynman_dataset_fit(K):
    # a Feynman equation from kan.feynman: its variables, ranges and a short fit
    F = _sub(K, "feynman")
    symbol, expr, f, ranges = F.get_feynman_dataset("I.6.20a")
    ds = K.create_dataset(f, n_var=len(symbol), ranges=ranges, train_num=200, test_num=200, seed=0)
    model = K.KAN(width=[len(symbol), 3, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=10)
    return {"n_var": len(symbol), "expr": str(expr), "ranges": np.asarray(ranges, dtype=float).tolist(),
            "test_loss": r["test_loss"][-1]}


@case
def sparse_mask_and_sparse_init(K):
    # kan.utils.sparse_mask written into a layer's mask; KAN(sparse_init=True) and a fit
    U = _sub(K, "utils")
    m = U.sparse_mask(4, 6)
    f = lambda x: torch.sin(x[:, [0]]) + x[:, [3]] ** 2
    ds = small_dataset(K, f, n_var=4)
    model = K.KAN(width=[4, 6, 1], grid=3, k=3, seed=0, sparse_init=True, auto_save=False)
    sums = [float(model.act_fun[l].mask.sum()) for l in range(2)]
    r = model.fit(ds, opt="LBFGS", steps=10)
    return {"mask_shape": list(m.shape), "mask_sum": float(m.sum()), "init_mask_sums": sums,
            "test_loss": r["test_loss"][-1]}


@case
def kanlayer_subset_swap(K):
    # KANLayer.get_subset(in_id, out_id) against the full layer's postacts; swap(i1, i2, mode='in')
    layer = K.KANLayer(in_dim=3, out_dim=4, num=5, k=3)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(40, 3, generator=g) * 2 - 1
    sub = layer.get_subset([0, 2], [1, 3])
    with torch.no_grad():
        _, _, post, _ = layer(x)
        _, _, post_sub, _ = sub(x[:, [0, 2]])
        subset_gap = float((post_sub - post[:, [1, 3]][:, :, [0, 2]]).abs().max())
        y = layer(x)[0]
        layer.swap(0, 2, mode="in")
        swap_gap = float((layer(x[:, [2, 1, 0]])[0] - y).abs().max())
    return {"sub_dims": [sub.in_dim, sub.out_dim], "subset_gap": subset_gap, "swap_gap": swap_gap}


@case
def kanlayer_grid_from_parent(K):
    # a finer KANLayer initialised from a coarse one (initialize_grid_from_parent), by hand: the
    # splines (postspline) agree, the base branches are each layer's own draw
    parent = K.KANLayer(in_dim=2, out_dim=1, num=4, k=3)
    child = K.KANLayer(in_dim=2, out_dim=1, num=10, k=3)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=g) * 2 - 1
    with torch.no_grad():
        child.initialize_grid_from_parent(parent, x)
        gap = float((child(x)[3] - parent(x)[3]).abs().max())
    return {"gap": gap, "child_grid": list(child.grid.shape)}


@case
def plot_metric_sample_varscale(K):
    # plot with every display option a paper figure sets: metric, scale, tick, sample, in/out
    # names, title, varscale; saved with savefig
    import matplotlib.pyplot as plt
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2
    ds = small_dataset(K, f)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    model.plot(beta=10, metric="forward_u", scale=1.0, tick=True, sample=True,
               in_vars=[r"$\theta$", r"$v$"], out_vars=[r"$E$"], title="energy", varscale=0.75)
    plt.savefig("kan.png", dpi=50)
    n_axes = len(plt.gcf().axes)
    plt.close("all")
    return {"saved": os.path.getsize("kan.png") > 0, "n_axes": n_axes}


@case
def set_mode_unfix_all(K):
    # set_mode(l, i, j, 's' / 'n' / 'ns') on single edges, then unfix_symbolic_all
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2
    ds = small_dataset(K, f)
    model = K.KAN(width=[2, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    with torch.no_grad():
        y0 = model(ds["test_input"])
    model.fix_symbolic(0, 0, 0, "sin", verbose=False)
    model.set_mode(0, 1, 1, "s")
    model.set_mode(1, 0, 0, "ns", mask_n=0.5)
    sums = [float(model.symbolic_fun[0].mask.sum()), float(model.act_fun[0].mask.sum()),
            float(model.act_fun[1].mask[0, 0])]
    model.unfix_symbolic_all()
    with torch.no_grad():
        gap = float((model(ds["test_input"]) - y0).abs().max())
    return {"sums_mid": sums, "sym_after": float(sum(s.mask.sum() for s in model.symbolic_fun)),
            "restored_gap": gap}


@case
def mult_arity_per_node_lists(K):
    # mult_arity as per-layer lists (one arity per multiplication node), a fit, the formula's terms
    f = lambda x: x[:, [0]] * x[:, [1]] + x[:, [0]] * x[:, [1]] * x[:, [2]]
    ds = small_dataset(K, f, n_var=3)
    model = K.KAN(width=[3, [0, 2], 1], mult_arity=[[], [2, 3], []], grid=3, k=3, seed=0,
                  auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=15)
    return {"width_in": list(model.width_in), "width_out": list(model.width_out),
            "test_loss": r["test_loss"][-1]}


@case
def random_affine_fix_symbolic(K):
    # fix_symbolic(random=True, fit_params_bool=False): the affine drawn at random, then a fit
    # of the symbolic parameters only
    f = lambda x: 1.3 * torch.sin(2 * x[:, [0]] + 0.5) + x[:, [1]]
    ds = small_dataset(K, f)
    model = K.KAN(width=[2, 1], grid=3, k=3, seed=0, auto_save=False)
    model.fix_symbolic(0, 0, 0, "sin", fit_params_bool=False, random=True, verbose=False)
    model.fix_symbolic(0, 1, 0, "x", fit_params_bool=False, random=True, verbose=False)
    a = model.symbolic_fun[0].affine.detach().clone()
    r = model.fit(ds, opt="LBFGS", steps=20, update_grid=False)
    return {"affine_random": bool((a[0, 0] != torch.tensor([1., 0., 1., 0.])).any()),
            "test_loss": r["test_loss"][-1]}

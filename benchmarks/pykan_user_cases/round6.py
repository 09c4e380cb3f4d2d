"""A sixth round of public pykan code: the parts of pykan 0.2.8 that the earlier rounds left
alone — ``kan.hypothesis`` (separability, symmetry, molecules, ``plot_tree``/``model.tree``),
``kan.MLP``, ``kan.experiment.runner1``, ``kan.feynman``, ``kan.utils``' ``get_derivative``/
``model2param``/``sparse_mask``; edges fixed with pykan's less common names (``'sigmoid'``,
``'gaussian'``) and with Python callables, a whole graph cleaned to ``'0'`` and rebuilt,
``set_mode``/``unfix_symbolic_all``, symbolic functions copied into a clone; ``base_fun`` given
as a module or a function; ``affine_trainable=True`` inside a larger network; per-node
``mult_arity`` lists; ``expand_depth``/``expand_width``/``perturb``, ``prune_node`` by hand,
``auto_swap``, ``rewind``/``checkout``; ``KANLayer.get_subset``/``swap``/
``initialize_grid_from_parent``; ``plot`` with ``metric``/``sample``/``varscale``; and a
sklearn-style pipeline on ``MinMaxScaler(0.1, 0.9)`` data with ``grid_range`` as a tuple."""

import copy
import importlib
import os

import numpy as np
import torch

from ._common import case, rmse


def _ds(K, f, n_var=2, n=300, **kw):
    return K.create_dataset(f, n_var=n_var, train_num=n, test_num=n, seed=0, **kw)


def _sub(K, name):
    return importlib.import_module(K.__name__ + "." + name)


@case
def minmax_grid_range_tuple_stages(K):
    # a tuning wrapper's fit: MinMaxScaler((0.1, 0.9)) data and grid_range=(0.1, 0.9) (a tuple),
    # LBFGS with lr=0.1 and lamb_coef, refine, lamb_coefdiff, prune() whose result is dropped,
    # auto_symbolic(verbose=0, weight_simple=0, a_range/b_range), a refit, r2 on held-out rows
    from sklearn.metrics import r2_score
    from sklearn.preprocessing import MinMaxScaler
    rng = np.random.default_rng(42)
    X = rng.uniform([-1, -1], [1, 1], size=(500, 2))
    y = (np.exp(-2 * X[:, 0]) + X[:, 1]).reshape(-1, 1)
    sx, sy = MinMaxScaler((0.1, 0.9)), MinMaxScaler((0.1, 0.9))
    Xn, yn = sx.fit_transform(X[:400]), sy.fit_transform(y[:400])
    t = lambda a: torch.tensor(a, dtype=torch.float32)
    ds = {"train_input": t(Xn[:320]), "train_label": t(yn[:320]),
          "test_input": t(Xn[320:]), "test_label": t(yn[320:])}
    model = K.KAN(width=[2, 2, 1], grid=3, k=3, grid_range=(0.1, 0.9), seed=42)
    model.fit(ds, opt="LBFGS", steps=10, lamb=0.01, lamb_coef=0.1, lamb_entropy=0.1, lr=0.1)
    model = model.refine(5)
    model.fit(ds, opt="LBFGS", steps=10, lamb=0.01, lamb_coef=0.1, lamb_entropy=0.1, lr=0.1,
              lamb_coefdiff=0.1)
    model.prune(node_th=0.01, edge_th=0.03)
    try:  # as its users wrap it: a failed symbolic pass leaves the splines
        model.auto_symbolic(lib=["x", "x^2", "exp", "sin", "tanh"], weight_simple=0.0,
                            r2_threshold=0.0, verbose=0, a_range=(-10, 10), b_range=(-10, 10))
        model.fit(ds, opt="LBFGS", steps=10, lr=0.1)
        symbolic = "ok"
    except Exception as e:  # noqa: BLE001 (the users' own catch-all)
        symbolic = type(e).__name__
    with torch.no_grad():
        pred = model.forward(t(sx.transform(X[400:]))).numpy().ravel()
    return {"r2": float(r2_score(sy.transform(y[400:]).ravel(), pred)),
            "width": [w[0] for w in model.width], "symbolic": symbolic}


@case
def sigmoid_output_edge_classifier(K):
    # a 0/1 label; the output edge fixed to 'sigmoid' without fitting, then a sparsifying fit
    f = lambda x: (torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] + 0.5 * x[:, [2]] > 0).float()
    ds = _ds(K, f, n_var=3)
    model = K.KAN(width=[3, 1, 1], grid=3, k=3, seed=0, auto_save=False)
    model(ds["train_input"])
    model.fix_symbolic(1, 0, 0, "sigmoid", fit_params_bool=False)
    r = model.fit(ds, opt="LBFGS", steps=20, lamb=0.001, lamb_entropy=10.)
    with torch.no_grad():
        out = model(ds["test_input"])
    acc = float(((out > 0.5).float() == ds["test_label"]).float().mean())
    return {"test_loss": r["test_loss"][-1], "acc": acc,
            "in_unit_interval": bool(out.min() >= 0 and out.max() <= 1)}


@case
def callable_symbolic_prescribed_model(K):
    # a "true" model prescribed by hand: spline masks off, each edge fixed to a Python function
    # (fun_name=callable, random=False, fit_params_bool=False, verbose=False)
    model = K.KAN(width=[2, 1, 1], grid=3, k=3, seed=0, auto_save=False)
    model.act_fun[0].mask.data = torch.zeros_like(model.act_fun[0].mask)
    model.act_fun[1].mask.data = torch.zeros_like(model.act_fun[1].mask)

    def f1(x):
        return 0.75 * x

    def f2(x):
        return -0.375 * x

    def f3(x):
        return (x - 0.1) ** 2 / 0.5
    model.fix_symbolic(0, 0, 0, fun_name=f1, random=False, fit_params_bool=False, verbose=False)
    model.fix_symbolic(0, 1, 0, fun_name=f2, random=False, fit_params_bool=False, verbose=False)
    model.fix_symbolic(1, 0, 0, fun_name=f3, random=False, fit_params_bool=False, verbose=False)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(50, 2, generator=g) * 2 - 1
    with torch.no_grad():
        gap = float((model(x) - f3(f1(x[:, [0]]) + f2(x[:, [1]]))).abs().max())
    formula = K.ex_round(model.symbolic_formula()[0][0], 3)
    return {"gap": gap, "formula": str(formula), "names": model.symbolic_fun[0].funs_name[0]}


@case
def gaussian_output_then_lamb_coef_fit(K):
    # a wide initial spread (noise_scale=2, scale_base_sigma=3, grid_eps=1), the output edge fixed
    # to 'gaussian' before training, a fit with lamb_coef and a short grid-update window
    f = lambda x: torch.exp(-(x[:, [0]] + x[:, [1]] ** 2 - 0.5 * x[:, [2]]) ** 2)
    ds = _ds(K, f, n_var=3)
    model = K.KAN(width=[3, 1, 1], grid=3, k=3, seed=0, noise_scale=2, scale_base_sigma=3, grid_eps=1,
                  auto_save=False)
    model(ds["train_input"])
    model.fix_symbolic(1, 0, 0, "gaussian", fit_params_bool=False)
    model(ds["train_input"])
    r = model.fit(ds, opt="LBFGS", steps=20, lamb=0.002, lamb_entropy=10.0, lamb_coef=1.0,
                  grid_update_num=5, stop_grid_update_step=15)
    return {"test_loss": r["test_loss"][-1], "reg": r["reg"][-1],
            "out_fun": model.symbolic_fun[1].funs_name[0][0]}


@case
def gam_identity_output_monotone_projection(K):
    # a GAM: [3, 1, 1] with the output edge fixed to 'x' (verbose/log_history off), an Adam loop
    # projecting input 0's coefficients onto a sorted (monotone) sequence after every step
    g = torch.Generator().manual_seed(0)
    X = torch.rand(400, 3, generator=g) * 2 - 1
    Y = 2 * X[:, [0]] + torch.sin(3 * X[:, [1]]) + X[:, [2]] ** 2
    model = K.KAN(width=[3, 1, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fix_symbolic(1, 0, 0, "x", fit_params_bool=False, verbose=False, log_history=False)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(80):
        loss = torch.mean((model(X[:300]) - Y[:300]) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            c = model.act_fun[0].coef
            c.data[0] = torch.sort(c.data[0], dim=-1).values
    coef0 = model.act_fun[0].coef.detach()[0, 0]
    return {"train_mse": loss.item(), "test_rmse": rmse(model(X[300:]), Y[300:]),
            "coef_sorted": bool((coef0[1:] >= coef0[:-1]).all())}


@case
def base_fun_module_in_cnn_head(K):
    # KAN(base_fun=torch.nn.SiLU()) (a module, not a name) between a Conv1d feature extractor and
    # a Linear classifier, grid_range [-1.5, 1.5]; deep-copied for the "best" model
    g = torch.Generator().manual_seed(0)
    n, t = 240, 32
    freq = torch.randint(0, 2, (n,), generator=g)
    time = torch.linspace(0, 1, t)
    x = torch.sin(2 * torch.pi * (2 + 4 * freq[:, None]) * time) + 0.3 * torch.randn(n, t, generator=g)
    x = x[:, None]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(1, 4, 5, padding=2)
            self.pool = torch.nn.AdaptiveAvgPool1d(1)
            self.kan = K.KAN(width=[4, 3], grid=3, k=3, grid_range=[-1.5, 1.5], noise_scale=0.1,
                             base_fun=torch.nn.SiLU(), seed=0, auto_save=False)
            self.fc = torch.nn.Linear(3, 2)

        def forward(self, x):
            h = self.pool(torch.relu(self.conv(x))).flatten(1)
            return self.fc(self.kan(h))

    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(40):
        loss = torch.nn.functional.cross_entropy(net(x[:180]), freq[:180])
        opt.zero_grad()
        loss.backward()
        opt.step()
    best = copy.deepcopy(net)
    with torch.no_grad():
        acc = float((best(x[180:]).argmax(1) == freq[180:]).float().mean())
    return {"loss": loss.item(), "test_acc": acc}


@case
def base_fun_tanh_module_refine(K):
    # base_fun=torch.nn.Tanh(): a fit, refine (which rebuilds the model from base_fun_name), a
    # fit; ./model made first (pykan's refine writes its history there even with auto_save=False)
    os.makedirs("model", exist_ok=True)
    f = lambda x: torch.tanh(2 * x[:, [0]]) + x[:, [1]] ** 2
    ds = _ds(K, f)
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, base_fun=torch.nn.Tanh(), auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    with torch.no_grad():
        before = model(ds["test_input"])
    model2 = model.refine(6)
    with torch.no_grad():
        after = model2(ds["test_input"])
        base_at_2 = float(model2.act_fun[0].base_fun(torch.tensor([[2.0, 2.0]]))[0, 0])
    r = model2.fit(ds, opt="LBFGS", steps=5)
    return {"refine_gap": float((after - before).abs().max()), "base_at_2": base_at_2,
            "test_loss": r["test_loss"][-1]}


@case
def base_fun_plain_function(K):
    # base_fun=torch.sin (a plain function) for a periodic 1-D target; copy() keeps it
    f = lambda x: torch.sin(3 * x[:, [0]]) + 0.5 * torch.sin(6 * x[:, [0]])
    ds = _ds(K, f, n_var=1)
    model = K.KAN(width=[1, 4, 1], grid=5, k=3, seed=0, base_fun=torch.sin, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=15)
    try:
        m2 = model.copy()
        with torch.no_grad():
            same = float((m2(ds["test_input"]) - model(ds["test_input"])).abs().max())
    except Exception as e:  # noqa: BLE001 (pykan's copy raises from YAML)
        same = type(e).__name__
    return {"test_loss": r["test_loss"][-1], "copy_gap": same}


@case
def encoder_subclass_affine_trainable_lstm(K):
    # a KAN subclass as an encoder (symbolic_enabled=False, affine_trainable=True, .to(device))
    # feeding an LSTM, one Adam with two parameter groups
    class KANEncoder(K.KAN):
        def __init__(self, **kw):
            super().__init__(**kw)

    g = torch.Generator().manual_seed(0)
    series = torch.cumsum(torch.randn(400, 4, generator=g) * 0.1, 0)
    target = series[:, :2].sum(1, keepdim=True).roll(-1, 0)
    enc = KANEncoder(width=[4, 6, 2], grid=3, k=3, symbolic_enabled=False, affine_trainable=True,
                     device="cpu", seed=0, auto_save=False).to("cpu")
    lstm = torch.nn.LSTM(2, 8, batch_first=True)
    head = torch.nn.Linear(8, 1)
    torch.manual_seed(0)
    opt = torch.optim.Adam([{"params": enc.parameters(), "lr": 0.01},
                            {"params": list(lstm.parameters()) + list(head.parameters()), "lr": 0.005}])
    windows = series[:390].unfold(0, 10, 1).permute(0, 2, 1)  # (N, 10, 4)
    y = target[9:390]
    for _ in range(30):
        z = enc(windows.reshape(-1, 4)).reshape(windows.shape[0], 10, 2)
        out, _ = lstm(z)
        loss = torch.mean((head(out[:, -1]) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    moved = max(float((p - 1).abs().max()) for p in enc.node_scale)
    bias_moved = max(float(p.abs().max()) for p in enc.node_bias)
    return {"loss": loss.item(), "node_scale_moved": moved > 1e-4, "node_bias_moved": bias_moved > 1e-4}


@case
def clean_graph_zero_then_assign(K):
    # a KAN built from a known formula: every edge fixed to '0' without fitting, then chosen edges
    # given functions and their affine (a, b, c, d) written by hand
    model = K.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    for l in range(model.depth):
        for i in range(model.width_in[l]):
            for j in range(model.width_out[l + 1]):
                model.fix_symbolic(l, i, j, "0", fit_params_bool=False, verbose=False)
    model.fix_symbolic(0, 0, 0, "sin", fit_params_bool=False, verbose=False)
    model.fix_symbolic(0, 1, 1, "x^2", fit_params_bool=False, verbose=False)
    model.fix_symbolic(1, 0, 0, "x", fit_params_bool=False, verbose=False)
    model.fix_symbolic(1, 1, 0, "x", fit_params_bool=False, verbose=False)
    with torch.no_grad():
        model.symbolic_fun[0].affine.data[0, 0] = torch.tensor([2.0, 0.0, 1.5, 0.0])
        model.symbolic_fun[1].affine.data[0, 1] = torch.tensor([1.0, 0.0, -1.0, 0.5])
    g = torch.Generator().manual_seed(1)
    x = torch.rand(64, 2, generator=g) * 2 - 1
    with torch.no_grad():
        gap = float((model(x) - (1.5 * torch.sin(2 * x[:, [0]]) - x[:, [1]] ** 2 + 0.5)).abs().max())
    return {"gap": gap, "formula": str(K.ex_round(model.symbolic_formula()[0][0], 3))}


@case
def symbolic_mask_state_walk(K):
    # classify every edge by (symbolic_fun[l].mask[j, i], act_fun[l].mask[i][j]): numeric,
    # symbolic or removed, and read funs_name[j][i]
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2
    ds = _ds(K, f)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    model.fix_symbolic(0, 0, 0, "sin", verbose=False)
    model.remove_edge(0, 1, 2)
    kinds = {"numeric": 0, "symbolic": 0, "removed": 0}
    names = []
    for l in range(len(model.width_in) - 1):
        for i in range(model.width_in[l]):
            for j in range(model.width_out[l + 1]):
                s, n = float(model.symbolic_fun[l].mask[j, i]), float(model.act_fun[l].mask[i][j])
                if s > 0 and n == 0:
                    kinds["symbolic"] += 1
                    names.append(model.symbolic_fun[l].funs_name[j][i])
                elif s == 0 and n == 0:
                    kinds["removed"] += 1
                else:
                    kinds["numeric"] += 1
    return {**kinds, "names": names}


@case
def clone_copies_symbolic_lists(K):
    # a hand-written clone: a fresh model, load_state_dict, then each symbolic edge's funs,
    # funs_sympy, funs_avoid_singularity and funs_name copied over; cache_data and input_id too
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2
    ds = _ds(K, f)
    src = K.KAN(width=[2, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    src.fit(ds, opt="LBFGS", steps=10)
    src.fix_symbolic(0, 0, 0, "sin", verbose=False)
    src.fix_symbolic(0, 1, 1, "x^2", verbose=False)
    cloned = K.KAN(width=[2, 2, 1], grid=5, k=3, seed=1, auto_save=False)
    cloned.load_state_dict(src.state_dict())
    cloned.input_id = src.input_id.detach().clone()
    cloned.cache_data = None if src.cache_data is None else src.cache_data.detach().clone()
    for l in range(len(src.symbolic_fun)):
        sl, cl = src.symbolic_fun[l], cloned.symbolic_fun[l]
        for j in range(sl.out_dim):
            for i in range(sl.in_dim):
                cl.funs[j][i] = sl.funs[j][i]
                cl.funs_sympy[j][i] = sl.funs_sympy[j][i]
                cl.funs_avoid_singularity[j][i] = sl.funs_avoid_singularity[j][i]
                cl.funs_name[j][i] = sl.funs_name[j][i]
    with torch.no_grad():
        gap = float((cloned(ds["test_input"]) - src(ds["test_input"])).abs().max())
    return {"gap": gap, "names": cloned.symbolic_fun[0].funs_name,
            "cache_rows": None if cloned.cache_data is None else int(cloned.cache_data.shape[0])}


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
    ds = _ds(K, f, n_var=4)
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
    ds = _ds(K, f, n_var=4)
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
    ds = _ds(K, f)
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
    ds = _ds(K, f)
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
    ds = _ds(K, f, n_var=3)
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
    ds = _ds(K, f)
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
    ds = _ds(K, f, n=200)
    res = E.runner1([2, 3, 1], ds, grids=[3, 5], steps=5, prune_round=2, refine_round=2, seed=1)
    return {"ids": [str(i) for i in res["id"]], "c": [int(c) for c in res["c"]],
            "G": [int(G) for G in res["G"]], "n_loss": len(res["test_loss"])}


@case
def mlp_baseline_beside_kan(K):
    # kan.MLP as the baseline: fit with LBFGS, attribute, parameter count
    M = _sub(K, "MLP")
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)
    ds = _ds(K, f)
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
    ds = _ds(K, f, n=100)
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
    ds = _ds(K, f, n_var=4)
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
    ds = _ds(K, f)
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
    ds = _ds(K, f)
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
    ds = _ds(K, f, n_var=3)
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
    ds = _ds(K, f)
    model = K.KAN(width=[2, 1], grid=3, k=3, seed=0, auto_save=False)
    model.fix_symbolic(0, 0, 0, "sin", fit_params_bool=False, random=True, verbose=False)
    model.fix_symbolic(0, 1, 0, "x", fit_params_bool=False, random=True, verbose=False)
    a = model.symbolic_fun[0].affine.detach().clone()
    r = model.fit(ds, opt="LBFGS", steps=20, update_grid=False)
    return {"affine_random": bool((a[0, 0] != torch.tensor([1., 0., 1., 0.])).any()),
            "test_loss": r["test_loss"][-1]}

"""A sixth round of public pykan code (with ``round6_tools``; ``--kinds round6`` runs both):
edges fixed with pykan's less common names (``'sigmoid'``, ``'gaussian'``) and with Python
callables, a whole graph cleaned to ``'0'`` and rebuilt, ``set_mode``, symbolic functions copied
into a clone; ``base_fun`` given as a module or a function; ``affine_trainable=True`` inside a
larger network; and a sklearn-style pipeline on ``MinMaxScaler(0.1, 0.9)`` data with
``grid_range`` as a tuple."""

import copy
import os

import numpy as np
import torch

from ._common import case, rmse, small_dataset


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
    ds = small_dataset(K, f, n_var=3)
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
    ds = small_dataset(K, f, n_var=3)
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
    ds = small_dataset(K, f)
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
    ds = small_dataset(K, f, n_var=1)
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
    ds = small_dataset(K, f)
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
    ds = small_dataset(K, f)
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

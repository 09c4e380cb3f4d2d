"""A fourth round of public pykan code: the fit's knobs (grid-update schedules, L-BFGS on
mini-batches, ``display_metrics``, a ``fit`` per learning rate), pykan's own L-BFGS class and
spline helpers in user loops, hand-made pruning (issue #416's ``prune_edge`` /
``attribute`` / ``log_history`` / ``prune_node``), custom symbolic libraries after pruning
(issue #480), in-place mask edits, ``module``, ``swap``, ``expand_width``, ``prune_input``
without data, auto-save versions, state dicts across grids, ``torch.compile`` and
autoregressive roll-outs."""

import os
import tempfile

import numpy as np
import torch

from ._common import case, f2, rmse


def _ds(K, f, n_var=2, n=300, **kw):
    return K.create_dataset(f, n_var=n_var, train_num=n, test_num=n, seed=0, **kw)


def _test_rmse(model, ds):
    with torch.no_grad():
        return rmse(model(ds["test_input"]), ds["test_label"])


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
    ds = _ds(K, lambda x: x[:, [0]] ** 2 + torch.sin(x[:, [1]]) + 0 * x[:, [2]], n_var=3)
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
def lbfgs_fit_minibatch(K):
    # fit(opt="LBFGS", batch=...): each step on a random batch of rows
    ds = _ds(K, f2, n=500)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=30, batch=100)
    return {"train_loss": r["train_loss"][-1], "test_loss": r["test_loss"][-1], "n": len(r["train_loss"])}


@case
def grid_update_schedule_late_start(K):
    # the grid updated 3 times between steps 10 and 40 of an Adam fit
    ds = _ds(K, f2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="Adam", lr=0.02, steps=60, update_grid=True, grid_update_num=3,
                  start_grid_update_step=10, stop_grid_update_step=40)
    return {"test_loss": r["test_loss"][-1], "grid_lo": round(float(model.act_fun[0].grid[0, 3]), 3)}


@case
def fit_per_learning_rate(K):
    # a fit per learning rate, results concatenated (a manual schedule)
    ds = _ds(K, f2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    hist = []
    for lr in (1e-2, 3e-3, 1e-3):
        hist += list(model.fit(ds, opt="Adam", lr=lr, steps=40, update_grid=False)["test_loss"])
    return {"n": len(hist), "first": hist[0], "last": hist[-1]}


@case
def display_metrics_fit(K):
    # display_metrics and a metrics tuple of accuracy functions
    from ._common import acc_fns, moons
    ds = moons()
    model = K.KAN(width=[2, 3, 2], grid=5, k=3, seed=0, auto_save=False)
    tr, te = acc_fns(model, ds)
    r = model.fit(ds, opt="Adam", lr=0.01, steps=60, loss_fn=torch.nn.CrossEntropyLoss(),
                  metrics=(tr, te), display_metrics=["train_loss", "test_acc"])
    return {"keys": sorted(r), "test_acc": float(r["test_acc"][-1])}


@case
def pykan_lbfgs_class_custom_loop(K):
    # pykan's own LBFGS class (kan.LBFGS) in a closure loop, pykan's tolerances
    import importlib
    LBFGS = importlib.import_module(K.__name__ + ".LBFGS").LBFGS
    ds = _ds(K, f2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    opt = LBFGS(model.parameters(), lr=1, history_size=10, line_search_fn="strong_wolfe",
                tolerance_grad=1e-32, tolerance_change=1e-32, tolerance_ys=1e-32)

    def closure():
        opt.zero_grad()
        loss = torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2)
        loss.backward()
        return loss
    for _ in range(20):
        opt.step(closure)
    return {"test_rmse": _test_rmse(model, ds)}


@case
def spline_helpers_direct(K):
    # kan.spline's B_batch / curve2coef / coef2curve on a grid from extend_grid
    import importlib
    sp = importlib.import_module(K.__name__ + ".spline")
    g = torch.linspace(-1, 1, 6)[None, :]
    grid = sp.extend_grid(g, k_extend=3)
    x = torch.linspace(-1, 1, 200)[:, None]
    y = torch.sin(3 * x)[:, :, None]
    coef = sp.curve2coef(x, y, grid, k=3)
    fit = sp.coef2curve(x, grid, coef, k=3)
    return {"B_shape": list(sp.B_batch(x, grid, k=3).shape), "coef_shape": list(coef.shape),
            "fit_rmse": rmse(fit, y)}


@case
def state_dict_across_grids(K):
    # torch.save(state_dict) of a grid-5 model loaded into a grid-10 model (an error), then
    # into a grid-5 one (the same outputs)
    d = tempfile.mkdtemp()
    ds = _ds(K, f2)
    a = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    a.fit(ds, opt="LBFGS", steps=5)
    torch.save(a.state_dict(), os.path.join(d, "kan.pth"))
    sd = torch.load(os.path.join(d, "kan.pth"))
    try:
        K.KAN(width=[2, 5, 1], grid=10, k=3, seed=0, auto_save=False).load_state_dict(sd)
        other = "loaded"
    except Exception as e:
        other = type(e).__name__
    b = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=1, auto_save=False)
    b.load_state_dict(sd)
    with torch.no_grad():
        gap = rmse(a(ds["test_input"]), b(ds["test_input"]))
    return {"grid10": other, "same_grid_gap": gap}


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
    ds = _ds(K, f2)
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
    ds = _ds(K, f, n_var=4)
    model = K.KAN(width=[4, 4, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    model.module(0, "[0,1]->[0,1]->[0,1]->[0]")
    r = model.fit(ds, opt="LBFGS", steps=20)
    w = model.act_fun[0].mask
    return {"test_loss": r["test_loss"][-1], "mask_off": int((w == 0).sum())}


@case
def swap_keeps_function(K):
    # swap two hidden nodes: the same function, the nodes' edges moved
    ds = _ds(K, f2)
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
    ds = _ds(K, f2)
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
    ds = _ds(K, lambda x: x[:, [0]] ** 2 + 0.5 * x[:, [1]], n_var=3)
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=15, lamb=0.005)
    m2 = model.prune_input(active_inputs=[0, 1])
    shape = list(m2.cache_data.shape) if m2.cache_data is not None else None
    m2.get_act(m2.cache_data)
    m2.attribute()
    return {"cache_shape": shape, "n_scores": len(m2.node_scores[0]),
            "test_loss": _test_rmse(m2, ds)}


@case
def autosave_versions_files(K):
    # auto-save: fit, refine, fit; the version ids of each model and the files written
    d = tempfile.mkdtemp()
    ds = _ds(K, f2)
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=1, ckpt_path=d)
    model.fit(ds, opt="LBFGS", steps=3)
    v1 = f"{model.round}.{model.state_id}"
    model = model.refine(6)
    v2 = f"{model.round}.{model.state_id}"
    model.fit(ds, opt="LBFGS", steps=3)
    v3 = f"{model.round}.{model.state_id}"
    files = sorted(f for f in os.listdir(d) if f.endswith("_state"))
    m2 = K.KAN.loadckpt(os.path.join(d, v3))
    with torch.no_grad():
        same = rmse(model(ds["test_input"]), m2(ds["test_input"]))
    return {"versions": [v1, v2, v3], "state_files": files, "same": same}


@case
def param_count_requires_grad(K):
    # the parameter count users print (trainable only / all)
    model = K.KAN(width=[3, 5, 2], grid=5, k=3, seed=0, auto_save=False)
    return {"trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "coef": sum(p.numel() for n, p in model.named_parameters() if n.endswith("coef"))}


@case
def torch_compile_model(K):
    # torch.compile(model) for inference and one training step
    ds = _ds(K, f2, n=200)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    cm = torch.compile(model)
    with torch.no_grad():
        gap = rmse(cm(ds["test_input"]), model(ds["test_input"]))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.mean((cm(ds["train_input"]) - ds["train_label"]) ** 2)
    loss.backward()
    opt.step()
    return {"compiled_gap": gap, "loss": loss.item()}


@case
def autoregressive_rollout(K):
    # 6-lag windows of a sine series scaled to [-1, 1]; a fit, then a 30-step roll-out
    t = np.arange(400) * 0.1
    s = np.sin(t) * 0.8 + 0.1 * np.sin(3.1 * t)
    lag = 6
    X = np.stack([s[i:i + lag] for i in range(len(s) - lag)])
    Y = s[lag:, None]
    X, Y = torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)
    ds = {"train_input": X[:300], "train_label": Y[:300], "test_input": X[300:], "test_label": Y[300:]}
    model = K.KAN(width=[lag, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=20)
    win = list(X[300].numpy())
    preds = []
    with torch.no_grad():
        for _ in range(30):
            p = float(model(torch.tensor([win[-lag:]], dtype=torch.float32))[0, 0])
            preds.append(p)
            win.append(p)
    return {"test_loss": r["test_loss"][-1],
            "rollout_rmse": float(np.sqrt(np.mean((np.array(preds) - s[300 + lag:330 + lag]) ** 2)))}


@case
def bce_logits_binary(K):
    # a binary classifier: one output, float 0/1 labels, BCEWithLogitsLoss
    from ._common import moons
    ds = moons()
    for k in ("train_label", "test_label"):
        ds[k] = ds[k].float()[:, None]
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="Adam", lr=0.02, steps=80, loss_fn=torch.nn.BCEWithLogitsLoss())
    with torch.no_grad():
        acc = float(((model(ds["test_input"]) > 0).float() == ds["test_label"]).float().mean())
    return {"test_acc": acc, "train_loss": r["train_loss"][-1]}


@case
def normalized_dataset_keys(K):
    # create_dataset(normalize_input=True, normalize_label=True): the keys and a fit on it
    ds = _ds(K, lambda x: 3 * x[:, [0]] + x[:, [1]] ** 2 + 5, ranges=[[0, 4], [-2, 2]],
             normalize_input=True, normalize_label=True)
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=15)
    return {"keys": sorted(ds), "label_std": round(float(ds["train_label"].std()), 3),
            "test_loss": r["test_loss"][-1]}


@case
def fit_full_regularisation(K):
    # every regularisation weight at once, the reg curve reported
    ds = _ds(K, f2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=15, lamb=0.01, lamb_l1=1.0, lamb_entropy=2.0,
                  lamb_coef=0.1, lamb_coefdiff=0.1)
    return {"test_loss": r["test_loss"][-1], "reg_first": r["reg"][0], "reg_last": r["reg"][-1]}


@case
def suggest_symbolic_topk_table(K):
    # suggest_symbolic on every edge, topk=3, the best name per edge collected
    ds = _ds(K, lambda x: torch.sin(np.pi * x[:, [0]]) + x[:, [1]] ** 2)
    model = K.KAN(width=[2, 1], grid=7, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=20)
    best = []
    for i in range(2):
        name = model.suggest_symbolic(0, i, 0, topk=3, verbose=False)[0]
        best.append(name)
    return {"best": best}


@case
def kan_head_on_linear_features(K):
    # a Linear feature layer feeding a KAN, one optimizer for both, weight decay, .to('cpu')
    torch.manual_seed(0)
    x = torch.randn(400, 8)
    y = torch.sin(x[:, :2].sum(1, keepdim=True)) + 0.1 * x[:, [3]]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(8, 3)
            self.kan = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)

        def forward(self, z):
            return self.kan(torch.tanh(self.proj(z)))
    net = Net().to("cpu")
    opt = torch.optim.AdamW(net.parameters(), lr=5e-3, weight_decay=1e-4)
    for _ in range(200):
        net.train()
        loss = torch.mean((net(x[:300]) - y[:300]) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        test = rmse(net(x[300:]), y[300:])
    return {"train_mse": loss.item(), "test_rmse": test}


@case
def symbolic_formula_lambdify_rows(K):
    # symbolic_formula()[0][0] with ex_round(.., 4), lambdified and compared with the model
    import sympy
    ds = _ds(K, lambda x: 2 * x[:, [0]] + x[:, [1]] ** 2)
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

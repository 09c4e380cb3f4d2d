"""A third round of public pykan code, part 2: the prune/refine/symbolic chains of tabular
studies (``attribute`` → ``prune_input``, ``prune_edge`` → ``refine``, ``auto_symbolic`` →
``get_fun`` → sympy, ``kanpiler`` → ``perturb``), auto-save versions, and torch's tooling on
a KAN (schedulers, ``torch.func``, ``torch.compile``, ``double()``, frozen parameters,
autocast).  ``--kinds round3`` runs it with ``round3_data``."""

import os
import tempfile

import numpy as np
import torch

from ._common import argmax_acc, case, rmse, split


def _auc(model, x, y):
    from sklearn.metrics import roc_auc_score
    with torch.no_grad():
        p = torch.softmax(model(x), 1)[:, 1].numpy()
    return float(roc_auc_score(y.numpy(), p))


@case
def attribute_topk_prune_input_retrain(K):
    # node_scores[0] after attribute(), keep the top inputs, prune + prune_input(threshold),
    # retrain with CE, update_grid=False and singularity_avoiding=True
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=500, n_features=8, n_informative=3, n_redundant=0,
                               random_state=0, shuffle=False)  # the informative columns first
    rows = np.random.default_rng(0).permutation(len(y))  # (shuffle=False also sorts the rows by class)
    X, y = X[rows], y[rows]
    x = torch.tensor(X, dtype=torch.float32)
    lab = torch.tensor(y)
    ds = split(x, lab, 350)
    model = K.KAN(width=[8, 4, 2], grid=5, k=3, seed=0)
    model.fit(ds, opt="Adam", steps=60, lr=1e-2, lamb=0.005, lamb_entropy=2.0,
              loss_fn=torch.nn.CrossEntropyLoss())
    acc0, auc0 = argmax_acc(model, ds["test_input"], ds["test_label"]), _auc(model, ds["test_input"], ds["test_label"])
    model.attribute()
    score = model.node_scores[0]
    top = torch.topk(score, 3).indices
    threshold = score[top[-1]]
    model = model.prune()
    model = model.prune_input(threshold=threshold)
    model.fit(ds, opt="Adam", steps=30, lr=1e-3, lamb=0.001, update_grid=False, singularity_avoiding=True,
              loss_fn=torch.nn.CrossEntropyLoss())
    return {"acc_auc_before": [acc0, auc0],
            "acc_auc_after": [argmax_acc(model, ds["test_input"], ds["test_label"]),
                              _auc(model, ds["test_input"], ds["test_label"])],
            "top3": sorted(top.tolist()), "n_inputs_left": int(model.width_in[0])}


@case
def prune_input_names_from_columns(K):
    # which DataFrame columns survive prune_input: df.columns[model.input_id]
    import pandas as pd
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.uniform(-1, 1, size=(600, 5)), columns=["temp", "press", "hum", "wind", "rain"])
    df["y"] = np.sin(2 * df["press"]) + df["wind"] ** 2
    x = torch.tensor(df[["temp", "press", "hum", "wind", "rain"]].values, dtype=torch.float32)
    yy = torch.tensor(df[["y"]].values, dtype=torch.float32)
    ds = split(x, yy, 400)
    model = K.KAN(width=[5, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=20, lamb=0.01)
    model = model.prune_input(threshold=0.05, log_history=False)
    kept = df.columns[model.input_id.cpu().numpy()].tolist()
    r = model.fit(ds, opt="LBFGS", steps=10)  # the same 5-column dataset: pykan takes x[:, input_id]
    return {"kept": kept, "refit_test": r["test_loss"][-1]}


@case
def autosave_toggled_refine_versions(K):
    # auto_save off at construction, switched on around each fit of a refine schedule; the
    # last '<version>_state' file loaded back with torch.load
    d = tempfile.mkdtemp()
    torch.manual_seed(0)
    x = torch.rand(500, 2) * 2 - 1
    y = torch.exp(torch.sin(np.pi * x[:, [0]]) + x[:, [1]] ** 2)
    ds = split(x, y, 400)
    model = None
    for i, g in enumerate([3, 6]):
        if i == 0:
            model = K.KAN(width=[2, 3, 1], grid=g, k=3, seed=1, ckpt_path=d, auto_save=False)
        else:
            model = model.refine(g)
        model.auto_save = True
        model.fit(ds, opt="Adam", steps=20, lr=0.01, batch=64)
        model.auto_save = False
    files = sorted(f for f in os.listdir(d) if f != "history.txt")
    m2 = K.KAN(width=[2, 3, 1], grid=6, k=3, seed=1, auto_save=False)
    m2.load_state_dict(torch.load(os.path.join(d, "0.3_state")))  # the user's hard-coded last version
    with torch.no_grad():
        same = rmse(model(ds["test_input"]), m2(ds["test_input"]))
    return {"files": files, "same": same}


def _standardized_table(n=500, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)) * np.array([1, 5, 0.2, 30, 2, 1]) + np.array([0, 50, 1, 200, -3, 0])
    target = 40 + 12 * np.tanh((X[:, 1] - 50) / 5) + 0.05 * (X[:, 3] - 200) + rng.normal(scale=0.5, size=n)
    return X, target


@case
def standardized_table_prune_edge_refine(K):
    # StandardScaler'd features (tails past +-3), an unscaled target (~40), .to(device) returning the
    # model, Adam with lamb_coef, prune(edge_th=0.1), refine(10), a second Adam fit; r2 by sklearn
    from sklearn.metrics import r2_score
    from sklearn.preprocessing import StandardScaler
    X, t = _standardized_table()
    X = StandardScaler().fit_transform(X)
    x = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(t, dtype=torch.float32).view(-1, 1)
    ds = split(x, y, 400)
    model = K.KAN(width=[6, 1, 1], grid=5, k=3, seed=1).to("cpu")
    model.fit(ds, opt="Adam", lr=1e-2, steps=150, lamb=0.01, lamb_coef=1.0)
    model = model.prune(edge_th=0.1)
    model2 = model.refine(10)
    r = model2.fit(ds, opt="Adam", lr=1e-3, lamb=0.01, steps=80)
    with torch.no_grad():
        r2 = r2_score(ds["test_label"].numpy(), model2(ds["test_input"]).numpy())
    return {"test_loss": r["test_loss"][-1], "test_r2": float(r2), "is_model": isinstance(model, torch.nn.Module)}


@case
def copy_auto_symbolic_get_fun_nsimplify(K):
    # a copy for the symbolic pass, auto_symbolic(lib, r2_threshold, weight_simple=0), get_fun's sorted
    # arrays, then nsimplify(ex_round(ex_round(formula, 3), 3)) evaluated against the data
    import sympy
    torch.manual_seed(0)
    x = torch.randn(600, 3)
    y = 2 * x[:, [0]] + torch.sin(x[:, [1]]) + 0.5 * x[:, [2]] ** 2
    ds = split(x, y, 450)
    model = K.KAN(width=[3, 1, 1], grid=5, k=3, seed=1, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=30)
    best = model.copy()
    with torch.no_grad():  # the user's predictions before the symbolic pass (pykan's copy has no acts)
        best(ds["train_input"])
    lib = ["x", "x^2", "x^3", "exp", "sin", "tanh", "abs"]
    best.auto_symbolic(lib=lib, r2_threshold=0.1, weight_simple=0)
    best(ds["train_input"])
    fx, fy = best.get_fun(0, 0, 0)
    import matplotlib.pyplot as plt
    plt.close("all")
    import importlib
    ex_round = importlib.import_module(K.__name__ + ".utils").ex_round
    sf = best.symbolic_formula()[0][0]
    simple = sympy.nsimplify(ex_round(ex_round(sf, 3), 3))
    cols = {f"x_{i + 1}": ds["test_input"][:, i].double().numpy() for i in range(3)}

    def test_rmse(expr):
        syms = sorted(expr.free_symbols, key=str)
        val = np.broadcast_to(sympy.lambdify(syms, expr, "numpy")(*[cols[str(s)] for s in syms]), (150,))
        return rmse(torch.tensor(val).view(-1, 1), ds["test_label"])
    return {"sorted": bool(np.all(np.diff(fx) >= 0)), "fun_len": len(fx), "same_len": len(fx) == len(fy),
            "formula_test_rmse": test_rmse(sf), "rounded_test_rmse": test_rmse(simple)}


@case
def kanpiler_perturb_finetune_float64(K):
    # a theory formula compiled into a KAN, perturbed, fine-tuned to data with a correction term
    # (inputs on [0,1], [0,0.9], [1.1,2]), then auto_symbolic and a named-variable formula
    import importlib
    import sympy
    kanpiler = importlib.import_module(K.__name__ + ".compiler").kanpiler
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(1)
    f = lambda x: x[:, [0]] / torch.sqrt(1 - x[:, [1]] ** 2 / x[:, [2]] ** 2 + x[:, [1]] ** 4 / x[:, [2]] ** 4)  # noqa: E731
    ds = K.create_dataset(f, n_var=3, ranges=[[0, 1], [0, 0.9], [1.1, 2]], train_num=500, test_num=200, seed=1)
    m0, v, c = sympy.symbols("m0 v c")
    model = kanpiler([m0, v, c], m0 / sympy.sqrt(1 - v ** 2 / c ** 2))
    with torch.no_grad():
        before = rmse(model(ds["test_input"]), ds["test_label"])
    model.get_act(ds)
    model.perturb(mag=0.1, mode="all")
    model.fit(ds, opt="LBFGS", steps=25, lamb=1e-5, lamb_coef=1.0)
    with torch.no_grad():
        after = rmse(model(ds["test_input"]), ds["test_label"])
    return {"rmse_theory": before, "rmse_finetuned": after,
            "dtype": str(next(model.parameters()).dtype)}


@case
def scheduler_clip_grad_loop(K):
    # StepLR + clip_grad_norm_ + model.zero_grad() in a hand-written loop, a grid update at step 50
    torch.manual_seed(0)
    x = torch.rand(500, 2) * 2 - 1
    y = torch.tanh(3 * x[:, [0]] * x[:, [1]]) + 0.3 * x[:, [0]]
    model = K.KAN(width=[2, 6, 1], grid=5, k=3, seed=0, auto_save=False)
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=100, gamma=0.3)
    for step in range(250):
        model.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x[:400]), y[:400])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
        sched.step()
        if step == 50:
            model.update_grid_from_samples(x[:400])
    with torch.no_grad():
        return {"test_rmse": rmse(model(x[400:]), y[400:]), "lr_end": opt.param_groups[0]["lr"]}


@case
def torch_func_jacrev_vmap(K):
    # per-sample input gradients with torch.func (vmap over jacrev of a one-row call)
    from torch.func import jacrev, vmap
    ds = K.create_dataset(lambda x: x[:, [0]] ** 2 * x[:, [1]], n_var=2, train_num=300, test_num=50, seed=0)
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    model.speed()
    xs = ds["test_input"]

    def one(xi):
        return model(xi.unsqueeze(0)).squeeze(0)
    J = vmap(jacrev(one))(xs)
    xg = xs.clone().requires_grad_(True)
    g = torch.autograd.grad(model(xg).sum(), xg)[0]
    return {"jac_shape": list(J.shape), "jac_vs_autograd": float((J[:, 0, :] - g).abs().max())}


@case
def speed_compile_forward(K):
    # model.speed(compile=True) (torch.compile) and the compiled model used for inference
    ds = K.create_dataset(lambda x: torch.sin(x[:, [0]]) + x[:, [1]], n_var=2, train_num=200, test_num=100, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    fast = model.speed(compile=True)
    with torch.no_grad():
        a = fast(ds["test_input"])
        b = model(ds["test_input"])
    return {"compiled_vs_eager": rmse(a, b), "shape": list(a.shape)}


@case
def double_method_then_fit(K):
    # model.double() (not .to(float64)) with a dataset cast by .double()
    ds = K.create_dataset(lambda x: torch.exp(-x[:, [0]] ** 2) * x[:, [1]], n_var=2, train_num=400, seed=0)
    ds = {k: v.double() for k, v in ds.items()}
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False).double()
    r = model.fit(ds, opt="LBFGS", steps=15)
    with torch.no_grad():
        out = model(ds["test_input"])
    return {"test_loss": r["test_loss"][-1], "out_dtype": str(out.dtype)}


@case
def freeze_by_parameter_name(K):
    # named_parameters() filtered by pykan's names: freeze the base branch, train the rest
    ds = K.create_dataset(lambda x: torch.sin(3 * x[:, [0]]) + x[:, [1]] ** 2, n_var=2, train_num=400, seed=0)
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    names = [n for n, _ in model.named_parameters()]
    frozen = []
    for n, p in model.named_parameters():
        if "scale_base" in n:
            p.requires_grad_(False)
            frozen.append(n)
    before = [p.detach().clone() for n, p in model.named_parameters() if "scale_base" in n]
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(100):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(ds["train_input"]), ds["train_label"])
        loss.backward()
        opt.step()
    after = [p.detach() for n, p in model.named_parameters() if "scale_base" in n]
    return {"names": sorted({n.split(".")[-1] for n in names}), "n_frozen": len(frozen),
            "frozen_kept": bool(all(torch.equal(a, b) for a, b in zip(before, after))), "loss": loss.item()}


@case
def sp_sb_untrainable_fit(K):
    # sp_trainable=False, sb_trainable=False: the scales stay put through fit, the coefficients move
    ds = K.create_dataset(lambda x: torch.sin(np.pi * x[:, [0]]) * x[:, [1]], n_var=2, train_num=400, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, noise_scale=0.1, sp_trainable=False, sb_trainable=False,
                  save_act=True, auto_save=False)
    sp0 = [a.scale_sp.detach().clone() for a in model.act_fun]
    sb0 = [a.scale_base.detach().clone() for a in model.act_fun]
    r = model.fit(ds, opt="Adam", steps=60, lr=0.01)
    sp_kept = all(torch.equal(a.scale_sp.detach(), s) for a, s in zip(model.act_fun, sp0))
    sb_kept = all(torch.equal(a.scale_base.detach(), s) for a, s in zip(model.act_fun, sb0))
    return {"sp_kept": sp_kept, "sb_kept": sb_kept, "train_loss": r["train_loss"][-1]}


@case
def autocast_bfloat16_inference(K):
    # inference under torch.autocast("cpu", bfloat16), as in mixed-precision pipelines
    ds = K.create_dataset(lambda x: x[:, [0]] + x[:, [1]] ** 2, n_var=2, train_num=200, test_num=100, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    with torch.no_grad():
        ref = model(ds["test_input"])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = model(ds["test_input"])
    return {"dtype": str(low.dtype), "gap": rmse(low.float(), ref)}

"""A fifth round of public pykan code, part two: training pipelines and results as users
handle them — ``speed()`` then sparsify/prune/refine stages with a weighted multi-output
loss, a fresh model's grid set from the data before a hand-written Adam loop with an L1 sum
over ``parameters()``, ``ReduceLROnPlateau`` with early stopping, K-fold fresh models,
``refine(g).to(device)``, history values taken with ``.item()``, input-gradient saliency,
``acts_scale`` products as feature weights, formulas with column names (``var=``) and
``diff``, ``SYMBOLIC_LIB.copy()`` as a library, ``'0'`` fixed on pruned edges,
``formula.subs`` row by row, ``evaluate`` after ``auto_symbolic``, pykan's state-dict keys
and ``torch.func.functional_call``."""

import copy
import os

import numpy as np
import torch

from ._common import case, f2, rmse


def _ds(K, f=f2, n_var=2, n=300, **kw):
    return K.create_dataset(f, n_var=n_var, train_num=n, test_num=n, seed=0, **kw)


@case
def history_values_item(K):
    # results['train_loss'][-1].item(), np.array of the history, np.savez of it
    ds = _ds(K)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=10, stop_grid_update_step=5, grid_update_num=5)
    last = (r["train_loss"][-1].item(), r["test_loss"][-1].item())
    arr = np.array(r["train_loss"])
    np.savez("hist.npz", train_loss=r["train_loss"], test_loss=r["test_loss"])
    back = np.load("hist.npz")["train_loss"]
    return {"train": last[0], "test": last[1], "shape": list(arr.shape), "dtype_kind": arr.dtype.kind,
            "saved_equal": bool(np.allclose(back, arr))}


@case
def speed_sparsify_prune_refine_stages(K):
    # speed() first; fits in chunks without grid updates; then save_act/symbolic_enabled back
    # on for a penalised stage; prune(node_th, edge_th); refine after a forward; one weighted
    # MSE over 3 outputs throughout.  ./model made first: pykan's prune writes its history
    # there even with auto_save=False
    os.makedirs("model", exist_ok=True)
    def f(x):
        return torch.cat([torch.sin(2 * x[:, [0]]), x[:, [1]] ** 2, x[:, [0]] * x[:, [2]]], 1)
    ds = _ds(K, f, n_var=3)
    w = torch.tensor([1.0, 2.0, 0.5])

    def weighted_mse(pred, target):
        return torch.mean(w * (pred - target) ** 2)
    model = K.KAN(width=[3, 6, 3], grid=5, k=3, seed=0, auto_save=False, grid_eps=0.0)
    model.speed()
    hist = []
    for _ in range(2):
        hist += model.fit(ds, opt="LBFGS", steps=5, lamb=0, loss_fn=weighted_mse, update_grid=False)["test_loss"]
    model.save_act = True
    model.symbolic_enabled = True
    hist += model.fit(ds, opt="LBFGS", steps=10, lamb=0.003, loss_fn=weighted_mse, update_grid=False)["test_loss"]
    model = model.prune(node_th=1e-2, edge_th=1e-2)
    model.save_act = False
    model.auto_save = False
    width_pruned = [w_[0] for w_ in model.width]
    for g in (8,):
        model.save_act = True
        model(ds["train_input"])
        model = model.refine(g)
        model.save_act = False
        hist += model.fit(ds, opt="LBFGS", steps=10, lamb=0, loss_fn=weighted_mse, update_grid=False)["test_loss"]
    return {"warm": float(hist[9]), "sparse": float(hist[19]), "final": float(hist[-1]),
            "width_pruned": width_pruned, "n": len(hist)}


@case
def fresh_grid_from_data_adam_l1(K):
    # a fresh [4, 1] model's grid set from the data (inputs on [0, 5]), then a hand-written
    # Adam loop with an L1 sum over every tensor of parameters() (pykan's include grid/mask)
    g = torch.Generator().manual_seed(1)
    X = torch.rand(300, 4, generator=g) * 5
    Y = torch.log1p(X[:, [0]]) + 0.2 * X[:, [2]]
    model = K.KAN(width=[4, 1], grid=3, k=3, device="cpu", auto_save=False)
    model.update_grid_from_samples(X)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(150):
        opt.zero_grad()
        mse = torch.nn.functional.mse_loss(model(X), Y)
        l1 = sum(torch.sum(torch.abs(p)) for p in model.parameters())
        (mse + 0.001 * l1).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        final = rmse(model(X), Y)
    return {"rmse": final, "grid_hi": round(float(model.act_fun[0].grid[0].max()), 2)}


@case
def reduce_lr_on_plateau_early_stop(K):
    # Adam + ReduceLROnPlateau(val) + patience early stop, best state restored
    ds = _ds(K, n=400)
    xv, yv = ds["test_input"][:200], ds["test_label"][:200]
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=5)
    best, best_state, bad, epochs = float("inf"), None, 0, 0
    for epoch in range(200):
        perm = torch.randperm(400)
        for s in range(0, 400, 100):
            idx = perm[s:s + 100]
            loss = torch.nn.functional.mse_loss(model(ds["train_input"][idx]), ds["train_label"][idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            val = torch.nn.functional.mse_loss(model(xv), yv).item()
        sched.step(val)
        epochs = epoch + 1
        if val < best - 1e-6:
            best, best_state, bad = val, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= 15:
                break
    model.load_state_dict(best_state)
    return {"best_val_mse": best, "epochs": epochs, "lr_end": opt.param_groups[0]["lr"] < 0.05,
            "test_rmse": rmse(model(ds["test_input"][200:]), ds["test_label"][200:])}


@case
def kfold_fresh_models(K):
    # sklearn KFold: a fresh KAN per fold on numpy splits, mean fold RMSE
    from sklearn.model_selection import KFold
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (240, 2)).astype(np.float32)
    y = (np.exp(np.sin(np.pi * X[:, 0]) + X[:, 1] ** 2)).astype(np.float32)[:, None]
    scores = []
    for fold, (tr, te) in enumerate(KFold(n_splits=3, shuffle=True, random_state=0).split(X)):
        ds = {"train_input": torch.from_numpy(X[tr]), "train_label": torch.from_numpy(y[tr]),
              "test_input": torch.from_numpy(X[te]), "test_label": torch.from_numpy(y[te])}
        model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=fold, auto_save=False)
        scores.append(model.fit(ds, opt="LBFGS", steps=10)["test_loss"][-1])
    return {"fold_rmse": [float(s) for s in scores], "mean": float(np.mean(scores))}


@case
def refine_to_device_no_early_update(K):
    # fit(start_grid_update_step=-1), then model = model.refine(g).to(device) in a loop
    os.makedirs("model", exist_ok=True)  # pykan's refine writes ./model/history.txt
    ds = _ds(K)
    model = K.KAN(width=[2, 5, 1], grid=3, k=3, seed=0, auto_save=False)
    losses = [model.fit(ds, opt="LBFGS", steps=10, start_grid_update_step=-1)["test_loss"][-1]]
    devices = []
    for g in (6, 12):
        model = model.refine(g).to("cpu")
        devices.append(str(model.act_fun[0].grid.device))
        losses.append(model.fit(ds, opt="LBFGS", steps=10, start_grid_update_step=-1)["test_loss"][-1])
    return {"losses": [float(v) for v in losses], "devices": devices}


@case
def input_gradient_saliency(K):
    # saliency: inputs with requires_grad, sum of predictions backward, mean |grad| per input
    ds = _ds(K, lambda x: 3 * x[:, [0]] + 0.2 * torch.sin(x[:, [2]]), n_var=3)
    model = K.KAN(width=[3, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    model.eval()
    X = ds["test_input"].clone().requires_grad_(True)
    torch.sum(model(X)).backward()
    sal = X.grad.abs().mean(dim=0).detach().cpu().numpy()
    return {"saliency": [round(float(s), 2) for s in sal], "top": int(np.argmax(sal))}


@case
def acts_scale_product_weights(K):
    # feature weights as acts_scale[0].T @ acts_scale[1].T, in percent
    ds = _ds(K, lambda x: torch.sin(2 * x[:, [0]]) + 0.1 * x[:, [1]] + 0 * x[:, [2]], n_var=3)
    model = K.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    model(ds["train_input"])
    w = torch.matmul(model.acts_scale[0].T, model.acts_scale[1].T).detach().cpu().numpy()
    pct = (100 * w / w.sum()).ravel()
    return {"shape": list(w.shape), "pct": [round(float(p), 1) for p in pct], "top": int(np.argmax(pct))}


@case
def formula_column_names_diff(K):
    # symbolic_formula(var=df.columns.tolist()), then sympy.diff by the first variable; also
    # sympy Symbols and a LaTeX name as var
    import pandas as pd
    import sympy
    ds = _ds(K, lambda x: 2 * x[:, [0]] + x[:, [1]] ** 2)
    df = pd.DataFrame(ds["train_input"].numpy(), columns=["temp", "press"])
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    model.auto_symbolic(lib=["x", "x^2", "sin"], verbose=0)
    formula, variables = model.symbolic_formula(var=df.columns.tolist())
    d = sympy.diff(formula[0], variables[0])
    f2_, v2 = model.symbolic_formula(var=[sympy.Symbol("T"), sympy.Symbol("\\alpha")])
    return {"vars": [str(v) for v in variables], "d_dtemp": str(K.ex_round(d, 2)),
            "names_in": sorted(str(s) for s in f2_[0].free_symbols), "v2": [str(v) for v in v2]}


@case
def symbolic_lib_dict_copy(K):
    # lib = SYMBOLIC_LIB.copy() without '0' (a dict) handed to auto_symbolic, ex_round(.., 2)
    ds = _ds(K, lambda x: torch.exp(x[:, [0]]) + torch.sin(x[:, [1]]))
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    lib = K.SYMBOLIC_LIB.copy()
    lib.pop("0", None)
    model.auto_symbolic(lib=lib, verbose=0)
    model.fit(ds, opt="LBFGS", steps=5)
    return {"formula": str(K.ex_round(model.symbolic_formula()[0][0], 2)), "n_lib": len(lib)}


@case
def fix_zero_on_pruned_edges(K):
    # after prune_edge, every edge switched off in both masks fixed to '0' by hand, the rest
    # auto_symbolic: the formula names only the used inputs
    ds = _ds(K, lambda x: x[:, [0]] ** 2 + 0 * x[:, [1]] + 0 * x[:, [2]], n_var=3)
    model = K.KAN(width=[3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=15, lamb=0.01)
    model.attribute()
    model.prune_edge(0.05)
    zeroed = 0
    for l in range(len(model.width_in) - 1):
        for i in range(model.width_in[l]):
            for j in range(model.width_out[l + 1]):
                if model.symbolic_fun[l].mask[j, i] == 0.0 and model.act_fun[l].mask[i][j] == 0.0:
                    model.fix_symbolic(l, i, j, "0", verbose=False, log_history=False)
                    zeroed += 1
    model.auto_symbolic(lib=["x", "x^2"], verbose=0)
    formula = model.symbolic_formula()[0][0]
    return {"zeroed": zeroed, "symbols": sorted(str(s) for s in formula.free_symbols)}


@case
def formula_subs_rows_accuracy(K):
    # a rounded one-output classifier's formula evaluated with .subs('x_1', X[i,0]) row by row
    from sklearn.datasets import make_moons
    X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    ds = {"train_input": torch.tensor(X[:100], dtype=torch.float32),
          "train_label": torch.tensor(y[:100, None], dtype=torch.float32),
          "test_input": torch.tensor(X[100:], dtype=torch.float32),
          "test_label": torch.tensor(y[100:, None], dtype=torch.float32)}
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    model.auto_symbolic(lib=["x", "x^2", "x^3", "sin", "tanh"], verbose=0)
    formula = model.symbolic_formula()[0][0]
    Xt, yt = ds["test_input"].numpy(), ds["test_label"].numpy()
    correct = 0
    for i in range(40):
        v = formula.subs("x_1", Xt[i, 0]).subs("x_2", Xt[i, 1])
        correct += np.round(np.array(v).astype(np.float64)) == yt[i, 0]
    return {"formula_acc": float(correct / 40)}


@case
def evaluate_after_auto_symbolic(K):
    # model.evaluate(dataset) after refine and auto_symbolic (test_loss, n_edge, n_grid)
    os.makedirs("model", exist_ok=True)  # pykan's refine writes ./model/history.txt
    ds = _ds(K, lambda x: torch.sin(x[:, [0]]) + x[:, [1]] ** 2)
    model = K.KAN(width=[2, 1], grid=3, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    model = model.refine(6)
    model.fit(ds, opt="LBFGS", steps=10, stop_grid_update_step=5, grid_update_num=5)
    model.auto_symbolic(lib=["x", "x^2", "sin"], verbose=0)
    e = model.evaluate(ds)
    return {"keys": sorted(e), "test_loss": e["test_loss"], "n_edge": e.get("n_edge"),
            "n_grid": e.get("n_grid")}


@case
def state_dict_pykan_keys(K):
    # reading pykan's state-dict keys: the hidden width from act_fun.0.coef's shape, the grid
    # size from act_fun.0.grid's, the symbolic affine table
    model = K.KAN(width=[3, 4, 1], grid=6, k=3, seed=0, auto_save=False)
    sd = model.state_dict()
    hidden = int(sd["act_fun.0.coef"].shape[1])
    grid = int(sd["act_fun.0.grid"].shape[1]) - 2 * model.k - 1
    return {"hidden": hidden, "grid": grid, "affine": list(sd["symbolic_fun.0.affine"].shape)}


@case
def functional_call_params(K):
    # torch.func.functional_call with the named parameters (as in Bayesian/Fisher code)
    ds = _ds(K)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    params = {n: p.detach() for n, p in model.named_parameters()}
    x = ds["test_input"][:64]
    same = float((torch.func.functional_call(model, params, (x,)) - model(x)).abs().max())
    half = {n: 0.5 * p for n, p in params.items()}
    moved = float((torch.func.functional_call(model, half, (x,)) - model(x)).abs().max())

    def loss_of(p):
        return torch.mean((torch.func.functional_call(model, p, (x,)) - ds["test_label"][:64]) ** 2)
    grads = torch.func.grad(loss_of)(params)
    return {"same": same, "half_moves": moved > 1e-3, "grad_finite":
            bool(all(torch.isfinite(g).all() for g in grads.values()))}

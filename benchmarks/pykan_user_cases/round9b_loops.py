"""A ninth round, ML engineers' code (with ``round9b_nets``): training loops and model state as
pipelines handle them — ``get_params()`` used like ``parameters()``, two constructions with
one seed, a width/grid/k sweep with the default ``auto_save``, early stopping with a cloned
``state_dict``, ``DataLoader`` + ``random_split`` + ``StepLR`` + ``clip_grad_value_`` on three
outputs, gradient accumulation, ``pickle`` (joblib-style), xavier re-initialisation of every
matrix, ``save_act`` off in an own loop then back on for ``attribute``, a large ``no_grad``
batch against chunks, an in-place ``coef`` edit, and an sklearn ``Pipeline`` scored by
``cross_val_score``."""

import os
import pickle

import numpy as np
import torch
from torch import nn

from ._common import case, f2, rmse, small_dataset, small_kan


@case
def get_params_next_and_count(K):
    # device = next(model.get_params()).device; a count; then an optimiser over get_params()
    model = small_kan(K)
    res = {}
    try:
        res["device"] = str(next(model.get_params()).device)
    except Exception as e:
        res["next_error"] = type(e).__name__
    res["count"] = sum(p.numel() for p in model.get_params() if p.requires_grad)
    opt = torch.optim.Adam(model.get_params(), lr=1e-2)
    res["n_opt"] = len(opt.param_groups[0]["params"])
    return res


@case
def same_seed_two_constructions(K):
    # two KAN(seed=7) give one model; seed=8 another; the global RNG after each constructor
    a, b, c = small_kan(K, seed=7), small_kan(K, seed=7), small_kan(K, seed=8)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    same = all(torch.equal(sa[k], sb[k]) for k in sa)
    differ = any(not torch.equal(sa[k], sc[k]) for k in sa if sa[k].shape == sc[k].shape)
    torch.manual_seed(123)
    small_kan(K, seed=7)
    after = torch.rand(3).tolist()
    x = torch.rand(20, 2) * 2 - 1
    with torch.no_grad():
        gap = rmse(a(x), b(x))
    return {"same_state": same, "other_seed_differs": differ, "forward_gap": gap, "rng_after": after}


@case
def sweep_width_grid_k_default_autosave(K):
    # a sweep over width/grid/k with the default auto_save=True and ckpt_path: what it writes
    ds = small_dataset(K, f2, n=100)
    rows = []
    for hidden in (2, 4):
        for grid in (3, 6):
            for k in (2, 3):
                model = K.KAN(width=[2, hidden, 1], grid=grid, k=k, seed=0)
                r = model.fit(ds, opt="LBFGS", steps=3, update_grid=False)
                rows.append(float(r["test_loss"][-1]))
    files = sorted(os.listdir("./model")) if os.path.isdir("./model") else []
    return {"n_models": len(rows), "best_test": min(rows), "worst_test": max(rows),
            "n_files": len(files), "files_head": files[:4]}


@case
def early_stop_cloned_state_dict(K):
    # minibatch Adam with a validation check each epoch; the best state kept as cloned tensors
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, [2, 5, 1])
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    g = torch.Generator().manual_seed(0)
    best, best_val, bad, epochs = None, float("inf"), 0, 0
    for epoch in range(40):
        model.train()
        perm = torch.randperm(200, generator=g)
        for i in range(0, 200, 50):
            idx = perm[i:i + 50]
            opt.zero_grad()
            loss = torch.mean((model(ds["train_input"][idx]) - ds["train_label"][idx]) ** 2)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val = torch.mean((model(ds["test_input"]) - ds["test_label"]) ** 2).item()
        epochs += 1
        if val < best_val - 1e-5:
            best_val, bad = val, 0
            best = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= 5:
                break
    model.load_state_dict(best)
    with torch.no_grad():
        restored = torch.mean((model(ds["test_input"]) - ds["test_label"]) ** 2).item()
    return {"best_val": best_val, "restored_gap": abs(restored - best_val), "epochs": epochs}


@case
def dataloader_split_steplr_clip_value(K):
    # TensorDataset -> random_split -> DataLoader; StepLR; clip_grad_value_; three outputs
    from torch.utils.data import DataLoader, TensorDataset, random_split
    g = torch.Generator().manual_seed(0)
    x = torch.rand(300, 3, generator=g) * 2 - 1
    y = torch.stack([torch.sin(2 * x[:, 0]), x[:, 1] * x[:, 2], torch.exp(x[:, 2]) - 1], 1)
    train, val = random_split(TensorDataset(x, y), [240, 60], generator=torch.Generator().manual_seed(0))
    loader = DataLoader(train, batch_size=40, shuffle=True, generator=torch.Generator().manual_seed(0))
    model = small_kan(K, [3, 5, 3])
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    for _ in range(15):
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.mse_loss(model(xb), yb).backward()
            nn.utils.clip_grad_value_(model.parameters(), 0.5)
            opt.step()
        sched.step()
    xv, yv = val[:][0], val[:][1]
    with torch.no_grad():
        per_out = torch.sqrt(torch.mean((model(xv) - yv) ** 2, 0)).tolist()
    return {"val_rmse_per_output": per_out, "lr_end": opt.param_groups[0]["lr"]}


@case
def gradient_accumulation_set_to_none(K):
    # four micro-batches accumulated per step; zero_grad(set_to_none=True); grads None after
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(30):
        opt.zero_grad(set_to_none=True)
        for i in range(4):
            xb = ds["train_input"][i * 50:(i + 1) * 50]
            yb = ds["train_label"][i * 50:(i + 1) * 50]
            (torch.mean((model(xb) - yb) ** 2) / 4).backward()
        opt.step()
    opt.zero_grad(set_to_none=True)
    with torch.no_grad():
        test = rmse(model(ds["test_input"]), ds["test_label"])
    return {"test_rmse": test, "grads_none": all(p.grad is None for p in model.parameters())}


@case
def pickle_roundtrip_joblib_style(K):
    # pickle.dumps(model) as joblib / multiprocessing / ray do, after a fit
    ds = small_dataset(K, f2, n=100)
    model = small_kan(K)
    model.fit(ds, opt="LBFGS", steps=3, update_grid=False)
    try:
        clone = pickle.loads(pickle.dumps(model))
        with torch.no_grad():
            return {"pickled": True, "gap": rmse(clone(ds["test_input"]), model(ds["test_input"]))}
    except Exception as e:
        return {"pickled": False, "error": type(e).__name__}


@case
def xavier_init_all_matrices(K):
    # transformer-style init: xavier_uniform_ on every trainable parameter with dim > 1
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K)
    touched = []
    for n, p in model.named_parameters():
        if p.dim() > 1 and p.requires_grad:
            nn.init.xavier_uniform_(p)
            touched.append(n)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        loss = torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2)
        loss.backward()
        opt.step()
    return {"touched": touched, "loss": loss.item()}


@case
def save_act_off_loop_then_attribute(K):
    # save_act=False for a fast own loop; then on again, one forward, attribute() for scores
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, [2, 4, 1])
    model.save_act = False
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(40):
        opt.zero_grad()
        torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2).backward()
        opt.step()
    model.save_act = True
    with torch.no_grad():
        model(ds["train_input"])
    model.attribute(plot=False) if "plot" in model.attribute.__code__.co_varnames else model.attribute()
    return {"n_acts": len(model.acts), "feature_score": [round(float(v), 3) for v in model.feature_score],
            "node_scores": [len(s) for s in model.node_scores]}


@case
def large_nograd_batch_vs_chunks(K):
    # inference on 50 000 rows at once under no_grad, against 10 chunks; then cache_data's rows
    model = small_kan(K, [3, 4, 2])
    x = torch.rand(50000, 3, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        full = model(x)
        chunks = torch.cat([model(c) for c in x.chunk(10)])
    return {"shape": list(full.shape), "gap": float((full - chunks).abs().max()),
            "cache_rows": int(model.cache_data.shape[0]), "requires_grad": full.requires_grad}


@case
def coef_inplace_scale_nograd(K):
    # halve the first layer's spline coefficients in place; the spline part scales by 0.5
    model = small_kan(K)
    x = torch.rand(30, 2) * 2 - 1
    with torch.no_grad():
        model(x)
        post0 = model.spline_postsplines[0].clone()
        model.act_fun[0].coef.mul_(0.5)
        model(x)
        post1 = model.spline_postsplines[0].clone()
    return {"ratio": float((post1.abs().sum() / post0.abs().sum())), "coef_shape": list(model.act_fun[0].coef.shape)}


@case
def sklearn_pipeline_cross_val_score(K):
    # an own BaseEstimator around KAN.fit, inside Pipeline(StandardScaler, ...), cross_val_score
    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    class KANRegressor(BaseEstimator, RegressorMixin):
        def __init__(self, hidden=3, grid=5, steps=10):
            self.hidden, self.grid, self.steps = hidden, grid, steps

        def fit(self, X, y):
            X = torch.tensor(X, dtype=torch.float32)
            y = torch.tensor(y, dtype=torch.float32).reshape(-1, 1)
            self.model_ = K.KAN(width=[X.shape[1], self.hidden, 1], grid=self.grid, k=3, seed=0,
                                auto_save=False)
            self.model_.fit({"train_input": X, "train_label": y, "test_input": X, "test_label": y},
                            opt="LBFGS", steps=self.steps)
            return self

        def predict(self, X):
            with torch.no_grad():
                return self.model_(torch.tensor(X, dtype=torch.float32)).numpy().ravel()
    rng = np.random.default_rng(0)
    X = rng.normal([10.0, -2.0], [3.0, 0.5], size=(150, 2))
    y = np.sin((X[:, 0] - 10) / 3) + (X[:, 1] + 2) ** 2
    pipe = Pipeline([("scale", StandardScaler()), ("kan", KANRegressor())])
    scores = cross_val_score(pipe, X, y, cv=KFold(3, shuffle=True, random_state=0), scoring="r2")
    return {"r2_folds": [float(s) for s in scores], "r2_mean": float(np.mean(scores))}

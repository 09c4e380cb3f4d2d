"""A fifth round of public pykan code, part one: the model as users take it apart —
subclasses of ``KAN`` (a best-validation fit, sklearn-style deferred construction, a
transform before the network that ``fit`` must go through, pykan's one-argument
``update_grid`` overridden) and of ``KANLayer`` (returning
only ``y``, inside ``nn.Sequential``; grid updates inside ``forward``), forwards rebuilt by
hand from ``act_fun[l]``'s ``grid``/``coef``/``scale_base``/``scale_sp``/``base_fun``,
knots and coefficients read for transition points, masks and coefficients replaced with
``.data = ...``, pykan's forward caches saved and put back around an evaluation, and
checkpoint dicts that carry ``spline_preacts`` and ``model.grid``/``model.k``."""

import copy
import os

import numpy as np
import torch

from ._common import case, f2, rmse


def _ds(K, f=f2, n_var=2, n=300, **kw):
    return K.create_dataset(f, n_var=n_var, train_num=n, test_num=n, seed=0, **kw)


@case
def subclass_best_validation_fit(K):
    # a KAN subclass whose own Adam loop keeps the state dict of the best validation loss
    class BestValKAN(K.KAN):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)

        def best_fit(self, ds, steps, lr=0.02):
            opt = torch.optim.Adam(self.get_params(), lr=lr)
            best, best_state = float("inf"), None
            for _ in range(steps):
                loss = torch.mean((self.forward(ds["train_input"]) - ds["train_label"]) ** 2)
                opt.zero_grad()
                loss.backward()
                opt.step()
                with torch.no_grad():
                    val = torch.mean((self.forward(ds["val_input"]) - ds["val_label"]) ** 2)
                if val < best:
                    best, best_state = val.item(), copy.deepcopy(self.state_dict())
            self.load_state_dict(best_state)
            self.log_history("fit")
            return best

    ds = _ds(K, n=400)
    ds["val_input"], ds["val_label"] = ds["test_input"][:200], ds["test_label"][:200]
    model = BestValKAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    best = model.best_fit(ds, steps=80)
    with torch.no_grad():
        val_again = float(torch.mean((model(ds["val_input"]) - ds["val_label"]) ** 2))
    return {"best_val_mse": best, "restored_val_mse": val_again,
            "test_rmse": rmse(model(ds["test_input"][200:]), ds["test_label"][200:])}


@case
def subclass_deferred_init_sklearn(K):
    # sklearn-style subclass: hyper-parameters stored as attributes first (pykan's own names
    # width/grid/k among them), KAN.__init__ called inside fit once the data's shape is known
    class KANRegressor(K.KAN):
        def __init__(self, hidden, grid, k, seed, steps, lr):
            self.width, self.grid, self.k, self.seed = hidden, grid, k, seed
            self.steps, self.lr, self._built = steps, lr, False

        def fit(self, X, y):
            if not self._built:
                K.KAN.__init__(self, width=[X.shape[1]] + list(self.width) + [1], grid=self.grid,
                               k=self.k, seed=self.seed, auto_save=False)
                self._built = True
            X = torch.tensor(X, dtype=torch.float32)
            y = torch.tensor(y, dtype=torch.float32).unsqueeze(1)
            opt = torch.optim.Adam(self.parameters(), lr=self.lr)
            for _ in range(self.steps):
                loss = torch.mean((self.forward(X) - y) ** 2)
                opt.zero_grad()
                loss.backward()
                opt.step()
            return self

        def predict(self, X):
            with torch.no_grad():
                return self.forward(torch.tensor(X, dtype=torch.float32)).numpy().ravel()

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    reg = KANRegressor(hidden=[4], grid=5, k=3, seed=0, steps=60, lr=0.02).fit(X[:200], y[:200])
    pred = reg.predict(X[200:])
    return {"width": [w if isinstance(w, int) else w[0] for w in reg.width],
            "test_rmse": float(np.sqrt(np.mean((pred - y[200:]) ** 2)))}


@case
def subclass_transform_before_network(K):
    # a subclass with a learned input transform: forward and update_grid_from_samples
    # overridden, then pykan's own fit (which must call them)
    class ScaledKAN(K.KAN):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.pre = torch.nn.Linear(2, 2)
            with torch.no_grad():
                self.pre.weight.copy_(torch.tensor([[0.0, 2.0], [2.0, 0.0]]))
                self.pre.bias.zero_()
            self.calls = 0

        def forward(self, x, singularity_avoiding=False, y_th=10.):
            self.calls += 1
            return super().forward(self.pre(x), singularity_avoiding=singularity_avoiding, y_th=y_th)

        def update_grid_from_samples(self, x):
            super().update_grid_from_samples(self.pre(x))

    ds = _ds(K, lambda x: torch.sin(torch.pi * x[:, [1]]) + x[:, [0]] ** 2)
    model = ScaledKAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=15)
    with torch.no_grad():
        own = rmse(model(ds["test_input"]), ds["test_label"])
    return {"forward_calls": model.calls > 15, "test_loss": r["test_loss"][-1], "own_rmse": own,
            "grid_span": float(model.act_fun[0].grid[0, -1] - model.act_fun[0].grid[0, 0])}


@case
def subclass_update_grid_one_arg(K):
    # pykan's own hook for subclasses ("retained for the sake of classes that might inherit"):
    # update_grid(self, x) overridden in its one-argument form, a transform inside
    class Shifted(K.KAN):
        def forward(self, x, singularity_avoiding=False, y_th=10.):
            return super().forward(x + 1.0, singularity_avoiding=singularity_avoiding, y_th=y_th)

        def update_grid(self, x):
            super().update_grid(x + 1.0)

    ds = _ds(K, lambda x: torch.exp(x[:, [0]]) + x[:, [1]] ** 2)
    model = Shifted(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=12)
    return {"test_loss": r["test_loss"][-1], "grid_lo": round(float(model.act_fun[0].grid[0, model.k]), 2)}


@case
def kanlayer_subclass_y_only_sequential(K):
    # KANLayer subclass returning only y, in nn.Sequential(Flatten, layer, Linear) on 8x8 digits
    from sklearn.datasets import load_digits

    class YOnly(K.KANLayer):
        def forward(self, x):
            y, preacts, postacts, postspline = super().forward(x)
            return y

    d = load_digits()
    x = torch.tensor(d.images[:600] / 16.0, dtype=torch.float32)[:, None]
    y = torch.tensor(d.target[:600])
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), YOnly(in_dim=64, out_dim=10, num=5, k=3),
                              torch.nn.Linear(10, 10))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for epoch in range(4):
        for s in range(0, 500, 50):
            loss = torch.nn.functional.cross_entropy(net(x[s:s + 50]), y[s:s + 50])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        acc = float((net(x[500:]).argmax(1) == y[500:]).float().mean())
    return {"loss": loss.item(), "test_acc": acc}


@case
def kanlayer_grid_update_in_forward(K):
    # a module holding one KANLayer that updates its grid from the batch inside forward
    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Linear(3, 4)
            self.act_fun = K.KANLayer(in_dim=4, out_dim=1, num=5, k=3)
            self.step = 0

        def forward(self, x):
            h = self.emb(x)
            if self.training and self.step % 10 == 0 and self.step < 50:
                self.act_fun.update_grid_from_samples(h.detach())
            self.step += 1
            return self.act_fun(h)[0]

    g = torch.Generator().manual_seed(0)
    x = torch.rand(400, 3, generator=g) * 4 - 2
    y = torch.tanh(x[:, [0]] * x[:, [1]]) + 0.5 * x[:, [2]]
    torch.manual_seed(0)
    net = Head()
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(120):
        loss = torch.mean((net(x[:300]) - y[:300]) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        test = rmse(net(x[300:]), y[300:])
    return {"train_mse": loss.item(), "test_rmse": test,
            "grid_lo": round(float(net.act_fun.grid.min()), 2)}


@case
def manual_forward_from_layer_parts(K):
    # a forward rebuilt by hand from act_fun[l]'s parts and kan.spline.coef2curve
    import importlib
    sp = importlib.import_module(K.__name__ + ".spline")
    ds = _ds(K, lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2 - x[:, [2]], n_var=3)
    model = K.KAN(width=[3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    layer = model.act_fun[0]
    x = ds["test_input"][:50]
    with torch.no_grad():
        base = layer.base_fun(x)  # (B, in)
        spline = sp.coef2curve(x, layer.grid, layer.coef, model.k)  # (B, in, out)
        edges = layer.scale_base[None] * base[:, :, None] + layer.scale_sp[None] * spline
        by_hand = (layer.mask[None] * edges).sum(1)
        gap = float((by_hand - model(x)).abs().max())
    return {"by_hand_vs_model": gap, "edge_shape": list(edges.shape)}


@case
def transition_points_from_knots(K):
    # knots act.grid[i, k-1:-2] and act.coef.tolist(): sign changes of the 2nd differences
    ds = _ds(K, lambda x: torch.sin(3 * x[:, [0]]) + 0.3 * x[:, [1]])
    model = K.KAN(width=[2, 1], grid=8, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=15)
    act = model.act_fun[0]
    ni, no = act.coef.shape[:2]
    coef = act.coef.tolist()
    flips = []
    for i in range(ni):
        knots = act.grid[i, model.k - 1:-2].detach().numpy()
        c = np.array(coef[i][0])
        d2 = np.diff(c, 2)
        flips.append(int(np.sum(np.diff(np.sign(d2)) != 0)))
    return {"shape": [ni, no, len(coef[0][0])], "n_knots": int(len(knots)), "flips": flips}


@case
def mask_data_assign_structure(K):
    # masks replaced whole: model.act_fun[m].mask.data = structure[m] (in, out), then fit
    structure = [torch.tensor([[1., 0.], [0., 1.], [0., 0.]]), torch.tensor([[1.], [1.]])]
    model = K.KAN(width=[3, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    for m in range(len(model.act_fun)):
        model.act_fun[m].mask.data = structure[m]
    ds = _ds(K, lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2, n_var=3)
    model.fit(ds, opt="LBFGS", steps=10)
    x = ds["test_input"][:20].clone()
    with torch.no_grad():
        y0 = model(x)
        x[:, 2] = 0.7
        third_moves = float((model(x) - y0).abs().max())
    return {"mask_sums": [float(model.act_fun[m].mask.sum()) for m in range(2)],
            "third_input_effect": third_moves}


@case
def coef_data_reassigned(K):
    # coefficients replaced whole (act_fun[l].coef.data = ...), and scaled in place (pykan's
    # copy() docstring: coef.data *= 2)
    ds = _ds(K)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5)
    x = ds["test_input"][:50]
    with torch.no_grad():
        y0 = model(x)
        model.act_fun[0].coef.data = torch.zeros_like(model.act_fun[0].coef)
        y_zero = model(x)
    m2 = model.copy()
    m2.act_fun[1].coef.data *= 2
    with torch.no_grad():
        y2 = m2(x)
    return {"zeroed_moves": float((y_zero - y0).abs().max()) > 1e-3,
            "coef_abs_sum": float(model.act_fun[0].coef.detach().abs().sum()),
            "doubled_moves": float((y2 - y_zero).abs().max()) > 1e-3}


@case
def forward_caches_saved_restored(K):
    # pykan's forward caches read and put back (setattr) around a test-set evaluation, so
    # prune() scores on the training inputs
    names = ("cache_data", "acts", "acts_premult", "spline_preacts", "spline_postsplines",
             "spline_postacts", "acts_scale", "acts_scale_spline", "subnode_actscale", "edge_actscale")
    os.makedirs("model", exist_ok=True)  # pykan's prune writes ./model/history.txt
    ds = _ds(K, lambda x: torch.sin(2 * x[:, [0]]) + 0 * x[:, [1]])
    model = K.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=15, lamb=0.01)
    saved = {n: getattr(model, n) for n in names if hasattr(model, n)}
    with torch.no_grad():
        test = rmse(model(ds["test_input"][:37]), ds["test_label"][:37])
    for n, v in saved.items():
        setattr(model, n, v)
    rows = int(model.cache_data.shape[0])
    model = model.prune()
    return {"test_rmse": test, "rows_after_restore": rows, "width": [w[0] for w in model.width]}


@case
def checkpoint_dict_with_caches(K):
    # torch.save of a dict: state dict, feature scores, spline_preacts/postacts; a fresh model
    # loads it and the caches are assigned back for plotting
    ds = _ds(K, lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2)
    model = K.KAN(width=[2, 3, 2], grid=5, k=3, seed=42, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10, loss_fn=lambda a, b: torch.mean((a[:, [0]] - b) ** 2))
    model(ds["train_input"])
    torch.save({"model_state_dict": model.state_dict(), "feature_scores": model.feature_score,
                "model_spline_preacts": model.spline_preacts,
                "model_spline_postacts": model.spline_postacts}, "ckpt_with_scores.pt")
    m2 = K.KAN(width=[2, 3, 2], grid=5, k=3, seed=42, auto_save=False)
    ck = torch.load("ckpt_with_scores.pt", weights_only=False)
    m2.load_state_dict(ck["model_state_dict"])
    m2.feature_scores = ck["feature_scores"]
    m2.spline_preacts = ck["model_spline_preacts"]
    m2.spline_postacts = ck["model_spline_postacts"]
    m2.eval()
    xs = m2.spline_preacts[0][:, 0, 1].numpy()
    ys = m2.spline_postacts[0][:, 0, 1].numpy()
    order = np.argsort(xs)
    with torch.no_grad():
        same = float((m2(ds["test_input"]) - model(ds["test_input"])).abs().max())
    return {"same_output": same, "n_points": int(len(xs)), "curve_span": float(np.ptp(ys[order]))}


@case
def checkpoint_grid_k_rebuild(K):
    # checkpoint dicts holding model.grid and model.k (ints in pykan), the model rebuilt from
    # them, then attribute(plot=False) and edge_scores[0] as an adjacency column
    g = torch.Generator().manual_seed(0)
    X = torch.rand(300, 4, generator=g) * 2 - 1
    Y = torch.sin(2 * X[:, [1]]) + X[:, [3]] ** 2
    model = K.KAN(width=[4, 1], grid=3, k=3, device="cpu", auto_save=False)
    model.update_grid_from_samples(X)
    model.fit({"train_input": X, "train_label": Y, "test_input": X, "test_label": Y},
              opt="Adam", steps=60, lr=0.05, lamb=0.01, update_grid=True)
    torch.save({"state_dict": model.state_dict(), "grid": model.grid, "k": model.k}, "gene.pth")
    ck = torch.load("gene.pth", weights_only=False)
    m2 = K.KAN(width=[4, 1], grid=ck.get("grid", 3), k=ck.get("k", 3), device="cpu", auto_save=False)
    m2.load_state_dict(ck["state_dict"])
    with torch.no_grad():
        m2(X)
    m2.attribute(plot=False)
    scores = m2.edge_scores[0].detach().cpu().numpy().flatten()
    return {"grid": ck["grid"], "k": ck["k"], "top2": sorted(np.argsort(-scores)[:2].tolist()),
            "n_scores": int(scores.size)}


@case
def saveckpt_per_stage_loadckpt(K):
    # one saveckpt per stage name, the best stage reloaded with KAN.loadckpt
    ds = _ds(K)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False, grid_eps=0.0)
    best = {}
    for stage, kw in (("warmup", {}), ("sparsify", {"lamb": 0.01})):
        r = model.fit(ds, opt="LBFGS", steps=8, update_grid=False, **kw)
        best[stage] = r["test_loss"][-1]
        model.saveckpt(os.path.join(".", f"best_{stage}"))
    stage = min(best, key=best.get)
    back = K.KAN.loadckpt(f"./best_{stage}")
    return {"best_stage": stage, "losses": [best["warmup"], best["sparsify"]],
            "reloaded_rmse": rmse(back(ds["test_input"]), ds["test_label"])}

"""A thirteenth round (with ``round13w_loops``), whole third-party scripts' essence: one's own
symbolic functions (a Python loop over a tensor's elements, ``torch.sign``) through
``add_symbolic``/``suggest_symbolic``/``fix_symbolic``/``auto_symbolic(lib=[name])``; a
contrastive classifier with a fixed ``gaussian`` output edge and ``edge_scores`` read after
``auto_symbolic``; ``get_act``/``attribute``/``node_scores`` deciding a ``refine`` ladder;
a grid refined down then up and ``copy()`` swept over ``r2_threshold``; a checkpoint loaded
by ``KAN.loadckpt(path=)`` while ``kan.torch.load`` is patched."""

import numpy as np
import torch

from ._common import case, quiet, small_dataset, small_kan


def _loop_sign(inp):
    # the script's own step function: a Python loop over the tensor's elements
    out = []
    for el in inp:
        out.append((1 if el.item() > 0 else -1) if el.dim() == 0 else _loop_sign(el))
    return torch.tensor(np.array(out), dtype=torch.get_default_dtype())


@case
def add_symbolic_python_loop_function(K):
    ds = K.create_dataset(_loop_sign, n_var=1, train_num=200, test_num=200, seed=0)
    model = small_kan(K, width=(1, 1), grid=3, seed=2)
    quiet(model.fit, ds, opt="LBFGS", steps=2)
    K.add_symbolic("LSIGN", _loop_sign, c=1)
    name, _, r2, c = quiet(model.suggest_symbolic, 0, 0, 0, lib=["x", "sin", "LSIGN", "0"])
    r2_fixed = quiet(model.fix_symbolic, 0, 0, 0, "LSIGN", fit_params_bool=True)
    formula = str(K.ex_round(model.symbolic_formula()[0][0], 4))
    return {"suggested": name, "r2": float(r2), "r2_fixed": float(r2_fixed),
            "has_name": "LSIGN" in formula,
            "test_mse": float(torch.mean((model(ds["test_input"]) - ds["test_label"]) ** 2))}


@case
def add_symbolic_sign_auto_symbolic_own_lib(K):
    sign = lambda x: torch.sign(x)  # noqa: E731
    ds = K.create_dataset(sign, n_var=1, train_num=200, test_num=200, seed=0)
    model = small_kan(K, width=(1, 1), grid=3, seed=0)
    quiet(model.fit, ds, opt="LBFGS", steps=1)
    K.add_symbolic("SGNW", sign)
    quiet(model.auto_symbolic, lib=["SGNW"])
    formula = str(K.ex_round(model.symbolic_formula()[0][0], 4))
    return {"has_name": "SGNW" in formula,
            "test_mse": float(torch.mean((model(ds["test_input"]) - ds["test_label"]) ** 2))}


@case
def contrastive_gaussian_edge_scores(K):
    # real rows (x3 = f(x1, x2), x4 = x5^3) against column-shuffled copies; the output edge
    # fixed to a gaussian before training; features read off edge_scores after auto_symbolic
    g = torch.Generator().manual_seed(0)

    def rows(n):
        x = torch.rand(n, 6, generator=g) * 2 - 1
        x[:, 2] = torch.exp(torch.sin(torch.pi * x[:, 0]) + x[:, 1] ** 2)
        x[:, 3] = x[:, 4] ** 3
        cor = torch.stack([c[torch.randperm(n, generator=g)] for c in x.T], 1)
        return torch.cat([x, cor]), torch.cat([torch.ones(n), torch.zeros(n)])[:, None]
    xtr, ytr = rows(200)
    xte, yte = rows(200)
    ds = {"train_input": xtr, "train_label": ytr, "test_input": xte, "test_label": yte}
    model = small_kan(K, width=(6, 1, 1), grid=3, seed=0)
    model(ds["train_input"])
    quiet(model.fix_symbolic, 1, 0, 0, "gaussian", fit_params_bool=False)
    res = quiet(model.fit, ds, opt="LBFGS", steps=20, lamb=0.002, lamb_entropy=10.0, lamb_coef=1.0)
    model.plot(in_vars=[f"$x_{i}$" for i in range(1, 7)])  # pykan's plot scores the edges
    quiet(model.auto_symbolic, lib=["x", "x^2", "x^3", "exp", "sin", "abs"])
    flat = model.edge_scores[0].view(-1)
    keep = (flat > (flat.mean() + flat.std()) * 0.2).nonzero(as_tuple=True)[0].tolist()
    return {"test_loss": res["test_loss"][-1], "features": "+".join(f"x{i + 1}" for i in keep)}


@case
def attribute_node_scores_refine_ladder(K):
    # an adaptive-density study: node_scores from get_act + attribute decide whether to refine;
    # Adam between grids; train/test losses concatenated over the ladder
    ds = small_dataset(K, lambda x: torch.sin(torch.pi * x[:, [0]]) * torch.sin(torch.pi * x[:, [1]]))
    model = small_kan(K, width=(2, 5, 1), grid=3, seed=1, auto_save=True)  # pykan's refine logs
    train, test, important = [], [], []
    for j, grid in enumerate([3, 5, 10, 20]):
        if j:
            if model.acts is None:
                model.get_act(ds)
            model.attribute()
            n = sum(int((model.node_scores[l] > 1e-2).sum()) for l in range(model.depth))
            important.append(n)
            if n > 0:
                model = quiet(model.refine, grid)
        r = quiet(model.fit, ds, opt="Adam", steps=15, log=1)
        train += r["train_loss"]
        test += r["test_loss"]
    return {"important": "/".join(map(str, important)), "final_test": test[-1],
            "steps": len(train), "grid": int(model.grid)}


@case
def refine_down_up_copy_r2_threshold_sweep(K):
    # a descriptor-regression script: grid 20 refined down to 6 then up to 40, and copies of
    # the model swept over auto_symbolic's r2_threshold with weight_simple
    from sklearn.metrics import r2_score
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (160, 6))
    y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 - 0.5 * x[:, 2] + 0.05 * rng.normal(size=160)
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    ds = {"train_input": f(x[:120]), "train_label": f(y[:120]).view(-1, 1),
          "test_input": f(x[120:]), "test_label": f(y[120:]).view(-1, 1)}
    model = small_kan(K, width=(6, 4, 1), grid=20, k=2, seed=1, auto_save=True)
    quiet(model.fit, ds, opt="LBFGS", steps=8)
    model = quiet(model.refine, 6)
    quiet(model.fit, ds, opt="LBFGS", steps=8)
    model = quiet(model.refine, 40)
    res = quiet(model.fit, ds, opt="LBFGS", steps=8)
    out = {"test_loss_grid40": res["test_loss"][-1]}
    for thr in (0.5, 0.95):
        tmp = model.copy()
        tmp(ds["train_input"])
        quiet(tmp.auto_symbolic, lib=["x", "x^2", "sin", "exp", "abs"], r2_threshold=thr,
              weight_simple=0.2)
        with torch.no_grad():
            out[f"test_r2_thr{thr}"] = r2_score(y[120:], tmp(ds["test_input"]).numpy().ravel())
    return out


@case
def loadckpt_with_patched_torch_load(K):
    # an inference script: torch.load reached through the pykan module (kan.torch.load) patched
    # to force map_location while KAN.loadckpt(path=...) reads the checkpoint
    model = small_kan(K, width=(3, 3, 2), grid=3, seed=0)
    x = torch.rand(50, 3) * 2 - 1
    ds = {"train_input": x, "train_label": torch.sin(x[:, :2]),
          "test_input": x, "test_label": torch.sin(x[:, :2])}
    quiet(model.fit, ds, opt="Adam", steps=10, lr=1e-2)
    quiet(model.saveckpt, "test-model")
    original = K.torch.load
    calls = []

    def patched(*a, **kw):
        calls.append(1)
        return original(*a, map_location="cpu", **{k: v for k, v in kw.items() if k != "map_location"})
    K.torch.load = patched
    try:
        loaded = quiet(K.KAN.loadckpt, path="test-model")
    finally:
        K.torch.load = original
    with torch.no_grad():
        same = bool(torch.allclose(loaded(x), model(x), atol=1e-6))
    return {"same": same, "patched_load_used": len(calls) > 0}

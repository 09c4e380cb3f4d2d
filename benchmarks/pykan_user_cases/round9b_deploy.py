"""A ninth round, ML engineers' code (with ``round9b_nets``, ``round9b_loops``,
``round9b_state``): checkpoints and deployment of nets that hold a KAN — an outer module's
``state_dict`` written by pykan 0.2.8 loaded into the same net (the upgrade path), ``fit`` once
per ``DataLoader`` batch with ``symbolic_enabled=False`` (pykan issue #260's loop), a pruned KAN
put back into its ``nn.Sequential``, ``model.apply`` with an init function for ``KANLayer``s,
``torch.func.stack_module_state`` ensembles, ``torch.export``, and a sweep over ``base_fun``
and ``noise_scale``."""

import copy
import importlib

import torch
from torch import nn

from ._common import case, f2, rmse, small_dataset, small_kan


class _Net(nn.Module):
    def __init__(self, K):
        super().__init__()
        self.embed = nn.Linear(3, 2)
        self.kan = small_kan(K, [2, 3, 1])

    def forward(self, x):
        return self.kan(torch.tanh(self.embed(x)))


@case
def outer_module_pykan_checkpoint_loaded(K):
    # a net trained and saved with pykan 0.2.8 (torch.save(net.state_dict())), loaded into the
    # same net built on K: the upgrade path of a user's saved checkpoints
    pykan = importlib.import_module("kan")
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(120, 3, generator=g) * 2 - 1
    y = torch.sin(2 * x[:, :1]) + x[:, 1:2] * x[:, 2:]
    old = _Net(pykan)
    opt = torch.optim.Adam(old.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        torch.mean((old(x) - y) ** 2).backward()
        opt.step()
    torch.save(old.state_dict(), "net.pt")
    new = _Net(K)
    try:
        new.load_state_dict(torch.load("net.pt"))
    except Exception as e:
        return {"loaded": False, "error": type(e).__name__}
    with torch.no_grad():
        return {"loaded": True, "gap": rmse(new(x), old(x))}


@case
def fit_per_loader_batch_symbolic_disabled(K):
    # issue #260's loop: symbolic_enabled=False, fit(steps=1) on every DataLoader batch with CE,
    # flattened 4x4 "images", the losses collected in the user's own lists
    from torch.utils.data import DataLoader, TensorDataset
    g = torch.Generator().manual_seed(0)
    x = torch.rand(240, 1, 4, 4, generator=g)
    y = (x[:, 0, :2].mean((1, 2)) > x[:, 0, 2:].mean((1, 2))).long()
    loader = DataLoader(TensorDataset(x[:180], y[:180]), batch_size=60, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    test_x, test_y = x[180:].view(60, -1), y[180:]
    model = small_kan(K, [16, 4, 2], symbolic_enabled=False)
    res = {"train_loss": [], "test_loss": []}
    for _ in range(3):
        for inputs, labels in loader:
            ds = {"train_input": inputs.view(inputs.size(0), -1), "train_label": labels,
                  "test_input": test_x, "test_label": test_y}
            r = model.fit(ds, opt="LBFGS", steps=1, loss_fn=nn.CrossEntropyLoss())
            res["train_loss"].extend(r["train_loss"])
            res["test_loss"].extend(r["test_loss"])
    with torch.no_grad():
        acc = float((model(test_x).argmax(1) == test_y).float().mean())
    return {"n_logged": len(res["train_loss"]), "last_test_loss": float(res["test_loss"][-1]),
            "test_acc": acc}


@case
def pruned_kan_back_into_sequential(K):
    # Sequential(Linear, KAN) trained; seq[1] = seq[1].prune(); a new optimiser continues
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 3, generator=g) * 2 - 1
    y = torch.sin(torch.pi * x[:, :1]) + 0.1 * x[:, 1:2]
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(3, 3), small_kan(K, [3, 4, 1]))
    for stage in range(2):
        opt = torch.optim.Adam(seq.parameters(), lr=1e-2)
        for _ in range(50):
            opt.zero_grad()
            loss = torch.mean((seq(x) - y) ** 2)
            loss.backward()
            opt.step()
        if stage == 0:
            with torch.no_grad():
                seq(x)
            seq[1] = seq[1].prune(node_th=0.05)
    return {"width": [w if isinstance(w, int) else list(w) for w in seq[1].width], "loss": loss.item()}


@case
def apply_init_fn_kanlayers(K):
    # model.apply(init) where init re-draws the coefficients of every KANLayer it meets
    KANLayer = __import__(K.__name__ + ".KANLayer", fromlist=["KANLayer"]).KANLayer
    model = small_kan(K)
    seen = []

    def init(m):
        if isinstance(m, KANLayer):
            seen.append(type(m).__name__)
            with torch.no_grad():
                m.coef.mul_(0.0)
    x = torch.rand(20, 2) * 2 - 1
    with torch.no_grad():
        before = model(x)
    model.apply(init)
    with torch.no_grad():
        model(x)
        spline = float(model.spline_postsplines[0].abs().max())
    return {"n_seen": len(seen), "spline_after": spline, "out_changed": rmse(model(x).detach(), before) > 1e-6}


@case
def func_stack_module_state_ensemble(K):
    # torch.func ensembling: stack_module_state over 3 seeds, vmap(functional_call) on a base copy
    from torch.func import functional_call, stack_module_state, vmap
    models = [small_kan(K, seed=s) for s in range(3)]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0])
    x = torch.rand(10, 2) * 2 - 1

    def one(p, b, xx):
        return functional_call(base, (p, b), (xx,))
    try:
        out = vmap(one, in_dims=(0, 0, None))(params, buffers, x)
    except Exception as e:
        return {"error": type(e).__name__}
    with torch.no_grad():
        ref = torch.stack([m(x) for m in models])
    return {"shape": list(out.shape), "gap": rmse(out.detach(), ref)}


@case
def torch_export_program(K):
    # torch.export.export for serving; the exported program's outputs against the eager model
    model = small_kan(K)
    model.eval()
    x = torch.rand(8, 2) * 2 - 1
    try:
        ep = torch.export.export(model, (x,))
        out = ep.module()(x)
        with torch.no_grad():
            return {"exported": True, "gap": rmse(out.detach(), model(x))}
    except Exception as e:
        return {"exported": False, "error": type(e).__name__}


@case
def base_fun_noise_scale_sweep(K):
    # a grid search over base_fun and noise_scale, each fitted 5 LBFGS steps, ranked by test loss
    ds = small_dataset(K, f2, n=150)
    out = {}
    for base in ("silu", "identity", "zero"):
        for noise in (0.1, 0.5):
            model = small_kan(K, base_fun=base, noise_scale=noise)
            r = model.fit(ds, opt="LBFGS", steps=5, update_grid=False)
            out[f"{base}_{noise}"] = float(r["test_loss"][-1])
    return {"losses": [out[k] for k in sorted(out)], "best": min(out, key=out.get)}

"""A tenth round, research code built on pykan's internals (with ``round10b_layers`` and
``round10b_model``): a model's ``act_fun[l]`` / ``symbolic_fun[l]`` used as layers of their
own — one layer's grid moved to ``model.acts[l]``, the layers reused in a user's module, a
layer's ``state_dict`` into a standalone ``KANLayer``, gradient clipping per layer, a symbolic
edge's function called by hand, and each layer's sizes after ``prune``."""

import importlib

import torch

from ._common import case, f2, rmse, small_dataset, small_kan
from .round10b_model import _trained


@case
def act_fun_grid_update_from_model_acts(K):
    # a user's own grid update: act_fun[l].update_grid_from_samples(model.acts[l]) per layer
    model, ds = _trained(K, width=(2, 3, 1))
    before = model(ds["test_input"]).detach()
    model(ds["train_input"])
    acts = [a.detach() for a in model.acts]
    for l in range(model.depth):
        model.act_fun[l].update_grid_from_samples(acts[l])
    after = model(ds["test_input"]).detach()
    return {"gap": rmse(before, after), "lo": round(float(model.act_fun[0].grid[0, 3]), 3)}


@case
def act_fun_layers_in_own_module(K):
    # the model's layers reused in a module of one's own: nn.ModuleList(model.act_fun)
    from torch import nn
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 3, 1))

    class Chain(nn.Module):
        def __init__(self, layers):
            super().__init__()
            self.layers = nn.ModuleList(layers)

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)[0]
            return x
    net = Chain(list(model.act_fun))
    gap0 = rmse(net(ds["test_input"]).detach(), model(ds["test_input"]).detach())
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        loss = torch.mean((net(ds["train_input"]) - ds["train_label"]) ** 2)
        loss.backward()
        opt.step()
    return {"gap0": gap0, "loss": float(loss), "n_params": sum(p.numel() for p in net.parameters()),
            "shared": rmse(net(ds["test_input"]).detach(), model(ds["test_input"]).detach()) < 1e-5}


@case
def clip_grad_norm_per_layer(K):
    # clip_grad_norm_ on each act_fun[l].parameters() separately in an Adam loop
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 4, 1))
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    norms = []
    for _ in range(30):
        opt.zero_grad()
        loss = torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2)
        loss.backward()
        norms.append([float(torch.nn.utils.clip_grad_norm_(model.act_fun[l].parameters(), 0.5))
                      for l in range(model.depth)])
        opt.step()
    return {"loss": float(loss), "first_norms": [round(v, 4) for v in norms[0]]}


@case
def act_fun_state_dict_into_standalone(K):
    # one layer's state_dict out of a trained model into a standalone KANLayer
    layer_mod = importlib.import_module(K.__name__ + ".KANLayer")
    model, ds = _trained(K, width=(2, 3, 1))
    sd = model.act_fun[1].state_dict()
    alone = layer_mod.KANLayer(in_dim=3, out_dim=1, num=5, k=3)
    alone.load_state_dict(sd)
    model(ds["test_input"])
    h = model.acts[1]
    return {"keys": sorted(sd), "gap": rmse(alone(h)[0].detach(), model.act_fun[1](h)[0].detach())}


@case
def symbolic_funs_called_by_hand(K):
    # after fix_symbolic: c * funs[j][i](a * x + b) + d against spline_postacts
    model, ds = _trained(K, width=(2, 3, 1))
    model.fix_symbolic(0, 1, 0, "x^2", verbose=False)
    model(ds["test_input"])
    sf = model.symbolic_fun[0]
    a, b, c, d = sf.affine[0, 1]
    x = model.acts[0][:, 1]
    by_hand = c * sf.funs[0][1](a * x + b) + d
    return {"name": sf.funs_name[0][1], "sympy": str(sf.funs_sympy[0][1](K.sympy.Symbol("x")))
            if hasattr(K, "sympy") else "n/a",
            "gap": rmse(by_hand.detach(), model.spline_postacts[0][:, 0, 1].detach()),
            "avoid": len(sf.funs_avoid_singularity[0])}


@case
def layer_attrs_after_prune(K):
    # after prune(): each act_fun's in_dim, out_dim, num, k and coef shape
    import os
    os.makedirs("model", exist_ok=True)  # pykan's prune logs to ./model/history.txt
    model, ds = _trained(K, width=(2, 5, 1))
    model.fit(ds, opt="LBFGS", steps=10, lamb=0.01, log=100)
    pruned = model.prune()
    return {"width": [w[0] if isinstance(w, list) else w for w in pruned.width],
            "layers": [[a.in_dim, a.out_dim, a.num, a.k, list(a.coef.shape)] for a in pruned.act_fun]}


@case
def subclass_grid_from_parent_per_layer(K):
    # a MultKAN subclass's own initialize_grid_from_another_model: per layer,
    # act_fun[l].initialize_grid_from_parent(parent.act_fun[l], parent.acts[l]), then a fit
    class Finer(K.MultKAN):
        def initialize_grid_from_another_model(self, model, x):
            model(x)
            for l in range(self.depth):
                self.act_fun[l].initialize_grid_from_parent(model.act_fun[l], model.acts[l])
    coarse, ds = _trained(K, width=(2, 3, 1), grid=3)
    fine = Finer(width=[2, 3, 1], grid=10, k=3, seed=0, auto_save=False)
    fine.initialize_grid_from_another_model(coarse, ds["train_input"])
    r = fine.fit(ds, opt="LBFGS", steps=5, log=100)
    return {"grid_lo": round(float(fine.act_fun[0].grid[0, 3]), 3),
            "test_loss": float(r["test_loss"][-1])}


@case
def act_fun_get_subset_swap_device(K):
    # a custom prune's act_fun[l].get_subset(in_ids, out_ids), act_fun[l].swap and .device
    model, ds = _trained(K, width=(2, 3, 1))
    view = model.act_fun[0]
    sub = view.get_subset([1], [0, 2])
    x = ds["test_input"]
    full = view(x)[2].detach()
    part = sub(x[:, [1]])[2].detach()
    view.swap(0, 2, mode="out")
    swapped = view(x)[2].detach()
    return {"sub": [sub.in_dim, sub.out_dim, list(sub.coef.shape)], "device": str(view.device),
            "sub_gap": rmse(part, full[:, [0, 2]][:, :, [1]]),
            "swap_gap": rmse(swapped, full[:, [2, 1, 0]])}


@case
def symbolic_fun_state_and_subset(K):
    # symbolic_fun[l].state_dict() saved per layer, and a custom prune's get_subset of it
    sym_mod = importlib.import_module(K.__name__ + ".Symbolic_KANLayer")
    model, ds = _trained(K, width=(2, 3, 1))
    model.fix_symbolic(0, 1, 2, "sin", verbose=False)
    sd = model.symbolic_fun[0].state_dict()
    alone = sym_mod.Symbolic_KANLayer(in_dim=2, out_dim=3)
    alone.load_state_dict(sd, strict=False)
    sub = model.symbolic_fun[0].get_subset([1], [2, 0])
    x = ds["test_input"]
    full = model.symbolic_fun[0](x)[1].detach()
    return {"keys": sorted(sd), "mask_same": bool(torch.equal(alone.mask, sd["mask"])),
            "sub_names": sub.funs_name,
            "sub_gap": rmse(sub(x[:, [1]])[1].detach(), full[:, [2, 0]][:, :, [1]])}

"""A tenth round, research code built on pykan's internals (with ``round10b_layers`` and
``round10b_views``): what analysis and training scripts read from and write into a
``MultKAN`` — the forward caches (``acts``, ``spline_preacts``/``postsplines``/``postacts``,
``acts_scale_spline``, ``edge_actscale``) for plots, statistics and importance back-tracing,
the masks per edge, a hand-made ``initialize_from_another_model`` through ``curve2coef``,
regularisers of one's own beside ``get_reg``, ``set_mode``/``fix_symbolic``/``unfix_symbolic``
per edge, ``remove_edge``, ``module``, ``update_grid`` between custom steps, float64 defaults,
hooks and parameter counts."""

import importlib

import torch

from ._common import case, f2, rmse, small_dataset, small_kan


def _trained(K, width=(2, 4, 1), steps=10, n=200, **kw):
    ds = small_dataset(K, f2, n=n)
    model = small_kan(K, width=width, **kw)
    model.fit(ds, opt="LBFGS", steps=steps, log=steps + 1)
    model(ds["train_input"])
    return model, ds


@case
def edge_plot_loop_masks(K):
    # a hand-drawn plot: acts[l][:, i] vs spline_postacts[l][:, j, i], colour by both masks
    model, _ = _trained(K)
    kinds = {}
    for l in range(model.depth):
        for i in range(model.width_in[l]):
            for j in range(model.width_out[l + 1]):
                rank = torch.argsort(model.acts[l][:, i])
                y = model.spline_postacts[l][:, j, i][rank].detach().numpy()
                sym = float(model.symbolic_fun[l].mask[j][i])
                num = float(model.act_fun[l].mask[i][j])
                key = "n" if num > 0 and sym == 0 else ("s" if sym > 0 else "off")
                kinds[key] = kinds.get(key, 0) + len(y)
    return kinds


@case
def layer_stats_zip_caches(K):
    # per-layer mean/std of postacts and coef: zip(act_fun, spline_preacts, postacts, postsplines)
    model, _ = _trained(K, width=(2, 3, 2, 1))
    rows = []
    for act_fun, pre, post, spl in zip(model.act_fun, model.spline_preacts,
                                       model.spline_postacts, model.spline_postsplines):
        rows.append([round(float(post.mean()), 3), round(float(post.std()), 3),
                     round(float(act_fun.coef.std()), 3), list(pre.shape) == list(spl.shape)])
    return {"rows": rows}


@case
def importance_backtrace_postacts(K):
    # relevance of inputs for one sample: divide each layer's edge outputs by its node sums
    from ._common import moons
    ds = moons()
    model = small_kan(K, width=(2, 3, 2))
    model.fit(ds, opt="Adam", lr=0.02, steps=40, loss_fn=torch.nn.CrossEntropyLoss(), log=100)
    logits = model(ds["test_input"][:1])
    c = int(logits.argmax())
    score = model.spline_postacts[-1][0, c, :].clip(min=0)
    for l in range(len(model.spline_postacts) - 2, -1, -1):
        post = model.spline_postacts[l][0].clip(min=0)
        share = post / (post.sum(1, keepdim=True) + 1e-8)
        score = (share * score[:, None]).sum(0)
    return {"n": int(score.numel()), "finite": bool(torch.isfinite(score).all())}


@case
def hand_initialize_from_teacher(K):
    # the pre-0.2 initialize_from_another_model, by hand: curve2coef on the teacher's caches
    sp = importlib.import_module(K.__name__ + ".spline")
    teacher, ds = _trained(K, grid=3)
    student = small_kan(K, width=(2, 4, 1), grid=8)
    x = ds["train_input"]
    teacher(x)
    with torch.no_grad():
        for l in range(student.depth):
            spb = student.act_fun[l]
            pre = teacher.spline_preacts[l]
            spl = teacher.spline_postsplines[l]
            spb.coef.data = sp.curve2coef(pre[:, 0, :], spl.permute(0, 2, 1), spb.grid, k=spb.k)
            spb.scale_base.data = teacher.act_fun[l].scale_base.data.clone()
            spb.scale_sp.data = teacher.act_fun[l].scale_sp.data.clone()
            spb.mask.data = teacher.act_fun[l].mask.data.clone()
        for l in range(student.depth):
            student.node_bias[l].data = teacher.node_bias[l].data.clone()
            student.node_scale[l].data = teacher.node_scale[l].data.clone()
            student.subnode_bias[l].data = teacher.subnode_bias[l].data.clone()
            student.subnode_scale[l].data = teacher.subnode_scale[l].data.clone()
    return {"gap": rmse(student(x).detach(), teacher(x).detach())}


@case
def own_l1_entropy_reg_from_acts_scale(K):
    # a sparsity term of one's own from acts_scale beside get_reg's, in an Adam loop
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 4, 1))
    opt = torch.optim.Adam(model.get_params(), lr=1e-2)
    for _ in range(40):
        opt.zero_grad()
        mse = torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2)
        own = 0.0
        for s in model.acts_scale:
            p = s / (s.sum() + 1e-4)
            own = own + s.sum() - (p * torch.log2(p + 1e-4)).sum()
        reg = model.get_reg("edge_forward_spline_n", 1.0, 1.0, 0.0, 0.0)
        (mse + 1e-3 * own).backward()
        opt.step()
    return {"mse": float(mse), "own": float(own), "reg": float(reg),
            "own_vs_reg": round(float(own) / float(reg), 4)}


@case
def get_reg_each_metric_after_forward(K):
    # get_reg for every metric, after the attribute call the backward ones need
    model, ds = _trained(K)
    out = {}
    for metric in ("edge_forward_spline_n", "edge_forward_spline_u", "edge_forward_sum",
                   "edge_backward", "node_backward"):
        if metric == "edge_backward":
            model.attribute()
        if metric == "node_backward":
            model.node_attribute()
        out[metric] = round(float(model.get_reg(metric, 1.0, 2.0, 0.5, 0.5)), 4)
    return out


@case
def set_mode_per_edge_sym_mask(K):
    # set_mode(l, i, j, 's'|'n'|'ns'|'sn') then read both masks
    model, ds = _trained(K)
    model.fix_symbolic(0, 0, 0, "sin", verbose=False)
    model.set_mode(0, 1, 0, "ns")
    model.set_mode(0, 1, 1, "s")
    out = {}
    for (i, j) in ((0, 0), (1, 0), (1, 1), (0, 1)):
        out[f"{i}{j}"] = [float(model.act_fun[0].mask[i][j]), float(model.symbolic_fun[0].mask[j][i])]
    out["rmse"] = rmse(model(ds["test_input"]).detach(), ds["test_label"])
    return out


@case
def fix_unfix_symbolic_then_fit(K):
    # fix an edge to x^2, fit, unfix it and fit again: the spline edge comes back trainable
    model, ds = _trained(K)
    r2 = model.fix_symbolic(0, 1, 0, "x^2", verbose=False)
    r1 = model.fit(ds, opt="LBFGS", steps=5, log=100)
    model.unfix_symbolic(0, 1, 0)
    r2b = model.fit(ds, opt="LBFGS", steps=5, log=100)
    return {"r2": round(float(r2), 3), "after_fix": float(r1["test_loss"][-1]),
            "after_unfix": float(r2b["test_loss"][-1]),
            "masks": [float(model.act_fun[0].mask[1][0]), float(model.symbolic_fun[0].mask[0][1])]}


@case
def remove_edge_then_n_edge_forward(K):
    # remove_edge on two edges: the masks, the output change and n_edge
    model, ds = _trained(K)
    before = model(ds["test_input"]).detach()
    model.remove_edge(0, 0, 1)
    model.remove_edge(1, 2, 0)
    after = model(ds["test_input"]).detach()
    return {"n_edge": int(model.n_edge) if not callable(model.n_edge) else int(model.n_edge()),
            "mask0": float(model.act_fun[0].mask.sum()), "mask1": float(model.act_fun[1].mask.sum()),
            "moved": rmse(before, after) > 0}


@case
def module_chain_two_layers_masks(K):
    # model.module(0, '[0]->[0,1]->[0,1]->[0]'): input 0 feeds hidden 0-1 only, which feed
    # output 0; both layers' masks and the output afterwards
    model, ds = _trained(K, width=(2, 4, 3, 1))
    before = model(ds["test_input"]).detach()
    ret = model.module(0, "[0]->[0,1]->[0,1]->[0]")
    after = model(ds["test_input"]).detach()
    return {"ret_none": ret is None,
            "masks": [float(model.act_fun[l].mask.sum()) for l in range(model.depth)],
            "sym": [float(model.symbolic_fun[l].mask.sum()) for l in range(model.depth)],
            "moved": rmse(before, after) > 0}


@case
def update_grid_between_custom_steps(K):
    # update_grid(x) every 15 Adam steps of a hand-written loop with L1 on acts_scale
    ds = small_dataset(K, f2, n=300)
    model = small_kan(K, width=(2, 4, 1))
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    for step in range(60):
        if step % 15 == 0 and step < 50:
            model.update_grid(ds["train_input"])
        opt.zero_grad()
        loss = torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2)
        loss.backward()
        opt.step()
    return {"loss": float(loss), "test": rmse(model(ds["test_input"]).detach(), ds["test_label"])}


@case
def default_float64_whole_pipeline(K):
    # torch.set_default_dtype(float64) around dataset, model, fit, prune and auto_symbolic
    import os
    os.makedirs("model", exist_ok=True)  # pykan's prune logs to ./model/history.txt
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        ds = small_dataset(K, lambda x: x[:, [0]] ** 2 + torch.sin(x[:, [1]]), n=200)
        model = small_kan(K, width=(2, 3, 1))
        model.fit(ds, opt="LBFGS", steps=10, lamb=1e-3, log=100)
        model = model.prune()
        model.auto_symbolic(lib=["x", "x^2", "sin"], verbose=0)
        out = model(ds["test_input"])
        return {"dtype": str(out.dtype), "coef": str(model.act_fun[0].coef.dtype),
                "rmse": rmse(out.detach(), ds["test_label"])}
    finally:
        torch.set_default_dtype(old)


@case
def model_to_device_string_returns(K):
    # model = model.to('cpu') then fit: the same object, device recorded, fit runs
    ds = small_dataset(K, f2, n=100)
    model = small_kan(K)
    moved = model.to("cpu")
    r = moved.fit(ds, opt="LBFGS", steps=3, log=100)
    return {"same": moved is model, "device": str(moved.device), "n": len(r["train_loss"])}


@case
def forward_hooks_on_every_act_fun(K):
    # forward hooks on each act_fun capture the layers' postacts; compare to the caches
    model, ds = _trained(K, width=(2, 3, 2, 1))
    got = {}
    hooks = [m.register_forward_hook(lambda mod, inp, out, l=l: got.__setitem__(l, out[2].detach()))
             for l, m in enumerate(model.act_fun)]
    model(ds["test_input"])
    for h in hooks:
        h.remove()
    return {"n": len(got), "gaps": [rmse(got[l], model.spline_postacts[l].detach())
                                    for l in sorted(got)]}


@case
def params_per_module_table(K):
    # a parameter table per named child: act_fun.0, symbolic_fun.0, node_bias ...
    model = small_kan(K, width=(3, 4, 2))
    table = {}
    for name, p in model.named_parameters():
        top = ".".join(name.split(".")[:2]) if name.split(".")[0] in ("act_fun", "symbolic_fun") \
            else name.split(".")[0]
        table[top] = table.get(top, 0) + p.numel()
    return table


@case
def recompute_postsplines_coef2curve(K):
    # spline_postsplines recomputed from acts and each layer's grid/coef with coef2curve
    sp = importlib.import_module(K.__name__ + ".spline")
    model, ds = _trained(K, width=(2, 3, 1))
    gaps = []
    for l in range(model.depth):
        layer = model.act_fun[l]
        curve = sp.coef2curve(model.acts[l], layer.grid, layer.coef, layer.k)
        gaps.append(rmse(curve.permute(0, 2, 1).detach(), model.spline_postsplines[l].detach()))
    return {"gaps": gaps}


@case
def edge_and_subnode_actscale_shapes(K):
    # the forward's scale caches' shapes on a model with a mult node
    model = small_kan(K, width=[2, [2, 1], 1])
    model(torch.rand(50, 2) * 2 - 1)
    return {"acts_scale": [list(s.shape) for s in model.acts_scale],
            "acts_scale_spline": [list(s.shape) for s in model.acts_scale_spline],
            "edge_actscale": [list(s.shape) for s in model.edge_actscale],
            "subnode_actscale": [list(s.shape) for s in model.subnode_actscale]}


@case
def caches_restored_into_loaded_model(K):
    # a state_dict and the forward caches saved; a fresh model gets both, then attribute()
    model, ds = _trained(K)
    names = ("acts", "acts_premult", "spline_preacts", "spline_postsplines", "spline_postacts",
             "acts_scale", "acts_scale_spline", "subnode_actscale", "edge_actscale")
    saved = {n: [t.detach().clone() for t in getattr(model, n)] for n in names}
    fresh = small_kan(K, width=(2, 4, 1), seed=3)
    fresh.load_state_dict(model.state_dict())
    for n in names:
        setattr(fresh, n, saved[n])
    fresh.attribute()
    model.attribute()
    return {"scores": [round(float(v), 4) for v in fresh.feature_score],
            "same": bool(torch.allclose(fresh.feature_score, model.feature_score))}


@case
def mult_width_in_out_loop(K):
    # the edge loop over width_in/width_out on a mult model, with the symbolic masks per edge
    model, _ = _trained(K, width=[2, [2, 1], 1])
    shapes = []
    for l in range(model.depth):
        shapes.append([model.width_in[l], model.width_out[l + 1],
                       list(model.spline_postacts[l].shape),
                       list(model.symbolic_fun[l].mask.shape)])
    return {"shapes": shapes}


@case
def fix_symbolic_random_then_affine(K):
    # fix_symbolic(random=True, fit_params_bool=False) then read the edge's affine
    model, ds = _trained(K)
    torch.manual_seed(0)
    model.fix_symbolic(0, 0, 0, "sin", fit_params_bool=False, random=True, verbose=False)
    aff = model.symbolic_fun[0].affine[0, 0]
    return {"affine_len": int(aff.numel()), "mask": float(model.symbolic_fun[0].mask[0, 0]),
            "finite": bool(torch.isfinite(model(ds["test_input"])).all())}


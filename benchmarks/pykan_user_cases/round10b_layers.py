"""A tenth round, research code built on pykan's internals (with ``round10b_model``): layers
made from ``KANLayer`` — an identity-base layer with a frozen ``scale_base``, in-place edits of
``coef`` and ``scale_sp``, a kernel penalty over ``grid`` and ``coef``, a recurrent cell of two
layers, the layer's four outputs, its ``to('cpu')``, float64 and ``save_plot_data`` options,
``update_grid_from_samples`` in a loop, and ``kan.spline`` helpers on a layer's own state
(``B_batch`` as a design matrix, ``curve2coef`` from a teacher's samples)."""

import importlib

import torch
from torch import nn

from ._common import case, f2, rmse, small_dataset


def _sub(K, name):
    return importlib.import_module(K.__name__ + "." + name)


def _layer(K, **kw):
    torch.manual_seed(0)
    return _sub(K, "KANLayer").KANLayer(**kw)


def _adam(params, loss_fn, steps, lr=1e-2):
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    return float(loss)


@case
def kanlayer_identity_base_frozen(K):
    # a layer without SiLU: base_fun=Identity, scale_base zeroed and frozen, grid frozen
    ds = small_dataset(K, f2, n=200)
    layers = [_layer(K, in_dim=2, out_dim=4, num=6, k=3, noise_scale=0.05, scale_base_mu=0.0,
                     scale_base_sigma=0.0, scale_sp=0.5, base_fun=nn.Identity(),
                     grid_range=[-1, 1], sb_trainable=False),
              _layer(K, in_dim=4, out_dim=1, num=6, k=3, noise_scale=0.05, scale_base_sigma=0.0,
                     base_fun=nn.Identity(), grid_range=[-2, 2], sb_trainable=False)]
    for layer in layers:
        layer.grid.requires_grad_(False)
        with torch.no_grad():
            layer.scale_base.zero_()
        layer.scale_base.requires_grad_(False)
    params = [p for layer in layers for p in layer.parameters() if p.requires_grad]

    def loss():
        h = layers[0](ds["train_input"])[0]
        return torch.mean((layers[1](h)[0] - ds["train_label"]) ** 2)
    return {"n_trainable": sum(p.numel() for p in params), "loss": _adam(params, loss, 80),
            "sb_zero": float(layers[0].scale_base.abs().sum())}


@case
def kanlayer_coef_inplace_shrink(K):
    # residual-style init: coef.mul_(0.05), coef.add_(noise), scale_sp.mul_(0.1) under no_grad
    layer = _layer(K, in_dim=3, out_dim=2, num=5, k=3)
    x = torch.rand(64, 3) * 2 - 1
    before = layer(x)[0].detach()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        layer.coef.mul_(0.05)
        layer.coef.add_(torch.randn(tuple(layer.coef.shape), generator=g) * 1e-3)
        layer.scale_sp.mul_(0.1)
    after = layer(x)[0].detach()
    return {"coef_shape": list(layer.coef.shape), "before_std": float(before.std()),
            "after_std": float(after.std()), "is_leaf": bool(layer.coef.is_leaf)}


@case
def kanlayer_rkhs_penalty_grid_coef(K):
    # a Gaussian-kernel penalty c^T K c per edge, K over each input's basis centres from grid
    ds = small_dataset(K, f2, n=200)
    layer = _layer(K, in_dim=2, out_dim=1, num=5, k=3)
    k = layer.k

    def penalty():
        pen = 0.0
        for i in range(layer.in_dim):
            g = layer.grid[i]
            centres = (g[:-k - 1] + g[k + 1:]) / 2
            kmat = torch.exp(-0.5 * (centres[:, None] - centres[None, :]) ** 2 / 0.3 ** 2)
            for j in range(layer.out_dim):
                c = layer.coef[i, j, :]
                pen = pen + c @ kmat @ c
        return pen / (layer.in_dim * layer.out_dim)

    def loss():
        mse = torch.mean((layer(ds["train_input"])[0] - ds["train_label"]) ** 2)
        return mse + 1e-3 * penalty()
    return {"pen0": float(penalty()), "loss": _adam(layer.parameters(), loss, 80),
            "pen1": float(penalty())}


@case
def kanlayer_recurrent_cell(K):
    # a KAN recurrent cell: h = tanh(KAN_x(x_t) + KAN_h(h)), a readout on the last state
    torch.manual_seed(0)
    t = torch.linspace(0, 6, 80)
    seqs = torch.stack([torch.sin(t[i:i + 6]) for i in range(70)])[:, :, None]
    target = torch.sin(t[6:76])[:, None]
    cell_x = _layer(K, in_dim=1, out_dim=4, num=5, k=3)
    cell_h = _layer(K, in_dim=4, out_dim=4, num=5, k=3)
    head = nn.Linear(4, 1)
    params = list(cell_x.parameters()) + list(cell_h.parameters()) + list(head.parameters())

    def loss():
        h = torch.zeros(seqs.shape[0], 4)
        for s in range(seqs.shape[1]):
            h = torch.tanh(cell_x(seqs[:, s])[0] + cell_h(h)[0])
        return torch.mean((head(h) - target) ** 2)
    return {"loss0": float(loss()), "loss": _adam([p for p in params if p.requires_grad], loss, 40)}


@case
def kanlayer_four_outputs_shapes(K):
    # y, preacts, postacts, postspline = layer(x): the shapes research code indexes by
    layer = _layer(K, in_dim=3, out_dim=2, num=4, k=2)
    x = torch.rand(10, 3)
    y, pre, post, spl = layer(x)
    return {"y": list(y.shape), "pre": list(pre.shape), "post": list(post.shape),
            "spl": list(spl.shape), "sum_ok": float((post.sum(2) - y).abs().max()) < 1e-5,
            "grid": list(layer.grid.shape), "coef": list(layer.coef.shape),
            "mask": list(layer.mask.shape), "sb": list(layer.scale_base.shape)}


@case
def kanlayer_to_device_string(K):
    # layer = KANLayer(...).to('cpu'): the layer comes back and records the device
    layer = _layer(K, in_dim=2, out_dim=2).to("cpu")
    y = layer(torch.rand(5, 2))[0]
    return {"type": type(layer).__name__, "device": str(getattr(layer, "device", None)),
            "y": list(y.shape)}


@case
def kanlayer_float64_layer(K):
    # layer.double() on float64 inputs; grid, coef and output stay float64
    layer = _layer(K, in_dim=2, out_dim=3).double()
    x = torch.rand(20, 2, dtype=torch.float64)
    y = layer(x)[0]
    layer.update_grid_from_samples(x)
    return {"y": str(y.dtype), "grid": str(layer.grid.dtype), "coef": str(layer.coef.dtype),
            "after": str(layer(x)[0].dtype)}


@case
def kanlayer_save_plot_data_off(K):
    # KANLayer(save_plot_data=False) as a plain layer in a Sequential-like wrapper
    layer = _layer(K, in_dim=2, out_dim=1, save_plot_data=False)
    ds = small_dataset(K, f2, n=200)
    loss = _adam(layer.parameters(),
                 lambda: torch.mean((layer(ds["train_input"])[0] - ds["train_label"]) ** 2), 40)
    return {"loss": loss}


@case
def kanlayer_grid_from_samples_in_loop(K):
    # inputs on [0, 3]: the layer's grid follows them every 20 Adam steps
    torch.manual_seed(0)
    x = torch.rand(300, 1) * 3
    y = torch.sin(2 * x)
    layer = _layer(K, in_dim=1, out_dim=1, num=8, k=3)
    opt = torch.optim.Adam(layer.parameters(), lr=2e-2)
    for step in range(100):
        if step % 20 == 0:
            with torch.no_grad():
                layer.update_grid_from_samples(x)
        opt.zero_grad()
        loss = torch.mean((layer(x)[0] - y) ** 2)
        loss.backward()
        opt.step()
    return {"loss": float(loss), "lo": round(float(layer.grid[0, 3]), 3),
            "hi": round(float(layer.grid[0, -4]), 3)}


@case
def bbatch_design_matrix_lstsq(K):
    # B_batch on a layer's grid as a design matrix; least squares for one edge's coefficients
    sp = _sub(K, "spline")
    layer = _layer(K, in_dim=1, out_dim=1, num=7, k=3)
    x = torch.linspace(-1, 1, 200)[:, None]
    y = torch.cos(3 * x)
    basis = sp.B_batch(x, layer.grid, k=layer.k)[:, 0, :]
    sol = torch.linalg.lstsq(basis, y).solution
    with torch.no_grad():
        layer.coef[0, 0, :] = sol[:, 0]
        layer.scale_base.zero_()
        layer.scale_sp.fill_(1.0)
    return {"basis": list(basis.shape), "rmse": rmse(layer(x)[0], y)}


@case
def curve2coef_from_teacher_samples(K):
    # a finer student layer takes a teacher layer's splines: curve2coef(preacts, postsplines)
    sp = _sub(K, "spline")
    teacher = _layer(K, in_dim=2, out_dim=2, num=4, k=3, noise_scale=0.5)
    student = _layer(K, in_dim=2, out_dim=2, num=10, k=3)
    x = torch.rand(256, 2) * 2 - 1
    _, pre, _, spl = teacher(x)
    with torch.no_grad():
        student.coef.data = sp.curve2coef(pre[:, 0, :], spl.permute(0, 2, 1), student.grid,
                                          k=student.k)
        student.scale_base.data = teacher.scale_base.data.clone()
        student.scale_sp.data = teacher.scale_sp.data.clone()
    return {"coef": list(student.coef.shape),
            "gap": rmse(student(x)[0], teacher(x)[0].detach())}


@case
def coef2curve_edge_plot_points(K):
    # an edge's curve for a plot: coef2curve on a dense linspace per input, times scale_sp
    sp = _sub(K, "spline")
    layer = _layer(K, in_dim=2, out_dim=3, num=5, k=3, noise_scale=0.5)
    xs = torch.linspace(-1, 1, 50)[:, None].repeat(1, 2)
    curves = sp.coef2curve(xs, layer.grid, layer.coef, layer.k)
    edge = curves[:, 1, 2] * layer.scale_sp[1, 2]
    direct = layer(xs)[2][:, 2, 1] - layer.base_fun(xs[:, 1]) * layer.scale_base[1, 2]
    return {"curves": list(curves.shape), "gap": rmse(edge.detach(), direct.detach())}


@case
def extend_grid_then_manual_bspline(K):
    # extend_grid on a knot vector, then B_batch with extend=False on the result
    sp = _sub(K, "spline")
    g = torch.linspace(-1, 1, 6)[None, :]
    ext = sp.extend_grid(g, k_extend=3)
    x = torch.linspace(-0.99, 0.99, 30)[:, None]
    b = sp.B_batch(x, ext, k=3)
    return {"ext": list(ext.shape), "b": list(b.shape),
            "partition_of_unity": round(float(b.sum(-1).mean()), 4)}


@case
def kanlayer_hooks_pre_and_backward(K):
    # a forward pre-hook that clamps inputs, a full backward hook that records gradient norms
    layer = _layer(K, in_dim=2, out_dim=1)
    seen = []
    h1 = layer.register_forward_pre_hook(lambda m, a: (a[0].clamp(-1, 1),))
    h2 = layer.register_full_backward_hook(lambda m, gi, go: seen.append(float(go[0].norm())))
    x = torch.rand(30, 2) * 4 - 2
    out = layer(x)
    out[0].sum().backward()
    h1.remove()
    h2.remove()
    return {"n_out": len(out) if isinstance(out, tuple) else -1, "seen": len(seen),
            "pre_max": round(float(out[1].max()), 4)}


@case
def kanlayer_grad_of_each_param(K):
    # which of the layer's parameters get a gradient from an MSE loss
    layer = _layer(K, in_dim=2, out_dim=2)
    x = torch.rand(40, 2) * 2 - 1
    torch.mean(layer(x)[0] ** 2).backward()
    return {name: (p.grad is not None and float(p.grad.abs().sum()) > 0)
            for name, p in layer.named_parameters()}


@case
def kanlayer_scale_base_stats(K):
    # scale_base ~ mu/sqrt(in) + sigma*U(-1,1)/sqrt(in): its mean and spread for a wide layer
    layer = _layer(K, in_dim=16, out_dim=32, scale_base_mu=0.5, scale_base_sigma=0.2)
    sb = layer.scale_base.detach()
    return {"mean": round(float(sb.mean()), 3), "min_gt": float(sb.min()) > 0.0,
            "sp_mean": round(float(layer.scale_sp.mean()), 3)}


@case
def kanlayer_grid_eps_uniform_vs_adaptive(K):
    # grid_eps=1 keeps a uniform grid on the samples' range; grid_eps=0 follows their quantiles
    torch.manual_seed(0)
    x = torch.randn(400, 1) ** 3
    out = {}
    for eps in (0.0, 1.0):
        layer = _layer(K, in_dim=1, out_dim=1, num=6, k=3, grid_eps=eps)
        layer.update_grid_from_samples(x)
        inner = layer.grid[0, 3:-3]
        out[f"eps{int(eps)}_steps"] = [round(float(v), 2) for v in inner.diff()]
    return out

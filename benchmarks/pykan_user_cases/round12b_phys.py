"""A twelfth round, physics-informed code (with ``round12b_nets``): PINN losses through a KAN
by ``torch.autograd.grad(..., create_graph=True)`` — the ODE ``u'' = -u`` with initial
conditions, a 2D Poisson problem trained by a few steps of pykan's own ``LBFGS`` with a
closure, a heat equation in (x, t) — ``torch.func`` transforms (``jacrev``/``hessian`` under
``vmap``) over the model, ``kan.utils.batch_jacobian``/``batch_hessian`` in losses and checks,
``update_grid_from_samples`` on collocation points inside the loop, derivative matching
(Sobolev) losses, gradient-penalty regularisers, ``enable_grad`` inside ``no_grad`` and a
float64 PINN."""

import importlib

import torch

from ._common import case, small_kan


def _mod(K, name):
    return importlib.import_module(K.__name__ + "." + name)


def _d(u, x):
    return torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]


@case
def pinn_ode_harmonic_adam(K):
    # u'' + u = 0 on [0, pi], u(0) = 0, u'(0) = 1 (solution sin t), Adam on residual + ICs
    model = small_kan(K, width=(1, 5, 1))
    t = torch.linspace(0, torch.pi, 60).reshape(-1, 1)
    t0 = torch.zeros(1, 1, requires_grad=True)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(60):
        opt.zero_grad()
        tc = t.clone().requires_grad_(True)
        u = model(tc)
        du = _d(u, tc)
        d2u = _d(du, tc)
        u0 = model(t0)
        du0 = _d(u0, t0)
        loss = torch.mean((d2u + u) ** 2) + (u0 ** 2).sum() + ((du0 - 1) ** 2).sum()
        loss.backward()
        opt.step()
    with torch.no_grad():
        err = float(torch.sqrt(torch.mean((model(t) - torch.sin(t)) ** 2)))
    return {"loss": float(loss), "rmse_vs_sin": err}


@case
def pinn_poisson_pykan_lbfgs_closure(K):
    # -Δu = 2π² sin(πx) sin(πy) on [-1,1]², u = 0 on the boundary, pykan's LBFGS + closure
    LBFGS = _mod(K, "LBFGS").LBFGS
    model = small_kan(K, width=(2, 3, 1))
    g = torch.Generator().manual_seed(0)
    xi = torch.rand(120, 2, generator=g) * 2 - 1
    s = torch.rand(20, 1, generator=g) * 2 - 1
    o = torch.ones_like(s)
    xb = torch.cat([torch.cat([s, o], 1), torch.cat([s, -o], 1),
                    torch.cat([o, s], 1), torch.cat([-o, s], 1)])
    pi = torch.pi
    src = 2 * pi ** 2 * torch.sin(pi * xi[:, [0]]) * torch.sin(pi * xi[:, [1]])
    opt = LBFGS(model.parameters(), lr=1, history_size=10, line_search_fn="strong_wolfe",
                tolerance_grad=1e-32, tolerance_change=1e-32, tolerance_ys=1e-32)
    losses = []

    def closure():
        opt.zero_grad()
        x = xi.clone().requires_grad_(True)
        u = model(x)
        gu = _d(u, x)
        lap = _d(gu[:, [0]], x)[:, [0]] + _d(gu[:, [1]], x)[:, [1]]
        loss = torch.mean((-lap - src) ** 2) + 10 * torch.mean(model(xb) ** 2)
        loss.backward()
        return loss
    for _ in range(5):
        losses.append(float(opt.step(closure)))
    truth = torch.sin(pi * xi[:, [0]]) * torch.sin(pi * xi[:, [1]])
    with torch.no_grad():
        err = float(torch.sqrt(torch.mean((model(xi) - truth) ** 2)))
    return {"first": losses[0], "last": losses[-1], "rmse": err}


@case
def pinn_grid_update_from_collocation(K):
    # resample collocation points each 10 steps and update_grid_from_samples on them
    model = small_kan(K, width=(1, 4, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    g = torch.Generator().manual_seed(1)
    for step in range(40):
        if step % 10 == 0:
            t = torch.rand(80, 1, generator=g) * 2
            model.update_grid_from_samples(t)
            opt = torch.optim.Adam(model.parameters(), lr=0.02)
        tc = t.clone().requires_grad_(True)
        u = model(tc)
        du = _d(u, tc)
        # u' = -2u, u(0) = 1 (solution exp(-2t))
        loss = torch.mean((du + 2 * u) ** 2) + (model(torch.zeros(1, 1)) - 1).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    tt = torch.linspace(0, 2, 50).reshape(-1, 1)
    with torch.no_grad():
        err = float(torch.sqrt(torch.mean((model(tt) - torch.exp(-2 * tt)) ** 2)))
    return {"loss": float(loss), "rmse": err, "grid_lo": round(float(model.act_fun[0].grid.min()), 2)}


@case
def torch_func_vmap_hessian_laplacian(K):
    # Laplacian per sample: vmap(hessian(f)) with f mapping a (2,) point to a scalar
    from torch.func import hessian, vmap
    model = small_kan(K, width=(2, 3, 1))
    x = torch.rand(16, 2) * 2 - 1

    def f(p):
        return model(p.unsqueeze(0)).squeeze()
    H = vmap(hessian(f))(x)
    lap = H.diagonal(dim1=-2, dim2=-1).sum(-1)
    xg = x.clone().requires_grad_(True)
    gu = _d(model(xg), xg)
    lap2 = _d(gu[:, [0]], xg)[:, 0] + _d(gu[:, [1]], xg)[:, 1]
    return {"shape": list(H.shape), "max_diff": float((lap - lap2).abs().max())}


@case
def torch_func_jacrev_vmap_multi_output(K):
    # jacrev over a 3-output model under vmap, vs batch_jacobian in both modes
    from torch.func import jacrev, vmap
    u = _mod(K, "utils")
    model = small_kan(K, width=(2, 3, 3))
    x = torch.rand(10, 2) * 2 - 1
    J = vmap(jacrev(lambda p: model(p.unsqueeze(0)).squeeze(0)))(x)
    J1 = u.batch_jacobian(model, x)  # 'scalar' mode: the first output's rows only
    J2 = u.batch_jacobian(model, x, mode="vector")
    return {"shape": list(J.shape), "shape_scalar": list(J1.shape), "shape_vector": list(J2.shape),
            "max_diff": float((J - J2).abs().max()), "first_diff": float((J[:, 0] - J1).abs().max())}


@case
def batch_hessian_in_loss_create_graph(K):
    # a loss on the Hessian's trace through batch_hessian(create_graph=True), Adam steps
    u = _mod(K, "utils")
    model = small_kan(K, width=(2, 3, 1))
    x = torch.rand(50, 2) * 2 - 1
    target = (x ** 2).sum(1, keepdim=True)  # Laplacian of this is 4
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(20):
        H = u.batch_hessian(model, x, create_graph=True)
        tr = H[:, 0, 0] + H[:, 1, 1]
        loss = torch.mean((tr - 4) ** 2) + torch.mean((model(x) - target) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"shape": list(H.shape), "loss": float(loss)}


@case
def sobolev_loss_value_and_gradient(K):
    # fit values and gradients of f = sin(x0) * cos(x1) together
    model = small_kan(K, width=(2, 4, 1))
    g = torch.Generator().manual_seed(0)
    x = torch.rand(150, 2, generator=g) * 2 - 1
    y = torch.sin(x[:, [0]]) * torch.cos(x[:, [1]])
    dy = torch.cat([torch.cos(x[:, [0]]) * torch.cos(x[:, [1]]),
                    -torch.sin(x[:, [0]]) * torch.sin(x[:, [1]])], 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(50):
        xr = x.clone().requires_grad_(True)
        p = model(xr)
        gp = _d(p, xr)
        loss = torch.mean((p - y) ** 2) + torch.mean((gp - dy) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"loss": float(loss)}


@case
def heat_equation_xt_residual(K):
    # u_t = 0.1 u_xx on x in [0,1], t in [0,1], u(x,0) = sin(pi x), u = 0 at x = 0, 1
    model = small_kan(K, width=(2, 4, 1))
    g = torch.Generator().manual_seed(0)
    xt = torch.rand(150, 2, generator=g)
    x0 = torch.rand(40, 1, generator=g)
    tb = torch.rand(20, 1, generator=g)
    ic = torch.cat([x0, torch.zeros_like(x0)], 1)
    bc = torch.cat([torch.cat([torch.zeros_like(tb), tb], 1), torch.cat([torch.ones_like(tb), tb], 1)])
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(40):
        p = xt.clone().requires_grad_(True)
        u = model(p)
        gu = _d(u, p)
        uxx = _d(gu[:, [0]], p)[:, [0]]
        loss = (torch.mean((gu[:, [1]] - 0.1 * uxx) ** 2)
                + torch.mean((model(ic) - torch.sin(torch.pi * x0)) ** 2) + torch.mean(model(bc) ** 2))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"loss": float(loss)}


@case
def gradient_penalty_regulariser(K):
    # regression with a gradient-norm penalty, like a WGAN-GP critic or smoothness prior
    model = small_kan(K, width=(2, 3, 1))
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=g) * 2 - 1
    y = torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(40):
        xr = x.clone().requires_grad_(True)
        p = model(xr)
        gn = _d(p, xr).norm(dim=1)
        loss = torch.mean((p - y) ** 2) + 1e-3 * torch.mean(gn ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"loss": float(loss), "mean_grad_norm": float(gn.mean())}


@case
def autograd_functional_jacobian_point(K):
    # torch.autograd.functional.jacobian and hessian at one point (1, 2) input
    from torch.autograd.functional import hessian, jacobian
    model = small_kan(K, width=(2, 3, 1))
    p = torch.tensor([[0.3, -0.2]])
    J = jacobian(model, p)
    H = hessian(lambda q: model(q).sum(), p)
    return {"J": list(J.shape), "H": list(H.shape), "finite": bool(torch.isfinite(H).all())}


@case
def pinn_fit_then_lbfgs_finetune_closure(K):
    # model.fit on data first, then a physics residual with torch.optim.LBFGS (closure)
    model = small_kan(K, width=(1, 4, 1))
    t = torch.linspace(0, 2, 50).reshape(-1, 1)
    ds = {"train_input": t, "train_label": torch.exp(-t), "test_input": t, "test_label": torch.exp(-t)}
    model.fit(ds, opt="Adam", lr=0.02, steps=20, log=100)
    opt = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=5, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        tc = t.clone().requires_grad_(True)
        u = model(tc)
        loss = torch.mean((_d(u, tc) + u) ** 2) + (model(torch.zeros(1, 1)) - 1).pow(2).sum()
        loss.backward()
        return loss
    for _ in range(3):
        opt.step(closure)
    with torch.no_grad():
        err = float(torch.sqrt(torch.mean((model(t) - torch.exp(-t)) ** 2)))
    return {"rmse": err}


@case
def second_derivative_symbolic_check(K):
    # fit x**2 * 0.5, fix it symbolically, check u'' = 1 through autograd on the symbolic path
    model = small_kan(K, width=(1, 1))
    x = torch.linspace(-1, 1, 100).reshape(-1, 1)
    ds = {"train_input": x, "train_label": 0.5 * x ** 2, "test_input": x, "test_label": 0.5 * x ** 2}
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    model.fix_symbolic(0, 0, 0, "x^2", verbose=False)
    xr = x.clone().requires_grad_(True)
    u = model(xr)
    d2 = _d(_d(u, xr), xr)
    return {"d2_mean": round(float(d2.mean()), 3), "d2_std": round(float(d2.std()), 4)}


@case
def enable_grad_inside_no_grad_residual(K):
    # evaluation code under no_grad that still needs u_x: torch.enable_grad() inside
    model = small_kan(K, width=(1, 3, 1))
    t = torch.linspace(0, 1, 30).reshape(-1, 1)
    with torch.no_grad():
        u0 = model(t)
        with torch.enable_grad():
            tc = t.clone().requires_grad_(True)
            du = _d(model(tc), tc)
    return {"u_grad": u0.requires_grad, "du_finite": bool(torch.isfinite(du).all()),
            "du_mean": round(float(du.mean()), 4)}


@case
def double_pinn_update_grid_from_samples(K):
    # float64 PINN u' = cos(t), u(0) = 0 on [0, 3], grid moved to the collocation points
    model = small_kan(K, width=(1, 4, 1)).double()
    t = torch.linspace(0, 3, 60, dtype=torch.float64).reshape(-1, 1)
    model.update_grid_from_samples(t)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(50):
        tc = t.clone().requires_grad_(True)
        u = model(tc)
        loss = torch.mean((_d(u, tc) - torch.cos(tc)) ** 2) + model(t[:1]).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        err = float(torch.sqrt(torch.mean((model(t) - torch.sin(t)) ** 2)))
    return {"dtype": str(u.dtype), "loss": float(loss), "rmse": err}

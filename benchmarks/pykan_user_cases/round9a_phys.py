"""A ninth round of pykan code from scientists' repositories (with ``round9a_sym``): physics
and dynamics — ``fit(pred_fn=..., loss_fn=...)`` on a conservation law (pykan's later docs),
a Poisson PINN through ``batch_hessian``, ``batch_jacobian(mode='vector')``, an ODE right-hand
side fitted from a trajectory then rolled out, inputs in physical units (kelvin) with and
without ``grid_range``, ``update_grid_from_samples`` on a shifted range,
``initialize_grid_from_another_model``, a ``refine`` loop in float64 on wide inputs,
``kanpiler`` of an Arrhenius law fine-tuned on noisy data, ``feature_score`` after edges were
fixed symbolically, ``set_mode`` 'ns' mixing spline and formula on one edge, and PINNs trained
through ``fit(loss_fn=...)``: a residual by ``autograd.grad`` on collocation points, and one
differentiating the prediction with respect to ``dataset['train_input']`` itself."""

import importlib
import os

import numpy as np
import torch

from ._common import case, quiet, rmse, small_dataset


def _utils(K):
    return importlib.import_module(K.__name__ + ".utils")


@case
def fit_pred_fn_conservation_law(K):
    # pykan's Physics_2A (later docs): a Hamiltonian whose gradient is orthogonal to the flow
    u = _utils(K)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(300, 2, generator=g) * 2 - 1
    flow = torch.cat([x[:, [1]], -x[:, [0]]], dim=1)
    ds = u.create_dataset_from_data(x, flow)
    model = K.KAN(width=[2, 1], seed=42, auto_save=False)

    def pred_fn(model, x):
        grad = u.batch_jacobian(model, x, create_graph=True)
        return grad / torch.linalg.norm(grad, dim=1, keepdim=True)

    def loss_fn(gn, flow):
        return torch.mean(torch.sum(flow * gn, dim=1) ** 2)
    r = quiet(model.fit, ds, steps=10, pred_fn=pred_fn, loss_fn=loss_fn)
    return {"train_loss": float(r["train_loss"][-1])}


@case
def pinn_poisson_batch_hessian_adam(K):
    # u_xx + u_yy = f with the Laplacian from batch_hessian's diagonal; boundary u = 0
    u = _utils(K)
    g = torch.Generator().manual_seed(0)
    xi = torch.rand(100, 2, generator=g) * 2 - 1
    t = torch.rand(40, 1, generator=g) * 2 - 1
    one = torch.ones_like(t)
    xb = torch.cat([torch.cat([t, one], 1), torch.cat([t, -one], 1), torch.cat([one, t], 1), torch.cat([-one, t], 1)])
    src = -2 * torch.pi ** 2 * torch.sin(torch.pi * xi[:, [0]]) * torch.sin(torch.pi * xi[:, [1]])
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        hess = u.batch_hessian(model, xi, create_graph=True)
        lap = hess[:, 0, 0] + hess[:, 1, 1]
        loss = torch.mean((lap[:, None] - src) ** 2) + 10 * torch.mean(model(xb) ** 2)
        loss.backward()
        opt.step()
    with torch.no_grad():
        exact = torch.sin(torch.pi * xi[:, [0]]) * torch.sin(torch.pi * xi[:, [1]])
        err = rmse(model(xi), exact)
    return {"hess_shape": list(hess.shape), "loss": float(loss), "sol_rmse": err}


@case
def batch_jacobian_vector_mode(K):
    # batch_jacobian(model, x, mode='vector') for a two-output model vs torch's own
    u = _utils(K)
    model = K.KAN(width=[2, 3, 2], grid=5, k=3, seed=0, auto_save=False)
    x = torch.rand(8, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    jv = u.batch_jacobian(model, x, mode="vector")
    ref = torch.stack([torch.autograd.functional.jacobian(lambda z: model(z[None])[0], xx) for xx in x])
    return {"shape": list(jv.shape), "gap": float((jv - ref).abs().max())}


@case
def ode_rhs_fit_euler_rollout(K):
    # a damped oscillator's trajectory -> finite differences -> KAN for dx/dt -> Euler rollout
    dt, n = 0.05, 240
    s = torch.zeros(n, 2)
    s[0] = torch.tensor([1.0, 0.0])
    for i in range(n - 1):
        x, v = s[i]
        s[i + 1] = s[i] + dt * torch.stack([v, -x - 0.2 * v])
    ds_x = s[:-1]
    ds_y = (s[1:] - s[:-1]) / dt
    u = _utils(K)
    torch.manual_seed(0)
    np.random.seed(0)  # pykan draws the split with numpy
    ds = u.create_dataset_from_data(ds_x, ds_y, train_ratio=0.8)
    model = K.KAN(width=[2, 2], grid=5, k=3, seed=0, auto_save=False)
    r = quiet(model.fit, ds, opt="LBFGS", steps=20)
    z = s[0:1].clone()
    traj = [z]
    with torch.no_grad():
        for _ in range(n - 1):
            z = z + dt * model(z)
            traj.append(z)
    return {"test_loss": float(r["test_loss"][-1]), "rollout_rmse": rmse(torch.cat(traj), s)}


def _kelvin(n=300, seed=0):
    g = torch.Generator().manual_seed(seed)
    T = torch.rand(n, 1, generator=g) * 200 + 250
    y = torch.exp(-600.0 / T) * 10
    return T, y


@case
def kelvin_inputs_grid_range_vs_default(K):
    # inputs in kelvin [250, 450]: grid_range set to the data, and the default [-1, 1] (grid update in fit)
    T, y = _kelvin()
    ds = {"train_input": T[:200], "train_label": y[:200], "test_input": T[200:], "test_label": y[200:]}
    out = {}
    for name, kw in (("ranged", {"grid_range": [250, 450]}), ("default", {})):
        model = K.KAN(width=[1, 2, 1], grid=5, k=3, seed=0, auto_save=False, **kw)
        r = quiet(model.fit, ds, opt="LBFGS", steps=20)
        out[name] = float(r["test_loss"][-1])
    return {"test_loss": out}


@case
def update_grid_shifted_range_then_fit(K):
    # a model fitted on [-1, 1], new data on [1, 3]: update_grid_from_samples then fit on it
    f = lambda x: torch.sin(x[:, [0]]) + 0.5 * x[:, [1]]  # noqa: E731
    ds = small_dataset(K, f, n=200)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=10, update_grid=False)
    ds2 = small_dataset(K, f, n=200, ranges=[1, 3])
    model.update_grid_from_samples(ds2["train_input"])
    g = model.act_fun[0].grid
    r = quiet(model.fit, ds2, opt="LBFGS", steps=10, update_grid=False)
    return {"grid_lo_hi": [round(float(g[0, 3]), 2), round(float(g[0, -4]), 2)],
            "test_loss": float(r["test_loss"][-1])}


@case
def initialize_grid_from_another_model_finer(K):
    # model2 (grid 10) takes model's grid positions on x: initialize_grid_from_another_model
    f = lambda x: torch.exp(x[:, [0]]) * x[:, [1]]  # noqa: E731
    ds = small_dataset(K, f, n=200, ranges=[0, 2])
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=10)
    model2 = K.KAN(width=[2, 3, 1], grid=10, k=3, seed=0, auto_save=False)
    model2.initialize_grid_from_another_model(model, ds["train_input"])
    g = model2.act_fun[0].grid
    return {"grid_shape": list(g.shape), "lo_hi": [round(float(g[0, 3]), 2), round(float(g[0, -4]), 2)],
            "same_as_model": bool(torch.allclose(g[:, [3, -4]], model.act_fun[0].grid[:, [3, -4]], atol=1e-3))}


@case
def refine_loop_float64_wide_inputs(K):
    # torch.set_default_dtype(float64), inputs in [0, 10], grids [3, 6, 12] with refine
    torch.set_default_dtype(torch.float64)
    os.makedirs("model", exist_ok=True)
    f = lambda x: torch.sqrt(x[:, [0]] + 1) + torch.log(x[:, [1]] + 1)  # noqa: E731
    ds = small_dataset(K, f, n=200, ranges=[0, 10])
    model = K.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    losses = []
    for i, gr in enumerate([3, 6, 12]):
        if i:
            model = quiet(model.refine, gr)
        r = quiet(model.fit, ds, opt="LBFGS", steps=10)
        losses.append(float(r["test_loss"][-1]))
    return {"dtype": str(model.act_fun[0].coef.dtype), "test_losses": losses}


@case
def kanpiler_arrhenius_finetune(K):
    # kanpiler of A*exp(-E/T) with T in kelvin-like scaled units, then fit on noisy data
    import sympy
    kanpiler = importlib.import_module(K.__name__ + ".compiler").kanpiler
    T, A = sympy.symbols("T A")
    expr = A * sympy.exp(-2 / T)
    model = kanpiler([T, A], expr)
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.rand(300, 1, generator=g) + 1, torch.rand(300, 1, generator=g) + 0.5], 1)
    y = x[:, [1]] * torch.exp(-2.2 / x[:, [0]]) + 0.001 * torch.randn(300, 1, generator=g)
    ds = {"train_input": x[:200], "train_label": y[:200], "test_input": x[200:], "test_label": y[200:]}
    with torch.no_grad():
        init_gap = rmse(model(x), x[:, [1]] * torch.exp(-2 / x[:, [0]]))
    model.auto_save = False
    r = quiet(model.fit, ds, opt="LBFGS", steps=10, update_grid=False)
    return {"width": model.width, "init_gap": init_gap, "test_loss": float(r["test_loss"][-1])}


@case
def feature_score_after_partial_symbolic(K):
    # fix the first input's edges symbolically, forward, attribute: feature_score of each input
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + 0.1 * x[:, [2]]  # noqa: E731
    ds = small_dataset(K, f, n_var=3, n=200)
    model = K.KAN(width=[3, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=15, update_grid=False, lamb=0.01)
    model(ds["train_input"])
    quiet(model.fix_symbolic, 0, 0, 0, "sin")
    quiet(model.fix_symbolic, 0, 0, 1, "sin")
    model(ds["train_input"])
    model.attribute(plot=False) if "plot" in model.attribute.__code__.co_varnames else model.attribute()
    fs = model.feature_score
    return {"shape": list(fs.shape), "rank": torch.argsort(fs, descending=True).tolist()}


@case
def set_mode_ns_sum_of_both(K):
    # set_mode(0, 0, 0, 'ns'): the edge is spline + formula; the output moves by the formula's part
    f = lambda x: x[:, [0]] ** 2 + x[:, [1]]  # noqa: E731
    ds = small_dataset(K, f, n=100)
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=10, update_grid=False)
    x = ds["test_input"]
    with torch.no_grad():
        before = model(x)
    quiet(model.fix_symbolic, 0, 0, 0, "x^2")
    model.set_mode(0, 0, 0, "ns")
    with torch.no_grad():
        both = model(x)
        a, b, c, d = model.symbolic_fun[0].affine[0, 0]
        part = c * (a * x[:, [0]] + b) ** 2 + d
    return {"masks": [float(model.act_fun[0].mask[0, 0]), float(model.symbolic_fun[0].mask[0, 0])],
            "gap": rmse(both, before + part)}


@case
def fit_loss_fn_pde_residual_closure(K):
    # a PINN through fit(): labels are dummies, loss_fn ignores them and builds the residual of
    # u'' = -pi^2 sin(pi x) on collocation points with autograd.grad (u(+-1) = 0 as a penalty)
    g = torch.Generator().manual_seed(0)
    xc = (torch.rand(100, 1, generator=g) * 2 - 1).requires_grad_(True)
    xb = torch.tensor([[-1.0], [1.0]])
    model = K.KAN(width=[1, 4, 1], grid=5, k=3, seed=0, auto_save=False)

    def loss_fn(pred, label):
        u = model(xc)
        du = torch.autograd.grad(u.sum(), xc, create_graph=True)[0]
        d2u = torch.autograd.grad(du.sum(), xc, create_graph=True)[0]
        res = d2u + torch.pi ** 2 * torch.sin(torch.pi * xc)
        return torch.mean(res ** 2) + torch.mean(model(xb) ** 2) + 0 * pred.sum()
    dummy = torch.zeros(20, 1)
    ds = {"train_input": dummy, "train_label": dummy, "test_input": dummy, "test_label": dummy}
    r = quiet(model.fit, ds, opt="LBFGS", steps=10, loss_fn=loss_fn, update_grid=False)
    with torch.no_grad():
        err = rmse(model(xc.detach()), torch.sin(torch.pi * xc.detach()))
    return {"train_loss": float(r["train_loss"][-1]), "sol_rmse": err}


@case
def fit_inputs_requiring_grad_ode(K):
    # u' = -u, u(0) = 1: dataset['train_input'] requires grad, loss_fn differentiates pred
    # with respect to that very tensor (fit indexes it; the graph must reach the leaf)
    g = torch.Generator().manual_seed(0)
    t = (torch.rand(120, 1, generator=g) * 2).requires_grad_(True)
    model = K.KAN(width=[1, 3, 1], grid=5, k=3, seed=0, auto_save=False, grid_range=[0, 2])

    def loss_fn(pred, label):
        du = torch.autograd.grad(pred.sum(), t, create_graph=True)[0]
        return torch.mean((du + model(t)) ** 2) + (model(torch.zeros(1, 1)) - 1).pow(2).sum() + 0 * label.sum()
    ds = {"train_input": t, "train_label": torch.zeros(120, 1), "test_input": t, "test_label": torch.zeros(120, 1)}
    try:
        r = quiet(model.fit, ds, opt="Adam", lr=0.02, steps=30, loss_fn=loss_fn, update_grid=False)
    except Exception as e:
        return {"raised": f"{type(e).__name__}: {str(e)[:60]}"}
    with torch.no_grad():
        err = rmse(model(t.detach()), torch.exp(-t.detach()))
    return {"train_loss": float(r["train_loss"][-1]), "sol_rmse": err}

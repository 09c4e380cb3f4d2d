"""``KAN(noise_scale_base=...)`` builds the model pykan 0.0.x built from the same call, and
375baaf's Example_6B_PDE leaves its grid-5 plateau from it (the model 0.2.8's draw gave
stalled at pde 12, as pykan 0.2.8 does; docs/pykan_notebook_runs.md, pde6b)."""
import warnings

import pytest
import torch
from torch import autograd

import kanlab.pykan as pykan


def _mesh(n=51):
    xs = torch.linspace(-1, 1, n)
    X, Y = torch.meshgrid(xs, xs, indexing="ij")
    return torch.stack([X.reshape(-1), Y.reshape(-1)], 1)


def _model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return pykan.KAN(width=[2, 2, 1], grid=5, k=3, grid_eps=1.0, noise_scale_base=0.25)


def test_example_6b_s_model_is_pykan_0_0_x_s():
    """375baaf's kan/ (pykan 0.0.5), run by hand: on the 51 x 51 mesh of [-1, 1]² its model
    gives outputs of mean 0.100177 and standard deviation 0.182333; 0.2.8's draw with
    U(-1, 1) spreads, kanlab before, gave 0.0584 and 0.1686."""
    with torch.no_grad():
        out = _model()(_mesh())
    assert float(out.mean()) == pytest.approx(0.1001769, abs=1e-5)
    assert float(out.std()) == pytest.approx(0.1823334, abs=1e-5)


def test_example_6b_s_first_step_leaves_the_plateau():
    """The notebook's loss (α = 0.01), its grid update and one L-BFGS step: pde 2.94 (375baaf's
    pykan 5.4 printed at step 0); from 0.2.8's draw 18-22 on seeds 0-3, and 12 after 12 steps."""
    model, x = _model(), _mesh()
    edge = x[(x.abs() == 1).any(1)]
    sol = lambda z: torch.sin(torch.pi * z[:, [0]]) * torch.sin(torch.pi * z[:, [1]])  # noqa: E731

    def jac(f, z):
        return autograd.functional.jacobian(lambda z: f(z).sum(0), z,
                                            create_graph=True).permute(1, 0, 2)
    opt = pykan.LBFGS(model.parameters(), lr=1, history_size=10, line_search_fn="strong_wolfe",
                      tolerance_grad=1e-32, tolerance_change=1e-32, tolerance_ys=1e-32)
    seen = {}

    def closure():
        opt.zero_grad()
        hess = jac(lambda z: jac(model, z)[:, 0, :], x)
        lap = torch.diagonal(hess, dim1=1, dim2=2).sum(1, keepdim=True)
        seen["pde"] = torch.mean((lap + 2 * torch.pi ** 2 * sol(x)) ** 2)
        loss = 0.01 * seen["pde"] + torch.mean((model(edge) - sol(edge)) ** 2)
        loss.backward()
        return loss
    model.update_grid_from_samples(x)
    opt.step(closure)
    assert float(seen["pde"]) < 5.0

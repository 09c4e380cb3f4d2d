"""The flat-vector optimisers against known minima."""
import torch

from kanlab.train import LBFGS, Adam


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _closure(x, f):
    def closure():
        x.grad = None
        loss = f(x)
        loss.backward()
        return loss
    return closure


def test_lbfgs_solves_rosenbrock():
    """L-BFGS with the strong-Wolfe search reaches (1, 1) from (-1.5, 2)."""
    x = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = LBFGS([x], max_iter=200)
    opt.step(_closure(x, rosenbrock))
    assert torch.allclose(x.detach(), torch.ones(2, dtype=torch.float64), atol=1e-8)


def test_lbfgs_exact_on_quadratic_to_tiny_loss():
    """On an ill-conditioned quadratic L-BFGS drives the loss below 1e-20 (no ys cut-off)."""
    scales = torch.logspace(0, 4, 20, dtype=torch.float64)
    x = torch.ones(20, dtype=torch.float64, requires_grad=True)
    opt = LBFGS([x], max_iter=500)
    loss = None
    for _ in range(3):
        opt.step(_closure(x, lambda v: (scales * v ** 2).sum()))
        loss = float((scales * x.detach() ** 2).sum())
    assert loss < 1e-20


def test_lbfgs_returns_initial_loss_and_updates_params_in_place():
    """step() returns the loss before the step and writes the parameters in place."""
    x = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    opt = LBFGS([x], max_iter=5)
    before = opt.step(_closure(x, lambda v: (v ** 2).sum()))
    assert before == 9.0
    assert abs(float(x.detach())) < 1e-6


def test_adam_descends():
    """Adam moves a quadratic's parameter toward its minimum."""
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = Adam([x], lr=0.1)
    for _ in range(100):
        opt.step(_closure(x, lambda v: ((v - 0.25) ** 2).sum()))
    assert abs(float(x.detach()) - 0.25) < 0.05


def test_lbfgs_restart_drops_curvature_but_keeps_the_full_first_step():
    """restart() (fit's rebuild after a grid update) forgets the curvature pairs but its first
    line search tries the full step lr, where a fresh optimiser tries min(1, 1/|g|_1)·lr."""
    scales = torch.tensor([1.0, 3.0], dtype=torch.float64)
    f = lambda v: (scales * (v - 5.0) ** 2).sum()  # gradient (-10, -30) at the origin
    x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = LBFGS([x], max_iter=3)
    opt.step(_closure(x, f))
    assert opt.s and opt.n_iter > 0
    y = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    tried = []

    def recording(v):
        tried.append(v.detach().clone())
        return f(v)
    again = opt.restart([y])
    assert again.params[0] is y and not again.s and again.n_iter == opt.n_iter
    assert (again.lr, again.max_iter, again.history_size) == (opt.lr, opt.max_iter,
                                                                opt.history_size)
    again.max_iter = 1
    again.step(_closure(y, recording))
    g = torch.tensor([-10.0, -30.0], dtype=torch.float64)  # the gradient at the origin
    assert torch.allclose(tried[1], -g)  # the first trial point: a full step along -g
    fresh = LBFGS([torch.zeros(2, dtype=torch.float64, requires_grad=True)], max_iter=1)
    tried.clear()
    fresh.step(_closure(fresh.params[0], recording))
    assert torch.allclose(tried[1], -g / 40.0)  # min(1, 1/|g|_1) = 1/40

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

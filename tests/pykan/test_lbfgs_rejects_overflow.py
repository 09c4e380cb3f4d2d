"""kanlab.pykan.LBFGS: a line-search trial that overflows is rejected, not raised."""
import pytest
import torch

from kanlab import NonFiniteError
from kanlab.pykan import LBFGS


def _problem(kind):
    p = torch.nn.Parameter(torch.tensor([0.0], dtype=torch.float64))

    def loss_fn():
        if kind == "raise" and float(p.detach()) > 5:
            raise NonFiniteError("hidden layer overflowed")
        value = (p - 4.0) ** 2
        if kind == "nan":
            value = value + 1e-3 * torch.log(5.0 - p)  # NaN beyond 5
        return value.sum()
    return p, loss_fn


@pytest.mark.parametrize("kind", ["raise", "nan"])
def test_overflowing_trial_points_are_rejected(kind):
    p, loss_fn = _problem(kind)
    # lr=100 makes the first trial point 100·(-grad) = 800, far beyond 5
    opt = LBFGS([p], lr=100, history_size=10, line_search_fn="strong_wolfe",
                tolerance_grad=1e-32, tolerance_change=1e-32, tolerance_ys=1e-32)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    assert opt.rejected > 0
    assert torch.isfinite(p).all()
    assert abs(float(p) - 4.0) < 0.05  # the minimiser, or near it under the log barrier


def test_torch_lbfgs_fails_there():
    """The same run on torch's LBFGS raises or ends on a non-finite point: the case is real."""
    p, loss_fn = _problem("raise")
    opt = torch.optim.LBFGS([p], lr=100, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    with pytest.raises(NonFiniteError):
        for _ in range(3):
            opt.step(closure)


def test_start_point_that_overflows_still_raises():
    p = torch.nn.Parameter(torch.tensor([6.0]))
    opt = LBFGS([p], line_search_fn="strong_wolfe")

    def closure():
        raise NonFiniteError("overflow at the start")
    with pytest.raises(NonFiniteError):
        opt.step(closure)

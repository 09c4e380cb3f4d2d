"""FitConfig.float64_when_stalled: float32 L-BFGS that stalls goes on in float64; the
callback, the history and the returned model see float32 (kanlab.train._precision)."""
import pytest
import torch

import kanlab
from kanlab.train import FitConfig, fit
from kanlab.train._precision import Precision, stalled


def _conserved_quantity_problem(n=300, seed=0):
    """A loss on the model's normalised input gradient (orthogonal to a rotation); its float32
    L-BFGS stalls in a flat valley (the inputs follow the labels' dtype)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g) * 2 - 1
    flow = torch.cat([x[:, [1]], -x[:, [0]]], dim=1)
    data = {"train_input": x, "train_label": flow, "test_input": x, "test_label": flow}
    return data


def _loss_through_gradient(model, x):
    def loss_fn(pred, flow):
        xi = x.to(flow.dtype).requires_grad_(True)
        with torch.enable_grad():  # fit reports its errors under no_grad
            (grad,) = torch.autograd.grad(model(xi).sum(), xi, create_graph=True)
        grad = grad / torch.linalg.norm(grad, dim=1, keepdim=True)
        return torch.mean(torch.sum(flow * grad, dim=1) ** 2)
    return loss_fn


@pytest.mark.parametrize("widen", [False, True])
def test_a_stalled_float32_fit_goes_on_in_float64_and_stays_float32(widen):
    """Without the option the loss is flat from the stall on (7.77e-6 from step 3 to 20);
    with it, it goes on down (6.1e-6 at step 20), and every callback sees float32."""
    data = _conserved_quantity_problem()
    model = kanlab.KAN([2, 1], grid=5, seed=4)
    dtypes = []
    cfg = FitConfig(steps=20, progress=False, stop_when_converged=False,
                    loss_fn=_loss_through_gradient(model, data["train_input"]),
                    float64_when_stalled=widen,
                    callback=lambda step, m, h: dtypes.append(m.dtype) and False)
    history = fit(model, data, cfg)
    rmse = history.train_rmse
    stall = next(i for i in range(1, len(rmse)) if rmse[i] >= rmse[i - 1] * (1 - 1e-4))
    if widen:
        assert rmse[-1] < 0.9 * rmse[stall], rmse
    else:
        assert max(rmse[stall:]) / min(rmse[stall:]) < 1.01, rmse
    assert dtypes == [torch.float32] * 20
    assert model.dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_a_converged_fit_tries_float64_once_and_returns_float32():
    """A fit at its spline's floor (float64 finds no decrease either) ends where it would
    have, in float32."""
    torch.manual_seed(0)
    x = torch.rand(200, 1) * 2 - 1
    data = {"train_input": x, "train_label": torch.sin(3 * x), "test_input": x,
            "test_label": torch.sin(3 * x)}
    ends = []
    for widen in (False, True):
        model = kanlab.KAN([1, 1], grid=5, seed=0)
        history = fit(model, data, FitConfig(steps=8, progress=False, update_grid=False,
                                             stop_when_converged=False,
                                             float64_when_stalled=widen))
        assert model.dtype == torch.float32
        ends.append(history.train_rmse[-1])
    assert ends[1] <= ends[0] * 1.001, ends


def _moved_in_float64(model):
    """Move the (widened) model's parameters, as float64 steps would; its state in float32."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.125)
    return {k: v.to(torch.float32) if v.is_floating_point() else v.clone()
            for k, v in model.state_dict().items()}


@pytest.mark.parametrize("after, kept", [(2.0, "stall"), (0.5, "float64"), (float("nan"), "stall")])
def test_settling_keeps_the_float32_stall_unless_float64_beat_it_in_float32(after, kept):
    """Back in float32 for good, the model is at the stall's float32 state when the float64
    steps left the objective higher (or not finite) in float32 than at the stall, and where
    float64 took it otherwise (marginsB: Example_9's exact symbolic fit)."""
    model = kanlab.KAN([1, 1], grid=3, seed=0)
    values = iter([1.0, after])  # the objective at the stall, then after the float64 steps
    precision = Precision(model, True, objective=lambda: next(values))
    at_stall = {k: v.clone() for k, v in model.state_dict().items()}
    assert precision.after_step(1.0, 1.0)  # no progress: widens
    assert model.dtype == torch.float64
    moved = _moved_in_float64(model)
    precision.settle()
    assert model.dtype == torch.float32 and not precision.wide
    expected = at_stall if kept == "stall" else moved
    for k, v in model.state_dict().items():
        assert torch.equal(v, expected[k]), k


def test_a_grid_update_forgets_the_stall():
    model = kanlab.KAN([1, 1], grid=3, seed=0)
    precision = Precision(model, True, objective=lambda: 1.0)
    precision.after_step(1.0, 1.0)
    moved = _moved_in_float64(model)
    precision.forget()
    precision.settle()  # nothing to compare with: stays where float64 took it
    for k, v in model.state_dict().items():
        assert torch.equal(v, moved[k]), k


def test_stalled_means_no_relative_decrease():
    assert stalled(1.0, 1.0) and stalled(1.0, 1.0 - 1e-7) and stalled(1.0, float("nan"))
    assert not stalled(1.0, 0.99) and not stalled(1e-9, 0.9e-9)


def test_the_option_must_be_a_bool():
    with pytest.raises(TypeError, match="float64_when_stalled"):
        FitConfig(float64_when_stalled=1)

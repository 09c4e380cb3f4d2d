"""L-BFGS's ``min_progress`` (a step ends once its iterations make no headway) and
``FitConfig.float64_min_progress`` (on for the float64 steps of a fit after the first)."""
import pytest
import torch

import kanlab
import kanlab.train._fit as fit_module
from kanlab.train import FitConfig, fit
from kanlab.train._optim import LBFGS


def _offset_quartic(min_progress, x0):
    """One step on ``1 + sum(x**4)`` from ``x0``: near its minimum the loss barely moves
    relative to its offset; returns (closure calls, loss above the offset)."""
    x = x0.clone().requires_grad_(True)
    opt = LBFGS([x], min_progress=min_progress)
    calls = []

    def closure():
        calls.append(1)
        x.grad = None
        loss = 1 + (x ** 4).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return len(calls), float((x.detach() ** 4).sum())


def test_a_step_without_headway_ends_after_its_window():
    """All 20 iterations (23 evaluations) without the rule; with it the step ends after the
    first three iterations, which lowered the loss by ~1e-7 of it."""
    x0 = torch.full((5,), 0.02, dtype=torch.float64)
    calls_off, rest_off = _offset_quartic(None, x0)
    calls_on, rest_on = _offset_quartic(1e-5, x0)
    assert calls_off >= 20, calls_off
    assert calls_on <= 7, calls_on
    assert rest_on < float((x0 ** 4).sum()) / 10  # the iterations it made still went down
    assert calls_on == _offset_quartic(1e-5, x0)[0]  # deterministic


def test_a_step_with_headway_is_not_cut():
    """Rosenbrock from its standard start: every step makes headway until the minimum, so
    the rule changes nothing (the same evaluations, the same end)."""
    ends = []
    for min_progress in (None, 3e-5):
        x = torch.tensor([-1.2, 1.0, -1.2, 1.0], dtype=torch.float64, requires_grad=True)
        opt = LBFGS([x], min_progress=min_progress)

        def closure():
            x.grad = None
            loss = (100 * (x[1::2] - x[::2] ** 2) ** 2 + (1 - x[::2]) ** 2).sum()
            loss.backward()
            return loss

        for _ in range(10):
            opt.step(closure)
        ends.append((opt.n_evals, x.detach().clone()))
    assert ends[0][0] == ends[1][0]
    assert torch.equal(ends[0][1], ends[1][1])
    assert torch.allclose(ends[1][1], torch.ones(4, dtype=torch.float64), atol=1e-6)


class _Counting(LBFGS):
    """Counts closure evaluations and records each step's dtype and rule."""
    evals = 0
    steps: list = []

    def _evaluate(self, closure, x):
        _Counting.evals += 1
        return super()._evaluate(closure, x)

    def step(self, closure):
        _Counting.steps.append((self.params[0].dtype, self.min_progress))
        return super().step(closure)


def _example_1_fit(monkeypatch, min_progress):
    """[2, 1, 1], G = 5, on Example_1's exp(sin(pi x) + y^2): 60 steps without grid updates,
    float64 from the float32 stall (at step ~20).  Returns (history, evaluations, steps)."""
    monkeypatch.setattr(fit_module, "LBFGS", _Counting)
    _Counting.evals, _Counting.steps = 0, []
    g = torch.Generator().manual_seed(0)
    x = torch.rand(600, 2, generator=g) * 2 - 1
    y = torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)
    data = {"train_input": x[:300], "train_label": y[:300], "test_input": x[300:],
            "test_label": y[300:]}
    model = kanlab.KAN([2, 1, 1], grid=5, seed=0)
    history = fit(model, data, FitConfig(steps=60, progress=False, stop_when_converged=False,
                                         update_grid=False, float64_when_stalled=True,
                                         float64_min_progress=min_progress))
    assert model.dtype == torch.float32
    return history, _Counting.evals, list(_Counting.steps)


def test_float64_steps_end_without_headway_at_no_loss_of_accuracy(monkeypatch):
    """1451 evaluations without the rule, 989 with it; training RMSE 6.70e-3 and 6.82e-3."""
    off, evals_off, _ = _example_1_fit(monkeypatch, None)
    on, evals_on, steps = _example_1_fit(monkeypatch, 3e-5)
    assert evals_on < 0.8 * evals_off, (evals_on, evals_off)
    assert on.train_rmse[-1] < 1.05 * off.train_rmse[-1], (on.train_rmse[-1], off.train_rmse[-1])
    assert on.test_rmse[-1] < 1.05 * off.test_rmse[-1], (on.test_rmse[-1], off.test_rmse[-1])
    # the rule is off in float32 and on the first float64 step (the test whether float64
    # lowers the loss at all), on for the float64 steps after it
    wide = [i for i, (dtype, _) in enumerate(steps) if dtype == torch.float64]
    assert wide and len(wide) < len(steps), steps
    assert all(rule is None for dtype, rule in steps if dtype == torch.float32)
    assert steps[wide[0]][1] is None
    assert all(steps[i][1] == 3e-5 for i in wide[1:])
    again, evals_again, _ = _example_1_fit(monkeypatch, 3e-5)  # deterministic
    assert evals_again == evals_on and again.train_rmse == on.train_rmse


def test_the_option_is_a_positive_number_or_none():
    assert FitConfig().float64_min_progress is None
    with pytest.raises(ValueError, match="float64_min_progress"):
        FitConfig(float64_min_progress=0.0)
    with pytest.raises(TypeError, match="float64_min_progress"):
        FitConfig(float64_min_progress="1e-5")

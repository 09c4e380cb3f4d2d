"""kanlab.pykan's fit goes on in float64 where float32 L-BFGS stalls (a flat valley whose
float32 gradient is a few per cent off), and hands the model back in float32
(``FitConfig.float64_when_stalled``, :mod:`kanlab.train._precision`)."""
from __future__ import annotations

import pytest
import torch

from kanlab import pykan
from kanlab.pykan.utils import batch_jacobian


def _normalised_gradient(model, x):
    grad = batch_jacobian(model, x, create_graph=True)
    return grad / torch.linalg.norm(grad, dim=1, keepdim=True)


def test_a_float32_fit_that_stalls_goes_lower_and_stays_float32():
    """[2, 1] whose input gradient must be orthogonal to a rotation (a conserved quantity):
    in float32 the loss stops moving from step 1 (train loss 2.71e-4 at every later step
    before this change); in float64 from the stall it goes on down (1.3e-5 after 10 steps)."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(300, 2, generator=g) * 2 - 1
    flow = torch.cat([x[:, [1]], -x[:, [0]]], dim=1)
    data = {"train_input": x[:240], "train_label": flow[:240], "test_input": x[240:],
            "test_label": flow[240:]}
    model = pykan.KAN(width=[2, 1], seed=0, auto_save=False)

    def loss_fn(pred, f):
        return torch.mean(torch.sum(f * pred, dim=1) ** 2)

    results = model.fit(data, steps=10, log=0, pred_fn=_normalised_gradient, loss_fn=loss_fn)
    losses = results["train_loss"]
    assert losses[-1] < losses[2] / 5, losses  # the float32 stall is at steps 1-9
    assert model.dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in model.parameters())
    # the reported loss is the float32 model's own
    again = float(torch.sqrt(loss_fn(_normalised_gradient(model, data["train_input"]),
                                     data["train_label"])).detach())
    assert abs(again / losses[-1] - 1) < 1e-3, (again, losses[-1])


def test_the_float64_steps_end_without_headway(monkeypatch):
    """kanlab.pykan's fit ends a float64 step's iterations once they make no headway
    (FitConfig.float64_min_progress; pykan's own steps end at its first failed line search):
    Example_1's [2, 1, 1] at G = 5, 150 steps without grid updates: 3460 -> 1813
    evaluations, train / test RMSE 5.420e-3 / 8.212e-3 -> 5.422e-3 / 8.203e-3 (fails before:
    no FLOAT64_MIN_PROGRESS)."""
    from kanlab.pykan import _fit_settings as pykan_fit
    import kanlab.train._fit as fit_module
    from kanlab.train._optim import LBFGS

    evals = []
    # pykan's 10 curvature pairs: with 50 this fit's float32 steps do not stall (deep)
    monkeypatch.setattr(pykan_fit, "LBFGS_HISTORY", 10)

    class Counting(LBFGS):
        def _evaluate(self, closure, x):
            evals.append(1)
            return super()._evaluate(closure, x)

    monkeypatch.setattr(fit_module, "LBFGS", Counting)
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    data = pykan.create_dataset(f, n_var=2, train_num=300, test_num=300, seed=0)
    ends = {}
    for rule in (None, pykan_fit.FLOAT64_MIN_PROGRESS):
        monkeypatch.setattr(pykan_fit, "FLOAT64_MIN_PROGRESS", rule)
        evals.clear()
        model = pykan.KAN(width=[2, 1, 1], grid=5, k=3, seed=1, auto_save=False)
        results = model.fit(data, steps=150, log=0, update_grid=False)
        ends[rule] = (len(evals), results["train_loss"][-1], results["test_loss"][-1])
        assert model.dtype == torch.float32
    (off_evals, off_train, off_test), (on_evals, on_train, on_test) = ends.values()
    assert on_evals < 0.7 * off_evals, ends
    assert on_train < 1.05 * off_train and on_test < 1.05 * off_test, ends


@pytest.mark.filterwarnings("ignore:.*outside the first layer's grid")
def test_float64_steps_do_not_hand_back_a_model_worse_than_the_float32_stall():
    """Example_9's exact symbolic fit (sin(2 log x + 2 log y) through log, log, sin edges,
    written with a scale and offsets that cancel): float32 L-BFGS stalls at the rounding floor,
    where its point partly cancels float32's own rounding; the float64 steps' optimum, handed
    back in float32, was worse (train RMSE 3.322e-7 at the stall, 3.354e-7 from step 5 on,
    before this change).  The model now ends no higher than its float32 stall."""
    f = lambda x: torch.sin(2 * (torch.log(x[:, [0]]) + torch.log(x[:, [1]])))  # noqa: E731
    dataset = pykan.create_dataset(f, n_var=2, ranges=[0.2, 5], seed=0)
    model = pykan.KAN(width=[2, 1, 1], grid=5, k=3, seed=2, auto_save=False)
    for l, i, j, fun in [(0, 0, 0, "log"), (0, 1, 0, "log"), (1, 0, 0, "sin")]:
        model.fix_symbolic(l, i, j, fun, fit_params_bool=False, verbose=False)
    c, d0, d1 = 0.26862, 0.46569, 0.65154  # fix_symbolic's fits in Example_9 cell 4
    with torch.no_grad():
        model.symbolic_fun[0].affine[0, 0] = torch.tensor([1.0, 0.0, c, d0])
        model.symbolic_fun[0].affine[0, 1] = torch.tensor([1.0, 0.0, c, d1])
        model.symbolic_fun[1].affine[0, 0] = torch.tensor([2 / c, -2 * (d0 + d1) / c, 1.0, 0.0])
    losses = model.fit(dataset, opt="LBFGS", steps=10, update_grid=False, log=0)["train_loss"]
    assert losses[-1] <= min(losses) * (1 + 1e-6), losses
    assert model.dtype == torch.float32
    with torch.no_grad():
        pred = model(dataset["train_input"])
    final = float(torch.sqrt(torch.mean((pred - dataset["train_label"]) ** 2)))
    assert abs(final / losses[-1] - 1) < 1e-4, (final, losses[-1])

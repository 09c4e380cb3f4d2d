"""The continuation choice keeps its winning trial's steps (kanlab.train._fit_trials): the fit
replays them instead of training the interval again, with the same records and parameters."""
import math

import pytest
import torch

import kanlab.train._fit as fit_module
from kanlab import KAN
from kanlab.train import FitConfig, fit

TO = "extended_quadratic"


def _dataset(seed=0, n=200):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(2 * n, 2, generator=g, dtype=torch.float64) * 2 - 1
    y = torch.exp(torch.sin(torch.pi * x[:, :1]) + x[:, 1:] ** 2)
    return {"train_input": x[:n], "train_label": y[:n], "test_input": x[n:], "test_label": y[n:]}


def _run(monkeypatch, keep: bool, seed: int, **options):
    """A fit with the choice on, the kept or the retrained path; what it recorded."""
    monkeypatch.setattr(fit_module, "KEEP_TRIALS", keep)
    calls = {"trial": 0}
    real = fit_module._trial

    def counting(*args, **kwargs):
        calls["trial"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(fit_module, "_trial", counting)
    real_restore = fit_module.restore

    def restoring(*args):
        calls["replayed"] = calls.get("replayed", 0) + 1
        return real_restore(*args)

    monkeypatch.setattr(fit_module, "restore", restoring)
    seen = []

    def callback(step, model, history):  # what a caller sees at each step
        seen.append((step, [p.detach().clone() for p in model.parameters()],
                     list(history.train_rmse), list(history.reg)))
        return False

    model = KAN([2, 3, 1], grid=3, k=3, seed=seed, extrapolate="quadratic", dtype=torch.float64)
    cfg = FitConfig(steps=8, grid_update_num=4, stop_grid_update_step=8, progress=False,
                    stop_when_converged=False, choose_continuation=TO, callback=callback,
                    **options)
    history = fit(model, _dataset(seed), cfg)
    return model, history, seen, calls


@pytest.mark.parametrize("memory", [None, 1e9])
@pytest.mark.parametrize("both_ways", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_kept_trial_gives_the_retrained_history_and_parameters(monkeypatch, seed, both_ways,
                                                               memory):
    """Bit for bit: every history row, every callback's view and the final parameters; with
    ``keep_memory_below`` the optimiser after the kept interval is the trial's own, its
    curvature pairs as the retrained path's."""
    options = dict(choose_first_grid_update=both_ways, lamb=1e-3 if seed else 0.0,
                   keep_memory_below=memory)
    kept = _run(monkeypatch, True, seed, **options)
    old = _run(monkeypatch, False, seed, **options)
    (m1, h1, s1, _), (m2, h2, s2, _) = kept, old
    assert h1.to_dict() | {"wall_time": 0} == h2.to_dict() | {"wall_time": 0}
    assert [s[0] for s in s1] == list(range(8))  # every step seen once, in order
    assert len(s1) == len(s2)
    for (a_step, a_params, a_rmse, a_reg), (b_step, b_params, b_rmse, b_reg) in zip(s1, s2):
        assert a_step == b_step and a_rmse == b_rmse and a_reg == b_reg
        assert all(torch.equal(a, b) for a, b in zip(a_params, b_params))
    for (name, a), b in zip(m1.state_dict().items(), m2.state_dict().values()):
        assert torch.equal(a, b), name
    assert [layer.extrapolate for layer in m1.layers] == [layer.extrapolate for layer in m2.layers]


def test_every_step_is_recorded_once_and_the_interval_trained_twice(monkeypatch):
    """The kept path's history has a row per step; the trials ran; nothing was lost."""
    model, history, seen, calls = _run(monkeypatch, True, 1)
    assert calls["trial"] == 2
    assert calls["replayed"] == 2  # the choice at step 2: steps 2 and 3 from the record
    assert history.step == list(range(1, 9))
    assert len(history.train_rmse) == len(history.test_rmse) == len(history.reg) == 8
    assert all(math.isfinite(v) for v in history.train_rmse)
    assert len(seen) == 8


def test_a_minibatch_fit_retrains_the_interval(monkeypatch):
    """Batches come from the fit's own generator: a trial's steps cannot stand for them."""
    recorded = []
    real = fit_module._trial

    def spy(model, x, y, cfg, steps, record=False):
        score, run = real(model, x, y, cfg, steps, record)
        recorded.append(run)
        return score, run

    monkeypatch.setattr(fit_module, "_trial", spy)
    model = KAN([2, 3, 1], grid=3, k=3, seed=0, extrapolate="quadratic", dtype=torch.float64)
    fit(model, _dataset(0), FitConfig(steps=6, grid_update_num=3, stop_grid_update_step=6,
                                      batch=199, opt="Adam", lr=1e-2, progress=False,
                                      choose_continuation=TO))
    assert len(recorded) == 2 and all(run is None for run in recorded)

"""fit(): at a grid update that moves the knots, L-BFGS and a small-lr Adam start anew; an
Adam at lr >= ADAM_RESTART_BELOW_LR keeps its moments (a fresh Adam's first steps move every
parameter by about lr), as pykan keeps one optimiser per fit."""
import math

import pytest
import torch

import kanlab
from kanlab.train import _fit as fit_module


def _data():
    return kanlab.create_dataset(lambda x: x[:, [0]] * x[:, [1]] + torch.sin(math.pi * x[:, [0]]),
                                 2, train_num=200, test_num=50, seed=0, dtype=torch.float64)


def _optimisers_made(monkeypatch, **options):
    """The optimisers a fit with grid updates at steps 0, 5, 10, 15 builds, in order."""
    made = []
    build = fit_module._make_optimizer

    def spy(model, cfg):
        made.append(build(model, cfg))
        return made[-1]
    monkeypatch.setattr(fit_module, "_make_optimizer", spy)
    model = kanlab.KAN([2, 3, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    history = model.fit(_data(), steps=20, update_grid=True, grid_update_num=4,
                        stop_grid_update_step=20, progress=False, **options)
    assert history.grid_update_steps[:4] == [0, 5, 10, 15]
    return made


def test_large_lr_adam_keeps_one_optimiser_through_grid_updates(monkeypatch):
    """lr = 0.1: one Adam for the whole fit; its step count runs through every update."""
    made = _optimisers_made(monkeypatch, opt="Adam", lr=0.1)
    assert len(made) == 1 and made[0].t == 20


@pytest.mark.parametrize("options", [{"opt": "Adam", "lr": 0.01}, {"opt": "LBFGS"}])
def test_small_lr_adam_and_lbfgs_start_anew_at_updates(monkeypatch, options):
    """lr = 0.01 (and L-BFGS, whose curvature pairs refer to the old knots): a new optimiser
    after each update that moved the knots (three after the first step's)."""
    made = _optimisers_made(monkeypatch, **options)
    assert len(made) >= 4


def test_threshold_is_the_documented_rule():
    """The rule reads the optimiser's name and the learning rate only."""
    from kanlab.train import FitConfig
    below = fit_module.ADAM_RESTART_BELOW_LR
    assert fit_module._restarts_at_grid_update(FitConfig(opt="Adam", lr=below / 2))
    assert not fit_module._restarts_at_grid_update(FitConfig(opt="Adam", lr=below))
    assert fit_module._restarts_at_grid_update(FitConfig(opt="LBFGS", lr=1.0))

"""kanlab.pykan's fit(opt="Adam") at a large lr (pykan's default lr = 1): every grid update goes
through whole, as pykan's do.  Bounded by GRID_MAX_CHANGE, the updates after step 0 were skipped
(Adam's lr-sized steps move the outputs by more than the bound between two updates), the hidden
values stayed beyond layer 1's grid and the fit trailed pykan's (docs/pykan_notebook_runs.md,
adam1)."""
import contextlib
import io
import statistics

import torch

import kanlab.pykan as kp
from kanlab.pykan import _fit_settings as settings


def _xy(seed):
    return kp.create_dataset(lambda x: x[:, [0]] * x[:, [1]], n_var=2, seed=seed,
                             train_num=300, test_num=300)


def _test_rmse(seed, steps):
    model = kp.KAN(width=[2, 5, 1], grid=5, k=3, seed=seed, auto_save=False)
    with contextlib.redirect_stderr(io.StringIO()):
        results = model.fit(_xy(seed), opt="Adam", lr=1.0, steps=steps, log=10 ** 6)
    return float(results["test_loss"][-1])


def test_every_grid_update_moves_the_hidden_grid_at_lr_1():
    """Updates at steps 5, 10, ..., 45 each place layer 1's knots anew (on main most were
    skipped: the knots stayed where step 0 put them)."""
    for seed in (0, 1):
        model = kp.KAN(width=[2, 5, 1], grid=5, k=3, seed=seed, auto_save=False)
        knots = []

        def hidden_knots():
            knots.append(model.act_fun[1].grid.detach().clone())
            return 0.0
        with contextlib.redirect_stderr(io.StringIO()):
            model.fit(_xy(seed), opt="Adam", lr=1.0, steps=50, metrics=[hidden_knots],
                      log=10 ** 6)
        # knots[s] are the knots after step s; the update at step s (s % 5 == 0) comes before it
        moved = [s for s in range(5, 50, 5) if not torch.equal(knots[s], knots[s - 1])]
        assert moved == list(range(5, 50, 5)), (seed, moved)


def test_adam_at_lr_1_fits_xy():
    """x·y on [2, 5, 1], 100 steps at lr 1, seeds 0-4: test RMSE 0.042-0.090, median 0.072
    (pykan 0.2.8's order); with the updates bounded 0.076-0.33, median 0.22."""
    rmse = [_test_rmse(seed, 100) for seed in range(5)]
    assert statistics.median(rmse) < 0.15, rmse


def test_the_bound_stays_for_lbfgs_and_small_lr_adam():
    """The rule reads the optimiser's name and the learning rate only."""
    bound = settings.GRID_MAX_CHANGE
    assert bound is not None
    start = settings.ADAM_WHOLE_UPDATES_FROM_LR
    assert settings.grid_max_change("LBFGS", 1.0) == bound
    assert settings.grid_max_change("Adam", start / 2) == bound
    assert settings.grid_max_change("Adam", start) is None
    assert settings.grid_max_change("Adam", 1.0) is None

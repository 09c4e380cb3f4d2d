"""FitConfig.keep_best: a full-batch Adam fit hands back the lowest training objective it met."""
import math

import pytest
import torch

import kanlab
from kanlab.train import FitConfig
from kanlab.train._best_iterate import BestIterate


def _data():
    return kanlab.create_dataset(lambda x: torch.sin(math.pi * x[:, [0]]) * x[:, [1]], 2,
                                 train_num=200, test_num=200, seed=3, dtype=torch.float64)


def _model():
    return kanlab.KAN([2, 3, 1], grid=5, k=3, seed=0, dtype=torch.float64)


def _fit(steps, keep_best, lr=0.3, **kw):
    model = _model()
    history = model.fit(_data(), opt="Adam", lr=lr, steps=steps, update_grid=False,
                        keep_best=keep_best, progress=False, **kw)
    return model, history


def test_a_spiking_adam_fit_returns_its_best_state_exactly():
    """lr 0.3 makes Adam overshoot: the last step ends above the best state met.  With
    keep_best the fit returns that state: bit for bit the parameters of a fit stopped after
    best_after steps (full batch, no grid update: the same trajectory), and the last history
    row is its RMSE, the lowest the fit met."""
    free, free_history = _fit(12, keep_best=False)
    kept, history = _fit(12, keep_best=True)
    assert free_history.best_after is None
    # the fixture overshoots: the free fit ends well above its lowest row
    assert free_history.train_rmse[-1] > 1.1 * min(free_history.train_rmse)
    assert history.best_after is not None and 0 < history.best_after < 12
    assert history.train_rmse[:-1] == free_history.train_rmse[:-1]  # the same trajectory
    assert history.train_rmse[-1] == pytest.approx(min(free_history.train_rmse[:-1]), rel=1e-9)
    assert history.train_rmse[-1] == free_history.train_rmse[history.best_after - 1]
    stopped, _ = _fit(history.best_after, keep_best=False)
    for (name, a), (_, b) in zip(kept.state_dict().items(), stopped.state_dict().items()):
        if torch.is_tensor(a):
            assert torch.equal(a, b), name


def test_a_descending_fit_keeps_its_last_step():
    """Where the last step is the lowest (a small lr, still descending) nothing is restored."""
    free, free_history = _fit(30, keep_best=False, lr=1e-3)
    kept, history = _fit(30, keep_best=True, lr=1e-3)
    assert free_history.train_rmse == sorted(free_history.train_rmse, reverse=True)
    assert history.best_after is None
    assert history.train_rmse == free_history.train_rmse


@pytest.mark.parametrize("kw", [dict(batch=64), dict(opt="LBFGS", lr=1.0)])
def test_only_full_batch_adam_keeps_its_best(kw):
    """A minibatch's loss is not the training objective, and L-BFGS's line search only goes
    down: both end where their last step did."""
    model = _model()
    history = model.fit(_data(), **{"opt": "Adam", "lr": 0.3, **kw}, steps=20,
                        update_grid=False, progress=False)
    assert history.best_after is None


def test_a_grid_update_forgets_the_states_before_it():
    """States met before a grid update stand for another function: not handed back."""
    best = BestIterate(True)
    model = _model()
    state = model.state_dict()
    best.offer(0.5, state, 3)
    assert best.step == 3
    best.forget()
    assert best.restore(model, lambda: 1.0) is None
    best.offer(0.7, state, 8)
    assert best.restore(model, lambda: 0.6) is None  # the model's own is lower
    assert best.restore(model, lambda: 0.9) == 8


def test_inactive_keeps_nothing():
    best = BestIterate(False)
    best.offer(0.1, _model().state_dict(), 1)
    assert best.state is None and best.restore(_model(), lambda: 1.0) is None


def test_keep_best_must_be_a_bool():
    with pytest.raises(TypeError, match="keep_best must be a bool"):
        FitConfig(keep_best=1)

"""FitConfig.grid_update_tolerance: a grid update that raises the training objective by more
than the tolerance is undone (kanlab.train._grid_keep)."""
import copy
import math

import pytest
import torch

import kanlab
from kanlab.train._config import FitConfig
from kanlab.train._fit import fit
from kanlab.train._grid_keep import update_unless_worse


def _fine_model_on_skewed_data():
    """A [1, 1] spline trained to a fine fit with its grid fixed on [-1, 1], on samples bunched
    near 0: a grid update moves the knots to the samples' percentiles and its refit costs
    more than the fine fit's error."""
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(300, 1, generator=g, dtype=torch.float64) * 2 - 1) ** 3
    xt = (torch.rand(100, 1, generator=g, dtype=torch.float64) * 2 - 1) ** 3
    f = lambda x: torch.sin(3 * x) + x ** 2  # noqa: E731
    data = {"train_input": x, "train_label": f(x), "test_input": xt, "test_label": f(xt)}
    model = kanlab.KAN([1, 1], grid=10, k=3, seed=0, dtype=torch.float64)
    fit(model, data, FitConfig(steps=30, update_grid=False, progress=False))
    return model, data


def _mse(model, data):
    with torch.no_grad():
        return float(torch.mean((model(data["train_input"]) - data["train_label"]) ** 2))


def _same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_an_update_that_raises_the_loss_is_undone_and_one_within_the_tolerance_kept():
    """The same update is undone under a tolerance it exceeds (state restored bitwise) and
    kept under one it does not."""
    model, data = _fine_model_on_skewed_data()
    x = data["train_input"]
    plain = copy.deepcopy(model)
    plain.update_grid(x)
    rise = _mse(plain, data) / _mse(model, data) - 1
    assert rise > 0.1  # the premise: this update costs the fine fit
    for tolerance, kept in ((rise / 2, False), (rise * 2, True), (None, True)):
        m = copy.deepcopy(model)
        result = update_unless_worse(m, lambda: m.update_grid(x), lambda: _mse(m, data),
                                     tolerance)
        assert result is kept
        assert _same_state(m, plain if kept else model)


def test_an_objective_that_does_not_evaluate_before_keeps_the_update_and_after_undoes_it():
    model, data = _fine_model_on_skewed_data()
    x = data["train_input"]
    values = iter([math.inf])
    m = copy.deepcopy(model)
    assert update_unless_worse(m, lambda: m.update_grid(x), lambda: next(values), 0.0)
    values = iter([1.0, math.nan])
    m = copy.deepcopy(model)
    assert not update_unless_worse(m, lambda: m.update_grid(x), lambda: next(values), 10.0)
    assert _same_state(m, model)


def test_fit_lists_only_the_updates_it_kept_and_keeps_the_knots_of_the_undone_ones():
    model, data = _fine_model_on_skewed_data()
    knots = model.layers[0].knots.clone()
    cfg = dict(steps=4, grid_update_num=2, stop_grid_update_step=4, progress=False)  # 0, 2
    plain = copy.deepcopy(model)
    h_plain = fit(plain, data, FitConfig(**cfg))
    assert h_plain.grid_update_steps == [0, 2]
    guarded = copy.deepcopy(model)
    h = fit(guarded, data, FitConfig(**cfg, grid_update_tolerance=0.0))
    assert h.grid_update_steps == []
    assert torch.equal(guarded.layers[0].knots, knots)
    assert h.train_rmse[-1] < h_plain.train_rmse[-1]


def test_the_step_zero_choice_honours_the_tolerance_too():
    model, data = _fine_model_on_skewed_data()
    knots = model.layers[0].knots.clone()
    h = fit(model, data, FitConfig(steps=1, progress=False, choose_first_grid_update=True,
                                   grid_update_tolerance=0.0))
    assert h.grid_update_steps == []
    assert torch.equal(model.layers[0].knots, knots)


@pytest.mark.parametrize("bad", [-0.1, "0.05", float("nan")])
def test_a_bad_tolerance_is_refused(bad):
    with pytest.raises((ValueError, TypeError), match="grid_update_tolerance"):
        FitConfig(grid_update_tolerance=bad)


def test_the_tolerance_is_refused_with_distributed():
    with pytest.raises(ValueError, match="grid_update_tolerance"):
        FitConfig(grid_update_tolerance=0.05, distributed=True)


def test_kanlab_pykan_fits_with_the_tolerance():
    from kanlab.pykan import _fit as pykan_fit
    assert pykan_fit.GRID_UPDATE_TOLERANCE == 0.05
    seen = []
    original = pykan_fit.FitConfig

    def spy(**kw):
        cfg = original(**kw)
        seen.append(cfg.grid_update_tolerance)
        return cfg

    from kanlab.pykan import KAN, create_dataset
    data = create_dataset(lambda x: x[:, [0]] ** 2, n_var=1, train_num=50, test_num=10)
    model = KAN(width=[1, 1], grid=3, k=3, seed=0, auto_save=False)
    pykan_fit.FitConfig = spy
    try:
        model.fit(data, steps=2)
    finally:
        pykan_fit.FitConfig = original
    assert seen[0] == 0.05  # the fit's config (the displayed reg builds its own)

"""kanlab.pykan's fit on data far beyond a fresh model's grid (raw series values 100-600 on
pykan's default [-1, 1]) and ``initialize_from_another_model``'s continuation
(docs/pykan_notebook_runs.md, fitbeyond)."""
import numpy as np
import pytest
import torch

from kanlab import pykan
from kanlab.pykan._continuation import grids_placed
from kanlab.pykan._far_samples import FAR_CONTINUATION, continue_far_samples


def _series_windows(lag=4, n=100, n_train=70):
    """An airline-like series (trend and growing season, values 110-400) in ``lag``-windows:
    the test rows lie beyond the training rows' range, as a forecaster's do."""
    t = np.arange(n, dtype=np.float64)
    s = 110 + 2.3 * t + (20 + 0.35 * t) * np.sin(2 * np.pi * t / 12)
    x = torch.tensor(np.stack([s[i:i + lag] for i in range(n - lag)])).float()
    y = torch.tensor(s[lag:]).float()[:, None]
    return {"train_input": x[:n_train], "train_label": y[:n_train],
            "test_input": x[n_train:], "test_label": y[n_train:]}


def _fit_rmse(lib, ds):
    model = lib.KAN(width=[4, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=6, log=1000)
    return model, float(r["train_loss"][-1]), float(r["test_loss"][-1])


def test_a_fit_on_raw_series_values_is_not_carried_by_the_quadratics_invention():
    # before: the untrained quadratic continuation gave outputs ~1e12 on the raw values, the
    # first grid update carried them, and the fit ended at train/test RMSE 12.1 / 104
    # (pykan 0.2.8: 0.048 / 0.22)
    ds = _series_windows()
    model, train, test = _fit_rmse(pykan, ds)
    assert train < 1.0 and test < 1.0, (train, test)
    assert model.layers[0].extrapolate == FAR_CONTINUATION
    kan = pytest.importorskip("kan")  # pykan 0.2.8, the oracle
    _, _, pykan_test = _fit_rmse(kan, ds)
    assert test < 3 * pykan_test, (test, pykan_test)


def test_only_layers_whose_samples_lie_far_beyond_the_grid_are_switched():
    model = pykan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    grids_placed(model)  # what a fit with grid updates does first: pykan's -> the quadratic
    inside = torch.rand(50, 2) * 2 - 1
    assert continue_far_samples(model, inside, "quadratic") == []
    assert [layer.extrapolate for layer in model.layers] == ["quadratic", "quadratic"]
    # under four grid widths (8) beyond [-1, 1] layer 0 is not yet far (its quadratic may
    # send layer 1 far); 19 beyond it is
    assert 0 not in continue_far_samples(model, inside * 0.4 + 8.5, "quadratic")
    far = inside + 20.0
    switched = continue_far_samples(model, far, "quadratic")
    assert 0 in switched and model.layers[0].extrapolate == FAR_CONTINUATION
    # a continuation the user chose is kept
    own = pykan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False,
                    extrapolate="extended")
    assert continue_far_samples(own, far, "quadratic") == []
    assert [layer.extrapolate for layer in own.layers] == ["extended", "extended"]


def test_a_fit_with_its_own_continuation_or_without_grid_updates_is_left_alone():
    ds = _series_windows()
    model = pykan.KAN(width=[4, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    before = [layer.extrapolate for layer in model.layers]
    model.fit(ds, opt="LBFGS", steps=1, update_grid=False, log=1000)
    assert [layer.extrapolate for layer in model.layers] == before
    assert FAR_CONTINUATION not in before


def test_initialize_from_another_model_keeps_the_continuation_as_refine_does():
    # pykan's refine by hand (sktime's grid schedule): a fit of the new model chose
    # "extended_quadratic" for its hidden layer, whose shape beyond the grid sent a
    # forecaster's test RMSE from 2.0 to 123 (pykan 0.2.8: 3.6)
    ds = pykan.create_dataset(lambda x: torch.exp(-x[:, [0]] ** 2) * x[:, [1]], n_var=2,
                              train_num=400, seed=0)
    coarse = pykan.KAN(width=[2, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    coarse.fit(ds, opt="LBFGS", steps=15, log=1000)
    assert coarse.layers[1].extrapolate == "extended_quadratic"  # the choice switches it
    fine = pykan.KAN(width=[2, 4, 1], grid=10, k=3, seed=0, auto_save=False)
    fine = fine.initialize_from_another_model(coarse, ds["train_input"])
    assert fine.continuation_fixed
    fine.fit(ds, opt="LBFGS", steps=3, log=1000)
    assert [layer.extrapolate for layer in fine.layers] == ["quadratic", "quadratic"]

"""kanlab.pykan's ``KAN(extrapolate="bounded")``: C² at the grid's ends, levelling off beyond
them, for rows far beyond the training range.  Statsmodels' sunspots windows (a public
forecasting pattern, round11a_lab.sunspots_lag_window_regressor): the test years' peaks
exceed the training max and put the hidden values 1.6 / 3.8 grid widths beyond the grid,
where the default quadratic continuation gave test RMSE 1101 / 1062 on model seed 1
(pykan 0.2.8: 30.5 / 23.2)."""
import contextlib
import io

import numpy as np
import pytest
import torch

from kanlab import pykan


def _windows(lags: int, n_train: int):
    sm = pytest.importorskip("statsmodels.api")
    s = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].values  # shipped, no download
    x = np.stack([s[i:i + lags] for i in range(len(s) - lags)])
    y = s[lags:, None]
    scale = float(x[:n_train].max())

    def t(a):
        return torch.tensor(a / scale, dtype=torch.float32)

    return scale, {"train_input": t(x[:n_train]), "train_label": t(y[:n_train]),
                   "test_input": t(x[n_train:]), "test_label": t(y[n_train:])}


@pytest.mark.parametrize("lags, n_train, pykans", [(6, 230, 30.5), (4, 200, 23.2)])
def test_sunspots_test_years_stay_within_a_few_times_pykans_error(lags, n_train, pykans):
    scale, ds = _windows(lags, n_train)
    model = pykan.KAN(width=[lags, 3, 1], grid=5, k=3, seed=1, auto_save=False,
                      extrapolate="bounded")
    with contextlib.redirect_stdout(io.StringIO()):
        model.fit(ds, opt="LBFGS", steps=20, lamb=1e-3)
    assert [layer.extrapolate for layer in model.layers] == ["bounded"] * 2
    with torch.no_grad():
        pred = model(ds["test_input"])
    rmse = scale * float(((pred - ds["test_label"]) ** 2).mean().sqrt())
    assert rmse < 3 * pykans, rmse


def test_bounded_is_kept_by_refine_prune_copy_and_a_state_dict():
    model = pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False,
                      dtype=torch.float64, extrapolate="bounded")
    x = torch.rand(80, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1
    y = torch.sin(torch.pi * x[:, :1]) + x[:, 1:] ** 2
    with contextlib.redirect_stdout(io.StringIO()):
        model.fit({"train_input": x, "train_label": y, "test_input": x, "test_label": y},
                  steps=4, log=10)
    for other in (model.refine(5), model.prune(), model.copy()):
        assert all(layer.extrapolate == "bounded" for layer in other.layers)
    twin = pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=1, auto_save=False, dtype=torch.float64)
    twin.load_state_dict(model.state_dict())
    far = torch.tensor([[5.0, -7.0], [40.0, 3.0]], dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(twin(far), model(far), rtol=0, atol=0)

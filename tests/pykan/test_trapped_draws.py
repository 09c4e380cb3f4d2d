"""kanlab.pykan's fit retries a trapped first interval from fresh draws
(``FitConfig.retry_trapped``): pykan's own draws of a ``[2, 1, 1]`` trap on some seeds."""
from __future__ import annotations

import torch

from kanlab import pykan

from _fit_spy import fit_configs


def _composite(x):
    return torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)


def test_pykans_trapped_draw_of_a_thin_network_trains():
    """Example_1's [2, 1, 1] on exp(sin(pi x) + y^2), pykan's draw for seed 2: before the
    retry (and in pykan 0.2.8) 20 L-BFGS steps ended at RMSE 0.63 (labels' std 1.36)."""
    data = pykan.create_dataset(_composite, n_var=2)
    model = pykan.KAN(width=[2, 1, 1], grid=3, k=3, seed=2, auto_save=False)
    results = model.fit(data, opt="LBFGS", steps=20, log=0)
    assert len(results["train_loss"]) == 20
    assert results["train_loss"][-1] < 0.05
    assert results["test_loss"][-1] < 0.05


def test_fit_asks_for_the_retry(monkeypatch):
    """kanlab.pykan's fit passes its retry settings to kanlab's fit."""
    from kanlab.pykan import _fit_settings as _fit
    seen = fit_configs(monkeypatch)
    data = pykan.create_dataset(_composite, n_var=2, train_num=50, test_num=10)
    pykan.KAN(width=[2, 1], grid=3, k=3, seed=0, auto_save=False).fit(data, steps=1, log=0)
    assert [(c.retry_trapped, c.retry_trapped_above) for c in seen] == [
        (_fit.RETRY_TRAPPED, _fit.RETRY_TRAPPED_ABOVE)]
    assert _fit.RETRY_TRAPPED > 0

"""kanlab.pykan's fit takes its first step with and without the schedule's step-0 grid
update and drops the update only when that first step is clearly trapped
(``FitConfig.choose_first_grid_update``, ``first_grid_update_margin``)."""
from __future__ import annotations

import torch

from kanlab import pykan

from _fit_spy import fit_configs


def test_a_thin_network_on_even_targets_is_not_trapped_by_the_step0_grid():
    """[2, 1, 1] on sqrt(x² + y²) and x² + y² with pykan's draws: seeds whose step-0 grid
    (fitted to the untrained, one-signed hidden values) trapped the fit at 0.11-0.19 RMSE
    after 20 steps (pykan 0.2.8 traps too) now train; before this rule: radius seed 0 0.110,
    x² + y² seed 3 0.185."""
    cases = [(lambda v: torch.sqrt((v ** 2).sum(1, keepdim=True)), 0, 1e-2),
             (lambda v: (v ** 2).sum(1, keepdim=True), 3, 1e-2)]
    for f, seed, bound in cases:
        data = pykan.create_dataset(f, n_var=2)  # pykan's draw of the data (its seed 0)
        model = pykan.KAN(width=[2, 1, 1], grid=5, k=3, seed=seed, auto_save=False)
        results = model.fit(data, opt="LBFGS", steps=20, log=0)
        assert results["train_loss"][-1] < bound, (seed, results["train_loss"][-1])
        assert results["test_loss"][-1] < bound


def test_fit_asks_for_the_first_step_both_ways_with_a_margin(monkeypatch):
    from kanlab.pykan import _fit_settings as _fit
    seen = fit_configs(monkeypatch)
    model = pykan.KAN(width=[1, 1], grid=3, seed=0, auto_save=False)
    x = torch.linspace(-1, 1, 32)[:, None]
    model.fit({"train_input": x, "train_label": x ** 2, "test_input": x,
               "test_label": x ** 2}, steps=2, log=0)
    assert [(c.choose_first_grid_update, c.first_grid_update_margin) for c in seen] == [
        (True, _fit.FIRST_GRID_UPDATE_MARGIN)]
    assert _fit.FIRST_GRID_UPDATE_MARGIN > 1

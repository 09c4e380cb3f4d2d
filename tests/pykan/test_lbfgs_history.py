"""kanlab.pykan's fit keeps 50 L-BFGS curvature pairs unless its penalty is strong (pykan's fit
keeps 10, as kanlab.pykan's does at ``lamb >= 0.01``), fewer for models whose pairs would not
fit in ``LBFGS_HISTORY_NUMBERS`` numbers (``kanlab.pykan._fit_settings.lbfgs_history``;
docs/pykan_notebook_runs.md, deep and ex3)."""
from __future__ import annotations

import torch

from kanlab import pykan
from kanlab.pykan import _fit_settings as _fit
import kanlab.train._fit as train_fit


def _products(seed):
    data = pykan.create_dataset(lambda x: x[:, [0]] * x[:, [1]] + x[:, [2]] * x[:, [3]],
                                n_var=4, train_num=500, test_num=100, seed=seed)
    return {k: v.double() for k, v in data.items()}


def _product_fit_rmse(seed, monkeypatch, pairs):
    monkeypatch.setattr(_fit, "LBFGS_HISTORY", pairs)
    model = pykan.KAN(width=[4, [0, 2], 1], base_fun="identity", grid=3, seed=seed,
                      auto_save=False).double()
    return model.fit(_products(seed), steps=30, log=0, update_grid=False)["train_loss"][-1]


def test_a_product_network_fits_lower_in_the_same_steps(monkeypatch):
    """Two product nodes on ``x1 x2 + x3 x4`` (float64, identity base, 30 steps without grid
    updates), Physics_4C's kind of network: the factors trade scale, an ill-conditioned
    problem. Train RMSE with 10 / 50 pairs: 9.0e-6 / 4.6e-6 (seed 0), 6.1e-5 / 3.5e-6
    (seed 1) on pykan's continuation (no grid update); 1.0e-5 / 9.6e-8 (seed 0) on the
    quadratic one."""
    for seed in (0, 1):
        ten, fifty = (_product_fit_rmse(seed, monkeypatch, n) for n in (10, 50))
        assert fifty < ten / 1.5, (seed, ten, fifty)


def _seen_histories(monkeypatch, **fit_args):
    seen = []
    make = train_fit._make_optimizer

    def spy(model, cfg):
        seen.append(cfg.history_size)
        return make(model, cfg)

    monkeypatch.setattr(train_fit, "_make_optimizer", spy)
    model = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    data = pykan.create_dataset(lambda x: x[:, [0]] * x[:, [1]], n_var=2, train_num=100,
                                test_num=20)
    model.fit(data, steps=2, log=0, **fit_args)
    return seen


def test_the_optimiser_gets_the_history(monkeypatch):
    seen = _seen_histories(monkeypatch)
    assert seen and set(seen) == {50}, seen


def test_a_strongly_penalised_fit_keeps_pykans_ten_pairs(monkeypatch):
    """More pairs minimise loss + penalty better and trade RMSE for sparsity (λ = 0.01)."""
    seen = _seen_histories(monkeypatch, lamb=0.01)
    assert seen and set(seen) == {10}, seen
    model = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    assert _fit.lbfgs_history(model, 0.01) == 10 and _fit.lbfgs_history(model, 0.5) == 10
    assert _fit.lbfgs_history(model) == 50


def test_a_weakly_penalised_fit_keeps_fifty_pairs(monkeypatch):
    """Example_3's λ = 0.002 stages crawl with pykan's 10 pairs as unpenalised fits do: with
    50 there, cells 2 / 9 / 10 went ×1.44 / ×1.39 / ×7.03 -> ×1.17 / ×1.15 / ×1.15 of the
    notebook's train loss (docs/pykan_notebook_runs.md, ex3).  Before: 10 pairs for any lamb > 0."""
    seen = _seen_histories(monkeypatch, lamb=0.002)
    assert seen and set(seen) == {50}, seen
    model = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    assert _fit.lbfgs_history(model, 1e-5) == _fit.lbfgs_history(model, 0.0099) == 50


def test_the_history_is_capped_by_the_parameters_it_would_hold():
    small = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    assert _fit.lbfgs_history(small) == _fit.LBFGS_HISTORY == 50

    class Params(torch.nn.Module):  # only the parameter count matters
        def __init__(self, n):
            super().__init__()
            self.w = torch.nn.Parameter(torch.empty(n, device="meta"))

    # 2 vectors of n numbers per pair, at most 2**26 numbers in all, at least pykan's 10
    assert _fit.lbfgs_history(Params(1 << 18)) == 50  # room for 128
    assert _fit.lbfgs_history(Params(1 << 20)) == 32
    assert _fit.lbfgs_history(Params(1 << 24)) == 10
    frozen = Params(1 << 24)
    frozen.w.requires_grad_(False)
    assert _fit.lbfgs_history(frozen) == 50  # only trainable parameters count

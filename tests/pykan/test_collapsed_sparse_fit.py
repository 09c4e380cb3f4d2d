"""A penalised fit whose first interval collapses to the labels' mean is retried from its own
start with the interval trained unpenalised (kanlab.train._trap_retry, COLLAPSED_ABOVE):
pykan's Example_12 (``[6, 1, 1]``, ``lamb_entropy=10``, ``lamb_coef=1``) ended at the constant
1/2 (RMSE 0.500, pykan 0.2.8 on CPU too); its notebook printed 0.18."""
from __future__ import annotations

import pytest
import torch

from kanlab import pykan

from _fit_spy import fit_configs


def _contrastive(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Example_12's data: positives where x2 = exp(sin(pi x0) + x1^2) and x3 = x4^3, and
    negatives with every column permuted on its own; labels 1 / 0."""
    x = torch.rand(n, 6) * 2 - 1
    x[:, 2] = torch.exp(torch.sin(torch.pi * x[:, 0]) + x[:, 1] ** 2)
    x[:, 3] = x[:, 4] ** 3
    neg = x.clone()
    for i in range(neg.shape[1]):
        neg[:, i] = neg[:, i][torch.randperm(n)]
    return torch.cat([x, neg]), torch.cat([torch.ones(n), torch.zeros(n)])[:, None]


def _example_12(seed: int) -> tuple[float, float]:
    """The notebook's cells 3-7 with the model's ``seed`` (the data's draws follow the model's
    seeding, as in pykan): the final train and test RMSE."""
    model = pykan.KAN(width=[6, 1, 1], grid=3, k=3, seed=seed, auto_save=False)
    x_train, y_train = _contrastive(500)
    x_test, y_test = _contrastive(500)
    data = {"train_input": x_train, "train_label": y_train,
            "test_input": x_test, "test_label": y_test}
    model(data["train_input"])
    model.fix_symbolic(1, 0, 0, "gaussian", fit_params_bool=False)
    results = model.fit(data, opt="LBFGS", steps=50, lamb=0.002, lamb_entropy=10.0,
                        lamb_coef=1.0, log=0)
    return float(results["train_loss"][-1]), float(results["test_loss"][-1])


@pytest.mark.slow
def test_example_12s_sparse_fit_does_not_collapse():
    """The notebook's cells over the seeds 0-7: without the retry seven of them end at 0.500
    (the labels' mean; pykan 0.2.8 all eight); with it none collapses and the medians are under
    the notebook's 0.18.  Its own seed (1) is one draw among them: 0.1185 from a first update that refitted the quadratic
    continuation's invention, 0.1855 from one that keeps the model's function, with the
    medians over seeds 0-7 the same (train 0.138 / 0.139, test 0.154 / 0.158;
    docs/pykan_notebook_runs.md, fitjump2)."""
    runs = torch.tensor([_example_12(seed) for seed in range(8)])  # (seed, [train, test])
    assert bool((runs < 0.25).all()), runs  # half the collapsed 0.500
    assert bool((runs.double().quantile(0.5, dim=0) < 0.18).all()), runs


@pytest.mark.parametrize("kw,targets", [({}, True), ({"lamb": 0.01, "lamb_coef": 1.0}, True),
                                        ({"loss_fn": torch.nn.MSELoss()}, False)])
def test_fit_says_when_its_labels_are_targets(monkeypatch, kw, targets):
    """The MSE, with pykan's coefficient terms added or not, compares with the labels as
    targets (the trap checks apply); a user's loss_fn need not."""
    seen = fit_configs(monkeypatch)
    x = torch.rand(40, 2) * 2 - 1
    data = {"train_input": x, "train_label": x[:, :1] * x[:, 1:],
            "test_input": x[:10], "test_label": x[:10, :1] * x[:10, 1:]}
    pykan.KAN(width=[2, 1], grid=3, k=3, seed=0, auto_save=False).fit(data, steps=1, log=0, **kw)
    assert [c.labels_are_targets for c in seen] == [targets]

"""pykan code as users write it (beyond pykan's notebooks), each pattern that once broke.

The patterns come from ``benchmarks/pykan_user_patterns.py``; every test here failed on
kanlab.pykan before its fix (docs/pykan_notebook_runs.md, section wild).
"""
import math

import torch

from kanlab.pykan import KAN


def _classes(n_train=60, n_test=30, n_in=4, n_class=3, seed=0):
    """Separable class-index data; train and test sets of different sizes (as users split)."""
    g = torch.Generator().manual_seed(seed)
    centres = 2 * torch.rand(n_class, n_in, generator=g) - 1
    n = n_train + n_test
    y = torch.arange(n) % n_class
    x = centres[y] + 0.15 * torch.randn(n, n_in, generator=g)
    return {"train_input": x[:n_train], "train_label": y[:n_train],
            "test_input": x[n_train:], "test_label": y[n_train:]}


def test_cross_entropy_with_train_and_test_sets_of_different_sizes():
    """CE on class indices: test_loss is the test set's own loss (was a batch-size error)."""
    ds = _classes()
    model = KAN(width=[4, 3], grid=3, k=3, seed=0, auto_save=False)

    def test_acc():
        return torch.mean((model(ds["test_input"]).argmax(1) == ds["test_label"]).float())

    r = model.fit(ds, opt="LBFGS", steps=3, loss_fn=torch.nn.CrossEntropyLoss(),
                  metrics=(test_acc,), update_grid=False)
    with torch.no_grad():
        ce_test = torch.nn.functional.cross_entropy(model(ds["test_input"]), ds["test_label"])
    assert math.isclose(r["test_loss"][-1], math.sqrt(float(ce_test)), rel_tol=1e-5)
    assert len(r["test_acc"]) == 3 and r["test_acc"][-1] > 0.9


def test_cross_entropy_with_minibatches():
    """CE on class indices with ``batch`` (pykan's Example_14 does so) trains (was a ValueError)."""
    ds = _classes(n_train=64, n_test=64)
    model = KAN(width=[4, 3], grid=3, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="Adam", lr=0.05, steps=30, batch=16,
                  loss_fn=torch.nn.CrossEntropyLoss(), update_grid=False)
    assert r["train_loss"][-1] < r["train_loss"][0]
    with torch.no_grad():
        acc = (model(ds["test_input"]).argmax(1) == ds["test_label"]).float().mean()
    assert acc > 0.9

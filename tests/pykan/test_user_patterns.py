"""pykan code as users write it (beyond pykan's notebooks), each pattern that once broke.

The patterns come from ``benchmarks/pykan_user_patterns.py``; every test here failed on
kanlab.pykan before its fix (docs/pykan_notebook_runs.md, section wild).
"""
import math

import pytest
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


def _copy_pykan_layer(theirs, ours):
    with torch.no_grad():
        for name in ("grid", "coef", "scale_base", "scale_sp", "mask"):
            getattr(ours, name).copy_(getattr(theirs, name))


def test_kanlayer_returns_pykans_four_tensors():
    """``from kan.KANLayer import KANLayer``: y, preacts, postacts, postspline as pykan's."""
    kan_layer = pytest.importorskip("kan.KANLayer")
    from kanlab.pykan.KANLayer import KANLayer
    torch.manual_seed(0)
    theirs = kan_layer.KANLayer(in_dim=3, out_dim=2, num=5, k=3)
    ours = KANLayer(in_dim=3, out_dim=2, num=5, k=3)
    _copy_pykan_layer(theirs, ours)
    x = 2 * torch.rand(16, 3) - 1
    for a, b in zip(theirs(x), ours(x)):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a.detach(), atol=1e-6, rtol=1e-5)


def test_kanlayer_trains_inside_a_users_module():
    """The layer as users use it: a submodule, ``[0]`` of its output, torch's optimiser."""
    from kanlab.pykan import KANLayer

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.kan = KANLayer(in_dim=2, out_dim=1, num=5, k=3, base_fun=torch.nn.SiLU())

        def forward(self, x):
            return self.kan(x)[0]
    g = torch.Generator().manual_seed(0)
    x = 2 * torch.rand(128, 2, generator=g) - 1
    y = torch.sin(2 * x[:, :1]) + x[:, 1:] ** 2
    net = Net()
    net.kan.update_grid_from_samples(x)
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.2 * first
    assert net.kan.grid.shape == (2, 5 + 2 * 3 + 1) and net.kan.coef.shape == (2, 1, 5 + 3)

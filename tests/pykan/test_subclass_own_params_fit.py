"""``fit`` on a subclass that trains modules of its own (pykan's tutorial autoencoder)."""
import inspect
import sys

import pytest
import torch

from kanlab.pykan import KAN


class AutoEncoder(KAN):
    """pykan's ``tutorials/Extension_2_autoencoder`` (July 2024), its two slips mended (its
    ``update_grid`` read an undefined ``hidden``; its commit's ``fit`` called
    ``disable_symbolic_in_fit()`` without the ``lamb`` its override takes), with call counts."""

    def __init__(self, seed=0):
        super().__init__(width=[1, 1], auto_save=False)
        self.encoder = KAN(width=[4, 3, 2], grid=3, k=3, seed=seed, auto_save=False,
                           base_fun="identity")
        self.decoder = KAN(width=[2, 3, 4], grid=3, k=3, seed=seed, auto_save=False,
                           base_fun="identity")
        self.calls = {"get_reg": 0, "update_grid": 0}

    def forward(self, x, singularity_avoiding=False, y_th=1000.0):
        return self.decoder(self.encoder(x))

    def get_params(self):
        return list(self.encoder.parameters()) + list(self.decoder.parameters())

    def get_reg(self, reg_metric="edge_forward_spline_n", lamb_l1=1.0, lamb_entropy=2.0,
                lamb_coef=0.0, lamb_coefdiff=0.0):
        self.calls["get_reg"] += 1
        return (self.encoder.reg(reg_metric, lamb_l1, lamb_entropy, lamb_coef, lamb_coefdiff)
                + self.decoder.reg(reg_metric, lamb_l1, lamb_entropy, lamb_coef, lamb_coefdiff))

    def update_grid(self, x):
        self.calls["update_grid"] += 1
        self.encoder.update_grid_from_samples(x)
        self.decoder.update_grid_from_samples(self.encoder(x))

    def disable_symbolic_in_fit(self, lamb):
        return None, None


def _dataset():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 4, generator=g) * 2 - 1  # inside the fresh grids [-1, 1]
    x[:, 2], x[:, 3] = x[:, 0], x[:, 1]  # two latent variables, each copied once
    return {"train_input": x[:160], "train_label": x[:160],
            "test_input": x[160:], "test_label": x[160:]}


def test_a_subclass_with_its_own_params_trains_them_through_its_hooks():
    """pykan's ``fit`` optimises ``get_params()`` through ``forward``, penalised by
    ``get_reg`` and grid-updated by ``update_grid``; kanlab's engine trained the unused
    ``[1, 1]`` network and raised on the 4-column data (before: ValueError)."""
    model = AutoEncoder()
    outer = model.layers[0].coef.detach().clone()
    encoder = model.encoder.layers[0].coef.detach().clone()
    results = model.fit(_dataset(), steps=6, lamb=1e-3)
    assert len(results["train_loss"]) == len(results["test_loss"]) == 6
    assert results["train_loss"][-1] < 0.7 * results["train_loss"][0]
    assert model.calls["update_grid"] == 2  # steps 0 and 5 (every 50 // 10 steps)
    assert model.calls["get_reg"] > 0 and results["reg"][-1] > 0
    assert not torch.equal(model.encoder.layers[0].coef.detach(), encoder)
    assert torch.equal(model.layers[0].coef.detach(), outer)  # not the borrowed network's


def test_the_subclass_trains_as_on_pykan_without_a_penalty(tmp_path, monkeypatch):
    """The same subclass on pykan 0.2.8 (the oracle, same start: the sub-models' draws are
    pykan's), 8 unpenalised steps with grid updates. pykan is not repeatable here even with
    numpy seeded: over six runs its first step's RMSE 0.2255-0.234 and its last 0.0175-0.034
    (kanlab 0.237 and 0.034, every run), hence the margins."""
    pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    src = inspect.getsource(sys.modules[__name__])
    ns = {}
    exec(compile(src.replace("from kanlab.pykan import KAN", "from kan import KAN"), "t", "exec"), ns)
    import numpy as np
    theirs_model = ns["AutoEncoder"]()
    np.random.seed(0)  # pykan's fit permutes the rows with numpy's global generator
    theirs = theirs_model.fit(_dataset(), steps=8, lamb=0.0)["train_loss"]
    ours = AutoEncoder().fit(_dataset(), steps=8, lamb=0.0)["train_loss"]
    assert abs(ours[0] / theirs[0] - 1) < 0.1
    assert ours[-1] < 3.0 * theirs[-1]

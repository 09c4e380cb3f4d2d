"""kanlab.pykan's fit carries the network's function through its grid updates
(``FitConfig.grid_carry``, :func:`kanlab.nn.update_grid`'s ``carry``)."""
from __future__ import annotations

import torch

from kanlab import pykan


def test_fit_updates_the_grid_with_carry():
    model = pykan.KAN(width=[1, 1, 1], grid=3, seed=0, auto_save=False)
    calls = []
    update = model.update_grid

    def spy(x, grid_eps=None, max_change=None, carry=False):
        calls.append(carry)
        update(x, grid_eps, max_change, carry)
    model.update_grid = spy
    x = torch.linspace(-1, 1, 64)[:, None]
    data = {"train_input": x, "train_label": torch.sin(3 * x),
            "test_input": x, "test_label": torch.sin(3 * x)}
    model.fit(data, steps=6, grid_update_num=5, stop_grid_update_step=6)
    assert calls and all(calls)  # every update of the fit, with carry


def test_a_chains_update_moves_its_outputs_less_with_carry():
    """A [1, 1, 1, 1] chain whose samples reach past its grids, as pykan's draw makes it: the
    update that fit makes moves the outputs less than one that keeps each layer's function.
    On the quadratic continuation, as a fit's updates see it (a fresh model's direct update
    refits pykan's continuation, which both keep to within 1e-3 here)."""
    model = pykan.KAN(width=[1, 1, 1, 1], grid=3, seed=2, noise_scale=1.0, auto_save=False,
                      extrapolate="quadratic")
    x = torch.linspace(-1.5, 1.5, 300)[:, None]
    before = model(x).detach()
    plain = model.copy()
    plain.update_grid(x)
    model.update_grid(x, carry=True)
    assert (model(x) - before).abs().max() < (plain(x) - before).abs().max()

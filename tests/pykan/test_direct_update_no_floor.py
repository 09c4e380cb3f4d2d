"""A user's own ``update_grid_from_samples`` spans a narrow hidden node's samples as pykan's
does; the model's ``grid_floor`` widens it only in the updates ``fit`` makes.  pykan's
Interp_3A (July 2024) perturbs a compiled model and trains a PDE loss in its own L-BFGS loop,
calling ``update_grid_from_samples`` between steps: the perturbed node spans 5e-5, the floor
widened it to 0.044 and the loop stalled at its first step's loss (docs: hist7)."""
from __future__ import annotations

import torch

from kanlab import pykan

K = 3


def narrow_model() -> pykan.KAN:
    """``[1, 2, 1]`` whose hidden node 1 spans about 1e-4 of node 0's range."""
    model = pykan.KAN(width=[1, 2, 1], grid=5, k=K, seed=0, auto_save=False)
    with torch.no_grad():
        layer = model.layers[0]
        layer.coef[1] *= 1e-4
        layer.scale_base[1] *= 1e-4
        layer.scale_sp[1] *= 1e-4
    return model


def spans(model: pykan.KAN) -> torch.Tensor:
    """The hidden layer's grid span per node (the extension knots left out)."""
    points = model.layers[1].knots.detach()[:, K:-K]
    return points[:, -1] - points[:, 0]


def test_update_grid_from_samples_keeps_a_narrow_node_on_its_samples():
    x = torch.linspace(-1, 1, 101)[:, None]
    model = narrow_model()
    hidden = model.forward_with_inputs(x)[1][1].detach()
    samples = hidden.max(dim=0).values - hidden.min(dim=0).values
    assert samples[1] < 1e-3 * samples[0]  # the narrow node, under the 1 % floor
    model.update_grid_from_samples(x)
    got = spans(model)
    assert torch.allclose(got, samples, rtol=1e-4, atol=0.0)  # main: node 1 widened to 1 %
    assert model.grid_floor == 0.01 and "grid_floor" not in model.__dict__


def test_fit_style_update_still_keeps_the_floor():
    x = torch.linspace(-1, 1, 101)[:, None]
    model = narrow_model()
    model.update_grid(x)
    got = spans(model)
    assert torch.isclose(got[1], 0.01 * got[0], rtol=1e-6)

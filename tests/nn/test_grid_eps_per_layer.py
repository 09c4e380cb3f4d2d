"""``kanlab.nn.update_grid`` with one ``grid_eps`` per layer (kanlab.pykan's per-layer
``act_fun[l].grid_eps``, pykan's layout)."""
import pytest
import torch

from kanlab.nn import KAN


def _skewed(n=400):
    return (torch.rand(n, 1, generator=torch.Generator().manual_seed(0)) ** 3) * 2 - 1


def _spread(layer):
    steps = layer.knots[0].diff()
    return float(steps.std() / steps.mean())


def test_one_grid_eps_per_layer():
    model = KAN([1, 1, 1], grid=5, k=3, seed=0)
    model.update_grid(_skewed(), grid_eps=[0.0, 1.0])
    assert _spread(model.layers[0]) > 0.1  # the samples' quantiles
    assert _spread(model.layers[1]) < 1e-3  # uniform


def test_per_layer_grid_eps_checked():
    model = KAN([1, 1, 1], grid=5, k=3, seed=0)
    with pytest.raises(ValueError, match="one per layer"):
        model.update_grid(_skewed(), grid_eps=[1.0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.update_grid(_skewed(), grid_eps=[1.0, 2.0])

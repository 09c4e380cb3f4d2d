"""kanlab.pykan's grid updates span every sample, as pykan 0.2.8's ``update_grid_from_samples``
(``KAN.grid_fence = None``); kanlab's own models leave samples beyond Tukey's fences out."""
from __future__ import annotations

import copy

import kan
import pytest
import torch

from kanlab import pykan
from kanlab.nn import KAN as NativeKAN

K = 3


def samples_with_outlier(value: float = 9.0) -> torch.Tensor:
    """200 uniform samples on [-1, 1]² whose first column holds one sample at ``value``."""
    x = torch.rand(200, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    x[7, 0] = value
    return x


def points(knots: torch.Tensor) -> torch.Tensor:
    """A layer's grid points, without the ``k`` extension knots at either end."""
    return knots[:, K:-K]


def model(**kwargs) -> pykan.KAN:
    return pykan.KAN(width=[2, 3, 1], grid=5, k=K, seed=0, auto_save=False, **kwargs)


def test_update_grid_from_samples_ends_at_the_outlier_as_pykan():
    """The first layer's grid spans min to max of each input, pykan 0.2.8's ends to rounding."""
    x = samples_with_outlier()
    ours = model()
    ours.update_grid_from_samples(x)
    theirs = kan.MultKAN(width=[2, 3, 1], grid=5, k=K, seed=0, auto_save=False)
    theirs.update_grid_from_samples(x)
    got, want = points(ours.layers[0].knots), points(theirs.act_fun[0].grid.detach())
    assert float(got[0, -1]) == 9.0
    torch.testing.assert_close(got[:, [0, -1]], want[:, [0, -1]])


def test_uniform_grid_is_pykans_grid():
    """With ``grid_eps=1`` (uniform points between the extremes) the whole first-layer grid
    is pykan 0.2.8's, extension knots included, to float32 rounding."""
    x = samples_with_outlier()
    ours = model(grid_eps=1.0)
    ours.update_grid(x)
    theirs = kan.MultKAN(width=[2, 3, 1], grid=5, k=K, seed=0, grid_eps=1.0, auto_save=False)
    theirs.update_grid_from_samples(x)
    torch.testing.assert_close(ours.layers[0].knots, theirs.act_fun[0].grid.detach())


def test_native_model_still_fences():
    """kanlab's own model keeps the outlier off its grid (the bulk ends near 1)."""
    x = samples_with_outlier()
    native = NativeKAN([2, 3, 1], grid=5, k=K, seed=0)
    native.update_grid(x)
    assert float(points(native.layers[0].knots)[0, -1]) < 1.01


def test_fit_grid_updates_span_the_outlier():
    """``fit(update_grid=True)``'s updates place the first layer's grid on every sample."""
    x = samples_with_outlier(3.0)
    y = torch.sin(2 * x[:, :1]) + x[:, 1:] ** 2
    m = model()
    m.fit({"train_input": x, "train_label": y, "test_input": x, "test_label": y}, steps=6,
          grid_update_num=3, stop_grid_update_step=6, log=0)
    assert float(points(m.layers[0].knots)[0, -1]) == 3.0


def _state_dict_copy(m):
    fresh = model()
    fresh.load_state_dict(m.state_dict())
    return fresh


def _checkpoint_copy(m, path):
    m.saveckpt(str(path / "m"))
    return pykan.KAN.loadckpt(str(path / "m"))


@pytest.mark.parametrize("make", [
    lambda m, tmp: m.copy(),
    lambda m, tmp: copy.deepcopy(m),
    lambda m, tmp: _state_dict_copy(m),
    lambda m, tmp: _checkpoint_copy(m, tmp),
    lambda m, tmp: m.refine(7),
    lambda m, tmp: m.prune(node_th=0.0, edge_th=0.0),
], ids=["copy", "deepcopy", "state_dict", "saveckpt", "refine", "prune"])
def test_models_made_from_a_model_span_every_sample(make, tmp_path):
    """Copies, checkpoints, refined and pruned models update their grids as pykan's too."""
    m = model()
    m(samples_with_outlier(0.5))
    made = make(m, tmp_path)
    made.update_grid_from_samples(samples_with_outlier())
    assert float(points(made.layers[0].knots)[0, -1]) == 9.0


def test_refine_and_grids_from_another_model_keep_the_span():
    """``refine`` and ``initialize_grid_from_another_model`` keep the updated span's ends."""
    x = samples_with_outlier()
    coarse = model()
    coarse.update_grid_from_samples(x)
    assert float(points(coarse.refine(10).layers[0].knots)[0, -1]) == 9.0
    fine = pykan.KAN(width=[2, 3, 1], grid=10, k=K, seed=0, auto_save=False)
    fine.initialize_grid_from_another_model(coarse, x)
    assert float(points(fine.layers[0].knots)[0, -1]) == 9.0

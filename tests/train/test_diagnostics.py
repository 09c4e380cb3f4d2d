"""kanlab.train._diagnostics: out-of-grid counts, and fit's warning when the data are off the grid."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import kanlab
from kanlab.train._diagnostics import OUT_OF_GRID_WARN, out_of_grid, out_of_grid_fraction

F64 = torch.float64


def test_counts_match_numpy_oracle():
    """Per layer and input, the count of samples outside [t_k, t_{G+k}] equals a numpy count
    on that layer's actual input."""
    model = kanlab.KAN([2, 3, 2], grid=4, k=3, seed=0, dtype=F64)
    g = torch.Generator().manual_seed(0)
    x = 3 * torch.randn(200, 2, generator=g, dtype=F64)
    counts = out_of_grid(model, x)
    assert [c.shape for c in counts] == [(2,), (3,)]
    assert all(c.dtype == torch.int64 for c in counts)
    inputs = [x, model.layers[0](x).detach()]
    for layer, inp, count in zip(model.layers, inputs, counts):
        a = inp.numpy()
        lo, hi = layer.knots[:, 3].numpy(), layer.knots[:, 4 + 3].numpy()
        expected = ((a < lo) | (a > hi)).sum(0)
        np.testing.assert_array_equal(count.numpy(), expected)
    assert int(counts[0].sum()) > 0  # N(0, 9) samples leave [-1, 1]


def test_fraction_and_single_layer():
    """Fractions are counts / B; a single KANLayer is accepted; the grid ends count as inside."""
    layer = kanlab.KAN([1, 1], grid=4, k=3, seed=0, dtype=F64).layers[0]
    x = torch.tensor([[-2.0], [-1.0], [0.0], [1.0], [1.5]], dtype=F64)
    assert out_of_grid(layer, x)[0].tolist() == [2]
    torch.testing.assert_close(out_of_grid_fraction(layer, x)[0],
                               torch.tensor([0.4], dtype=F64))


def test_rejects_bad_arguments():
    model = kanlab.KAN([2, 1], grid=3, dtype=F64)
    with pytest.raises(TypeError, match="KAN or a KANLayer"):
        out_of_grid(object(), torch.zeros(3, 2, dtype=F64))
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        out_of_grid(model, torch.zeros(3, 3, dtype=F64))
    with pytest.raises(ValueError, match="non-finite"):
        out_of_grid(model, torch.full((3, 2), math.nan, dtype=F64))


def _data(lo, hi, n=200, heavy=False):
    def target(x):
        return torch.sin(x[:, :1])
    data = kanlab.create_dataset(target, 1, ranges=(lo, hi), train_num=n, test_num=n, seed=0,
                                 dtype=F64)
    if heavy:  # Cauchy inputs: ~10% lie beyond Tukey's fences
        g = torch.Generator().manual_seed(1)
        x = torch.tan(math.pi * (torch.rand(n, 1, generator=g, dtype=F64) - 0.5))
        data["train_input"], data["train_label"] = x, target(x)
    return data


def test_fit_warns_when_data_are_off_grid_and_no_update():
    """update_grid=False on data in [-3, 3] (grid [-1, 1]): ~67% are off-grid, a warning says so."""
    model = kanlab.KAN([1, 1], grid=5, k=3, seed=0, dtype=F64)
    with pytest.warns(RuntimeWarning, match=r"input 0: 6\d\.\d% .*update_grid=False"):
        model.fit(_data(-3.0, 3.0), steps=1, update_grid=False, progress=False)


def test_fit_is_quiet_when_data_fit_the_grid():
    """No warning when the data lie inside the grid, or once grid updates cover them."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kanlab.KAN([1, 1], grid=5, seed=0, dtype=F64).fit(
            _data(-0.9, 0.9), steps=1, update_grid=False, progress=False)
        kanlab.KAN([1, 1], grid=5, seed=0, dtype=F64).fit(
            _data(-3.0, 3.0), steps=2, stop_grid_update_step=2, grid_update_num=1,
            progress=False)


def test_fit_warns_when_data_stay_off_grid_after_updates():
    """Cauchy inputs: after the last grid update more than 5% still lie beyond the grid."""
    data = _data(-1.0, 1.0, heavy=True)
    model = kanlab.KAN([1, 1], grid=5, seed=0, dtype=F64)
    with pytest.warns(RuntimeWarning, match="after the last grid update"):
        model.fit(data, steps=2, stop_grid_update_step=2, grid_update_num=1, progress=False)
    assert float(out_of_grid_fraction(model, data["train_input"])[0][0]) > OUT_OF_GRID_WARN

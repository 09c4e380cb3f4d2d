"""KAN sizes beyond memory, devices, sparse inputs and the cost of grid updates."""
import time

import pytest
import torch

from kanlab import KAN, create_dataset
from kanlab.nn._layer import KANLayer
from kanlab.train import FitConfig, fit


@pytest.mark.parametrize("kwargs", [
    {"width": [2, 3, 1], "grid": 10 ** 12}, {"width": [2, 10 ** 12, 1]},
    {"width": [2, [0, 2], 1], "mult_arity": 10 ** 9},
])
def test_sizes_beyond_memory_are_refused_before_allocating(kwargs):
    """The size is checked against the device's memory first: no allocator error, no swapping."""
    start = time.perf_counter()
    with pytest.raises(ValueError, match="needs .* values .*GiB.* more than"):
        KAN(**kwargs)
    with pytest.raises(ValueError, match="needs .* values"):
        KANLayer(2, 3, grid=10 ** 12)
    assert time.perf_counter() - start < 5.0


def test_absent_or_invalid_device_is_a_clear_error():
    with pytest.raises(TypeError, match="not a device"):
        KAN([2, 3, 1], device="nope")
    with pytest.raises(TypeError, match="device must be a device"):
        KAN([2, 3, 1], device=1.5)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="not available"):
            KAN([2, 3, 1], device="cuda")
    assert KAN([2, 3, 1], device="meta").layers[0].coef.is_meta  # meta models still build


def test_input_on_another_device_or_sparse_is_a_type_error():
    """Forward, update_grid and fit name the device or layout instead of a torch error."""
    model = KAN([2, 3, 1], seed=0, dtype=torch.float64)
    meta = torch.empty(5, 2, dtype=torch.float64, device="meta")
    sparse = torch.rand(5, 2, dtype=torch.float64).to_sparse()
    with pytest.raises(TypeError, match="on cpu .*got meta"):
        model(meta)
    with pytest.raises(TypeError, match="dense tensor"):
        model(sparse)
    with pytest.raises(TypeError, match="samples on cpu"):
        model.update_grid(meta)
    with pytest.raises(TypeError, match="dense tensor"):
        model.update_grid(sparse)
    data = create_dataset(lambda x: x[:, :1], 2, train_num=20, test_num=10, seed=0,
                          dtype=torch.float64)
    with pytest.raises(TypeError, match="dense tensors on cpu"):
        fit(model, data | {"train_input": data["train_input"].to_sparse()},
            FitConfig(steps=1, progress=False))


def test_update_grid_cost_is_checked_before_work():
    """A grid-100000 update would allocate terabytes: refused at once, the model unchanged."""
    model = KAN([2, 5, 1], grid=100_000, seed=0, dtype=torch.float64)
    knots = model.layers[0].knots.clone()
    x = torch.rand(1000, 2, dtype=torch.float64) * 2 - 1
    start = time.perf_counter()
    with pytest.raises(ValueError, match="update_grid on grid 100000 .* operations"):
        model.update_grid(x)
    assert time.perf_counter() - start < 5.0
    assert torch.equal(model.layers[0].knots, knots)
    KAN([2, 3, 1], grid=20, seed=0, dtype=torch.float64).update_grid(x)  # ordinary sizes pass


def test_grid_range_too_narrow_for_the_dtype_is_refused():
    """An offset range whose grid intervals round to nothing in float32 (was: an error deep
    inside training about an empty base interval)."""
    with pytest.raises(ValueError, match="too narrow for torch.float32"):
        KAN([1, 2, 1], grid=5, grid_range=(1e9, 1e9 + 100), dtype=torch.float32)
    with pytest.raises(ValueError, match="too narrow for torch.float32"):
        create_dataset(lambda x: x, 1, [1e9, 1e9 + 1], 10, 10, 0, torch.float32)
    KAN([1, 2, 1], grid=5, grid_range=(1e9, 1e9 + 100), dtype=torch.float64)  # float64 resolves it

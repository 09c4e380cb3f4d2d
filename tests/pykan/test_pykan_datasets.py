"""``kanlab.pykan.create_dataset`` / ``create_dataset_from_data`` give pykan's samples for a seed.

pykan's notebooks print numbers measured on the data its ``create_dataset``
draws, so the adapter draws the same samples: the global generators seeded,
then for each variable its training values and then its test values.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from kanlab import pykan


def _target(x):
    return torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)


def test_create_dataset_draws_variable_by_variable_train_then_test():
    ranges = [[-1.0, 2.0], [0.5, 1.5]]
    data = pykan.create_dataset(_target, n_var=2, ranges=ranges, train_num=6, test_num=4, seed=5)
    torch.manual_seed(5)
    expect = {"train": [], "test": []}
    for lo, hi in ranges:
        expect["train"].append(torch.rand(6) * (hi - lo) + lo)
        expect["test"].append(torch.rand(4) * (hi - lo) + lo)
    for split in ("train", "test"):
        x = torch.stack(expect[split], 1)
        assert torch.equal(data[f"{split}_input"], x)
        assert torch.equal(data[f"{split}_label"], _target(x))


def test_create_dataset_normalises_by_the_training_split():
    data = pykan.create_dataset(_target, n_var=2, normalize_input=True, normalize_label=True,
                                train_num=200, test_num=100, seed=1)
    for part in ("input", "label"):
        tr = data[f"train_{part}"]
        torch.testing.assert_close(tr.mean(0), torch.zeros(tr.shape[1]), atol=1e-5, rtol=0)
        torch.testing.assert_close(tr.std(0), torch.ones(tr.shape[1]), atol=1e-5, rtol=0)
        assert data[f"test_{part}"].mean().abs() > 0  # shifted by the training mean, not its own


def test_create_dataset_checks_ranges_and_labels():
    with pytest.raises(ValueError, match="ranges"):
        pykan.create_dataset(_target, n_var=2, ranges=[[0, 1], [0, 1], [0, 1]])
    with pytest.raises(ValueError, match="lo < hi"):
        pykan.create_dataset(_target, n_var=2, ranges=[1, -1])
    with pytest.raises(ValueError, match="non-finite"):
        pykan.create_dataset(lambda x: torch.log(x[:, [0]] - 5), n_var=1)


def test_create_dataset_from_data_splits_with_numpy_global_generator():
    x = torch.arange(50, dtype=torch.float32)[:, None]
    np.random.seed(3)
    a = pykan.create_dataset_from_data(x, 2 * x, train_ratio=0.6)
    np.random.seed(3)
    chosen = np.random.choice(50, 30, replace=False)
    assert torch.equal(a["train_input"][:, 0], torch.as_tensor(chosen, dtype=torch.float32))
    assert sorted(a["test_input"][:, 0].tolist()) == sorted(set(range(50)) - set(chosen.tolist()))
    assert torch.equal(a["train_label"], 2 * a["train_input"])
    b = pykan.create_dataset_from_data(x, x, seed=4)
    c = pykan.create_dataset_from_data(x, x, seed=4)
    assert torch.equal(b["train_input"], c["train_input"])


@pytest.mark.parametrize("kwargs", [
    {},
    {"n_var": 3, "ranges": [[-1, 2], [0, 1], [-3, -2]], "train_num": 7, "test_num": 5, "seed": 4},
    {"normalize_input": True, "normalize_label": True, "seed": 2, "train_num": 300},
])
def test_create_dataset_equals_pykan_bit_for_bit(kwargs):
    kan = pytest.importorskip("kan")
    f = (lambda x: x[:, :1] * x[:, 1:2] + x[:, 2:]) if kwargs.get("n_var") == 3 else _target
    theirs, ours = kan.create_dataset(f, **kwargs), pykan.create_dataset(f, **kwargs)
    for key in theirs:
        assert torch.equal(theirs[key], ours[key]), key
    # the global generator is left where pykan leaves it
    kan.create_dataset(f, **kwargs)
    after = torch.rand(4)
    pykan.create_dataset(f, **kwargs)
    assert torch.equal(after, torch.rand(4))


@pytest.mark.parametrize("n", [10, 1000])
def test_create_dataset_from_data_equals_pykan(n):
    kan = pytest.importorskip("kan")
    x = torch.arange(n, dtype=torch.float32)[:, None]
    np.random.seed(0)
    theirs = kan.create_dataset_from_data(x, x)
    np.random.seed(0)
    ours = pykan.create_dataset_from_data(x, x)
    for key in theirs:
        assert torch.equal(theirs[key], ours[key]), key


def test_create_dataset_step_size_takes_grid_points():
    """pykan's create_dataset(step_size=...) of July 2024 (continual_learning_structural):
    the inputs are points of the grid arange(lo, hi, step) per variable, all but test_num of
    them for training and test_num for the test, drawn with numpy's global generator."""
    from kanlab.pykan.utils import create_dataset
    f = lambda x: x[:, [0]] * x[:, [1]]  # noqa: E731
    data = create_dataset(f, n_var=2, ranges=[[-1, 1], [0, 2]], test_num=5, step_size=0.5,
                          seed=3)
    xs, ys = np.arange(-1, 1, 0.5), np.arange(0, 2, 0.5)
    grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), -1).reshape(-1, 2)
    np.random.seed(3)
    train = grid[np.random.choice(16, 11, replace=False)]
    test = grid[np.random.choice(16, 5, replace=False)]
    assert np.allclose(data["train_input"].numpy(), train)
    assert np.allclose(data["test_input"].numpy(), test)
    assert torch.equal(data["train_label"], f(data["train_input"]))
    with pytest.raises(ValueError, match="leaves no training point"):
        create_dataset(f, n_var=2, test_num=16, step_size=0.5)
    with pytest.raises(ValueError, match="step_size"):
        create_dataset(f, n_var=2, step_size=0.0)

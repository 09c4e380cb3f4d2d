"""create_dataset: shapes, ranges, seeds and errors."""
import pytest
import torch

from kanlab import create_dataset


def product(x):
    return x[:, :1] * x[:, 1:2]


def test_shapes_and_keys():
    """The four pykan keys with (N, n_var) inputs and (N, n_out) labels."""
    data = create_dataset(product, 3, train_num=50, test_num=20, dtype=torch.float64)
    assert data["train_input"].shape == (50, 3) and data["test_input"].shape == (20, 3)
    assert data["train_label"].shape == (50, 1) and data["train_label"].dtype == torch.float64


def test_per_variable_ranges_are_respected():
    """Each input lies inside its own range."""
    data = create_dataset(product, 2, ranges=[[0, 1], [-5, -4]], train_num=500, test_num=10)
    x = data["train_input"]
    assert float(x[:, 0].min()) >= 0 and float(x[:, 0].max()) <= 1
    assert float(x[:, 1].min()) >= -5 and float(x[:, 1].max()) <= -4


def test_same_seed_same_data_and_global_rng_untouched():
    """The seed fixes the data and the global RNG state is not touched."""
    state = torch.get_rng_state()
    a = create_dataset(product, 2, seed=7, train_num=10, test_num=10)
    b = create_dataset(product, 2, seed=7, train_num=10, test_num=10)
    assert torch.equal(a["train_input"], b["train_input"])
    assert torch.equal(state, torch.get_rng_state())
    assert not torch.equal(a["train_input"], create_dataset(product, 2, seed=8, train_num=10,
                                                            test_num=10)["train_input"])


@pytest.mark.parametrize("kwargs, error", [
    ({"ranges": (1, -1)}, ValueError),
    ({"ranges": [[0, 1]] * 3}, ValueError),
    ({"train_num": 0}, ValueError),
    ({"dtype": torch.int64}, TypeError),
])
def test_bad_arguments_raise(kwargs, error):
    """Bad ranges, sizes and dtypes raise with a clear error."""
    with pytest.raises(error):
        create_dataset(product, 2, **kwargs)


def test_non_finite_labels_rejected():
    """A function that returns NaN on the sampled inputs is refused."""
    with pytest.raises(ValueError, match="non-finite"):
        create_dataset(lambda x: torch.log(x[:, :1]), 1, ranges=(-1, 1))

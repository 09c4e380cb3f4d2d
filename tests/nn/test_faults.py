"""Bad constructor values, costly refines, interrupted grid updates and honest rollbacks."""
import time

import pytest
import torch

import kanlab
from kanlab import KAN, create_dataset
from kanlab.nn import _grid
from kanlab.nn._layer import KANLayer
from kanlab.train import FitConfig, fit
from kanlab.train._fit import NonFiniteLossError


def _data(n=64):
    return create_dataset(lambda x: x[:, :1] * x[:, 1:], 2, train_num=n, test_num=n, seed=0,
                          dtype=torch.float64)


@pytest.mark.parametrize("noise", [float("nan"), float("inf"), -0.1])
def test_noise_scale_must_be_finite_and_non_negative(noise):
    with pytest.raises(ValueError, match="noise_scale"):
        KAN([2, 3, 1], noise_scale=noise)


@pytest.mark.parametrize("dtype", [torch.complex64, torch.int64, torch.bool])
def test_non_float_dtypes_are_refused_clearly(dtype):
    with pytest.raises(TypeError, match="real floating-point dtype"):
        KAN([2, 3, 1], dtype=dtype)


@pytest.mark.parametrize("seed", [2 ** 70, -2 ** 64])
def test_seed_out_of_range(seed):
    with pytest.raises(ValueError, match=r"seed must lie in \[-2\*\*63, 2\*\*64\)"):
        KAN([2, 3, 1], seed=seed)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_training_says_what_to_do(dtype):
    model = KAN([2, 3, 1], grid=3, seed=0, dtype=dtype)
    data = {k: v.to(dtype) for k, v in _data().items()}
    for call, what in ((lambda: fit(model, data, FitConfig(steps=1, progress=False)), "fit"),
                       (lambda: model.update_grid(data["train_input"]), "update_grid"),
                       (lambda: model.refine(6), "refine")):
        with pytest.raises(TypeError, match=f"{what} needs a float32 or float64 model"):
            call()


def test_refine_cost_is_checked_before_work():
    model = KAN([2, 3, 1], grid=5, seed=0, dtype=torch.float64)
    for grid in (1000, 10000):
        start = time.perf_counter()
        with pytest.raises(ValueError, match=f"refine\\({grid}\\) would take"):
            model.refine(grid)
        assert time.perf_counter() - start < 1.0
    assert model.refine(50).grid == 50  # ordinary refines still work


def test_refine_to_a_coarser_grid_warns():
    model = KAN([2, 3, 1], grid=10, seed=0, dtype=torch.float64)
    with pytest.warns(UserWarning, match="coarser"):
        model.refine(5)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.refine(20)


def test_keyboard_interrupt_in_update_grid_restores_every_layer(monkeypatch):
    model = KAN([2, 3, 1], grid=5, seed=0, dtype=torch.float64)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    real, calls = _grid.update_layer_grid, []

    def interrupted(layer, x, *args, **kwargs):
        calls.append(layer)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(layer, x, *args, **kwargs)

    monkeypatch.setattr(_grid, "update_layer_grid", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.update_grid(torch.rand(50, 2, dtype=torch.float64) * 4 - 2)
    assert len(calls) == 2
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_fit_of_a_bare_layer_is_a_type_error():
    with pytest.raises(TypeError, match="fit expects a kanlab.KAN, got KANLayer"):
        fit(KANLayer(2, 1, dtype=torch.float64), _data())


@pytest.mark.parametrize("opt", ["Adam", "LBFGS"])
def test_rollback_restores_parameters_that_evaluate(opt):
    """lr=1e300: the restored parameters give a finite forward pass and a finite RMSE."""
    model = KAN([2, 3, 1], grid=5, seed=0, dtype=torch.float64)
    data = _data()
    history = fit(model, data, FitConfig(opt=opt, lr=1e300, steps=5, progress=False))
    # Adam overflows; L-BFGS's line search may survive the step size
    assert history.status == "nonfinite" if opt == "Adam" else history.status != "interrupted"
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
    assert torch.isfinite(model(data["test_input"])).all()
    assert kanlab.train._fit.rmse(model, data["train_input"], data["train_label"]) < 10


def test_rollback_says_when_no_parameters_evaluate():
    model = KAN([2, 3, 1], grid=5, seed=0, dtype=torch.float64)
    data = _data()
    data["train_label"] = data["train_label"] * 1e300  # the first loss already overflows
    with pytest.warns(RuntimeWarning, match="no parameters of this fit evaluate"):
        history = fit(model, data, FitConfig(steps=3, progress=False, update_grid=False))
    assert history.status == "nonfinite"
    with pytest.raises(NonFiniteLossError, match="non-finite from the start"):
        fit(model, data, FitConfig(steps=3, progress=False, on_nonfinite="raise",
                                   update_grid=False))

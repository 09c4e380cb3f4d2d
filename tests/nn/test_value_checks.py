"""Input validation at every boundary: forward, update_grid, fit, create_dataset."""
from __future__ import annotations

import math

import pytest
import torch

import kanlab
from kanlab import KAN, KANLayer
from kanlab.train._fit import FitConfig, fit
from kanlab import NonFiniteError
from kanlab.config import checks_enabled
from kanlab.nn._value_checks import check_layer_values, output_bound

F32, F64 = torch.float32, torch.float64


def small_kan(dtype=F64, width=(2, 3, 1)) -> KAN:
    return KAN(list(width), grid=5, k=3, seed=0, dtype=dtype)


def snapshot(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_unchanged(model, before) -> None:
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


# ---------------------------------------------------------------------------
# the switch


def test_checks_are_on_by_default_and_switchable():
    """set_checks returns the previous state; checks() restores it, even after an exception."""
    assert checks_enabled()
    with pytest.raises(RuntimeError, match="boom"):
        with kanlab.checks(False):
            assert not checks_enabled()
            raise RuntimeError("boom")
    assert checks_enabled()
    assert kanlab.set_checks(False) is True
    try:
        assert not checks_enabled()
    finally:
        assert kanlab.set_checks(True) is False


def test_set_checks_rejects_non_bool():
    """set_checks(1) is a TypeError naming the expected type."""
    with pytest.raises(TypeError, match="bool"):
        kanlab.set_checks(1)


def test_checks_off_skips_the_value_scan():
    """With checks off the value scan returns without looking; shape checks remain."""
    layer = small_kan().layers[0]
    nan = torch.full((3, 2), float("nan"), dtype=F64)
    with kanlab.checks(False):
        check_layer_values(layer, nan)  # no error: not scanned
        with pytest.raises(ValueError, match=r"\(\*, 2\)"):
            layer(torch.zeros(3, 5, dtype=F64))
    with pytest.raises(NonFiniteError):
        check_layer_values(layer, nan)


def test_checks_do_not_change_outputs():
    """Outputs with checks on and off are bit-identical."""
    model = small_kan()
    x = torch.linspace(-3, 3, 40, dtype=F64).reshape(20, 2)
    y_on = model(x)
    with kanlab.checks(False):
        y_off = model(x)
    assert torch.equal(y_on, y_off)


def test_checks_skip_inside_torch_func():
    """vmap of the model and of its jacrev work (the value scan is skipped under functorch)."""
    model = small_kan()
    x = torch.tensor([[0.3, -0.2], [1.5, 0.7]], dtype=F64)
    torch.testing.assert_close(torch.func.vmap(model)(x), model(x), rtol=0, atol=1e-15)
    jac = torch.func.vmap(torch.func.jacrev(model))(x)  # (2, 1, 2)
    eps = 1e-6
    fd = torch.stack([(model(x + eps * e) - model(x - eps * e)) / (2 * eps)
                      for e in torch.eye(2, dtype=F64)], -1)
    torch.testing.assert_close(jac, fd, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------
# forward


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("target", ["kan", "layer"])
def test_forward_rejects_non_finite(dtype, bad, target):
    """NaN/inf input is a NonFiniteError (a ValueError) naming the feature."""
    model = small_kan(dtype)
    module = model if target == "kan" else model.layers[0]
    x = torch.zeros(4, 2, dtype=dtype)
    x[2, 1] = bad
    with pytest.raises(ValueError, match=r"non-finite input .* features \[1\]") as info:
        module(x)
    assert isinstance(info.value, NonFiniteError)


@pytest.mark.parametrize("dtype, value", [(F32, 1e30), (F32, -1e37), (F64, 1e300), (F64, -1e30)])
def test_forward_huge_inputs_are_finite(dtype, value):
    """Huge finite inputs ride the linear extension to finite outputs (no 0·inf NaN)."""
    model = small_kan(dtype)
    x = torch.tensor([[value, 0.1], [0.2, -value], [value, value]], dtype=dtype)
    y = model(x)
    assert bool(torch.isfinite(y).all())
    # linear extension: doubling a far-out input doubles the first layer's output (to 1e-3)
    layer = model.layers[0]
    half = x[:1] / 2
    torch.testing.assert_close(layer(x[:1]), 2 * layer(half), rtol=1e-3, atol=0)


@pytest.mark.parametrize("dtype, value", [(F32, 3e38), (F64, 1.7e308)])
def test_forward_rejects_overflowing_inputs(dtype, value):
    """Inputs whose output would overflow the dtype are refused instead of giving inf/NaN."""
    model = small_kan(dtype)
    x = torch.tensor([[value, 0.0]], dtype=dtype)
    with pytest.raises(NonFiniteError, match="would overflow"):
        model(x)


@pytest.mark.parametrize("base_fun", ["silu", "tanh", "zero", lambda t: t ** 2])
@pytest.mark.parametrize("extrapolate", ["linear", "constant"])
def test_output_bound_is_an_upper_bound(base_fun, extrapolate):
    """output_bound(layer, x) >= max |layer(x)| on far-out inputs, and within 100x of it."""
    layer = KANLayer(3, 4, grid=6, k=3, base_fun=base_fun, extrapolate=extrapolate,
                     generator=torch.Generator().manual_seed(1), dtype=F64)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(50, 3, generator=g, dtype=F64) * 1e20
    y = layer(x).detach()
    bound = float(output_bound(layer, x))
    assert float(y.abs().max()) <= bound < 100 * float(y.abs().max())


def test_tiny_inputs_match_zero():
    """Subnormal-scale inputs (1e-300) give the output at 0 up to rounding."""
    model = small_kan()
    x = torch.tensor([[1e-300, -1e-300]], dtype=F64)
    torch.testing.assert_close(model(x), model(torch.zeros(1, 2, dtype=F64)), rtol=0, atol=1e-15)


def test_one_dimensional_input_is_one_sample():
    """A 1-D input (in_features,) is one sample, as for nn.Linear; a wrong length is refused."""
    model = small_kan()
    x = torch.tensor([0.3, -0.4], dtype=F64)
    torch.testing.assert_close(model(x), model(x[None])[0], rtol=0, atol=0)
    with pytest.raises(ValueError, match=r"expected input of shape \(\*, 2\), got \(3,\)"):
        model(torch.zeros(3, dtype=F64))


@pytest.mark.parametrize("model_dtype, x_dtype", [(F32, F64), (F64, F32), (F64, torch.int64),
                                                  (F32, torch.bool), (F64, torch.complex128)])
def test_forward_rejects_wrong_dtype(model_dtype, x_dtype):
    """A dtype other than the model's is a TypeError naming both."""
    model = small_kan(model_dtype)
    with pytest.raises(TypeError, match=f"{model_dtype}.*got {x_dtype}"):
        model(torch.zeros(4, 2, dtype=x_dtype))


def test_forward_rejects_extra_columns():
    """A 3-column input to a 2-input KAN is refused (pykan silently uses the first two)."""
    with pytest.raises(ValueError, match=r"\(\*, 2\).*\(5, 3\)"):
        small_kan()(torch.zeros(5, 3, dtype=F64))


# ---------------------------------------------------------------------------
# update_grid


@pytest.mark.parametrize("x, error, message", [
    (torch.zeros(10, dtype=F64), ValueError, r"\(B, 2\), got \(10,\)"),
    (torch.zeros(10, 3, dtype=F64), ValueError, r"\(B, 2\), got \(10, 3\)"),
    (torch.zeros(0, 2, dtype=F64), ValueError, "non-empty"),
    (torch.zeros(2, 5, 2, dtype=F64), ValueError, r"\(B, 2\)"),
    (torch.zeros(10, 2, dtype=torch.int64), TypeError, "float64.*int64"),
    (torch.zeros(10, 2, dtype=F32), TypeError, "float64.*float32"),
    ([[0.0, 1.0]], TypeError, "torch.Tensor"),
])
def test_update_grid_rejects_bad_batches(x, error, message):
    """Malformed batches raise before anything changes."""
    model = small_kan()
    before = snapshot(model)
    with pytest.raises(error, match=message):
        model.update_grid(x)
    assert_unchanged(model, before)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_update_grid_names_first_non_finite(bad):
    """Non-finite samples: NonFiniteError with the count and first position; model unchanged."""
    model = small_kan()
    before = snapshot(model)
    x = torch.rand(20, 2, dtype=F64)
    x[7, 1] = bad
    with pytest.raises(NonFiniteError, match="1 non-finite values.*row 7, column 1"):
        model.update_grid(x)
    assert_unchanged(model, before)


# ---------------------------------------------------------------------------
# fit


def _data(dtype=F64, n=40):
    return kanlab.create_dataset(lambda x: x[:, :1] * x[:, 1:], 2, train_num=n, test_num=n,
                                 seed=0, dtype=dtype)


@pytest.mark.parametrize("key, value, error, message", [
    ("train_input", torch.zeros(40, dtype=F64), ValueError, r"\(N, 2\)"),
    ("train_input", torch.zeros(40, 3, dtype=F64), ValueError, r"\(N, 2\).*\(40, 3\)"),
    ("train_input", torch.zeros(0, 2, dtype=F64), ValueError, "N > 0"),
    ("train_input", torch.zeros(40, 2, dtype=torch.int64), TypeError, "int64"),
    ("test_input", torch.full((40, 2), float("inf"), dtype=F64), ValueError, "non-finite"),
    ("test_label", torch.zeros(40, 1, dtype=F32), TypeError, "float32"),
])
def test_fit_rejects_bad_parts(key, value, error, message):
    """Every dataset part is checked before training starts; the model is untouched."""
    model = small_kan()
    before = snapshot(model)
    data = dict(_data())
    data[key] = value
    with pytest.raises(error, match=message):
        fit(model, data, FitConfig(steps=1, progress=False))
    assert_unchanged(model, before)


def test_fit_float32_model_rejects_float64_data():
    """float64 data into a float32 model is a TypeError naming both dtypes."""
    with pytest.raises(TypeError, match="float64.*float32"):
        fit(small_kan(F32), _data(F64), FitConfig(steps=1, progress=False))


def test_fit_hidden_overflow_is_a_nonfinite_stop():
    """A hidden layer that overflows float32 stops fit with status 'nonfinite', not a crash."""
    model = small_kan(F32)
    with torch.no_grad():
        model.layers[0].coef.fill_(1e30)  # hidden activations ~1e30 ...
        model.layers[1].coef.fill_(1e10)  # ... that the next layer would take past 3.4e38
    before = snapshot(model)
    data = _data(F32)
    with pytest.raises(NonFiniteError):  # what the closure meets
        model(data["train_input"])
    history = fit(model, data, FitConfig(steps=3, update_grid=False, progress=False))
    assert history.status == "nonfinite" and history.stopped_at == 0
    assert_unchanged(model, before)


# ---------------------------------------------------------------------------
# create_dataset


def test_create_dataset_rejects_complex_labels():
    with pytest.raises(TypeError, match="real"):
        kanlab.create_dataset(lambda x: x[:, :1].to(torch.complex128), 1, train_num=4, test_num=4)


def test_create_dataset_rejects_zero_outputs():
    with pytest.raises(ValueError, match="n_out >= 1"):
        kanlab.create_dataset(lambda x: x[:, :0], 1, train_num=4, test_num=4)


def test_create_dataset_rejects_labels_overflowing_dtype():
    """float64 labels beyond float32's range are caught after the cast, not passed on as inf."""
    with pytest.raises(ValueError, match="non-finite.*float32"):
        kanlab.create_dataset(lambda x: (x[:, :1] + 2).double() * 1e39, 1, train_num=4,
                              test_num=4, dtype=F32)


def test_create_dataset_rejects_ranges_too_wide_for_dtype():
    with pytest.raises(ValueError, match="too wide"):
        kanlab.create_dataset(lambda x: x, 1, ranges=(-3e38, 3e38), dtype=F32)


def test_create_dataset_huge_ranges_in_float64_are_finite():
    """Ranges of ±1e300 in float64 give finite inputs and labels."""
    data = kanlab.create_dataset(lambda x: x, 1, ranges=(-1e300, 1e300), train_num=50, test_num=5,
                                 dtype=F64)
    assert all(bool(torch.isfinite(t).all()) for t in data.values())
    assert math.isclose(float(data["train_input"].abs().max()), 1e300, rel_tol=0.2)

"""LabelScale: the one map between the user's labels and the fitted ones (kanlab.train._label_scale)."""
import numpy as np
import pytest
import sympy
import torch

from kanlab.nn._network import KAN
from kanlab.train._label_scale import LabelScale

F64 = torch.float64


def _round(labels, model):
    """The map ``kanlab train`` uses for ``labels`` and ``model``."""
    return LabelScale.choose(labels, "round").restricted_to(model)


def _labels(values):
    return torch.as_tensor(values, dtype=F64).reshape(-1, 1)


def test_scale_is_the_nearest_power_of_ten_and_the_shift_a_round_large_mean():
    model = KAN([2, 3, 1], grid=3, seed=0, dtype=F64)
    g = torch.linspace(0.4, 7.4, 101, dtype=F64)[:, None]  # spread 2.0, mean 3.9: order one
    assert _round(g, model).identity
    tiny = _round(1e-5 * g, model)
    assert tiny.scale == (1e-5,) and tiny.shift == (0.0,)
    assert _round(1e5 * g, model).scale == (1e5,)
    offset = _round(1e3 + g, model)
    assert offset.scale == (1.0,) and offset.shift == (1000.0,)  # 1003.9 rounded to 10 scale
    both = _round(2.5e-3 * (400 + g), model)  # spread 5e-3 -> scale 1e-2
    assert both.scale == (1e-2,) and both.shift == (1.0,)  # mean 1.00975, spread 5e-3
    assert _round(torch.full((10, 1), 7.0, dtype=F64), model).identity  # constant
    mult = KAN([2, 4, [0, 1]], grid=3, seed=0, dtype=F64)  # the output is a product
    assert _round(1e-5 * g, mult).identity  # a product has no output weight


def test_rescaled_dataset_and_formula_map_back():
    scale = LabelScale((1000.0,), (1e-2,))
    data = {"train_input": torch.zeros(3, 1, dtype=F64), "test_input": torch.zeros(2, 1),
            "train_label": _labels([1000.0, 1000.02, 999.99]), "test_label": _labels([1000.0, 1000.01])}
    fitted = scale.rescale(data)
    assert torch.allclose(fitted["train_label"].flatten(), torch.tensor([0.0, 2.0, -1.0], dtype=F64))
    assert fitted["train_input"] is data["train_input"]
    x = sympy.Symbol("x")
    mapped = scale.formula(sympy.exp(x) - 2)
    assert sympy.simplify(mapped - (sympy.exp(x) / 100 + 999.98)) == 0


@pytest.mark.parametrize("symbolic_edge", [False, True])
def test_fold_into_is_exact_for_spline_and_symbolic_edges(symbolic_edge):
    model = KAN([2, 3, 2], grid=4, seed=1, dtype=F64)
    x = torch.rand(200, 2, dtype=F64) * 2.6 - 1.3  # beyond the grid too (extrapolated)
    if symbolic_edge:
        model.fix_symbolic(1, 0, 1, "sin", fit_params=False, params=(1.0, 0.5, 2.0, 0.3))
    before = model(x).detach()
    scale = LabelScale((1e3, -40.0), (1e-1, 1e-3))  # per-output scales
    assert scale.fold_into(model) == []
    after = model(x).detach()
    expected = before * torch.tensor([1e-1, 1e-3], dtype=F64) + torch.tensor([1e3, -40.0], dtype=F64)
    assert torch.allclose(after, expected, rtol=0, atol=1e-10)


def test_standard_rule_is_each_outputs_mean_and_deviation():
    """The estimators' and discover's rule: mean and standard deviation per output."""
    y = np.column_stack([np.linspace(-3.0, 5.0, 50) ** 2, np.full(50, 7.5)])  # 2nd constant
    scale = LabelScale.choose(y, "standard")
    assert scale.shift == pytest.approx((y[:, 0].mean(), 7.5), rel=1e-15)
    assert scale.scale == pytest.approx((y[:, 0].std(), 1.0), rel=1e-15)  # constant: own units
    t = scale.to_fitted(y)
    assert abs(t[:, 0].mean()) < 1e-14 and t[:, 0].std() == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(scale.to_labels(t), y, rtol=1e-15, atol=1e-14)
    with pytest.raises(ValueError, match="different scales"):
        scale.unit
    with pytest.raises(ValueError, match="rule must be"):
        LabelScale.choose(y, "minmax")


@pytest.mark.parametrize("rule", ["round", "standard"])
def test_labels_near_the_float64_limit_map_without_overflow(rule):
    """Labels up to ±1.7e308: statistics, fitted values and the way back stay finite."""
    y = np.array([[1.7e308], [-1.6e308], [-1.5e308], [1.2e308]])
    scale = LabelScale.choose(y, rule)
    t = scale.to_fitted(y)
    assert np.isfinite(t).all() and np.abs(t).max() < 30
    np.testing.assert_allclose(scale.to_labels(t), y, rtol=1e-14)
    assert np.isinf(scale.to_labels(np.array([[1e6]]))).all()  # beyond the range: inf, no error
    tt = scale.to_fitted(torch.as_tensor(y))  # tensors in, tensors out
    assert isinstance(tt, torch.Tensor) and torch.allclose(tt, torch.as_tensor(t))


def test_a_scale_must_be_positive_and_finite():
    with pytest.raises(ValueError, match="scale > 0"):
        LabelScale((0.0,), (0.0,))
    with pytest.raises(ValueError, match="one finite shift"):
        LabelScale((0.0, 1.0), (1.0,))

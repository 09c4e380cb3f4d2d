"""Labels of any scale: `kanlab train` fits rescaled labels and maps everything back."""
import math

import pytest
import sympy
import torch

from kanlab.cli._label_scale import LabelScale
from kanlab.cli._train_job import TrainConfig, run
from kanlab.nn._network import KAN
from kanlab.symbolic._expressions import parse_formula

F64 = torch.float64


def _labels(values):
    return torch.as_tensor(values, dtype=F64).reshape(-1, 1)


def test_scale_is_the_nearest_power_of_ten_and_the_shift_a_round_large_mean():
    model = KAN([2, 3, 1], grid=3, seed=0, dtype=F64)
    g = torch.linspace(0.4, 7.4, 101, dtype=F64)[:, None]  # spread 2.0, mean 3.9: order one
    assert LabelScale.of(g, model).identity
    tiny = LabelScale.of(1e-5 * g, model)
    assert tiny.scale == 1e-5 and tiny.shift == (0.0,)
    assert LabelScale.of(1e5 * g, model).scale == 1e5
    offset = LabelScale.of(1e3 + g, model)
    assert offset.scale == 1.0 and offset.shift == (1000.0,)  # 1003.9 rounded to 10 scale
    both = LabelScale.of(2.5e-3 * (400 + g), model)  # spread 5e-3 -> scale 1e-2
    assert both.scale == 1e-2 and both.shift == (1.0,)  # mean 1.00975, spread 5e-3
    assert LabelScale.of(torch.full((10, 1), 7.0, dtype=F64), model).identity  # constant
    mult = KAN([2, 4, [0, 1]], grid=3, seed=0, dtype=F64)  # the output is a product
    assert LabelScale.of(1e-5 * g, mult).identity  # a product has no output weight


def test_rescaled_dataset_and_formula_map_back():
    scale = LabelScale((1000.0,), 1e-2)
    data = {"train_input": torch.zeros(3, 1, dtype=F64), "test_input": torch.zeros(2, 1),
            "train_label": _labels([1000.0, 1000.02, 999.99]), "test_label": _labels([1000.0, 1000.01])}
    fitted = scale.rescale(data)
    assert torch.allclose(fitted["train_label"].flatten(), torch.tensor([0.0, 2.0, -1.0], dtype=F64))
    assert fitted["train_input"] is data["train_input"]
    x = sympy.Symbol("x")
    mapped = scale.formula(sympy.exp(x) - 2)
    assert sympy.simplify(mapped - (sympy.exp(x) / 100 + 999.98)) == 0


@pytest.mark.parametrize("symbolic_edge", [False, True])
def test_model_to_labels_is_exact_for_spline_and_symbolic_edges(symbolic_edge):
    model = KAN([2, 3, 2], grid=4, seed=1, dtype=F64)
    x = torch.rand(200, 2, dtype=F64) * 2.6 - 1.3  # beyond the grid too (extrapolated)
    if symbolic_edge:
        model.fix_symbolic(1, 0, 1, "sin", fit_params=False, params=(1.0, 0.5, 2.0, 0.3))
    before = model(x).detach()
    scale = LabelScale((1e3, -40.0), 1e-1)
    assert scale.model_to_labels(model) == []
    after = model(x).detach()
    expected = before * 1e-1 + torch.tensor([1e3, -40.0], dtype=F64)
    assert torch.allclose(after, expected, rtol=0, atol=1e-10)


def _small(function, out):
    cfg = TrainConfig(function=function, grids=[3, 6], steps=12, train_num=300, test_num=300,
                      progress=False, out=str(out))
    return run(cfg, log=lambda line: None)


def test_labels_of_any_scale_train_as_well_as_the_function_itself(tmp_path):
    """Issue 21 row 26: 1e-5*f trained to R² 0.29; now 1e-5*f, 1e5*f and 1e3+f match f."""
    plain = _small("exp(sin(pi*x)+y**2)", tmp_path / "plain")
    assert plain["final"]["test_r2"] > 0.99
    for function, scale, shift in [("1e-5*exp(sin(pi*x)+y**2)", 1e-5, 0.0),
                                   ("1e5*exp(sin(pi*x)+y**2)", 1e5, 0.0),
                                   ("1e3+exp(sin(pi*x)+y**2)", 1.0, 1000.0)]:
        scaled = _small(function, tmp_path / function[:3])
        assert scaled["label_scale"]["scale"] == scale
        # the same fit in the labels' units: RMSE scales with the labels, R² is the same
        if plain["final"]["test_rmse"] > 1e-8:  # (an exact formula leaves rounding-level RMSEs)
            ratio = scaled["final"]["test_rmse"] / (scale * plain["final"]["test_rmse"])
            assert 0.5 < ratio < 2  # the runs drift apart by rounding only
        assert scaled["final"]["test_rmse"] <= scale * max(2 * plain["final"]["test_rmse"], 1e-8)
        assert scaled["final"]["test_r2"] == pytest.approx(plain["final"]["test_r2"], abs=1e-3)
        assert scaled["final"]["width"] == plain["final"]["width"]
        for a, b in zip(scaled["stages"], plain["stages"]):  # logged RMSEs in the labels' units
            if "test_rmse" in a and b["test_rmse"] > 1e-8:  # (rounding: the runs drift a little)
                assert 0.5 < a["test_rmse"] / (scale * b["test_rmse"]) < 2
        assert bool(scaled.get("formula")) == bool(plain.get("formula"))
        if plain.get("formula"):
            want, (x, y) = parse_formula(plain["formula"], ["x", "y"])
            got = parse_formula(scaled["formula"], ["x", "y"])[0]
            for point in [(0.3, -0.2), (-0.7, 0.9)]:
                w = scale * float(want.subs({x: point[0], y: point[1]})) + shift
                assert math.isclose(float(got.subs({x: point[0], y: point[1]})), w, rel_tol=1e-6)

"""Labels of any scale: `kanlab train` fits rescaled labels and maps everything back
(the map itself: tests/train/test_label_map.py)."""
import math

import pytest

from kanlab.cli._train_job import TrainConfig, run
from kanlab.symbolic._expressions import parse_formula


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

"""The example scripts run end to end (tiny settings) and write their figures."""
import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_example(tmp_path, capsys):
    pytest.importorskip("sklearn", minversion="1.6", reason="scikit-learn >= 1.6 is needed")
    results = _load("digits").main(["--out", str(tmp_path), "--steps", "1", "--hidden", "2"])
    assert (tmp_path / "digits.png").stat().st_size > 0
    assert set(results) == {"KAN", "MLP"}
    # the MLP is sized to the KAN's trainable parameter count
    assert abs(results["MLP"]["parameters"] - results["KAN"]["parameters"]) < 75
    assert results["KAN"]["accuracy"] > 0.5  # ten classes: chance is 0.1
    assert "test accuracy" in capsys.readouterr().out


def test_poisson_example(tmp_path):
    stages = _load("poisson").main(["--out", str(tmp_path), "--grids", "3,6", "--steps", "2",
                                    "--points", "6"])
    assert (tmp_path / "poisson.png").stat().st_size > 0
    assert [s["grid"] for s in stages] == [3, 6]
    assert stages[-1]["relative_l2"] < 1.0  # better than u = 0

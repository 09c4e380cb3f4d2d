"""The one validator of integer and float arguments (kanlab._validation.check_int / check_float)."""
import math

import numpy as np
import pytest

import kanlab
from kanlab._validation import ArgumentTypeError, check_float, check_int


def test_check_int_accepts_python_and_numpy_ints():
    assert check_int(5, "n", low=1) == 5
    value = check_int(np.int64(7), "n", low=1)
    assert value == 7 and type(value) is int


@pytest.mark.parametrize("bad", [True, 2.5, "3", None])
def test_check_int_refuses_non_ints_as_type_and_value_error(bad):
    with pytest.raises(ArgumentTypeError, match="n must be a positive int") as info:
        check_int(bad, "n", low=1)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("value, low, high, message", [
    (0, 1, None, "positive int"), (-1, 0, None, "non-negative int"),
    (1, 2, None, r"int >= 2"), (9, 0, 4, r"int in \[0, 4\]"), (5, None, 4, r"int <= 4")])
def test_check_int_bounds(value, low, high, message):
    with pytest.raises(ValueError, match=message):
        check_int(value, "n", low=low, high=high)


def test_check_float():
    assert check_float(np.float32(0.5), "x", low=0.0, high=1.0) == 0.5
    assert check_float(3, "x") == 3.0
    assert check_float(math.inf, "x", low=0.0, finite=False) == math.inf
    for bad, error in ((True, ArgumentTypeError), ("1", ArgumentTypeError), (math.nan, ValueError),
                       (math.inf, ValueError), (-1.0, ValueError)):
        with pytest.raises(error, match="x must"):
            check_float(bad, "x", low=0.0)
    with pytest.raises(ValueError, match="> 0"):
        check_float(0.0, "x", low=0.0, low_open=True)


def test_library_arguments_use_it():
    """Numpy ints are accepted where ints are due; floats and bools are refused as before."""
    layer = kanlab.KANLayer(np.int64(3), np.int64(2), grid=np.int64(4), k=np.int64(2))
    assert (layer.in_features, layer.grid, layer.k) == (3, 4, 2) and type(layer.grid) is int
    with pytest.raises(ValueError, match="grid must be a positive int"):
        kanlab.KANLayer(3, 2, grid=2.5)
    with pytest.raises(ValueError, match="steps"):
        kanlab.FitConfig(steps=True)
    assert kanlab.KAN([np.int64(2), 3, 1]).width == [2, 3, 1]

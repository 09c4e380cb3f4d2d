"""Formulas holding an exact integer of more digits than Python converts to text
(``sys.get_int_max_str_digits()``, 4300 by default) evaluate: nothing on the way prints them."""
import math
import sys

import numpy as np
import pytest
import sympy
import torch

from kanlab.symbolic import to_numpy, to_torch
from kanlab.symbolic._formula import drop_negligible_terms, scales_out_of_factors

x, y = sympy.symbols("x y")
BIG = sympy.Integer(10) ** 5000  # 5001 digits


def test_the_integer_is_beyond_pythons_text_limit():
    limit = sys.get_int_max_str_digits()
    assert limit == 0 or limit < 5001
    if limit:
        with pytest.raises(ValueError):
            str(BIG)


@pytest.mark.parametrize("evaluate", ["numpy", "torch"])
def test_huge_coefficient_next_to_exp_evaluates(evaluate):
    """10**5000 · exp(-11600 x) + y: the coefficient joins the exponent, as for a float one."""
    expr = BIG * sympy.exp(-11600 * x) + y
    cols = np.array([[1.0, 0.5], [0.99, -1.0], [1.02, 2.0]])
    expected = np.exp(5000 * math.log(10) - 11600 * cols[:, 0]) + cols[:, 1]
    if evaluate == "numpy":
        got = to_numpy(expr, [x, y])(cols)
    else:
        got = to_torch(expr, [x, y])(torch.tensor(cols))[:, 0].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_huge_exact_rational_evaluates():
    expr = sympy.Rational(BIG + 1, BIG) * x
    np.testing.assert_allclose(to_numpy(expr, [x])(np.array([[2.0], [3.0]])), [2.0, 3.0])


def test_formula_helpers_take_a_huge_integer():
    """drop_negligible_terms and scales_out_of_factors order terms by their printed form."""
    expr = BIG * sympy.exp(-11600 * x) + x + sympy.Float(1e-30)
    cols = np.array([[0.9925, 0.0], [0.993, 0.0], [0.9935, 0.0]])  # the exp term about 1 to 1e-3
    kept = drop_negligible_terms(expr, [x, y], cols, 1e-12)
    assert kept == BIG * sympy.exp(-11600 * x) + x
    product = (BIG * x + 3 * y) * (x + y) * y
    out = scales_out_of_factors(product)  # its lead term: the largest coefficient, BIG
    assert sympy.expand(out - product) == 0

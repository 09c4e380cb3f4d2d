"""Tests for kanlab.symbolic._formula: rounding constants, LaTeX, callables."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
import torch

from kanlab.symbolic import (drop_negligible_terms, nice_number, round_formula, to_latex,
                             to_numpy, to_torch)

x, y = sympy.symbols("x y")


@pytest.mark.parametrize("value, expected", [
    (3.14159265, sympy.pi), (1.0000003, sympy.Integer(1)), (-2.0000001, sympy.Integer(-2)),
    (2e-6, sympy.Integer(0)), (0.5000001, sympy.Rational(1, 2)),
    (math.pi / 2 + 1e-7, sympy.pi / 2), (-2 * math.pi / 3, -2 * sympy.pi / 3),
])
def test_nice_number(value, expected):
    assert sympy.simplify(nice_number(value) - expected) == 0


def test_nice_number_keeps_digits_otherwise():
    assert nice_number(1.234567, digits=4) == sympy.Float(1.235, 4)
    with pytest.raises(ValueError, match="non-finite"):
        nice_number(float("nan"))


def test_round_formula_recovers_exact_composition():
    """Scale and offset constants spread over nested edges multiply out to the exact formula."""
    a, b, c, d = 0.7310, 0.2134, 1.0 / 0.7310, -0.4  # a*c = 1, offsets cancel through exp
    inner = c * sympy.sin(3.14159265358 * x + 1e-9) + 0.13 + 2.5 / a * (0.6324555320 * y) ** 2
    expr = 1.9 * sympy.exp(a * inner + b) * math.exp(-(a * 0.13 + b)) / 1.9 + 1e-10 + d - d
    rounded = round_formula(expr)
    assert sympy.simplify(rounded - sympy.exp(sympy.sin(sympy.pi * x) + y ** 2)) == 0


def test_round_formula_rejects_bad_digits():
    with pytest.raises(ValueError, match="digits"):
        round_formula(x, digits=0)


def test_latex_and_callables_agree():
    expr = sympy.exp(sympy.sin(sympy.pi * x) + y ** 2)
    assert to_latex(expr) == sympy.latex(expr)
    pts = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    truth = np.exp(np.sin(np.pi * pts[:, 0]) + pts[:, 1] ** 2)
    np.testing.assert_allclose(to_numpy(expr, [x, y])(pts), truth, rtol=1e-14)
    got = to_torch(expr, ["x", "y"])(torch.tensor(pts))
    np.testing.assert_allclose(got[:, 0].numpy(), truth, rtol=1e-14)


def test_huge_exp_coefficient_folds_into_the_exponent():
    """c·exp(u) with c = 1.8e28 is printed as exp(u + log c), not with a 29-digit number."""
    rounded = round_formula(1 / (1 + 1.7684960252608311e28 * sympy.exp(-561.8 * x)))
    assert not any(abs(float(f)) > 1e6 for f in rounded.atoms(sympy.Float))
    pts = np.array([[0.1], [0.12], [0.2]])
    expected = 1 / (1 + 1.7684960252608311e28 * np.exp(-561.8 * pts[:, 0]))
    # 4 significant digits on log c = 65.04 leave an error of up to ~0.5e-2 in the exponent
    np.testing.assert_allclose(to_numpy(rounded, [x])(pts), expected, rtol=1e-2, atol=1e-12)


def test_drop_negligible_terms_checks_on_data():
    x1, x2 = sympy.symbols("x1 x2")
    expr = (sympy.Float(-23.673728283984642) * (sympy.Float(-0.31139606765518746) * x1
            + sympy.Float(-8.9e-18)) * (sympy.Float(0.13565013096052709) * x2
            + sympy.Float(3.9e-19)) + sympy.Float(0.5) + sympy.Float(1e-17))
    data = np.random.default_rng(0).uniform(-1, 1, (300, 2))
    out = drop_negligible_terms(expr, [x1, x2], data, tol=1e-12)
    coeff, rest = (out - sympy.Float(0.5)).as_coeff_Mul()
    assert rest == x1 * x2 and abs(float(coeff) - 1.0) < 1e-12  # one product, one constant
    assert sympy.Float(0.5) in out.args  # it changes the values: kept
    # an offset inside a function that matters on the data is kept; a tiny one is not
    # a term with a variable counts too (Interp_1 seed 0: 2.74*x2*(0.366*x1 + 5.5e-18*x2))
    e3 = sympy.Float(2.7358544827596358) * x2 * (sympy.Float(0.3655165164308401) * x1
                                                  + sympy.Float(5.5e-18) * x2)
    coeff, rest = drop_negligible_terms(e3, [x1, x2], data, 1e-12).as_coeff_Mul()
    assert rest == x1 * x2 and abs(float(coeff) - 1.0) < 1e-6
    e2 = sympy.sin(x1 + sympy.Float(0.3)) + sympy.cos(x2 + sympy.Float(1e-16))
    out2 = drop_negligible_terms(e2, [x1, x2], data, 1e-12)
    assert out2 == sympy.sin(x1 + sympy.Float(0.3)) + sympy.cos(x2)
    with pytest.raises(ValueError, match="shape"):
        drop_negligible_terms(e2, [x1, x2], data[:, :1], 1e-12)
    with pytest.raises(ValueError, match="tol"):
        drop_negligible_terms(e2, [x1, x2], data, -1.0)


def test_drop_negligible_terms_keeps_a_log_of_a_shifted_input():
    """Dropping 2.8·x from log(2.8·x - 0.376) leaves log(-0.376) = log(0.376) + I·pi, a
    complex constant: that trial is refused, not raised (pykan's Example_9 on a trapped seed)."""
    x1, x2 = sympy.symbols("x1 x2")
    F = sympy.Float
    expr = F(0.05) * sympy.log(F(3.46) * x1 + F(0.23)) \
        + F(0.0424) * sympy.log(F(2.795) * x2 - F(0.376))
    data = np.random.default_rng(1).uniform(0.2, 5, (200, 2))
    assert drop_negligible_terms(expr, [x1, x2], data, tol=1e-9) == expr


def test_formula_rmse_against_a_direct_evaluation():
    """formula_rmse is the RMS of the formula minus the labels; constants broadcast to rows."""
    from kanlab.symbolic._formula import formula_rmse, formula_values
    X = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    target = np.sin(X[:, 0]) + X[:, 1] ** 2
    assert formula_rmse(sympy.sin(x) + y ** 2, [x, y], X, target) < 1e-15
    assert formula_rmse(sympy.sin(x), [x, y], X, target) == \
        pytest.approx(np.sqrt(np.mean(X[:, 1] ** 4)), rel=1e-12)
    assert formula_values(sympy.Integer(2), [x, y], X).tolist() == [2.0] * 50
    assert formula_rmse(sympy.log(x - 5), [x, y], X, target) == float("inf")


def test_scales_out_of_factors_moves_each_sums_scale_to_the_product_and_keeps_values():
    """A product of fitted affine factors gets one coefficient in front; the values stay."""
    from kanlab.symbolic import scales_out_of_factors
    m, g, y = sympy.symbols("m g y")
    exprs = [(2.0e-7 - 0.92234649695602955 * m) * (1.4e-5 - 1.0842049968999421 * g),
             sympy.sin((0.5 * m + 0.5) * (2 * g + 4.0)) + y,
             m * (3.0 * g - 1.5 * y + 0.25),
             2.5 * (m + 1.0)]
    pts = np.random.default_rng(0).uniform(0.5, 2.0, size=(50, 3))
    for e in exprs:
        out = scales_out_of_factors(e)
        np.testing.assert_allclose(to_numpy(out, [m, g, y])(pts), to_numpy(e, [m, g, y])(pts),
                                   rtol=1e-12)
    coeff, rest = scales_out_of_factors(exprs[0]).as_coeff_Mul()
    assert abs(float(coeff) - 0.92234649695602955 * 1.0842049968999421) < 1e-14
    for factor in sympy.Mul.make_args(rest):  # each sum's largest term has coefficient 1
        assert max(abs(float(t.as_coeff_Mul()[0])) for t in factor.args if t.free_symbols) == 1
    assert scales_out_of_factors(m * (3.0 * g - 1.5 * y + 0.25)).as_coeff_Mul()[0] == 3.0
    assert scales_out_of_factors(exprs[3]) == exprs[3]  # a number times one sum: sympy's form
    assert scales_out_of_factors(m * g) == m * g


def test_scales_out_of_factors_takes_a_roots_positive_scale_out_front_and_keeps_values():
    """``1.97·sqrt(0.2597·(x + a)² + 0.2598·(y - b)² + c)``, a fitted radius, rounds to
    ``1.97*sqrt(0.26*x**2 + 0.26*y**2)`` constant by constant; with the root's scale in front
    it rounds to ``sqrt(x**2 + y**2)`` up to 1.0 factors.  Negative scales and integer powers
    are left alone (a root of a negative number, a polynomial)."""
    from kanlab.pykan import ex_round
    from kanlab.symbolic import scales_out_of_factors
    x, y = sympy.symbols("x y")
    radius = 1.9707870483398438 * sympy.sqrt(
        0.25965461134910583 * (1.0 * x + 0.00012588397657964379) ** 2
        + 0.25976213812828064 * (1.0 * y - 7.7391603554133326e-5) ** 2 + 0.000689417123794) - 0.01
    out = scales_out_of_factors(radius)
    pts = np.random.default_rng(0).uniform(-1.0, 1.0, size=(50, 2))
    np.testing.assert_allclose(to_numpy(out, [x, y])(pts), to_numpy(radius, [x, y])(pts),
                               rtol=1e-12)
    rounded = ex_round(out, 2)
    assert sympy.simplify(rounded - (sympy.sqrt(x ** 2 + y ** 2) - 0.01)) == 0, rounded
    for kept in (sympy.sqrt(1 - 2.0 * x), (2.0 * x + 4) ** 2, (2.0 * x + 4) ** 2.0,
                 sympy.sqrt(x + 2)):
        assert scales_out_of_factors(kept) == kept
    inverse = (3.0 * x + 1) ** -1.5  # any non-integer power
    np.testing.assert_allclose(to_numpy(scales_out_of_factors(inverse), [x, y])(pts + 1.5),
                               to_numpy(inverse, [x, y])(pts + 1.5), rtol=1e-12)

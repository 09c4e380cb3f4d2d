"""Rewritings that sympy cannot afford are skipped (kanlab.discover._simplify)."""
import numpy as np
import sympy

from kanlab.discover._constants import evaluate
from kanlab.discover._simplify import (_float_sum_exponent, _high_power_of_sum, linearised,
                                       simplest)


def test_exp_of_a_sum_with_floats_is_not_factored_but_still_simplified():
    """factor() would turn the floats into exponents of exp(u): a dense polynomial of degree 10^5."""
    a, b, c, d = syms = sympy.symbols("a b c d", positive=True)
    expr = sympy.exp((-1.17974 * a * b + 2.50318e-11 * c * d ** 2 + 11.5104 * c
                      - sympy.Integer(2478540000) * c / d ** 2) / c)
    assert _float_sum_exponent(expr)
    assert not _float_sum_exponent(sympy.exp(-(a - b) ** 2 / (2 * c ** 2)))
    X = np.random.default_rng(0).uniform(1, 2, (50, 4)) * [1, 1, 300, 1e5]
    out = simplest(expr, syms, X)
    np.testing.assert_allclose(evaluate(out, syms, X), evaluate(expr, syms, X), rtol=1e-9)


def test_high_powers_of_sums_are_recognised():
    x, y, z = sympy.symbols("x y z", positive=True)
    assert _high_power_of_sum((1 + 0.01 * x * y / z) ** 10)
    assert _high_power_of_sum((x + y) ** sympy.Rational(7, 10))
    assert not _high_power_of_sum((x + y) ** 2 / z ** 12 + sympy.sqrt(x + z))


def test_linearised_skips_an_argument_beyond_float64():
    """A call whose argument holds a constant beyond float64 is left alone (no error)."""
    x = sympy.Symbol("x", positive=True)
    expr = sympy.sin(sympy.Float("1e6000") * x) + sympy.sin(x / 100)
    X = np.linspace(1, 2, 20)[:, None]
    assert linearised(expr, [x], X) == sympy.sin(sympy.Float("1e6000") * x) + x / 100


def test_a_sum_of_decays_rather_than_a_growing_exponential_cancelled():
    """A·(e^(2t) − 1)·e^(−3t) prints as A·(e^(−t) − e^(−3t)): one node more, no growing term."""
    A, t = syms = sympy.symbols("A t", positive=True)
    X = np.random.default_rng(0).uniform(0.1, 3, (50, 2))
    assert simplest(A * (sympy.exp(2 * t) - 1) * sympy.exp(-3 * t), syms, X) == \
        A * (sympy.exp(-t) - sympy.exp(-3 * t))
    assert simplest(A - A * sympy.exp(-t), syms, X) == A - A * sympy.exp(-t)  # left as it is


def test_a_sum_of_products_of_sines_is_a_sine_of_a_sum():
    """The phase search's A·(sin φ·cos ωt + sin ωt·cos φ)·e^(−t/τ) prints as one sine."""
    A, t, tau, w, phi = syms = sympy.symbols("A t tau w phi", positive=True)
    X = np.random.default_rng(1).uniform(0.1, 3, (50, 5))
    expr = A * (sympy.sin(phi) * sympy.cos(t * w) + sympy.sin(t * w) * sympy.cos(phi)) \
        * sympy.exp(-t / tau)
    assert simplest(expr, syms, X) == A * sympy.exp(-t / tau) * sympy.sin(phi + t * w)

"""A ratio of a sine and a cosine prints as a tangent (kanlab.discover._simplify)."""
import numpy as np
import sympy

from kanlab.discover._constants import evaluate
from kanlab.discover._simplify import simplest


def _rows(n=40):
    return np.column_stack([np.linspace(10, 200, n), np.linspace(0.1, 0.8, n)])


def test_a_root_of_a_cosine_over_a_sine_prints_as_a_root_of_a_tangent():
    r, theta = syms = sympy.symbols("r theta", positive=True)
    expr = sympy.Float("3.1320919527") * sympy.sqrt(r) / sympy.sqrt(
        sympy.cos(theta) / sympy.sin(theta))
    out = simplest(expr, syms, _rows(), thorough=True)
    assert out.has(sympy.tan) and not out.has(sympy.sin) and not out.has(sympy.cos)
    np.testing.assert_allclose(evaluate(out, syms, _rows()), evaluate(expr, syms, _rows()),
                               rtol=1e-12)


def test_unequal_powers_keep_what_is_left_of_the_sine():
    r, theta = syms = sympy.symbols("r theta", positive=True)
    expr = r * sympy.sin(theta) ** 2 / sympy.cos(theta)
    out = simplest(expr, syms, _rows())
    assert out.has(sympy.tan) and not out.has(sympy.cos)
    np.testing.assert_allclose(evaluate(out, syms, _rows()), evaluate(expr, syms, _rows()),
                               rtol=1e-12)


def test_sines_and_cosines_of_different_arguments_are_left_alone():
    r, theta = syms = sympy.symbols("r theta", positive=True)
    expr = r * sympy.sin(theta) / sympy.cos(2 * theta)
    assert not simplest(expr, syms, _rows()).has(sympy.tan)

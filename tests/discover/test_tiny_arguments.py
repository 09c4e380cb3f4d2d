"""exp and log of arguments tiny on every row are offered at first order (kanlab.discover._simplify)."""
import numpy as np
import sympy

from kanlab.discover._simplify import linearised


def test_exp_of_a_tiny_argument_is_offered_as_one_plus_it_multiplied_out():
    """c·exp(λ) − k·cos θ − 1 with λ ~ 1e-11 is offered as c·λ + (c − 1) − k·cos θ."""
    lam, theta = syms = sympy.symbols("lam theta", positive=True)
    c = sympy.Float("1.00000000000244")
    expr = c * sympy.exp(lam) - sympy.Float("2.4195e-12") * sympy.cos(theta) - 1
    X = np.column_stack([np.linspace(1e-11, 5e-11, 20), np.linspace(0, 3, 20)])
    out = linearised(expr, syms, X)
    assert not out.has(sympy.exp), out
    assert out.coeff(lam) == c
    const = out.as_coeff_Add()[0]
    assert abs(float(const) - 2.44e-12) < 1e-15, out


def test_log_near_one_and_larger_arguments():
    """log(1 + u) with u ≤ 1e-8 becomes u; exp of an argument up to 0.1 is kept."""
    x, y = syms = sympy.symbols("x y", positive=True)
    X = np.column_stack([np.linspace(1e-9, 1e-8, 20), np.linspace(0.01, 0.1, 20)])
    assert linearised(y * sympy.log(1 + x), syms, X) == x * y
    assert linearised(y * sympy.exp(y), syms, X) == y * sympy.exp(y)

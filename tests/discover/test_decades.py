"""Inputs in units far from 1: the structure search runs on columns rescaled by powers of ten
and prints the formula in the original units."""
import numpy as np
import sympy

from kanlab.discover import discover
from kanlab.discover._constants import evaluate
from kanlab.discover._decades import decade_factors, in_original_units


def test_factors_bring_columns_near_one():
    """Millimetres, kilopascals and a column near 1 (left alone); a column of zeros stays."""
    X = np.column_stack([np.full(5, 2e-3), np.full(5, 5e4), np.full(5, 3.0), np.zeros(5),
                         np.full(5, -7e-6)])
    assert decade_factors(X) == [3, -5, 0, 0, 5]


def test_mapping_back_gives_the_same_values():
    """f on the rescaled columns equals the mapped formula on the original ones."""
    a, b = sympy.symbols("a b", positive=True)
    expr = 3 * a * sympy.cos(a * b) + b ** 2
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(1e-3, 2e-3, 50), rng.uniform(1e4, 3e4, 50)])
    exponents = decade_factors(X)
    scaled = X * 10.0 ** np.array(exponents)
    back = in_original_units(expr, [a, b], exponents)
    np.testing.assert_allclose(evaluate(back, [a, b], X), evaluate(expr, [a, b], scaled),
                               rtol=1e-12)


def test_law_found_in_thousandfold_units():
    """A·cos(k·d) with every input ×1e-3 and y ×1e6 is the same law in the new units:
    1e9·A·cos(1e6·k·d)."""
    rng = np.random.default_rng(1)
    n = 1000
    A, k, d = rng.uniform(1, 2, n), rng.uniform(1, 3, n), rng.uniform(0, 1.5, n)
    y = 1e6 * A * np.cos(k * d)
    res = discover(np.column_stack([A, k, d]) * 1e-3, y, names=["A", "k", "d"], n_jobs=1,
                   rounds=())
    assert res.formula_fits
    expr = sympy.sympify(res.formula_str, locals=res.sympy_locals)
    As, ks, ds = (res.sympy_locals[s] for s in ("A", "k", "d"))
    assert sympy.simplify(expr - 10 ** 9 * As * sympy.cos(10 ** 6 * ks * ds)) == 0, expr

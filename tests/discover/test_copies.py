"""An input's exact copy in other units is written in terms of the other (kanlab.discover._copies)."""
import numpy as np
import sympy

from kanlab.discover._constants import evaluate
from kanlab.discover._copies import copy_substitutions
from kanlab.discover._simplify import simplest


def _rows(n=60):
    rng = np.random.default_rng(0)
    theta = rng.uniform(0.1, 1.4, n)
    return np.column_stack([rng.uniform(1, 10, n), theta, theta * 180 / np.pi,
                            rng.uniform(9, 10, n)])


def test_a_power_spread_over_a_degrees_copy_prints_in_one_column():
    """v²·sin(θ°³/(94031·θ²))/g is v²·sin(2.0003·θ)/g: one column, fewer nodes, same values."""
    v, t, tc, g = syms = sympy.symbols("v theta theta_copy g", positive=True)
    expr = v ** 2 * sympy.sin(tc ** 3 / (94031 * t ** 2)) / g
    X = _rows()
    out = simplest(expr, syms, X, thorough=True)
    assert tc not in out.free_symbols and t in out.free_symbols, out
    np.testing.assert_allclose(evaluate(out, syms, X), evaluate(expr, syms, X), rtol=1e-9)


def test_offsets_are_found_and_independent_columns_are_not():
    """kelvin = celsius + 273.15 gives both substitutions; unrelated columns give none."""
    c, k, x = syms = sympy.symbols("c k x")
    rng = np.random.default_rng(1)
    cel = rng.uniform(-20, 40, 30)
    X = np.column_stack([cel, cel + 273.15, rng.uniform(1, 2, 30)])
    subs = copy_substitutions(c * k + x, syms, X)
    assert len(subs) == 2
    assert abs(float(subs[0][k].subs(c, 10)) - 283.15) < 1e-9
    assert copy_substitutions(c * x, syms, X) == []
    assert copy_substitutions(k, syms, X) == []  # one of the pair is not in the formula


def test_the_copy_pairs_are_found_once_per_rows():
    """Every candidate is rewritten on the same rows: the pairs are computed once for them."""
    from kanlab.discover._copies import _copy_pairs
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, (40, 3))
    X[:, 2] = 57.3 * X[:, 0] + 2.0
    a, b, c = syms = sympy.symbols("a b c", positive=True)
    _copy_pairs.cache_clear()
    first = copy_substitutions(a * c, syms, X)
    second = copy_substitutions(a * b + c, syms, X.copy())
    assert len(first) == len(second) == 2
    assert _copy_pairs.cache_info().hits == 1 and _copy_pairs.cache_info().misses == 1
    assert copy_substitutions(a * b, syms, X) == []  # the pair's inputs are not both used

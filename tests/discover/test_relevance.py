"""Inputs the target does not use: the neighbour test names them, and the search still finds
the law when they are in the table."""
import numpy as np
import sympy

from kanlab.discover import discover
from kanlab.discover._relevance import relevant_inputs


def _interference(n, extra, seed=0):
    rng = np.random.default_rng(seed)
    A, k, d = rng.uniform(1, 2, n), rng.uniform(1, 3, n), rng.uniform(0, 1.5, n)
    X = np.column_stack([A, k, d] + [rng.uniform(0, 1, n) for _ in range(extra)])
    return X, A * np.cos(k * d)


def test_unused_columns_are_dropped_and_used_ones_kept():
    """Two uniform columns that y ignores go; the three it uses stay."""
    X, y = _interference(1200, extra=2)
    y = y + 0.01 * np.std(y) * np.random.default_rng(1).standard_normal(len(y))
    assert relevant_inputs(X, y) == [0, 1, 2]


def test_every_column_kept_when_each_is_used():
    """A sum of three inputs of equal weight: nothing is dropped."""
    rng = np.random.default_rng(2)
    X = rng.uniform(0, 1, (800, 3))
    assert relevant_inputs(X, X.sum(axis=1)) == [0, 1, 2]


def test_one_column_is_returned_as_is():
    assert relevant_inputs(np.arange(30.0)[:, None], np.arange(30.0)) == [0]


def test_law_found_beside_two_unused_columns():
    """A·cos(k·d) with two extra columns (5 inputs, beyond the term library's functions of
    products): the formula is the law and names no extra column."""
    X, y = _interference(1000, extra=2, seed=3)
    y = y + 0.01 * np.std(y) * np.random.default_rng(4).standard_normal(len(y))
    res = discover(X, y, names=["A", "k", "d", "u", "w"], n_jobs=1, rounds=())
    assert res.formula_fits
    expr = sympy.sympify(res.formula_str, locals=res.sympy_locals)
    assert {str(s) for s in expr.free_symbols} == {"A", "k", "d"}, expr
    A, k, d = (res.sympy_locals[s] for s in ("A", "k", "d"))
    assert sympy.simplify(expr - A * sympy.cos(k * d)) == 0, expr

"""Angles of spherical triangles: sin y or cos y a short sum of products of three trig factors."""
import numpy as np
import sympy

from kanlab.discover._constants import evaluate, rmse_of
from kanlab.discover._sparse import structure_formulas
from kanlab.discover._terms import spherical_terms

from _discover_support import positive_symbols


def test_spherical_terms_match_their_expressions_and_share_no_input():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 2, (50, 4))
    syms = positive_symbols("a", "b", "c", "d")
    values, factors = spherical_terms(X, syms)
    assert values.shape == (50, len(factors)) == (50, 8 + 6 * 4 + 4 * 8)
    for k, fs in enumerate(factors):
        inputs = [f.free_symbols for f in fs]
        assert len(set().union(*inputs)) == len(fs), fs
        np.testing.assert_allclose(values[:, k], evaluate(sympy.Mul(*fs), syms, X), rtol=1e-9,
                                   atol=1e-12)


def test_great_circle_distance_is_found():
    """acos(sin a·sin b + cos a·cos b·cos C): the side of a spherical triangle (a great-circle
    distance from two latitudes and a longitude difference)."""
    rng = np.random.default_rng(1)
    n = 900
    X = np.c_[rng.uniform(-1.2, 1.2, n), rng.uniform(-1.2, 1.2, n), rng.uniform(-2.5, 2.5, n)]
    syms = positive_symbols("a", "b", "C")
    y = np.arccos(np.sin(X[:, 0]) * np.sin(X[:, 1])
                  + np.cos(X[:, 0]) * np.cos(X[:, 1]) * np.cos(X[:, 2]))
    found = structure_formulas(X[:600], y[:600], X[600:], y[600:], syms)
    best = min(found, key=lambda f: rmse_of(f, syms, X[600:], y[600:]))
    assert rmse_of(best, syms, X[600:], y[600:]) < 1e-9 * np.std(y), best
    assert best.has(sympy.acos), best


def test_wide_stepwise_over_one_column_yields_it_alone():
    """A single column and a wide pair search (a one-input table's spherical terms inside the
    homogeneous search raised IndexError: no pair to keep)."""
    from kanlab.discover._subsets import _stepwise
    rng = np.random.default_rng(2)
    D = rng.standard_normal((40, 1))
    t = 2 * D[:, 0]
    found = list(_stepwise(D, t, 3, 4, wide=120))
    assert [list(cols) for cols, _ in found] == [[0]]


def test_structure_search_on_one_angle():
    """sin of one input alone: no spherical products, no crash."""
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1.2, (300, 1))
    y = np.arcsin(0.5 * np.sin(X[:, 0]))
    syms = positive_symbols("a")
    found = structure_formulas(X[:200], y[:200], X[200:], y[200:], syms)
    assert min(rmse_of(f, syms, X[200:], y[200:]) for f in found) < 1e-9

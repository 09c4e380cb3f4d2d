"""Products with a sign-changing factor, a shifted input or a difference of inputs; short forms."""
import numpy as np
import pytest
import sympy

from kanlab.discover._constants import (_nice_values, complexity, evaluate, rmse_of,
                                        round_constants)
from kanlab.discover._factors import (affine_factors, difference_logs, oscillating,
                                      signed_factors)
from kanlab.discover._simplify import simplest
from kanlab.discover._terms import term_library

from _discover_support import best_structure, positive_symbols


def test_sign_of_the_right_oscillating_factor_follows_the_target():
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(1, 2, 400), rng.uniform(0.1, 1, 400), rng.uniform(0, 3, 400),
              rng.uniform(1, 3, 400)]
    A, b, t, w = syms = positive_symbols("A", "b", "t", "w")
    y = X[:, 0] * np.exp(-X[:, 1] * X[:, 2]) * np.cos(X[:, 3] * X[:, 2])
    values, exprs = term_library(X, syms)
    found = signed_factors(oscillating(values, exprs), y)
    assert found and found[0][1] in (sympy.cos(t * w), -sympy.cos(t * w)), found
    assert signed_factors(oscillating(values, exprs), np.abs(y)) == []  # one sign: no factor


@pytest.mark.parametrize("seed, n, b_range, t_max, w_max", [
    (1, 400, (0.1, 1), 3, 3),
    # ω·t up to 50 (8 turns): a sine or cosine of an argument beyond 40 is a column too
    (4, 600, (0.05, 0.5), 10, 5)])
def test_damped_oscillation_is_found_as_a_product(seed, n, b_range, t_max, w_max):
    rng = np.random.default_rng(seed)
    X = np.c_[rng.uniform(1, 2, n), rng.uniform(*b_range, n), rng.uniform(0, t_max, n),
              rng.uniform(1, w_max, n)]
    A, b, t, w = syms = positive_symbols("A", "b", "t", "w")
    y = X[:, 0] * np.exp(-X[:, 1] * X[:, 2]) * np.cos(X[:, 3] * X[:, 2])
    n_train = 2 * n // 3
    best = best_structure(X, y, syms, n_train=n_train)
    assert rmse_of(best, syms, X[n_train:], y[n_train:]) < 1e-9 * np.std(y), best
    assert best.has(sympy.cos(t * w)) and best.has(sympy.exp), best
    values, exprs = term_library(X, syms)
    assert not any(f.has(sympy.exp(t * w)) for e in exprs for f in e) or t_max * w_max <= 40


def test_affine_factor_of_a_shifted_input():
    """(n - 1)·(1/R1 - 1/R2): y is affine in n with A/B = -1 on every row."""
    rng = np.random.default_rng(2)
    X = np.c_[rng.uniform(1.3, 1.9, 300), rng.uniform(0.05, 0.5, 300),
              rng.uniform(-0.5, -0.05, 300)]
    syms = [sympy.Symbol("n", positive=True), sympy.Symbol("R1", positive=True),
            sympy.Symbol("R2", real=True)]
    y = (X[:, 0] - 1) * (1 / X[:, 1] - 1 / X[:, 2])
    found = affine_factors(X, syms, y)
    assert found, found
    values, expr, spread = found[0]
    assert spread < 1e-3 and expr.free_symbols == {syms[0]}
    np.testing.assert_allclose(values, X[:, 0] - 1, atol=1e-4)
    # a law without such a factor offers none (p + rho·v²: affine in p, but A/B varies)
    Z = np.c_[rng.uniform(1, 2, 300), rng.uniform(1, 2, 300), rng.uniform(1, 2, 300)]
    assert affine_factors(Z, positive_symbols("p", "rho", "v"), Z[:, 0] + Z[:, 1] * Z[:, 2] ** 2) == []


def test_difference_of_inputs_enters_a_product():
    rng = np.random.default_rng(3)
    n = 400
    X = np.c_[rng.uniform(10, 400, n), rng.uniform(350, 400, n), rng.uniform(280, 320, n)]
    k, T1, T2 = syms = positive_symbols("k", "T1", "T2")
    bases = {b for _, b in difference_logs(X, syms)}
    assert {T1 - T2, T1 + T2} <= bases and k - T2 not in bases  # k - T2 changes sign
    y = 0.5 * X[:, 0] * (X[:, 1] - X[:, 2])
    best = best_structure(X, y, syms)
    assert rmse_of(best, syms, X[300:], y[300:]) < 1e-9 * np.std(y), best
    # found as a log fit with the column log(T1 - T2) or as k times the sum T1/2 - T2/2 (k a
    # factor of y): once rounded, both factor to k·(T1 - T2)/2
    best = round_constants(best, syms, (X[:300], y[:300]), (X[300:], y[300:]),
                           1e-9 * float(np.std(y)))
    assert (T1 - T2) in sympy.preorder_traversal(sympy.factor(best)) or best.has(T1 - T2), best


def test_simplest_form_of_a_ratio_and_whole_floats():
    f, v = syms = positive_symbols("f", "v")
    X = np.random.default_rng(4).uniform([100, 0], [1000, 100], (50, 2))
    expr = -f / (v / 343 - 1)
    out = simplest(expr, syms, X)
    assert complexity(out) < complexity(expr)
    np.testing.assert_allclose(evaluate(out, syms, X), evaluate(expr, syms, X), rtol=1e-12)
    assert simplest(sympy.Float(1.0) * f * v ** sympy.Float(1.0), syms, X) == f * v


def test_reciprocal_of_a_whole_number_is_a_nice_value():
    assert sympy.Rational(1, 343) in _nice_values(1 / 343.0)
    assert all(v != sympy.Rational(1, 343) for v in _nice_values(1 / 300.0))


def test_simplify_holds_trigonometric_calls_and_stays_quick():
    import time
    from kanlab.discover._simplify import _simplify_opaque
    A, k, x, w, t = positive_symbols("A", "k", "x", "w", "t")
    F = sympy.Float
    expr = F(1.00002) * A * sympy.sin(F(0.99999) * k * x - F(1.00001) * t * w + F(3e-6)) \
        + F(2e-6) * A * x  # simplify's trigonometric pass ran for an hour on such a form
    start = time.process_time()
    out = _simplify_opaque(expr)
    assert time.process_time() - start < 20
    X = np.random.default_rng(0).uniform(0.5, 2, (50, 5))
    syms = [A, k, x, w, t]
    assert np.allclose(evaluate(out, syms, X), evaluate(expr, syms, X), rtol=1e-12)
    assert _simplify_opaque((A * x + A * t) / (x + t)) == A  # the algebra around is kept


def test_power_times_exponential_over_an_input():
    """exp(-(x - c)²/(2 s²))/s: s²·log y = -(x - c)²/2 - s²·log s, so the column s²·log s
    joins the exponent's sum, and s^-1 is written outside the exponential."""
    rng = np.random.default_rng(5)
    n = 500
    X = np.c_[rng.uniform(-2, 2, n), rng.uniform(-0.5, 0.5, n), rng.uniform(0.6, 1.8, n)]
    x, c, s = syms = [sympy.Symbol("x", real=True), sympy.Symbol("c", real=True),
                      sympy.Symbol("s", positive=True)]
    y = np.exp(-(X[:, 0] - X[:, 1]) ** 2 / (2 * X[:, 2] ** 2)) / X[:, 2]
    best = best_structure(X, y, syms, n_train=350)
    assert rmse_of(best, syms, X[350:], y[350:]) < 1e-9 * np.std(y), best
    assert not best.has(sympy.log), best

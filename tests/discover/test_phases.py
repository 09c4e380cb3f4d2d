"""Phases, inputs that are factors, logs of ratios, and whole numbers chosen on validation."""
import numpy as np
import sympy

from kanlab.discover._constants import _nice_values, evaluate, refit, rmse_of, round_constants
from kanlab.discover._factors import affine_factors
from kanlab.discover._terms import phase_terms, term_library

from _discover_support import best_structure, positive_symbols


def test_phase_terms_match_their_expressions_and_share_no_input():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 2, (60, 4))
    syms = positive_symbols("a", "b", "c", "d")
    values, factors = phase_terms(X, syms)
    assert values.shape == (60, len(factors)) and len(factors) > 50
    for k, (f, g) in enumerate(factors):
        assert not (f.free_symbols & g.free_symbols), (f, g)
        np.testing.assert_allclose(values[:, k], evaluate(f * g, syms, X), rtol=1e-9, atol=1e-12)


def test_sine_of_a_difference_of_products_is_found():
    """A·sin(k·x - t): a phase through zero, a target of both signs, an amplitude factor."""
    rng = np.random.default_rng(1)
    n = 400
    X = np.c_[rng.uniform(0.5, 2, n), rng.uniform(1, 3, n), rng.uniform(0, 2, n),
              rng.uniform(0, 2, n)]
    A, k, x, t = syms = positive_symbols("A", "k", "x", "t")
    y = X[:, 0] * np.sin(X[:, 1] * X[:, 2] - X[:, 3])
    assert np.any(y > 0) and np.any(y < 0)
    best = best_structure(X, y, syms, n_train=250)
    assert rmse_of(best, syms, X[250:], y[250:]) < 1e-9 * np.std(y), best
    assert best.has(sympy.sin(k * x)) and best.has(sympy.cos(t)), best


def test_an_input_that_is_a_factor_is_offered_as_one():
    """n·(1.5·log(T2/T1) + log(V2/V1)): y = n·B(rest) with no offset, so n is a factor."""
    rng = np.random.default_rng(2)
    m = 300
    X = np.c_[rng.uniform(1, 3, m), rng.uniform(250, 350, m), rng.uniform(300, 600, m),
              rng.uniform(0.01, 0.05, m), rng.uniform(0.02, 0.1, m)]
    syms = positive_symbols("n", "T1", "T2", "V1", "V2")
    y = X[:, 0] * (1.5 * np.log(X[:, 2] / X[:, 1]) + np.log(X[:, 4] / X[:, 3]))
    found = affine_factors(X, syms, y)
    assert any(expr == syms[0] for _, expr, _ in found), found
    best = best_structure(X, y, syms, n_train=200)
    assert rmse_of(best, syms, X[200:], y[200:]) < 1e-9 * np.std(y), best
    # a sum offers no such factor: y + 1 is not n times the rest
    assert not any(expr == syms[0] for _, expr, _ in affine_factors(X, syms, y + 1.0))


def test_logs_of_ratios_only_of_like_inputs():
    rng = np.random.default_rng(3)
    X = np.c_[rng.uniform(250, 350, 50), rng.uniform(300, 600, 50), rng.uniform(0.01, 0.05, 50)]
    T1, T2, V = syms = positive_symbols("T1", "T2", "V")
    _, factors = term_library(X, syms, simple=True)
    logs = {f[0] for f in factors if len(f) == 1 and isinstance(f[0], sympy.log)}
    assert sympy.log(T1 / T2) in logs
    assert sympy.log(T1 / V) not in logs and sympy.log(T2 / V) not in logs


def test_whole_number_beside_a_constant_is_chosen_on_validation():
    """343.6 is nearest 344, but the data say 343: both pass the tolerance, validation picks 343."""
    assert _nice_values(343.6)[:2] == [344, 343]
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 1, (200, 1))
    y = X[:, 0] + 343
    x = sympy.Symbol("x", positive=True)
    rounded = round_constants(sympy.Float(343.6) + x, [x], (X[:100], y[:100]),
                              (X[100:], y[100:]), tol=1.0)
    assert rounded == x + 343, rounded


def test_group_law_times_an_input_of_both_signs():
    """x·tanh(0.7·a/b) with x through 0: the group search runs on y/x, which has one sign."""
    from kanlab.discover._groups import group_formulas
    rng = np.random.default_rng(5)
    n = 500
    X = np.c_[rng.uniform(-2, 2, n), rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n)]
    x, a, b = syms = [sympy.Symbol("x", real=True), *positive_symbols("a", "b")]
    y = X[:, 0] * np.tanh(0.7 * X[:, 1] / X[:, 2])
    found = group_formulas(X[:300], y[:300], X[300:], y[300:], syms)
    assert found
    fitted = [refit(f, syms, X[:300], y[:300]) for f in found]
    best = min(fitted, key=lambda f: rmse_of(f, syms, X[300:], y[300:]))
    assert rmse_of(best, syms, X[300:], y[300:]) < 1e-6 * np.std(y), best
    assert best.has(sympy.tanh) and x in best.free_symbols, best


def test_small_arguments_are_offered_without_their_function():
    """B·sin(q·v) + sin(E·q) with q·v, E·q below 1e-3 also enters as B·q·v + E·q."""
    from kanlab.discover._pipeline import _add
    from kanlab.discover._simplify import linearised
    rng = np.random.default_rng(6)
    X = rng.uniform(0, 1, (300, 4)) * [1e-5, 100, 1, 100] + [1e-6, 1, 0.1, -50]
    q, v, B, E = syms = [*positive_symbols("q", "v", "B"), sympy.Symbol("E", real=True)]
    assert linearised(sympy.sin(v) * q, syms, X) == sympy.sin(v) * q  # v up to 101: kept
    y = X[:, 0] * (X[:, 3] + X[:, 1] * X[:, 2])
    data = {"X_train": X[:200], "y_train": y[:200], "X_val": X[200:], "y_val": y[200:]}
    candidates = []
    _add(candidates, set(), [B * sympy.sin(q * v) + sympy.sin(E * q)], "test", syms, data)
    forms = [c["expr"] for c in candidates]
    assert len(forms) == 2 and any(not f.has(sympy.sin) for f in forms), forms
    plain = next(c for c in candidates if not c["expr"].has(sympy.sin))
    assert plain["val_rmse"] < 1e-9 * np.std(y), plain

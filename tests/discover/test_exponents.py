"""An input in an exponent: y = A·Π x^a·B(w)^m (discover/_exponents.py)."""
import numpy as np
import sympy

from kanlab.discover._exponents import exponent_formulas, exponent_terms

from _discover_support import best_found, positive_symbols


def test_a_base_raised_to_an_input():
    """A·(1 + a·b)^c: log y = log A + c·log(1 + a·b), a term of three inputs; found exactly."""
    law = lambda A, a, b, c: A * (1 + a * b) ** c  # noqa: E731
    _, err, _ = best_found(exponent_formulas, law, [(1, 5), (0.1, 1), (0.5, 2), (1, 6)],
                           "A a b c")
    assert err < 1e-9, err


def test_the_terms_hold_a_product_times_a_log_of_one_plus_a_ratio():
    X = np.random.default_rng(1).uniform(1, 3, (50, 3))
    n, r, t = positive_symbols("n", "r", "t")
    values, factors = exponent_terms(X, [n, r, t])
    want = X[:, 0] * X[:, 2] * np.log1p(X[:, 1] / X[:, 0])
    k = [str(m * b) for m, b in factors].index(str(n * t * sympy.log(1 + r / n)))
    np.testing.assert_allclose(values[:, k], want)


def test_no_candidate_for_a_target_of_both_signs():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (200, 2))
    y = X[:, 0] - 1.5 * X[:, 1]
    assert exponent_formulas(X[:150], y[:150], X[150:], y[150:], positive_symbols("a", "b")) == []

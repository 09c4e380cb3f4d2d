"""Roots of polynomials: y = s·(P(x)/x_k^q)^(1/p) (discover/_polynomial_roots.py)."""
import numpy as np

from kanlab.discover._polynomial_roots import monomials, polynomial_root_formulas

from _discover_support import best_found, positive_symbols


def test_the_monomials_of_two_inputs():
    """Degree up to 2 in two inputs: a, b, a², ab, b² (five columns, values as products)."""
    X = np.array([[1.0, 2.0], [3.0, 5.0], [2.0, 7.0]])
    a, b = positive_symbols("a", "b")
    values, factors = monomials(X, [a, b], degree=2)
    assert [tuple(map(str, f)) for f in factors] == [("a",), ("b",), ("a", "a"), ("a", "b"),
                                                     ("b", "b")]
    np.testing.assert_allclose(values[:, 3], X[:, 0] * X[:, 1])


def test_an_amplitude_over_a_root_of_a_sum_of_squares():
    """q/sqrt((a² - 2b²)² + a²c²): (q/y)² is a polynomial of degree four, found exactly."""
    law = lambda q, a, b, c: q / np.sqrt((a ** 2 - 2 * b ** 2) ** 2 + (a * c) ** 2)  # noqa: E731
    _, err, _ = best_found(polynomial_root_formulas, law,
                           [(1, 3), (1, 2), (0.2, 1.5), (0.5, 1)], "q a b c")
    assert err < 1e-9, err


def test_no_candidate_for_a_target_of_both_signs():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (200, 2))
    y = X[:, 0] - 1.5 * X[:, 1]
    assert polynomial_root_formulas(X[:150], y[:150], X[150:], y[150:],
                                    positive_symbols("a", "b")) == []

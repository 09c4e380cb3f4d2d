"""The search on transformed targets (an offset taken off, a factor over y) finds laws from data."""
import numpy as np
import sympy

from _discover_support import best_found, law_data
from kanlab.discover._transformed import transformed_formulas


def _best(law, ranges, names):
    return best_found(transformed_formulas, law, ranges, names)


def test_an_offset_plus_a_difference_times_an_exponential():
    # a level relaxing from b to a: a + (b - a)·exp(-u·v), a and b near 1000
    expr, err, (a, b, u, v) = _best(lambda a, b, u, v: a + (b - a) * np.exp(-u * v),
                                    [(900, 950), (1000, 1200), (0.5, 2), (0, 3)],
                                    ["a", "b", "u", "v"])
    assert err < 1e-8, (expr, err)
    assert expr.free_symbols == {a, b, u, v}
    assert (expr - a).has(sympy.exp)  # the offset a is a term of its own, outside the exponential


def test_a_difference_over_a_sum_of_ratios():
    # (p - q)/(r/s + w/z): 1/y is no short sum, (p - q)/y is one of two ratios
    expr, err, (p, q, r, s, w, z) = _best(
        lambda p, q, r, s, w, z: (p - q) / (r / s + w / z),
        [(50, 60), (10, 20), (1, 3), (2, 4), (0.5, 1), (5, 9)], ["p", "q", "r", "s", "w", "z"])
    assert err < 1e-8, (expr, err)
    numerator, _ = sympy.fraction(sympy.together(expr))
    assert sympy.expand(numerator).free_symbols >= {p, q}


def test_nothing_where_no_input_is_of_the_targets_size_and_the_target_changes_sign():
    # no offset (every input is 1000 times y's size) and no reciprocal (y crosses 0)
    X, y = law_data(lambda a, b: 1e-3 * a * np.sin(b), [(1, 2), (-3, 3)])
    symbols = sympy.symbols("a b")
    assert transformed_formulas(X[:500], y[:500], X[500:], y[500:], symbols) == []


def test_a_weighted_mean_of_two_inputs_an_offset_and_a_reciprocal_at_once():
    # (u·a + v·b)/(u + v) = a + (b - a)/(1 + u/v): (b - a)/(y - a) is the short sum 1 + u/v
    expr, err, (a, b, u, v) = _best(lambda a, b, u, v: (u * a + v * b) / (u + v),
                                    [(10, 20), (30, 45), (0.2, 3), (1, 4)], ["a", "b", "u", "v"])
    assert err < 1e-8, (expr, err)
    assert expr.free_symbols == {a, b, u, v}


def test_a_weighted_mean_whose_weights_are_products():
    # (p·q·a + r·b)/(p·q + r) = a + (b - a)/(1 + p·q/r): p·q/r is three factors, beyond the
    # short term list's two
    expr, err, (a, b, p, q, r) = _best(lambda a, b, p, q, r: (p * q * a + r * b) / (p * q + r),
                                       [(10, 20), (30, 45), (0.2, 3), (1, 4), (0.5, 5)],
                                       ["a", "b", "p", "q", "r"])
    assert err < 1e-8, (expr, err)


def test_a_difference_over_a_short_sum_alone():
    """(T1 - T2)/(a + b) (two resistances in series): the cheap search of differences over
    sums (tried even where a look-alike passes for noise) holds it, and offers no candidate
    without a difference."""
    from kanlab.discover._transformed import difference_formulas
    expr, err, (T1, T2, a, b) = best_found(
        difference_formulas, lambda T1, T2, a, b: (T1 - T2) / (a + b),
        [(300, 400), (250, 290), (1, 3), (2, 5)], ["T1", "T2", "a", "b"])
    assert err < 1e-8, (expr, err)
    assert expr.free_symbols == {T1, T2, a, b}
    X, y = law_data(lambda a, b: a * b / (a + b), [(1, 3), (2, 50)])
    assert difference_formulas(X[:900], y[:900], X[900:], y[900:],
                               sympy.symbols("a b", positive=True)) == []

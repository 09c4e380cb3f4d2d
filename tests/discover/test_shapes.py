"""Late structure searches: differences of reciprocals, high powers, sums scaled by a ratio,
two exponentials with fitted rates."""
import numpy as np
import sympy

from _discover_support import best_found, law_data
from kanlab.discover._inverse_differences import inverse_difference_formulas
from kanlab.discover._powers import high_power_terms, power_formulas
from kanlab.discover._scaled import scaled_formulas
from kanlab.discover._two_rates import two_rate_formulas

_best = best_found


def test_an_exponential_of_a_difference_of_reciprocals():
    # a·exp(-c·u·(1/s - 1/w)): u/s and u/w are each ~100, their difference ~1
    law = lambda a, u, s, w: a * np.exp(-0.12 * u * (1 / s - 1 / w))  # noqa: E731
    ranges = [(5e4, 1.5e5), (3e4, 4.5e4), (300, 380), (330, 350)]
    expr, err, (a, u, s, w) = _best(inverse_difference_formulas, law, ranges, "a u s w".split())
    assert err < 1e-8, (expr, err)
    assert expr.free_symbols == {a, u, s, w}
    expr, err, _ = _best(inverse_difference_formulas, law, ranges, "a u s w".split(), noise=0.01)
    assert err < 1e-3, (expr, err)  # 0.1 of the noise


def test_a_difference_of_high_powers_of_a_ratio_of_like_inputs():
    # 4·e·((s/r)^12 - (s/r)^6): both signs, powers beyond the term lists' ±3
    law = lambda e, s, r: 4 * e * ((s / r) ** 12 - (s / r) ** 6)  # noqa: E731
    expr, err, (e, s, r) = _best(power_formulas, law, [(1, 2), (3, 3.5), (3.2, 6)], "e s r".split())
    assert err < 1e-8, (expr, err)
    assert sympy.Poly(sympy.expand(expr * r ** 12), e, s, r).degree(s) == 12


def test_high_powers_of_one_input_and_of_ratios_only_of_like_inputs():
    X = np.column_stack([np.linspace(1, 2, 50), np.linspace(3, 4, 50), np.linspace(500, 900, 50)])
    symbols = sympy.symbols("a b c", positive=True)
    a, b, c = symbols
    _, factors = high_power_terms(X, symbols)
    terms = {sympy.Mul(*f) for f in factors}
    assert a ** 12 in terms and c ** -6 in terms and (a / b) ** 8 in terms
    assert (a / c) ** 4 not in terms and (b / c) ** 12 not in terms  # medians 1.5 and 700


def test_a_difference_of_two_decays_scaled_by_a_ratio_with_their_difference():
    # d·u/(u - v)·(exp(-v·t) - exp(-u·t)); u·t reaches 72: the faster decay dies out
    law = lambda d, u, v, t: d * u / (u - v) * (np.exp(-v * t) - np.exp(-u * t))  # noqa: E731
    expr, err, (d, u, v, t) = _best(scaled_formulas, law, [(100, 500), (1, 3), (0.1, 0.5), (0, 24)],
                                    "d u v t".split())
    assert err < 1e-8, (expr, err)
    assert expr.free_symbols == {d, u, v, t}


def test_nothing_scaled_without_a_difference_of_like_inputs():
    X, y = law_data(lambda a, b: a * np.exp(-b), [(1, 2), (100, 200)])
    symbols = sympy.symbols("a b", positive=True)
    assert scaled_formulas(X[:500], y[:500], X[500:], y[500:], symbols) == []


def test_two_exponentials_of_one_input_with_fitted_rates():
    # c·(exp(-0.3·t) - exp(-2.1·t)): rates that are constants of the law, not inputs
    law = lambda t: 250 * (np.exp(-0.3 * t) - np.exp(-2.1 * t))  # noqa: E731
    expr, err, (t,) = _best(two_rate_formulas, law, [(0, 24)], ["t"])
    assert err < 1e-8, (expr, err)
    rates = sorted(float(-e.args[0].as_coeff_Mul()[0]) for e in expr.atoms(sympy.exp))
    assert np.allclose(rates, [0.3, 2.1], rtol=1e-6), rates
    expr, err, _ = _best(two_rate_formulas, law, [(0, 24)], ["t"], noise=0.01)
    assert err < 1e-3, (expr, err)


def test_two_exponentials_times_an_amplitude_input():
    """D·(exp(-0.5·t) - exp(-4·t)), D an input: the two rates are fitted to y/D."""
    law = lambda D, t: D * (np.exp(-0.5 * t) - np.exp(-4 * t))  # noqa: E731
    expr, err, (D, t) = _best(two_rate_formulas, law, [(1, 5), (0, 6)], ["D", "t"])
    assert err < 1e-8, (expr, err)
    assert D in expr.free_symbols

"""Sums of a power times a function (kanlab.discover._waves) and ratios over a sum of like
inputs (kanlab.discover._sum_ratios)."""
import numpy as np
import sympy

from _discover_support import best_found
from kanlab.discover._sum_ratios import like_sets, sum_ratio_formulas
from kanlab.discover._waves import function_terms, wave_formulas


def test_function_terms_match_their_expressions():
    """Every column of function_terms is its expression evaluated on the rows."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(0.05, 0.95, 50), rng.uniform(-2, 2, 50)])
    syms = sympy.symbols("p q", real=True)
    V, E = function_terms(X, syms)
    assert V.shape == (50, len(E))
    assert sympy.log(1 - syms[0]) * syms[0] in E and sympy.cos(syms[1]) * syms[0] in E
    for k in range(0, len(E), 7):
        f = sympy.lambdify(syms, E[k], "numpy")
        np.testing.assert_allclose(np.broadcast_to(f(*X.T), (50,)), V[:, k], rtol=1e-12)


def test_no_log_of_one_minus_an_input_beyond_one():
    """log(1 - x) is offered only for an input inside (0, 1)."""
    rng = np.random.default_rng(1)
    X = rng.uniform(0.5, 1.5, (40, 1))
    x, = sympy.symbols("x", real=True),
    _, E = function_terms(X, [x])
    assert not any(e.has(sympy.log(1 - x)) for e in E)


def test_entropy_terms_times_an_input_are_found():
    """y = T·(p·ln p + (1 - p)·ln(1 - p)): x·log x and log(1 - x) terms, times an input."""
    law = lambda p, T: T * (p * np.log(p) + (1 - p) * np.log(1 - p))  # noqa: E731
    expr, err, (p, T) = best_found(wave_formulas, law, [(0.02, 0.98), (200, 400)], "p T")
    assert err < 1e-9, expr
    assert expr.has(sympy.log(1 - p)) and expr.has(sympy.log(p)), expr


def test_a_product_times_one_minus_a_cosine_plus_a_square_is_found():
    """y = 3·u·v·(1 - cos w) - u²: a product of two inputs times a function of a third."""
    law = lambda u, v, w: 3 * u * v * (1 - np.cos(w)) - u ** 2  # noqa: E731
    expr, err, (u, v, w) = best_found(wave_formulas, law, [(0.5, 2), (1, 3), (-2, 2)], "u v w")
    assert err < 1e-9, expr
    assert expr.has(u * v * sympy.cos(w)), expr


def test_a_root_of_a_sum_with_a_product_times_a_cosine_is_found():
    """y = sqrt(u² + 4·w² + 4·u·w·cos φ): y² is a quadratic polynomial plus one more term,
    which the beam alone loses among thousands of columns (the quadratic base finds it)."""
    law = lambda u, w, phi: np.sqrt(u ** 2 + 4 * w ** 2 + 4 * u * w * np.cos(phi))  # noqa: E731
    expr, err, (u, w, phi) = best_found(wave_formulas, law, [(1, 4), (0.5, 2), (0, 2.5)],
                                        "u w phi")
    assert err < 1e-9, expr
    assert any(p.exp == sympy.Rational(1, 2) for p in expr.atoms(sympy.Pow)), expr


def test_a_weighted_mean_of_two_positions_is_found():
    """y = (a·u + 2·b·v)/(a + 2·b), with a third, unused input of the weights' kind."""
    law = lambda a, u, b, v, c: (a * u + 2 * b * v) / (a + 2 * b)  # noqa: E731
    ranges = [(1, 5), (-3, 3), (1, 5), (-3, 3), (1, 5)]
    expr, err, (a, u, b, v, c) = best_found(sum_ratio_formulas, law, ranges, "a u b v c")
    assert err < 1e-9, expr
    _, den = sympy.fraction(sympy.together(expr))
    assert den.free_symbols == {a, b}, expr


def test_like_sets_need_positive_inputs_of_one_kind():
    """Sets pair positive inputs of comparable size only (not x of both signs, not 1000·x)."""
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.uniform(1, 5, 30), rng.uniform(2, 6, 30), rng.uniform(-1, 1, 30),
                         rng.uniform(1000, 5000, 30)])
    assert like_sets(X) == [(0, 1)]


def test_a_product_of_three_times_a_sine_plus_a_product_is_found():
    """y = 1.5·q + q·v·B·sin θ: a product of three inputs times a function of a fourth."""
    law = lambda q, v, B, th: 1.5 * q + q * v * B * np.sin(th)  # noqa: E731
    expr, err, (q, v, B, th) = best_found(wave_formulas, law,
                                          [(1, 3), (1, 5), (0.5, 2), (0.2, 3)], "q v B theta")
    assert err < 1e-9, expr
    assert expr.has(q * v * B * sympy.sin(th)), expr


def test_a_larger_sum_must_beat_a_smaller_beyond_the_noise():
    """1 % lower validation RMSE by luck (within 3 paired SE) does not earn more terms; a
    clear lead or a lead on noise-free data does."""
    from kanlab.discover._waves import _beats
    rng = np.random.default_rng(6)
    e = rng.standard_normal(400)
    # a look-alike that fits a little of the noise: its residuals differ from the law's by a
    # term of 15 % of the noise, weakly correlated with it (≈ 1 % better in RMS, by luck)
    delta = 0.15 * (0.17 * e + np.sqrt(1 - 0.17 ** 2) * rng.standard_normal(400))
    lucky = e - delta
    rms = lambda r: float(np.sqrt(np.mean(r ** 2)))  # noqa: E731
    assert rms(lucky) < 0.99 * rms(e)
    assert not _beats(rms(lucky), lucky, rms(e), e, floor=1e-9)
    clear = 0.5 * e
    assert _beats(rms(clear), clear, rms(e), e, floor=1e-9)
    assert not _beats(rms(e), e, rms(e), e, floor=1e-9)

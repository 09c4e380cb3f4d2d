"""Ratios of short sums (kanlab.discover._pade, _rational) and waves times powers (_waves)."""
import numpy as np
import sympy

from kanlab.discover._constants import refit, rmse_of
from kanlab.discover._pade import pade_formulas
from kanlab.discover._rational import rational_formulas
from kanlab.discover._waves import wave_formulas


def _symbols(*names):
    return [sympy.Symbol(n, real=True) for n in names]


def _rows(seed, n, ranges):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(lo, hi, n) for lo, hi in ranges])


def _best(find, X, y, syms, n_train=300):
    tr, va = slice(0, n_train), slice(n_train, None)
    found = find(X[tr], y[tr], X[va], y[va], syms)
    assert found
    return refit(min(found, key=lambda f: rmse_of(f, syms, X[va], y[va])), syms, X[tr], y[tr])


def test_a_power_times_a_rational_function_of_a_ratio_is_found():
    """y = c·(2a - 3b)/(a + b)^2·c: one derived variable a/b, a power in front, both signs."""
    X = _rows(0, 500, [(1, 5), (1, 5), (0.5, 3)])
    syms = a, b, c = _symbols("a", "b", "c")
    y = X[:, 2] ** 2 * (2 * X[:, 0] - 3 * X[:, 1]) / (X[:, 0] + X[:, 1])
    assert np.any(y > 0) and np.any(y < 0)
    best = _best(pade_formulas, X, y, syms)
    assert rmse_of(best, syms, X[300:], y[300:]) < 1e-9 * np.std(y), best
    num, den = sympy.fraction(sympy.cancel(sympy.together(best)))
    # (2a - 3b)/(a + b) times c^2: the denominator is linear in a and b, and free of c
    assert sympy.Poly(den, a, b).total_degree() == 1 and not den.has(c), best
    assert sympy.Poly(num, c).degree() == 2, best


def test_a_root_of_a_ratio_of_shifted_inputs_is_found():
    """y = g·sqrt((2 + h)/(2 - h)): h through zero, a square root of a rational function."""
    X = _rows(1, 500, [(10, 50), (-1.5, 1.5)])
    syms = g, h = _symbols("g", "h")
    y = X[:, 0] * np.sqrt((2 + X[:, 1]) / (2 - X[:, 1]))
    best = _best(pade_formulas, X, y, syms)
    assert rmse_of(best, syms, X[300:], y[300:]) < 1e-9 * np.std(y), best
    assert any(abs(p.exp) == sympy.Rational(1, 2) and p.base.has(h)
               for p in best.atoms(sympy.Pow)), best


def test_a_ratio_of_sums_of_several_inputs_is_found():
    """y = (p + q)/(1 + p·q/4): no single derived variable holds it; y·Q = P is linear."""
    X = _rows(2, 500, [(-1.5, 1.5), (-1.5, 1.5)])
    syms = p, q = _symbols("p", "q")
    y = (X[:, 0] + X[:, 1]) / (1 + X[:, 0] * X[:, 1] / 4)
    best = _best(rational_formulas, X, y, syms)
    assert rmse_of(best, syms, X[300:], y[300:]) < 1e-9 * np.std(y), best
    _, den = sympy.fraction(sympy.cancel(sympy.together(best)))
    assert any(term.has(p) and term.has(q) for term in sympy.Add.make_args(sympy.expand(den))), best


def test_a_sine_of_a_product_over_an_input_is_found():
    """y = a·cos(b·c) + 2·d·sin(b·c)/b: a wave times a product of powers, both signs."""
    X = _rows(3, 500, [(-1, 1), (1, 3), (0, 3), (-2, 2)])
    syms = a, b, c, d = _symbols("a", "b", "c", "d")
    y = X[:, 0] * np.cos(X[:, 1] * X[:, 2]) + 2 * X[:, 3] * np.sin(X[:, 1] * X[:, 2]) / X[:, 1]
    best = _best(wave_formulas, X, y, syms)
    assert rmse_of(best, syms, X[300:], y[300:]) < 1e-9 * np.std(y), best
    assert best.has(sympy.sin(b * c)) and best.has(sympy.cos(b * c)), best


def test_a_short_sum_over_a_quadratic_denominator_is_found():
    """A Cauchy density γ/(π((x - x0)² + γ²)) with γ from 0.3: Q's four quadratic terms are
    given at once (_subsets.over_quadratic); a beam growing Q one term at a time lost them."""
    X = _rows(7, 900, [(-3, 3), (-1, 1), (0.3, 2)])
    syms = x, x0, g = _symbols("x", "x0", "g")
    y = X[:, 2] / (np.pi * ((X[:, 0] - X[:, 1]) ** 2 + X[:, 2] ** 2))
    best = _best(rational_formulas, X, y, syms, n_train=600)
    assert rmse_of(best, syms, X[600:], y[600:]) < 1e-9 * np.std(y), best

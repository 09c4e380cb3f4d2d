"""Closed forms of constants (1/(2π), sqrt(2), log 2) in the rounding pass, and exponents."""
import numpy as np
import sympy

from kanlab.discover._closed_forms import closed_forms
from kanlab.discover._constants import _nice_exponents, refit, round_constants
from kanlab.discover._simplify import simplest


def _rounded(law, ranges, start, symbols, noise=0.0, n=1000, seed=0):
    """``start`` refitted on 600 rows of ``law``, rounded on 400 more, in its shortest form."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(lo, hi, n) for lo, hi in ranges])
    truth = law(*X.T)
    y = truth + noise * np.std(truth) * rng.standard_normal(n)
    train, val = (X[:600], y[:600]), (X[600:], y[600:])
    fitted = refit(start, symbols, *train)
    tol = max(2 * noise * np.std(truth) * np.sqrt(3 / 600), 1e-9 * np.std(truth))
    return simplest(round_constants(fitted, symbols, train, val, tol), symbols, val[0],
                    thorough=True)


def test_closed_forms_simplest_first_and_never_rational():
    """1/(2π), 1/(4π²), sqrt(2), log 2 come first; no form for G; sqrt(4/9) is left out."""
    assert closed_forms(0.1591549431)[0] == 1 / (2 * sympy.pi)
    assert closed_forms(0.02533029591)[0] == 1 / (4 * sympy.pi ** 2)
    assert closed_forms(1.4142135624)[0] == sympy.sqrt(2)
    assert closed_forms(-0.6931471806)[0] == -sympy.log(2)
    assert closed_forms(6.674e-11) == []
    assert all(not v.is_Rational for v in closed_forms(2 / 3))


def test_a_density_constant_prints_as_a_power_of_pi():
    """exp(-(x²)/(2s²))/(2π s²) read back from a fit with 0.16 and -0.49 (noise 0)."""
    x, s = sympy.symbols("x s", positive=True)
    start = sympy.Float(0.16) * sympy.exp(sympy.Float(-0.49) * x ** 2 / s ** 2) / s ** 2
    got = _rounded(lambda x, s: np.exp(-x ** 2 / (2 * s ** 2)) / (2 * np.pi * s ** 2),
                   [(-3, 3), (0.5, 2)], start, [x, s])
    assert got == sympy.exp(-x ** 2 / (2 * s ** 2)) / (2 * sympy.pi * s ** 2)


def test_a_constant_inside_a_root_is_pulled_out():
    """0.159/sqrt(u² + 0.0253) becomes 1/sqrt(4π²u² + 1), at noise 0 and at 1 %."""
    f, R, C = sympy.symbols("f R C", positive=True)
    start = sympy.Float(0.16) / sympy.sqrt(C ** 2 * R ** 2 * f ** 2 + sympy.Float(0.025))
    law = 1 / sympy.sqrt(4 * sympy.pi ** 2 * C ** 2 * R ** 2 * f ** 2 + 1)
    for noise in (0.0, 0.01):
        got = _rounded(lambda f, R, C: 1 / np.sqrt(1 + (2 * np.pi * f * R * C) ** 2),
                       [(10, 1e4), (100, 1e4), (1e-8, 1e-6)], start, [f, R, C], noise)
        assert got == law, (noise, got)


def test_a_rate_of_log_2_prints_as_a_power_of_two():
    """A0·exp(-0.69·t/T) becomes A0·2**(-t/T)."""
    A0, t, T = sympy.symbols("A0 t T", positive=True)
    got = _rounded(lambda A0, t, T: A0 * 2.0 ** (-t / T), [(100, 1000), (0, 50), (5, 20)],
                   A0 * sympy.exp(sympy.Float(-0.7) * t / T), [A0, t, T])
    assert sympy.simplify(got - A0 * 2 ** (-t / T)) == 0 and not got.has(sympy.log)


def test_a_plain_decimal_is_not_taken_for_a_closed_form():
    """1.43·sqrt(u) (not sqrt(2), not 1/log 2) stays a decimal; 7/5 stays 7/5 at 1 % noise."""
    p, rho = sympy.symbols("p rho", positive=True)
    start = sympy.Float(1.3) * sympy.sqrt(p) / sympy.sqrt(rho)
    ranges = [(1e4, 1e5), (800, 1200)]
    got = _rounded(lambda p, rho: 1.43 * np.sqrt(p / rho), ranges, start, [p, rho])
    floats = got.atoms(sympy.Float)
    assert len(floats) == 1 and abs(float(floats.pop()) - 1.43) < 1e-9, got
    got = _rounded(lambda p, rho: 1.4 * np.sqrt(p / rho), ranges, start, [p, rho], noise=0.01)
    assert got == sympy.Rational(7, 5) * sympy.sqrt(p) / sympy.sqrt(rho)


def test_exponents_never_get_large_denominators():
    """A fitted exponent of 0.0189 is offered no 1/53 (once printed as C**(1/53))."""
    offered = _nice_exponents(0.0189)
    assert all(v.is_Rational and v.q <= 12 for v in offered)
    assert sympy.Rational(1, 53) not in offered
    assert sympy.Rational(1, 5) in _nice_exponents(0.2)  # a fifth is still offered

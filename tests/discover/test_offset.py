"""A target with an offset: the structure search on y less the best sum's constant term."""
import numpy as np
import sympy

from kanlab.discover._constants import refit, rmse_of
from kanlab.discover._offset import additive_constant, offset_formulas


def test_additive_constant():
    x, y = sympy.symbols("x y", positive=True)
    assert additive_constant(sympy.Float(2.5) + x * y) == 2.5
    assert additive_constant(x * y - 3) == -3.0
    assert additive_constant(x * y) == 0.0
    assert additive_constant(x + y) == 0.0


def test_reciprocal_sum_below_a_baseline():
    """m1·m2/(m1 + m2) − 3 at 1 % noise (values of both signs): from an offset 0.1 off,
    a returned formula is the law after its constants are refitted."""
    m1, m2 = sympy.symbols("m1 m2", positive=True)
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 10, (800, 2))
    y_true = X[:, 0] * X[:, 1] / (X[:, 0] + X[:, 1]) - 3
    assert y_true.min() < 0 < y_true.max()
    y = y_true + 0.01 * np.std(y_true) * rng.standard_normal(len(y_true))
    start = m1 + m2 - sympy.Float(3.1)  # a formula whose constant is near the offset
    found = offset_formulas(start, X[:600], y[:600], X[600:], y[600:], [m1, m2])
    assert found
    refitted = [refit(e, [m1, m2], X[:600], y[:600]) for e in found]
    best = min(refitted, key=lambda e: rmse_of(e, [m1, m2], X[600:], y[600:]))
    law = m1 * m2 / (m1 + m2) - 3
    grid = np.random.default_rng(1).uniform(1, 10, (2000, 2))
    from kanlab.discover._constants import evaluate
    dev = np.sqrt(np.mean((evaluate(best, [m1, m2], grid) - evaluate(law, [m1, m2], grid)) ** 2))
    assert dev <= 0.001 * np.std(y_true), (best, dev)


def test_nothing_without_a_constant_term_or_of_mixed_sign():
    x = sympy.Symbol("x", positive=True)
    X = np.linspace(1, 2, 50)[:, None]
    assert offset_formulas(x ** 2, X, X[:, 0] ** 2, X, X[:, 0] ** 2, [x]) == []
    y = np.sin(6 * X[:, 0])  # both signs around any constant near 0
    assert offset_formulas(x + sympy.Float(0.01), X, y, X, y, [x]) == []


def test_a_constant_within_the_noise_starts_no_search():
    """p + ρ·v²/2 at 1 % noise, fitted with a constant term at the noise level: the data do
    not need it (offset_needed is False) and nothing is searched; an offset of 30 noise
    levels is needed."""
    p, rho, v = sympy.symbols("p rho v", positive=True)
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(1e5, 2e5, 800), rng.uniform(900, 1100, 800), rng.uniform(1, 10, 800)]
    law = X[:, 0] + X[:, 1] * X[:, 2] ** 2 / 2
    sigma = 0.01 * np.std(law)
    y = law + sigma * rng.standard_normal(800)
    tr, va = (X[:600], y[:600]), (X[600:], y[600:])
    trace = refit(sympy.Float(1.0) * p + sympy.Float(0.5) * rho * v ** 2 - sympy.Float(sigma),
                  [p, rho, v], *tr)
    assert abs(additive_constant(trace)) > 0  # a constant term indeed
    from kanlab.discover._offset import offset_needed
    assert not offset_needed(trace, [p, rho, v], *tr, *va)
    assert offset_formulas(trace, *tr, *va, [p, rho, v]) == []
    shifted = y - 30 * sigma  # the law against a baseline 30 noise levels below
    start = p + rho * v ** 2 / 2 - sympy.Float(29 * sigma)
    assert offset_needed(start, [p, rho, v], tr[0], shifted[:600], va[0], shifted[600:])

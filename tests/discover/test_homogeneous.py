"""Laws homogeneous in a pair of inputs: y = x_i^a·f(x_j/x_i, rest) (discover/_homogeneous.py)."""
import numpy as np
import sympy

from kanlab.discover._constants import refit, rmse_of
from kanlab.discover._homogeneous import homogeneous_formulas, reductions
from kanlab.discover._sparse import structure_formulas


def _scaled_bump(n=900, seed=0):
    """s²·exp(-(d/s)²)·(1 + h): y/s² is a function of d/s (of both signs) and h."""
    rng = np.random.default_rng(seed)
    X = np.c_[rng.uniform(0.5, 3, n), rng.uniform(-2, 2, n), rng.uniform(0, 1, n)]
    y = X[:, 0] ** 2 * np.exp(-(X[:, 1] / X[:, 0]) ** 2) * (1 + X[:, 2])
    return X, y, sympy.symbols("s d h", real=True)


def test_the_reduction_is_screened_first():
    """The best reduction divides by s² and takes the ratio d/s (no model is fitted)."""
    X, y, _ = _scaled_bump()
    found = reductions(X[:600], y[:600])
    assert found and found[0][1:] == (0, 1, -1, 2), found


def test_no_reduction_where_none_holds():
    """s²·exp(-d)·(1 + h·s): no power of s leaves a function of d/s or d·s and h."""
    X, _, _ = _scaled_bump()
    y = X[:, 0] ** 2 * np.exp(-X[:, 1]) + X[:, 2] * X[:, 0]
    assert [r for r in reductions(X[:600], y[:600]) if r[1:3] in ((0, 1), (1, 0))] == []


def test_a_homogeneous_law_is_found():
    """-s²·log(1 + 3·exp(-d/s)), d of both signs: found exactly on the reduced problem (its
    constants refitted on the training rows)."""
    X, _, syms = _scaled_bump()
    X, syms = X[:, :2], syms[:2]
    y = -X[:, 0] ** 2 * np.log(1 + 3 * np.exp(-X[:, 1] / X[:, 0]))
    found = homogeneous_formulas(X[:600], y[:600], X[600:], y[600:], syms)
    best = refit(min(found, key=lambda f: rmse_of(f, syms, X[600:], y[600:])), syms, X[:600],
                 y[:600])
    assert rmse_of(best, syms, X[600:], y[600:]) < 1e-9 * np.std(y), best


def test_minus_a_log_of_a_sum_is_a_transform():
    """-log(1 + 2·exp(-u)): exp(-y) is the short sum 1 + 2·exp(-u) (transform "nexp")."""
    u = np.linspace(-3, 3, 400)[:, None]
    y = -np.log(1 + 2 * np.exp(-u[:, 0]))
    x = sympy.Symbol("u", real=True)
    found = structure_formulas(u[::2], y[::2], u[1::2], y[1::2], [x], transforms=("nexp",))
    f = [sympy.lambdify([x], e, "numpy")(u[1::2, 0]) for e in found]
    assert min(float(np.max(np.abs(v - y[1::2]))) for v in f) < 1e-9

"""Decaying envelopes of a phase: y = a·exp(-u)·sin(p + q) (discover/_envelopes.py)."""
import numpy as np
import sympy

from kanlab.discover._constants import rmse_of
from kanlab.discover._envelopes import phase_envelopes

from _discover_support import best_structure, positive_symbols


def _damped(n=500, seed=0):
    """B·exp(-k·x)·cos(q·s - p): an envelope of a product, a phase of a product and an input."""
    rng = np.random.default_rng(seed)
    X = np.c_[rng.uniform(0.5, 2, n), rng.uniform(0.2, 1, n), rng.uniform(0, 4, n),
              rng.uniform(1, 3, n), rng.uniform(0, 2, n)]
    B, k, x, q, p = syms = positive_symbols("B", "k", "x", "q", "p")
    y = X[:, 0] * np.exp(-X[:, 1] * X[:, 2]) * np.cos(X[:, 3] * X[:, 2] - X[:, 4])
    return X, y, syms


def test_the_envelope_is_screened_first():
    X, y, syms = _damped()
    B, k, x = syms[:3]
    found = phase_envelopes(X[:300], syms, y[:300])
    assert found and sympy.simplify(found[0][1] - B * sympy.exp(-k * x)) == 0, found
    np.testing.assert_allclose(found[0][0], X[:300, 0] * np.exp(-X[:300, 1] * X[:300, 2]))


def test_no_envelope_without_a_decay():
    """A phase with no decay (B·cos(q·x - p)) offers no envelope: no fits are added."""
    X, _, syms = _damped()
    y = X[:, 0] * np.cos(X[:, 3] * X[:, 2] - X[:, 4])
    assert phase_envelopes(X[:300], syms, y[:300]) == []
    assert phase_envelopes(X[:300], syms, np.abs(y[:300])) == []  # one sign: a log fit's


def test_a_damped_phase_is_found():
    X, y, syms = _damped()
    best = best_structure(X, y, syms, n_train=300)
    assert rmse_of(best, syms, X[300:], y[300:]) < 1e-9 * np.std(y), best
    assert best.has(sympy.exp) and best.has(sympy.cos(syms[3] * syms[2])), best

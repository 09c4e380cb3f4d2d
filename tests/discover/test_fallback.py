"""When no formula reproduces the data: wide spline models, formula + residual spline, the answer."""
import numpy as np
import pytest
import sympy

from kanlab.discover import discover
from kanlab.discover._constants import evaluate
from kanlab.discover._hybrid import residual_model
from kanlab.discover._result import DiscoveryResult
from kanlab.discover._search import Trial


def _gaussian_bump(n, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    X = np.c_[rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)]
    y = np.exp(-(X[:, 0] ** 2 + X[:, 0] * X[:, 1] + X[:, 1] ** 2))
    return X, y + noise * np.std(y) * rng.standard_normal(n)


def test_residual_model_fits_what_the_formula_leaves():
    """base = y without its small sin term: base + spline is far closer than base alone."""
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 3, (400, 2))
    y = X[:, 0] * X[:, 1] + 0.3 * np.sin(2 * X[:, 0])
    a, b = sympy.symbols("a b", real=True)
    base = a * b
    data = {"X_train": X[:300], "y_train": y[:300], "X_val": X[300:], "y_val": y[300:],
            "names": ["a", "b"], "positive": [True, True]}
    fast = (Trial("raw", (1,), grids=(5, 10), steps=20, lamb=0.0, symbolic=False),)
    res = residual_model(base, [a, b], data, n_jobs=1, trials=fast)
    base_rmse = float(np.sqrt(np.mean((evaluate(base, [a, b], X[300:]) - y[300:]) ** 2)))
    assert res is not None and res["base"] == base
    assert res["val_rmse"] < 0.05 * base_rmse
    # val_rmse is that of base + spline on y, as predict_residual computes it
    result = DiscoveryResult(base, False, [], None, None, ["a", "b"], ["a", "b"], {},
                             _sympy_symbols=[a, b], residual=res)
    assert result.answer == "formula+spline"
    pred = result.predict(X[300:])
    assert np.isclose(float(np.sqrt(np.mean((pred - y[300:]) ** 2))), res["val_rmse"], rtol=1e-9)


def test_result_answer_follows_what_fits():
    a = sympy.Symbol("a")
    fits = DiscoveryResult(2 * a, True, [], None, None, ["a"], ["a"], {}, _sympy_symbols=[a])
    assert fits.answer == "formula"
    assert np.allclose(fits.predict(np.array([[1.0], [2.0]])), [2.0, 4.0])
    kept = DiscoveryResult(2 * a, False, [], None, None, ["a"], ["a"], {}, _sympy_symbols=[a])
    assert kept.answer == "spline"


@pytest.mark.slow
def test_no_formula_gives_a_strong_spline_answer():
    """A law outside the search (no structure search, no restarts): the wide spline models
    answer with R² >= 0.99 on the test rows, and the metrics say which model answered."""
    X, y = _gaussian_bump(600, noise=0.01)
    res = discover(X, y, names=["u", "w"], structure=False, rounds=(), n_jobs=1)
    m = res.metrics
    assert not res.formula_fits
    assert m["answer"] == res.answer and m["answer"] in ("spline", "formula+spline")
    assert m["answer_test_r2"] >= 0.99
    key = "residual" if res.answer == "formula+spline" else "spline"
    assert m["answer_test_r2"] == m[f"{key}_test_r2"]
    X_new, y_new = _gaussian_bump(500, seed=9)
    r2 = 1 - np.mean((res.predict(X_new) - y_new) ** 2) / np.var(y_new)
    assert r2 >= 0.99

"""A small noisy real table (scikit-learn's diabetes: 442 rows, 10 columns): the spline model
``discover`` keeps must not follow the noise (kanlab.discover._search, ._additive)."""
import numpy as np
import pytest

pytest.importorskip("sklearn")

from kanlab.discover import discover  # noqa: E402
from kanlab.discover._additive import additive_spline  # noqa: E402
from kanlab.discover._search import Trial, run_trial  # noqa: E402
from kanlab.discover._split import split_rows  # noqa: E402


@pytest.fixture(scope="module")
def diabetes():
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
    tr, va, te = split_rows(len(y), 0)
    data = {"X_train": X[tr], "y_train": y[tr], "X_val": X[va], "y_val": y[va],
            "names": [f"x{i}" for i in range(X.shape[1])], "positive": [False] * X.shape[1]}
    return X, y, (tr, va, te), data


def _ols_val_rmse(data):
    A = np.column_stack([data["X_train"], np.ones(len(data["y_train"]))])
    w = np.linalg.lstsq(A, data["y_train"], rcond=None)[0]
    B = np.column_stack([data["X_val"], np.ones(len(data["y_val"]))])
    return float(np.sqrt(np.mean((B @ w - data["y_val"]) ** 2)))


def test_a_finer_grid_that_validates_worse_is_not_the_spline_model(diabetes):
    """Grids 2 then 10: the G=10 stage follows the noise; the restart keeps the G=2 stage
    (its first stage is the same computation as the grids=(2,) restart's)."""
    *_, data = diabetes
    coarse = run_trial(Trial("raw", (1,), grids=(2,), lamb=0.0, symbolic=False), data)
    both = run_trial(Trial("raw", (1,), grids=(2, 10), lamb=0.0, symbolic=False), data)
    assert both["error"] is None and coarse["error"] is None
    assert both["spline"]["val_rmse"] <= coarse["spline"]["val_rmse"]
    assert both["spline"]["model"].grid == 2


def test_the_additive_model_validates_like_least_squares(diabetes):
    *_, data = diabetes
    out = additive_spline(data, seed=0)
    assert out is not None and "additive" in out["trial"].label
    assert out["val_rmse"] <= 1.05 * _ols_val_rmse(data)


def test_discover_keeps_a_spline_model_better_than_the_mean(diabetes):
    """Before the additive model, the only spline model (grids 5 → 10) had test R² −0.23."""
    X, y, (tr, va, te), data = diabetes
    res = discover(X, y, rounds=(), structure=False, n_jobs=1, time_budget=None)
    m = res.metrics
    assert m["spline_val_rmse"] <= 1.05 * _ols_val_rmse(data)
    assert m["spline_test_r2"] > 0.25
    assert np.isfinite(res.predict_spline(X[te])).all()


@pytest.mark.parametrize("kind", ["raw", "log"])
def test_a_spline_model_is_held_near_its_training_targets(kind):
    """Beyond its rows a network of splines (through exp in log space) can predict anything:
    1e266 on a 72-row table.  Its outputs stay within the training targets' range widened
    by that range's width on each side; inside it nothing changes."""
    from kanlab.discover._scaling import make_space
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (50, 2))
    y = X[:, 0] * X[:, 1] + 0.1 * rng.standard_normal(50)
    space = make_space(kind, X, y)
    lo, hi = space.t_range
    inside = np.linspace(lo, hi, 7)
    back = space.y_back(inside)
    assert np.allclose(space.y(back), inside)  # unchanged within the range
    wild = space.y_back(np.array([-1e4, 700.0, 1e4]))
    assert np.isfinite(wild).all()
    bound = np.ptp(y) * (3 if kind == "raw" else np.exp(3 * np.ptp(np.log(y))))
    assert np.abs(wild).max() <= np.abs(y).max() + bound

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


class _Line(__import__("torch").nn.Module):
    """A stand-in spline model: ``a·z₀ + b`` on the space's scaled inputs."""

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def forward(self, z):
        return self.a * z[:, :1] + self.b


def _as_spline(model, space, data, trial=None):
    from kanlab.discover._result import spline_predictions
    pred = spline_predictions(model, space, data["X_val"])
    return {"model": model, "space": space, "trial": trial,
            "val_rmse": float(np.sqrt(np.mean((pred - data["y_val"]) ** 2)))}


def test_a_network_must_beat_the_additive_model_by_more_than_noise():
    """12 validation rows: a network whose lead is chance is not kept over the additive
    model; one that is clearly better is."""
    from kanlab.discover._additive import best_spline
    from kanlab.discover._scaling import make_space
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (60, 1))
    y = 2 * X[:, 0] + rng.standard_normal(60)
    data = {"X_train": X[:48], "y_train": y[:48], "X_val": X[48:], "y_val": y[48:]}
    additive = additive_spline(data, seed=0)
    space = additive["space"]
    slope = additive["model"](__import__("torch").as_tensor(space.x(X[48:]), dtype=__import__(
        "torch").float64))[:, 0].detach().numpy()
    assert np.isfinite(slope).all()
    # a rival whose validation error is a little lower by chance: the additive model's own line,
    # nudged toward the validation rows' mean residual
    resid = np.mean(space.y(y[48:]) - slope)
    rival = _as_spline(_Line(float(np.polyfit(space.x(X[:48])[:, 0], space.y(y[:48]), 1)[0]),
                             0.5 * resid), space, data)
    if rival["val_rmse"] >= additive["val_rmse"]:
        pytest.skip("the stand-in did not lead on this draw")
    assert best_spline([rival, additive], data) is additive
    # a clearly better rival (noise 0.1 now): the noise-free truth against a flat additive
    # stand-in
    y = 2 * X[:, 0] + 0.1 * rng.standard_normal(60)
    data = {"X_train": X[:48], "y_train": y[:48], "X_val": X[48:], "y_val": y[48:]}
    space = make_space("raw", data["X_train"], data["y_train"])
    flat = _as_spline(_Line(0.0, 0.0), space, data, trial=additive["trial"])
    truth = np.polyfit(space.x(X)[:, 0], space.y(2 * X[:, 0]), 1)
    exact = _as_spline(_Line(float(truth[0]), float(truth[1])), space, data)
    assert best_spline([exact, flat], data) is exact

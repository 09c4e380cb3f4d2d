"""kanlab.sklearn: scikit-learn's estimator checks and the usual compositions."""
import numpy as np
import pytest

pytest.importorskip("sklearn", minversion="1.6",
                    reason="scikit-learn >= 1.6 is needed (pip install 'kanlab[sklearn]')")

from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from kanlab.sklearn import KANClassifier, KANRegressor  # noqa: E402

# Small configurations keep the ~50 checks per estimator fast; the classifier
# still has to reach scikit-learn's accuracy bar (0.83 on blobs).
SMALL_REG = dict(hidden=(3,), grid=3, steps=2, random_state=0)
SMALL_CLF = dict(hidden=(3,), grid=3, steps=2, random_state=0)


@parametrize_with_checks([KANRegressor(**SMALL_REG), KANClassifier(**SMALL_CLF)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _smooth_regression(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 3, size=(n, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    return X, y


def test_regressor_fits_a_smooth_function():
    X, y = _smooth_regression()
    model = KANRegressor(hidden=(4,), grid=5, steps=10, random_state=0).fit(X[:150], y[:150])
    assert model.score(X[150:], y[150:]) > 0.99
    assert model.predict(X).shape == (200,)


def test_multi_output_regression_matches_each_target():
    X, y = _smooth_regression()
    Y = np.column_stack([y, 3.0 * X[:, 0] - X[:, 1], np.full(len(X), 7.0)])
    model = KANRegressor(hidden=(4,), grid=5, steps=10, random_state=0).fit(X, Y)
    pred = model.predict(X)
    assert pred.shape == (200, 3)
    np.testing.assert_allclose(pred[:, 2], 7.0, atol=1e-2)  # constant target: std 0 handled
    rmse = np.sqrt(((pred - Y) ** 2).mean(axis=0))
    assert rmse[0] < 0.05 and rmse[1] < 0.05


def test_column_target_gives_column_predictions():
    X, y = _smooth_regression(60)
    model = KANRegressor(**SMALL_REG).fit(X, y[:, None])
    assert model.predict(X).shape == (60, 1)


def test_pipeline_and_grid_search():
    X, y = make_regression(n_samples=80, n_features=3, noise=0.1, random_state=0)
    pipe = make_pipeline(StandardScaler(), KANRegressor(hidden=(2,), steps=2, random_state=0))
    search = GridSearchCV(pipe, {"kanregressor__grid": [3, 5], "kanregressor__k": [2, 3]}, cv=2)
    search.fit(X, y)
    assert set(search.best_params_) == {"kanregressor__grid", "kanregressor__k"}
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert search.score(X, y) > 0.9  # a linear target is easy for any of the four


def test_classifier_string_labels_and_probabilities():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = KANClassifier(hidden=(3,), grid=3, steps=10, random_state=0).fit(X, names)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (proba >= 0).all()
    pred = clf.predict(X)
    assert pred.dtype.kind == "U" and set(pred) <= set(names)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, names) > 0.95
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_binary_classifier():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 2))
    y = np.where(X[:, 0] ** 2 + X[:, 1] ** 2 < 1.2, "in", "out")  # not linearly separable
    clf = KANClassifier(hidden=(3,), grid=5, steps=10, random_state=0).fit(X, y)
    assert clf.predict_proba(X).shape == (120, 2)
    assert clf.score(X, y) > 0.95


def test_deterministic_and_seed_dependent():
    X, y = _smooth_regression(80)
    a = KANRegressor(**SMALL_REG).fit(X, y).predict(X)
    b = KANRegressor(**SMALL_REG).fit(X, y).predict(X)
    c = KANRegressor(**{**SMALL_REG, "random_state": 1}).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_grid_schedule_refines_the_model():
    X, y = _smooth_regression(120)
    model = KANRegressor(hidden=(3,), grids=(3, 6), steps=5, random_state=0).fit(X, y)
    assert model.module_.grid == 6


def test_float32():
    X, y = _smooth_regression(80)
    model = KANRegressor(**SMALL_REG, dtype="float32").fit(X, y)
    assert model.module_.dtype.__str__() == "torch.float32"
    assert model.predict(X).dtype == np.float64


@pytest.mark.parametrize("params, error, match", [
    ({"dtype": "float16"}, ValueError, "dtype must be 'float32' or 'float64'"),
    ({"hidden": "3"}, TypeError, "hidden must be a sequence"),
    ({"hidden": (3, 0)}, ValueError, "hidden must hold positive ints"),
    ({"grids": ()}, ValueError, "grids None or a non-empty sequence"),
    ({"k": -1}, ValueError, "k must be a non-negative int"),
    ({"opt": "SGD"}, ValueError, "opt must be 'LBFGS' or 'Adam'"),
    ({"steps": -2}, ValueError, "steps must be"),
])
def test_bad_hyper_parameters_fail_in_fit(params, error, match):
    X, y = _smooth_regression(20)
    model = KANRegressor(**params)  # __init__ stores them verbatim
    assert model.get_params()[next(iter(params))] == next(iter(params.values()))
    with pytest.raises(error, match=match):
        model.fit(X, y)


def test_classifier_rejects_regression_targets():
    X, y = _smooth_regression(20)
    with pytest.raises(ValueError, match="Unknown label type"):
        KANClassifier(**SMALL_CLF).fit(X, y)


def test_constant_features_fit_quietly(recwarn):
    X, y = _smooth_regression(60)
    X = np.column_stack([X, np.zeros(len(X))])  # e.g. a blank pixel
    model = KANRegressor(**SMALL_REG).fit(X, y)
    assert np.isfinite(model.predict(X)).all()
    assert model.x_half_range_[2] == 1.0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]

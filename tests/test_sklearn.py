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

# Small configurations of the gradient path (explicit hidden widths) keep the ~50
# checks per estimator fast; the classifier still has to reach scikit-learn's
# accuracy bar (0.83 on blobs).  The defaults (the validated one-layer KAN) are
# checked in full by test_check_estimator_with_defaults_in_time (slow).
SMALL_REG = dict(hidden=(3,), grid=3, steps=2, random_state=0)
SMALL_CLF = dict(hidden=(3,), grid=3, steps=2, random_state=0)
# Two unregularised gradient steps on very noisy blobs fit the up-weighted class's
# samples without moving the boundary far enough for the check's 87 % bar; the
# defaults pass it (see the slow test).
_GRADIENT_XFAIL = {"check_class_weight_classifiers": "2 unregularised steps on noisy blobs"}


@parametrize_with_checks(
    [KANRegressor(**SMALL_REG), KANClassifier(**SMALL_CLF)],
    expected_failed_checks=lambda est: _GRADIENT_XFAIL if isinstance(est, KANClassifier) else {})
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.slow
def test_check_estimator_with_defaults_in_time():
    """scikit-learn's full check suite with the default parameters, in under 5 minutes."""
    import time
    from sklearn.utils.estimator_checks import check_estimator
    start = time.perf_counter()
    for est in (KANRegressor(), KANClassifier()):
        results = check_estimator(est, on_fail=None)
        failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
                  if r["status"] == "failed"]
        assert not failed, failed
    assert time.perf_counter() - start < 300


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
    assert model.x_scale_[2] == 1.0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# -- defaults: generalisation, preprocessing, conventions --------------------------------

def test_defaults_generalise_on_diabetes_like_ridge():
    """The issue's case: default KANRegressor on diabetes scored R² = -1.29 where RidgeCV had 0.49."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_score
    X, y = load_diabetes(return_X_y=True)
    cv = KFold(5, shuffle=True, random_state=0)
    kan = cross_val_score(KANRegressor(random_state=0), X, y, cv=cv).mean()
    ridge = cross_val_score(make_pipeline(StandardScaler(), RidgeCV()), X, y, cv=cv).mean()
    assert kan >= ridge - 0.01 and kan > 0.45


def test_small_noisy_data_stay_linear():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    y = X @ np.array([1.0, -2.0, 0.0, 0.5]) + rng.normal(scale=2.0, size=30)
    model = KANRegressor(random_state=0).fit(X, y)
    assert model.best_lamb_smooth_ is None  # splines off: the ridge model
    assert model.best_alpha_ in (0.1, 1.0, 10.0)
    # the KAN then computes ridge regression on the standardised features exactly
    from sklearn.linear_model import Ridge
    Xs = StandardScaler().fit_transform(X)
    ridge = Ridge(alpha=model.best_alpha_).fit(Xs, y)
    np.testing.assert_allclose(model.predict(X), ridge.predict(Xs), rtol=1e-8, atol=1e-8)


def test_rich_data_use_the_splines():
    rng = np.random.default_rng(1)
    X = rng.uniform(-3, 3, size=(600, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 / 3 + 0.1 * rng.normal(size=600)
    model = KANRegressor(random_state=0).fit(X[:400], y[:400])
    assert model.best_lamb_smooth_ is not None
    assert model.score(X[400:], y[400:]) > 0.95
    assert 0.0 < model.validation_score_ <= 1.0
    imp = model.feature_importances_
    np.testing.assert_allclose(imp.sum(), 1.0)
    assert imp[2] < 0.05 < min(imp[0], imp[1])  # the unused input ranks last
    assert model.n_iter_ == 1 and model.best_grid_ >= 3


def test_loo_path_matches_brute_force_leave_one_out():
    from kanlab.train._additive import loo_path
    rng = np.random.default_rng(2)
    F = rng.normal(size=(25, 4))
    T = F @ rng.normal(size=(4, 2)) + rng.normal(size=(25, 2))
    fixed, smooth = 0.3 * np.eye(4), np.diag([0.0, 0.0, 1.0, 2.0])
    (loo, W, b), = loo_path(F, T, fixed, smooth, [0.7])
    P = fixed + 0.7 * smooth

    def solve(F, T):
        mf, mt = F.mean(0), T.mean(0)
        W = np.linalg.solve((F - mf).T @ (F - mf) + P, (F - mf).T @ (T - mt))
        return W, mt - mf @ W

    W_ref, b_ref = solve(F, T)
    np.testing.assert_allclose(W, W_ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b, b_ref, rtol=1e-9, atol=1e-12)
    brute = []
    for i in range(25):
        keep = np.arange(25) != i
        Wi, bi = solve(F[keep], T[keep])
        brute.append(np.mean((T[i] - F[i] @ Wi - bi) ** 2))
    np.testing.assert_allclose(loo, brute, rtol=1e-8)


def test_module_reproduces_the_fitted_additive_model():
    from kanlab.train._additive import build_design, to_module
    from kanlab.train._input_scaling import spline_knots
    import torch
    rng = np.random.default_rng(3)
    z = rng.normal(size=(50, 3))
    design = build_design(z, np.array([2, 1, 2]), spline_knots(z, 4, 3), 3)
    W = rng.normal(size=(design.columns.shape[1], 2))
    b = rng.normal(size=2)
    module = to_module(design, W, b, seed=0, dtype=torch.float64)
    with torch.no_grad():
        out = module(torch.as_tensor(z)).numpy()
    np.testing.assert_allclose(out, design.columns @ W + b, rtol=1e-9, atol=1e-9)


def test_outlier_feature_and_integer_codes():
    rng = np.random.default_rng(4)
    X = np.column_stack([rng.normal(size=200), rng.integers(0, 4, 200), rng.integers(0, 2, 200),
                         np.full(200, 3.0)])
    X[0, 0] = 1e6  # one wild outlier does not squeeze the rest of the feature
    y = np.sin(X[:, 0].clip(-3, 3)) + np.array([0.0, 1.0, -1.0, 0.5])[X[:, 1].astype(int)] \
        + X[:, 2]
    model = KANRegressor(random_state=0).fit(X, y)
    assert list(model.feature_kinds_) == [2, 2, 1, 0]  # spline, spline, binary linear, constant
    assert model.x_scale_[3] == 1.0
    assert model.score(X[1:], y[1:]) > 0.9


def test_huge_targets_are_scaled_not_inf():
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
    base = KANRegressor(random_state=0).fit(X, y)
    big = KANRegressor(random_state=0).fit(X, y * 1e300)
    pred = big.predict(X)
    assert np.isfinite(pred).all()
    np.testing.assert_allclose(pred / 1e300, base.predict(X), rtol=1e-6)
    with pytest.raises(OverflowError, match="float64 range"):
        KANRegressor(random_state=0).fit(X, y * 1e305).predict(X * 1e5)


def test_feature_spanning_the_float64_range_keeps_its_variation():
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=120)
    X = np.column_stack([x * 1e308, rng.normal(size=120)])
    y = 2 * x + 0.1 * rng.normal(size=120)
    model = KANRegressor(random_state=0).fit(X, y)
    assert np.isfinite(model.x_scale_).all() and model.feature_kinds_[0] == 2
    assert model.score(X, y) > 0.95
    assert np.ptp(model.predict(X)) > 1.0  # not collapsed to a constant


def test_dataframe_keeps_feature_names_and_sparse_is_refused():
    pd = pytest.importorskip("pandas")
    import scipy.sparse as sp
    X, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    clf = KANClassifier(random_state=0).fit(frame, y)
    assert list(clf.feature_names_in_) == ["sl", "sw", "pl", "pw"]
    assert clf.score(frame, y) > 0.9
    with pytest.raises(TypeError, match="[Ss]parse"):
        KANClassifier().fit(sp.csr_matrix(X), y)


def test_numpy_integer_hyper_parameters_in_grid_search():
    X, y = make_regression(n_samples=90, n_features=3, noise=1.0, random_state=0)
    search = GridSearchCV(KANRegressor(random_state=0),
                          {"grid": np.arange(3, 5), "k": np.arange(2, 4)}, cv=2).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 4 and search.best_score_ > 0.9
    grad = KANRegressor(hidden=np.array([2]), grid=np.int64(3), k=np.int32(2),
                        steps=np.int64(2), random_state=0).fit(X, y)
    assert grad.module_.width == [3, 2, 1]


def test_classifier_defaults_class_weight_and_probabilities():
    from sklearn.metrics import log_loss
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] + 0.3 * rng.normal(size=300) > 1.0).astype(int)  # about 1 positive in 6
    plain = KANClassifier(random_state=0).fit(X, y)
    balanced = KANClassifier(random_state=0, class_weight="balanced").fit(X, y)
    assert balanced.predict(X).mean() > plain.predict(X).mean()  # more positives predicted
    proba = plain.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert log_loss(y, proba) < 0.3
    np.testing.assert_allclose(np.exp(plain.predict_log_proba(X)), proba, rtol=1e-10)
    assert plain.loss_curve_[-1] < plain.loss_curve_[0] and plain.n_iter_ >= 1


def test_fit_leaves_torch_threads_alone():
    import torch
    before = torch.get_num_threads()
    KANRegressor(random_state=0).fit(*_smooth_regression(60))
    assert torch.get_num_threads() == before


def test_smoothness_matrix_is_the_training_penalty():
    """The additive fit penalises exactly kanlab's smoothness penalty of each edge."""
    import torch
    from kanlab.train._additive import _layer, _smoothness_matrix
    from kanlab.train._input_scaling import spline_knots
    from kanlab.train import smoothness_penalty
    z = np.random.default_rng(7).normal(size=(40, 1))
    knots = spline_knots(z, 5, 3)  # non-uniform (quantile-blended)
    c = np.random.default_rng(8).normal(size=8)
    layer = _layer(knots, 3)
    with torch.no_grad():
        layer.coef.copy_(torch.as_tensor(c).reshape(1, 1, 8))
        layer.scale_sp.fill_(1.0)
        expected = float(smoothness_penalty(layer))
    S = _smoothness_matrix(knots, 3)[0]
    np.testing.assert_allclose(c @ S @ c, expected, rtol=1e-10)


def test_symbolic_regressor_formula_in_the_feature_names():
    """symbolic=True: formula_ is the law, its symbols the DataFrame's column names."""
    pd = pytest.importorskip("pandas")
    import sympy
    from sklearn.base import clone
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"mass": rng.uniform(1, 5, 200), "v": rng.uniform(1, 3, 200)})
    y = 0.5 * X["mass"] * X["v"] ** 2
    model = KANRegressor(symbolic=True, random_state=0).fit(X, y)
    assert {str(s) for s in model.formula_.free_symbols} == {"mass", "v"}
    mass, v = sympy.symbols("mass v")
    assert sympy.simplify(model.formula_.subs(dict(zip(
        sorted(model.formula_.free_symbols, key=str), (mass, v)))) - mass * v ** 2 / 2) == 0
    assert model.formula_fits_ and model.formula_str_ == str(model.formula_)
    assert model.discovery_.pareto and model.predict(X).shape == (200,)
    assert clone(model).get_params()["symbolic"] is True
    assert not hasattr(clone(model), "formula_")
    plain = model.set_params(symbolic=False).fit(X.to_numpy(), y.to_numpy())
    assert not hasattr(plain, "formula_")  # a refit without symbolic drops the old formula


def test_symbolic_regressor_names_arrays_x0_x1_and_checks_its_input():
    rng = np.random.default_rng(1)
    X = rng.uniform(1, 2, (100, 2))
    model = KANRegressor(symbolic=True, random_state=0).fit(X, 3 * X[:, 0] + X[:, 1])
    assert {str(s) for s in model.formula_.free_symbols} == {"x0", "x1"}
    with pytest.raises(ValueError, match="1-D"):
        KANRegressor(symbolic=True).fit(X, np.c_[X[:, 0], X[:, 1]])
    with pytest.raises(ValueError, match="too few"):
        KANRegressor(symbolic=True).fit(X[:10], X[:10, 0])
    with pytest.raises(TypeError, match="symbolic"):
        KANRegressor(symbolic="yes").fit(X, X[:, 0])

"""``kanlab.sklearn`` estimators' ``device``: the module lives and predicts there, results come
back as NumPy on the host, ``get_params``/``clone``/pickle work; checked on CPU with the
emulated accelerator (``tests/_device_guard.py``), on CUDA when a GPU is there."""
import pickle
import warnings

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn", minversion="1.6")

from sklearn.base import clone  # noqa: E402

from kanlab.sklearn import KANClassifier, KANRegressor  # noqa: E402

from _device_guard import DEVICE, assert_on_device, is_device, on_device  # noqa: E402

EMULATED = "cpu:0"  # tests/_device_guard.py: DEVICE


def _data(n=80):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (n, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.01 * rng.normal(size=n)
    return X, y


def _host_module(est):
    return not any(is_device(p) for p in est.module_.parameters())


@pytest.mark.parametrize("params", [{}, dict(hidden=(3,), steps=2, grids=(3, 4)),
                                    dict(hidden=(2,), steps=2, dtype="float32")])
def test_regressor_fits_and_predicts_on_the_device(params):
    """The default (closed form on the host, then moved) and the gradient path (trained on
    the device): the module ends on the device, predictions are host NumPy.  The default's
    equal the CPU estimator's; the gradient path's are as good (the emulation runs the
    pure-PyTorch kernels, not the C++ ones, so L-BFGS steps differ in the last digits)."""
    X, y = _data()
    cpu = KANRegressor(random_state=0, **params).fit(X, y)
    with on_device():
        est = KANRegressor(random_state=0, device=EMULATED, **params).fit(X, y)
        assert_on_device(est.module_)
        pred = est.predict(X)
    assert isinstance(pred, np.ndarray) and pred.dtype == np.float64 and pred.shape == (80,)
    assert isinstance(est.feature_importances_, np.ndarray)
    if not params:
        np.testing.assert_allclose(pred, cpu.predict(X), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(est.feature_importances_, cpu.feature_importances_,
                                   atol=1e-10)
    else:
        assert abs(est.score(X, y) - cpu.score(X, y)) < 0.05


@pytest.mark.parametrize("params", [{}, dict(hidden=(3,), steps=2, class_weight="balanced")])
def test_classifier_fits_and_predicts_on_the_device(params):
    X, y = _data()
    labels = np.where(y > np.median(y), "hi", "lo")
    with on_device():
        est = KANClassifier(random_state=0, device=EMULATED, **params).fit(X, labels)
        assert_on_device(est.module_)
        proba, log_proba, pred = est.predict_proba(X), est.predict_log_proba(X), est.predict(X)
    assert proba.shape == (80, 2) and isinstance(log_proba, np.ndarray)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert set(pred) <= {"hi", "lo"} and (pred == labels).mean() > 0.7


def test_symbolic_regressor_on_the_device():
    """``symbolic=True``: kanlab.discover searches on the CPU, the module is on the device."""
    X = np.random.default_rng(0).uniform(1, 2, (60, 2))
    with on_device():
        est = KANRegressor(random_state=0, symbolic=True, device=EMULATED).fit(
            X, 3 * X[:, 0] * X[:, 1])
        assert_on_device(est.module_)
        assert isinstance(est.predict(X), np.ndarray)
    assert est.formula_str_ == "3*x0*x1"


def test_device_is_a_parameter():
    """``device`` is an sklearn parameter: stored verbatim, in get_params, kept by clone and
    set_params; the default is the CPU."""
    for cls in (KANRegressor, KANClassifier):
        est = cls(device="cuda:1")
        assert est.get_params()["device"] == "cuda:1" and cls().device == "cpu"
        assert clone(est).device == "cuda:1"
        assert est.set_params(device="auto").device == "auto"
        assert clone(cls(device=DEVICE)).device == DEVICE


def test_bad_device_is_refused_by_fit():
    X, y = _data(20)
    with pytest.raises(TypeError, match="not a device"):
        KANRegressor(device="nonsense").fit(X, y)
    with pytest.raises(TypeError, match="device"):
        KANRegressor(device=1.5).fit(X, y)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="not available"):
            KANRegressor(device="cuda").fit(X, y)
    assert KANRegressor(device="auto").fit(X, y).module_.device.type == (
        "cuda" if torch.cuda.is_available() else "cpu")


def test_mps_refuses_float64():
    """MPS has no float64: the error says so (checked without a Mac: the device is faked)."""
    from unittest import mock

    from kanlab._validation import choose_device
    with mock.patch("kanlab._validation.check_device", lambda d, what: torch.device("mps")):
        with pytest.raises(ValueError, match="float64"):
            choose_device("mps", "KANRegressor", torch.float64)
        assert choose_device("mps", "KANRegressor", torch.float32).type == "mps"


def test_pickle_holds_the_module_on_the_cpu():
    """A pickle of an estimator fitted on a device holds host tensors (it loads on a machine
    without the device) and the estimator keeps its module where it was; unpickled, the
    module goes back to ``device``, or stays on the CPU with a warning where that is absent."""
    X, y = _data()
    with on_device():
        est = KANRegressor(hidden=(2,), steps=2, random_state=0, device=EMULATED).fit(X, y)
        state = est.__getstate__()
        assert _host_module(type("S", (), {"module_": state["module_"]}))
        assert_on_device(est.module_)  # the fitted estimator is untouched
        expected = est.predict(X)
        back = pickle.loads(pickle.dumps(est))
        assert_on_device(back.module_)
        np.testing.assert_array_equal(back.predict(X), expected)
    state["device"] = "cuda:7" if torch.cuda.is_available() else "cuda"
    moved = KANRegressor.__new__(KANRegressor)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        moved.__setstate__(state)
    assert any("stays on the CPU" in str(w.message) for w in caught)
    assert moved.module_.device.type == "cpu"
    np.testing.assert_allclose(moved.predict(X), expected, rtol=1e-12)
    del state["device"]  # pickled before estimators had a device: the CPU, as then
    old = KANRegressor.__new__(KANRegressor)
    old.__setstate__(state)
    assert old.get_params()["device"] == "cpu"
    np.testing.assert_allclose(old.predict(X), expected, rtol=1e-12)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("params", [{}, dict(hidden=(3,), steps=3)])
def test_estimators_on_cuda(params):
    X, y = _data()
    est = KANRegressor(random_state=0, device="cuda", **params).fit(X, y)
    assert est.module_.device.type == "cuda"
    pred = est.predict(X)
    assert isinstance(pred, np.ndarray)
    cpu = KANRegressor(random_state=0, **params).fit(X, y)
    if not params:  # solved on the CPU, then moved
        np.testing.assert_allclose(pred, cpu.predict(X), rtol=1e-8, atol=1e-8)
    else:  # trained on the GPU: other kernels, so other last digits of each L-BFGS step
        assert abs(est.score(X, y) - cpu.score(X, y)) < 0.05
    back = pickle.loads(pickle.dumps(est))
    assert back.module_.device.type == "cuda"
    clf = KANClassifier(random_state=0, device="cuda", **params).fit(X, y > 0)
    assert clf.predict_proba(X).shape == (80, 2)

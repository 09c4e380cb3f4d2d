"""discover runs its small least-squares fits on one BLAS thread and gives the threads back."""
import numpy as np
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


def test_discover_uses_one_blas_thread_and_restores_the_setting():
    import scipy.linalg  # noqa: F401 - its BLAS is loaded before the setting is read
    from kanlab.discover import discover
    if not _blas_threads():
        pytest.skip("no BLAS library seen by threadpoolctl")
    seen = []
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (300, 2))
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        res = discover(X, X[:, 0] * X[:, 1], names=["a", "b"], n_jobs=1,
                       log=lambda line: seen.append(_blas_threads()))
        after = _blas_threads()
    assert res.formula_str == "a*b"
    assert seen and all(t == [1] * len(t) for t in seen)  # every log line: one thread
    assert after == before

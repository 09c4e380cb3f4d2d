"""``kanlab.discover`` (and ``kanlab train --data``) run on the CPU whatever torch's default
device: checked with the emulated accelerator (``tests/_device_guard.py``), whose default
device is ``meta`` as a user's ``torch.set_default_device("cuda")`` makes it a GPU; a
tensor made there without ``device=`` would meet the CPU models and NumPy data."""
from unittest import mock

import numpy as np
import pytest
import torch

import kanlab

from _device_guard import on_device

pytest.importorskip("sympy")


def _table(n=60):
    X = np.random.default_rng(0).uniform(1, 2, (n, 2))
    return X, 3 * X[:, 0] * X[:, 1]


def test_large_table_refinement_ignores_the_default_device():
    """Beyond MAX_SEARCH_ROWS the best spline model trains on every training row
    (kanlab.discover._large); here with the limit lowered."""
    import kanlab.discover._pipeline as pipeline
    X, y = _table(120)
    with on_device(), mock.patch.object(pipeline, "MAX_SEARCH_ROWS", 50):
        result = kanlab.discover(X, y, names=["a", "b"], n_jobs=1, time_budget=20)
        assert result.predict(X).shape == (120,)


def test_data_run_writes_its_directory_under_another_default_device(tmp_path):
    from kanlab.cli._data_job import run_data
    from kanlab.discover import make_table
    X, y = _table()
    with on_device():
        metrics = run_data(make_table(X=X, y=y, names=["a", "b"], target="F"), None,
                           out=str(tmp_path / "r"), seed=0, jobs=1, log=lambda line: None)
    assert metrics["formula"] == "3*a*b" and metrics["formula_test_rmse"] < 1e-6
    for name in ("checkpoint", "report", "fit"):
        if name in metrics["files"]:
            assert (tmp_path / "r" / metrics["files"][name].split("/")[-1]).is_file()
    model = kanlab.load(tmp_path / "r" / "model.safetensors")
    assert model.device == torch.device("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_discover_under_a_cuda_default_device():
    X, y = _table()
    torch.set_default_device("cuda")
    try:
        result = kanlab.discover(X, y, names=["a", "b"], n_jobs=1, time_budget=20)
    finally:
        torch.set_default_device(None)
    assert result.formula_str == "3*a*b"

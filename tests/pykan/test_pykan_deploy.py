"""Deploying a kanlab.pykan model: torch.jit.trace and torch.export after fit, prune and
auto_symbolic; its activation readouts are absent (not an error) to introspection before data."""
from __future__ import annotations

import inspect
import warnings

import pytest
import torch

import kanlab
from kanlab.pykan import KAN

# float32 rounding relative to max |output| (measured ≤ 2.4e-6, docs/guide/deployment.md)
RTOL = 2e-5
READOUTS = ["acts_scale", "edge_actscale", "spline_preacts", "feature_score", "connection_cost"]


def _x(n, lo=-1.0, hi=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 2, generator=g) * (hi - lo) + lo


@pytest.fixture(scope="module")
def fitted():
    x = _x(200, seed=1)
    y = torch.exp(torch.sin(torch.pi * x[:, :1]) + x[:, 1:] ** 2)
    model = KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit({"train_input": x, "train_label": y, "test_input": x[:50], "test_label": y[:50]},
              steps=5, lamb=0.01, log=0)
    return model


def _check(model):
    example = _x(16, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, example)
    with torch.no_grad():
        program = torch.export.export(model, (example,),
                                      dynamic_shapes=({0: torch.export.Dim("batch")},))
        for x in (_x(300, seed=2), _x(300, -3.0, 3.0, seed=3)):  # inside, beyond the grid
            ref = model(x)
            atol = RTOL * ref.abs().max().item()
            torch.testing.assert_close(traced(x), ref, rtol=0.0, atol=atol)
            torch.testing.assert_close(program.module()(x), ref, rtol=0.0, atol=atol)


def test_fitted_model_traces_and_exports(fitted):
    _check(fitted)


def test_pruned_and_symbolic_models_trace_and_export(fitted):
    pruned = fitted.prune()
    _check(pruned)
    pruned.auto_symbolic(lib=["x", "x^2", "sin", "exp"], verbose=0)
    _check(pruned)


def test_multiplication_nodes_trace_and_export():
    _check(KAN(width=[2, [2, 1], 1], grid=5, k=3, seed=0, auto_save=False))


def test_readouts_before_data_are_absent_not_errors():
    model = KAN(width=[2, 3, 1], seed=0, auto_save=False)
    members = dict(inspect.getmembers(model))
    for name in READOUTS:
        assert not hasattr(model, name) and name not in members
    with pytest.raises(ValueError, match="no activations yet"):
        _ = model.acts_scale
    with pytest.raises(kanlab.NoDataError):
        _ = model.feature_score
    model(_x(20))
    assert all(hasattr(model, name) for name in READOUTS)

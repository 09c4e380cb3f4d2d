"""Deploying a native KAN: torch.jit.trace, torch.export, torch.onnx.export, introspection.

The graph paths run the pure-PyTorch composition where eager calls may run the C++
kernels, so outputs agree to float32 rounding, relative to the output's size.
"""
from __future__ import annotations

import inspect
import io
import warnings

import pytest
import torch

import kanlab
from kanlab import KAN

# float32 rounding of a sum of ~10 terms, relative to max |output|; measured ≤ 2.4e-6
# (docs/guide/deployment.md)
RTOL = 2e-5


def _x(n, lo=-1.0, hi=1.0, d=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g) * (hi - lo) + lo


def _trained(width=(2, 5, 1), extrapolate="linear"):
    """A model on non-uniform knots (update_grid), as after fit: the knot search is a
    searchsorted, which ONNX has no translation for."""
    model = KAN(list(width), grid=5, k=3, seed=0, extrapolate=extrapolate)
    model.update_grid(_x(200, seed=1) * torch.tensor([1.0, 0.7]))
    model.reference_input = _x(200, seed=1)
    return model.eval()


def _inputs():
    return [_x(300, seed=2), _x(300, -3.0, 3.0, seed=3)]  # inside and beyond the grid


def _assert_same(run, model):
    with torch.no_grad():
        for x in _inputs():
            ref = model(x)
            torch.testing.assert_close(run(x), ref, rtol=0.0, atol=RTOL * ref.abs().max().item())


def _trace(model):
    """torch.jit.trace with its own check (it traces twice and compares the graphs),
    then a save/load round trip."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings about shape checks
        traced = torch.jit.trace(model, _x(16, seed=4))
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer)
    buffer.seek(0)
    return torch.jit.load(buffer)


def _with_symbolic_and_mult():
    model = _trained(width=(2, [2, 1], 1))
    model.fix_symbolic(0, 0, 1, "sin", fit_params=False)
    model.fix_symbolic(1, 2, 0, "x^2", fit_params=False)
    return model


MODELS = {
    "trained": lambda: _trained(),
    "quadratic": lambda: _trained(extrapolate="quadratic"),
    "symbolic_mult": _with_symbolic_and_mult,
    "pruned": lambda: _trained().prune(edge_th=0.5),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_trace_matches_eager(name):
    """A traced (and saved, reloaded) model computes the model's outputs on new inputs."""
    model = MODELS[name]()
    _assert_same(_trace(model), model)


@pytest.mark.parametrize("name", list(MODELS))
def test_export_matches_eager(name):
    """torch.export.export with a dynamic batch computes the model's outputs."""
    model = MODELS[name]()
    with torch.no_grad():
        program = torch.export.export(model, (_x(16, seed=4),),
                                      dynamic_shapes=({0: torch.export.Dim("batch")},))
    _assert_same(program.module(), model)


def test_graphs_leave_eager_numbers_alone():
    """Tracing and exporting change nothing the eager model computes afterwards."""
    model = MODELS["symbolic_mult"]()
    x = _x(64, -2.0, 2.0, seed=5)
    before = model(x).detach()
    _trace(model)
    torch.export.export(model, (_x(16, seed=4),))
    assert torch.equal(model(x).detach(), before)


def test_trace_is_differentiable():
    """A traced model keeps gradients with respect to its input."""
    model = _trained()
    traced = _trace(model)
    x = _x(32, seed=6).requires_grad_(True)
    (g_traced,) = torch.autograd.grad(traced(x).sum(), x)
    (g_eager,) = torch.autograd.grad(model(x).sum(), x)
    torch.testing.assert_close(g_traced, g_eager, rtol=1e-4, atol=1e-4 * g_eager.abs().max().item())


@pytest.mark.parametrize("name", ["trained", "symbolic_mult"])
def test_onnx_export_runs_in_onnxruntime(name):
    """Plain torch.onnx.export (the dynamo exporter) writes a file onnxruntime runs."""
    pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    model = MODELS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (_x(16, seed=4),), dynamo=True, verbose=False,
                                    input_names=["input"],
                                    dynamic_shapes=({0: torch.export.Dim("batch")},))
    session = ort.InferenceSession(program.model_proto.SerializeToString())
    _assert_same(lambda x: torch.from_numpy(session.run(None, {"input": x.numpy()})[0]), model)


@pytest.mark.parametrize("part", ["model", "layer", "wrapped"])
def test_script_says_what_to_use_instead(part):
    """torch.jit.script raises a TypeError naming trace, export and ONNX."""
    model = KAN([2, 3, 1], seed=0)
    target = {"model": model, "layer": model.layers[0], "wrapped": torch.nn.Sequential(model)}[part]
    with pytest.raises(TypeError, match="torch.jit.trace.*torch.export.export"):
        torch.jit.script(target)


def test_data_properties_are_absent_to_introspection():
    """Before any data, feature_score is absent to hasattr/getmembers; reading it explains why."""
    model = KAN([3, 5, 1], seed=0)
    assert not hasattr(model, "feature_score")
    assert "feature_score" not in dict(inspect.getmembers(model))
    with pytest.raises(ValueError, match="no data to score the edges on"):
        _ = model.feature_score
    with pytest.raises(kanlab.NoDataError):
        _ = model.feature_score
    with pytest.raises(AttributeError, match="object has no attribute 'nonexistent'"):
        _ = model.nonexistent
    model.reference_input = _x(50, d=3)
    assert model.feature_score.shape == (3,)


def test_trace_of_a_fresh_model():
    """The case reported: trace of a model that has seen no data."""
    model = KAN([3, 5, 1], grid=5, k=3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, _x(64, d=3))
    x = _x(100, -2.0, 2.0, d=3, seed=7)
    with torch.no_grad():
        torch.testing.assert_close(traced(x), model(x), rtol=RTOL, atol=RTOL)


def _tracer_warnings(model, x):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.trace(model, x)
    return [str(w.message)[:80] for w in caught if issubclass(w.category, torch.jit.TracerWarning)]


@pytest.mark.parametrize("name", list(MODELS))
def test_trace_emits_no_tracer_warning(name):
    """Tracing reads the layers' input widths without a TracerWarning (was: one per layer
    per trace, from the width check comparing a recorded size)."""
    assert _tracer_warnings(MODELS[name](), _x(16, seed=4)) == []


def test_trace_of_a_pykan_model_emits_no_tracer_warning():
    """kanlab.pykan's model (pykan's extended continuation, its input-column check) too."""
    import kanlab.pykan as pykan
    model = pykan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    assert _tracer_warnings(model, _x(16, seed=4)) == []


def test_width_check_still_raises_in_eager_mode():
    """The quiet trace keeps the eager check: a wrong width raises a clear ValueError, and
    so does a trace on a wrong-width example."""
    model = _trained()
    with pytest.raises(ValueError, match=r"expected input of shape \(\*, 2\), got \(4, 3\)"):
        model(torch.rand(4, 3))
    with pytest.raises(ValueError, match=r"expected input of shape \(\*, 2\)"):
        torch.jit.trace(model, torch.rand(4, 3))

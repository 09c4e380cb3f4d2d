"""torch.export, torch.compile and ONNX of a trained KAN agree with eager mode."""
import importlib.util
import os

import pytest
import torch

import kanlab
from kanlab import config
from kanlab.splines import _tables as spline_tables
from kanlab.train import seed_function
from kanlab.io import export_program, to_onnx

DTYPES = [torch.float32, torch.float64]


def _trained(dtype, uniform=True):
    """A [2, 3, 1] KAN after a few L-BFGS steps; ``uniform=False`` leaves quantile knots."""
    data = kanlab.create_dataset(seed_function, 2, train_num=100, test_num=10, seed=0, dtype=dtype)
    model = kanlab.KAN([2, 3, 1], grid=4, k=3, seed=0, dtype=dtype,
                       grid_eps=1.0 if uniform else 0.0)
    model.fit(data, steps=3, progress=False)
    if not uniform:
        model.update_grid(data["train_input"] ** 3)  # skewed samples: non-uniform knots
        assert not model.layers[0]._uniform
    return model


def _inputs(dtype, n=37, seed=1):
    """Samples on [-1.5, 1.5]²: inside and beyond the grid (linear extrapolation)."""
    g = torch.Generator().manual_seed(seed)
    return (3 * torch.rand(n, 2, generator=g, dtype=torch.float64) - 1.5).to(dtype)


def _tol(dtype):
    return dict(rtol=0, atol=1e-6) if dtype == torch.float32 else dict(rtol=0, atol=1e-13)


def _reference(model, x):
    """Eager outputs on the pure-PyTorch path, the computation that export and ONNX trace.

    Eager mode on the CPU runs kanlab's C++ kernels; in float32 their sums
    round differently (by ~1e-6 relative here), which a trained network can
    amplify, so exported graphs are compared with the path they contain.
    """
    with config.use(kernels=False):
        return model(x).detach()


@pytest.mark.parametrize("uniform", [True, False], ids=["uniform", "quantile"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_exported_program_matches_eager(dtype, uniform, monkeypatch):
    model = _trained(dtype, uniform)
    x = _inputs(dtype)
    expected = _reference(model, x)
    torch.testing.assert_close(model(x), expected, rtol=1e-4 if dtype == torch.float32 else 1e-12,
                               atol=1e-6 if dtype == torch.float32 else 1e-13)
    program = torch.export.export(model, (x[:8],), dynamic_shapes=({0: torch.export.Dim("b")},))
    got = program.module()(x)  # another batch size than the example's
    torch.testing.assert_close(got, expected, **_tol(dtype))


def test_export_program_leaves_eager_mode_intact(monkeypatch):
    """export_program works on a cold basis cache (as in a fresh process)."""
    model = _trained(torch.float64)
    x = _inputs(torch.float64)
    expected = model(x).detach()
    monkeypatch.setattr(spline_tables, "_CARDINAL", {})
    program = export_program(model, x[:4])
    after = model(x)
    assert type(after) is torch.Tensor
    torch.testing.assert_close(after, expected, rtol=0, atol=0)
    torch.testing.assert_close(program.module()(x), expected, **_tol(torch.float64))


def test_raw_torch_export_on_cold_cache(monkeypatch):
    """Exporting first does not leave a fake tensor in kanlab's cardinal-matrix cache."""
    model = kanlab.KAN([2, 3, 1], grid=4, k=3, seed=0)
    x = _inputs(torch.float32)
    monkeypatch.setattr(spline_tables, "_CARDINAL", {})
    torch.export.export(model, (x,))
    assert type(model(x)) is torch.Tensor


def test_export_program_rejects_bad_examples():
    model = kanlab.KAN([2, 3, 1], grid=4, k=3, seed=0)
    with pytest.raises(TypeError, match="example must be a torch.Tensor"):
        export_program(model, [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"shape \(batch, n_in\)"):
        export_program(model, torch.zeros(2))
    with pytest.raises(ValueError, match="at least 2 rows"):
        export_program(model, torch.zeros(1, 2))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        export_program(lambda x: x, torch.zeros(3, 2))


def _compiled_matches_eager(dtype, backend):
    model = _trained(dtype)
    x = _inputs(dtype).requires_grad_(True)
    params = [p for p in model.parameters() if p.requires_grad]
    y = model(x)
    grads = torch.autograd.grad((y ** 2).sum(), [x, *params])
    compiled = torch.compile(model, backend=backend)
    yc = compiled(x)
    grads_c = torch.autograd.grad((yc ** 2).sum(), [x, *params])
    # compiled graphs run the pure-PyTorch path, eager the C++ kernels (see _reference)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(yc, y, **tol)
    for g, gc in zip(grads, grads_c):
        torch.testing.assert_close(gc, g, **tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_compile_aot_eager_matches_eager(dtype):
    _compiled_matches_eager(dtype, "aot_eager")


@pytest.mark.slow
def test_compile_inductor_matches_eager():
    """The default backend (C++ code generation): ~10-20 s of compilation."""
    _compiled_matches_eager(torch.float32, "inductor")


ONNX_MISSING = [m for m in ("onnx", "onnxscript", "onnxruntime")
                if importlib.util.find_spec(m) is None]
needs_onnx = pytest.mark.skipif(bool(ONNX_MISSING), reason=f"optional packages {ONNX_MISSING} "
                                "missing: pip install 'kanlab[onnx]'")


@needs_onnx
@pytest.mark.parametrize("uniform", [True, False], ids=["uniform", "quantile"])
def test_onnx_runtime_matches_eager(tmp_path, uniform, monkeypatch):
    import onnxruntime as ort
    model = _trained(torch.float32, uniform)
    x = _inputs(torch.float32)
    path = to_onnx(model, tmp_path / "kan.onnx", x[:6])
    assert os.listdir(tmp_path) == ["kan.onnx"]  # atomic write: no temp file left
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"]
    (out,) = session.run(None, {"input": x.numpy()})
    expected = _reference(model, x).numpy()
    assert out.shape == expected.shape == (37, 1)
    assert abs(out - expected).max() <= 1e-5


def _onnx_outputs(path, x):
    """onnxruntime's outputs of the ONNX file ``path`` on ``x``."""
    import onnxruntime as ort
    (out,) = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
        None, {"input": x.numpy()})
    return out


@needs_onnx
def test_onnx_float64(tmp_path):
    model = _trained(torch.float64)
    x = _inputs(torch.float64)
    out = _onnx_outputs(to_onnx(model, tmp_path / "kan64.onnx", x[:6]), x)
    assert abs(out - model(x).detach().numpy()).max() <= 1e-12


def _symbolic(dtype, names=None, y_th=None):
    """A [2, h, 2] KAN: layer 0 all symbolic, one function of ``names`` (default: every
    library function) per edge; layer 1 a mix of splines and formulas.  ``y_th`` turns on
    singularity avoidance."""
    from kanlab.symbolic import LIBRARY
    names = list(LIBRARY) if names is None else names
    hidden = max(5, (len(names) + 1) // 2)
    model = kanlab.KAN([2, hidden, 2], grid=4, k=3, seed=0, dtype=dtype)
    edges = [(i, j) for j in range(hidden) for i in range(2)]
    for n, (i, j) in enumerate(edges):
        # a·x + b stays in [0.2, 0.8] for x in [-1, 1]: inside every function's domain
        model.fix_symbolic(0, i, j, names[n % len(names)], fit_params=False,
                           params=(0.3, 0.5, 0.5 + 0.1 * (n % 5), 0.1 * (n % 3)))
    model.fix_symbolic(1, 3, 0, "sin", fit_params=False, params=(1.2, 0.1, 0.7, -0.2))
    model.fix_symbolic(1, 4, 1, "x^2", fit_params=False, params=(0.5, 0.0, 1.0, 0.3))
    assert not bool(model.layers[0].mask.any()) and bool(model.layers[1].mask.any())
    for s in model.symbolic:
        s.y_th = y_th
    return model


def _symbolic_inputs(dtype):
    return (2 * torch.rand(37, 2, generator=torch.Generator().manual_seed(2),
                           dtype=torch.float64) - 1).to(dtype)


@pytest.mark.parametrize("y_th", [None, 20.0], ids=["exact", "capped"])
def test_exported_program_of_symbolic_edges_matches_eager(y_th):
    """Symbolic edges (every library function) are exported as their functions."""
    names = None if y_th is None else ["1/x^4", "tan", "log", "x^2", "sin"]
    model = _symbolic(torch.float64, names, y_th)
    x = _symbolic_inputs(torch.float64)
    expected = _reference(model, x)
    if y_th is not None:  # 1/x^4 at a·x + b = 0.2 is 625: some samples are capped
        free = _reference(_symbolic(torch.float64, names), x)
        assert not torch.equal(free, expected)
    program = export_program(model, x[:5])
    torch.testing.assert_close(program.module()(x), expected, **_tol(torch.float64))


@needs_onnx
def test_onnx_of_symbolic_edges_matches_eager(tmp_path):
    """float32: onnxruntime has no float64 kernels for Tan, Asin, Acos, Atan, Sinh, Cosh, Atanh."""
    model = _symbolic(torch.float32)
    x = _symbolic_inputs(torch.float32)
    out = _onnx_outputs(to_onnx(model, tmp_path / "symbolic.onnx", x[:5]), x)
    expected = _reference(model, x).numpy()
    assert out.shape == expected.shape == (37, 2)
    assert abs(out - expected).max() <= 1e-5

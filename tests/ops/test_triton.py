"""The Triton kernels (kanlab.ops._triton) against the pure-PyTorch reference, run on CPU
tensors through Triton's interpreter (``TRITON_INTERPRET=1``); skipped without triton.

Small shapes: the interpreter runs every program instance in numpy.
"""
import importlib
import os
import sys

import pytest
import torch

import kanlab
from kanlab import config
from kanlab.ops import _triton
from kanlab.ops._kan_linear import reference

pytestmark = pytest.mark.skipif(not _triton.available(),
                                reason="triton is not installed (pip install 'kanlab[gpu]')")


@pytest.fixture(scope="module", autouse=True)
def interpreter():
    """Kernels compiled for the interpreter: the variable must be set when triton's
    ``@jit`` runs, i.e. before kanlab.ops._triton_kernels is imported."""
    old = os.environ.get("TRITON_INTERPRET")
    os.environ["TRITON_INTERPRET"] = "1"
    sys.modules.pop("kanlab.ops._triton_kernels", None)
    importlib.import_module("kanlab.ops._triton_kernels")
    yield
    sys.modules.pop("kanlab.ops._triton_kernels", None)
    if old is None:
        os.environ.pop("TRITON_INTERPRET")
    else:
        os.environ["TRITON_INTERPRET"] = old


def _case(dtype, base, extrapolate="linear", shape=(3, 5), batch=21, grid=4, k=3):
    g = torch.Generator().manual_seed(0)
    layer = kanlab.KANLayer(*shape, grid=grid, k=k, dtype=dtype, base_fun=base,
                            extrapolate=extrapolate, generator=g)
    with torch.no_grad():  # coefficients of order one, so errors are not hidden by scale
        layer.coef.copy_(torch.randn(layer.coef.shape, generator=g, dtype=dtype))
    # Points inside and outside the grid [-1, 1] (both extrapolations are exercised).
    x = (torch.rand(batch, shape[0], generator=g, dtype=dtype) * 3 - 1.5).requires_grad_()
    params = (layer.coef, layer.scale_base, layer.scale_sp, layer.mask)
    return x, layer.spline_spec(), params


def _grads(y, inputs, gy, **kw):
    return torch.autograd.grad(y, inputs, gy, allow_unused=True, materialize_grads=True, **kw)


TOL = {torch.float64: dict(rtol=1e-10, atol=1e-12), torch.float32: dict(rtol=1e-5, atol=1e-5)}


@pytest.mark.parametrize("strategy", ["dense", "local"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_values_and_gradients_match_reference(dtype, strategy):
    x, spec, params = _case(dtype, "silu")
    with config.use(strategy=strategy):
        y = _triton.kan_linear_triton(x, *params, spec)
    expected = reference(x, *params, spec)
    torch.testing.assert_close(y, expected, **TOL[dtype])
    gy = torch.randn_like(y)
    inputs = [x, *params[:3]]
    for got, want in zip(_grads(y, inputs, gy), _grads(expected, inputs, gy)):
        torch.testing.assert_close(got, want, **TOL[dtype])


@pytest.mark.parametrize("strategy", ["dense", "local"])
def test_no_base_constant_extrapolation_degree_two(strategy):
    x, spec, params = _case(torch.float64, "zero", "constant", shape=(2, 3), grid=6, k=2)
    with config.use(strategy=strategy):
        y = _triton.kan_linear_triton(x, *params, spec)
    expected = reference(x, *params, spec)
    torch.testing.assert_close(y, expected, **TOL[torch.float64])
    gy = torch.randn_like(y)
    inputs = [x, params[0], params[2]]
    for got, want in zip(_grads(y, inputs, gy), _grads(expected, inputs, gy)):
        torch.testing.assert_close(got, want, **TOL[torch.float64])


def test_double_backward_differentiates_the_reference():
    x, spec, params = _case(torch.float64, "silu", shape=(2, 2), batch=9)
    y = _triton.kan_linear_triton(x, *params, spec)
    (gx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (ggx,) = torch.autograd.grad(gx.pow(2).sum(), x)
    expected = reference(x, *params, spec)
    (gx_r,) = torch.autograd.grad(expected.sum(), x, create_graph=True)
    (ggx_r,) = torch.autograd.grad(gx_r.pow(2).sum(), x)
    torch.testing.assert_close(gx, gx_r, **TOL[torch.float64])
    torch.testing.assert_close(ggx, ggx_r, **TOL[torch.float64])


def test_usable_only_for_cuda_and_uniform_knots():
    x, spec, params = _case(torch.float32, "silu")
    # CPU tensors have their own kernels: the layer never routes them to Triton.
    assert not _triton.usable(x, spec, *params)


def test_local_pays_follows_the_switch_and_the_grid():
    _, small, _ = _case(torch.float64, "silu", grid=5)
    _, large, _ = _case(torch.float64, "silu", grid=50)
    with config.use(strategy="dense"):
        assert not _triton.local_pays(large, torch.float64)
    with config.use(strategy="local"):
        assert _triton.local_pays(small, torch.float64)
    assert _triton.local_pays(large, torch.float64)  # 64 padded features vs 2·5 gathered

"""The dense strategy's float32 kernels (one permuted row per point when a feature row has
at most 16 slots with AVX-512, 8 with AVX2; scatters or selects beyond) against the float64
reference."""
from __future__ import annotations

import pytest
import torch

from kanlab import config
from kanlab.ops import _strategies as spline_strategies
from kanlab.ops import _extension as extension
from kanlab.ops import _scratch
from test_kan_linear import F64, make_layer, needs_kernels, points


def _values_and_grads(layer, x, gy):
    params = [layer.coef, layer.scale_base, layer.scale_sp]
    y = layer(x)
    grads = torch.autograd.grad(y, [x, *params], gy.to(y.dtype), allow_unused=True)
    return [y.detach()] + [torch.zeros_like(p) if g is None else g
                           for g, p in zip(grads, [x, *params])]

CASES = [dict(grid=5, k=3), dict(grid=5, k=3, base="tanh"), dict(grid=5, k=3, base="zero"),
         dict(grid=4, k=2, base="gelu"), dict(grid=6, k=1, extrapolate="constant"),
         dict(grid=3, k=0, base="identity"),
         dict(grid=9, k=3),  # rows of 12 slots: one masked store per point (AVX-512)
         dict(grid=14, k=3)]  # rows of 17 slots: scatters (AVX-512)


@needs_kernels
@pytest.mark.parametrize("kept", [64 << 20, 0], ids=["kept", "recomputed"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_dense_float32_matches_float64_reference(kanlab_config, monkeypatch, case, kept):
    """37 inputs (chunks of 8 points and a tail), 45 rows inside and outside the grid:
    float32 values and gradients agree with the float64 reference to float32 rounding."""
    monkeypatch.setattr(spline_strategies, "_SAVE_BYTES", kept)
    kanlab_config(strategy="dense")
    layer = make_layer(i=37, o=20, dtype=torch.float32, **case)
    x = points(layer, count=45)
    assert not spline_strategies.Plan(x, layer.coef, layer.spline_spec()).local
    gy = torch.randn(45, 20, generator=torch.Generator().manual_seed(3))
    fast = _values_and_grads(layer, x, gy)
    layer64 = make_layer(i=37, o=20, dtype=F64, **case)
    with torch.no_grad():
        for p, q in zip(layer64.parameters(), layer.parameters()):
            p.copy_(q.to(F64))
    x64 = x.detach().to(F64).requires_grad_(True)
    with config.use(kernels=False):
        ref = _values_and_grads(layer64, x64, gy)
    for name, a, b in zip(("y", "x", "coef", "scale_base", "scale_sp"), fast, ref):
        scale = max(1.0, float(b.abs().max()))
        torch.testing.assert_close(a.to(F64), b, rtol=0, atol=2e-5 * scale, msg=name)


@needs_kernels
def test_features_float32_rows_are_exact():
    """The features written as permuted rows are the reference's float32 features
    exactly (values are moved, not recomputed), the last spline included."""
    layer = make_layer(i=37, o=3, dtype=torch.float32)
    x = points(layer, count=45).detach()
    fast = layer.features(x)
    with config.use(kernels=False):
        ref = layer.features(x)
    torch.testing.assert_close(fast, ref, rtol=0, atol=1e-6)
    assert extension.ops() is not None


@needs_kernels
def test_reused_gradient_buffer_keeps_every_backward_pass_exact(kanlab_config):
    """The dense strategy's transient feature gradient lives in one reused buffer
    (``kanlab.ops._scratch``): backward passes of layers of other sizes in turn,
    one retained graph run twice, and a buffer taken by one pass while another runs
    (so that pass gets fresh memory) all give the reference's gradients."""
    kanlab_config(strategy="dense")
    layers = [make_layer(i=i, o=o, dtype=F64) for i, o in ((37, 20), (64, 24), (9, 18))]
    xs = [points(layer, count=40 + 7 * n) for n, layer in enumerate(layers)]

    def grads(layer, x, kernels=True, retain=False, twice=False):
        with config.use(kernels=kernels):
            y = layer(x)
            args = (y.square().sum(), [x, layer.coef, layer.scale_sp])
            out = torch.autograd.grad(*args, retain_graph=twice)
            return torch.autograd.grad(*args) if twice else out

    refs = [grads(layer, x, kernels=False) for layer, x in zip(layers, xs)]
    held = _scratch.take(1 << 12, xs[0])  # another caller holds the idle one
    for n in (0, 1, 2, 1, 0):
        for a, b in zip(grads(layers[n], xs[n], twice=n == 1), refs[n]):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
        if n == 1:
            _scratch.give(held[0], spline_strategies._SAVE_BYTES)
    assert _scratch.idle_bytes() > held[0].numel(), "the passes' larger buffer is kept"

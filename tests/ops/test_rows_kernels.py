"""The rows kernels (csrc/rows.cpp, layers of few outputs) against the pure-PyTorch reference."""
from __future__ import annotations

import pytest
import torch

from kanlab import config
from kanlab.ops import _strategies as spline_strategies
from kanlab.ops import kan_linear
from test_kan_linear import (CASES, assert_fast_matches_reference, make_layer, needs_kernels,
                             points, reference)


ROWS_CASES = CASES + [dict(grid=5, k=3, i=7, o=1), dict(grid=5, k=3, i=2, o=5),
                      dict(grid=5, k=3, i=3, o=37), dict(grid=6, k=1, o=1, base="zero"),
                      # 9 to 16 outputs: weight rows padded to 16
                      dict(grid=5, k=3, i=4, o=10), dict(grid=4, k=2, i=3, o=16, base="tanh"),
                      dict(grid=5, k=2, i=3, o=2, extrapolate="quadratic"),
                      # 600 rows in chunks of 256: shared between threads
                      dict(grid=5, k=3, i=150, o=3)]


@needs_kernels
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", ROWS_CASES,
                         ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_rows_kernels_match_reference_float64(kanlab_config, case, threads):
    """The rows kernels (forced; degree 4 and above fall back to the local ones), on any
    base, grid, knots, extrapolation and output width, on one thread and on two (150
    inputs: 600 rows in chunks of 256, shared): values and gradients agree with the
    reference to 1e-12."""
    kanlab_config(strategy="rows")
    case = dict(case)
    layer = make_layer(i=case.pop("i", 4), o=case.pop("o", 3), **case)
    x = points(layer, count=600)
    assert spline_strategies.Plan(x, layer.coef, layer.spline_spec()).rows is (layer.k <= 3)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        assert_fast_matches_reference(layer, x)
    finally:
        torch.set_num_threads(before)


@needs_kernels
@pytest.mark.parametrize("needs", [(True, False), (False, True)], ids=["x-only", "params-only"])
def test_rows_backward_partial_needs(kanlab_config, needs):
    """The rows kernels compute only the gradients asked for, and they are right."""
    kanlab_config(strategy="rows")
    layer = make_layer(i=5, o=2)
    x = points(layer, count=30).detach().requires_grad_(needs[0])
    for p in (layer.coef, layer.scale_base, layer.scale_sp):
        p.requires_grad_(needs[1])
    wanted = [t for t, n in zip([x, layer.coef, layer.scale_base, layer.scale_sp],
                                needs[:1] + needs[1:] * 3) if n]
    fast = torch.autograd.grad(layer(x).square().sum(), wanted)
    ref = torch.autograd.grad(reference(layer, x).square().sum(), wanted)
    for a, b in zip(fast, ref):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


@needs_kernels
def test_rows_gradcheck():
    """gradcheck and gradgradcheck of the rows kernels' op (float64)."""
    layer = make_layer(i=3, o=2)
    x = points(layer, count=9, at_knots=False)
    params = [p.detach().clone().requires_grad_(True)
              for p in (layer.coef, layer.scale_base, layer.scale_sp)]
    spec = layer.spline_spec()

    def f(x, coef, sb, ssp):
        return kan_linear(x, coef, sb, ssp, layer.mask, spec)

    with config.use(strategy="rows"):
        assert spline_strategies.Plan(x, params[0], spec).rows
        assert torch.autograd.gradcheck(f, (x, *params), eps=1e-6, atol=1e-7)
        assert torch.autograd.gradgradcheck(f, (x, *params), eps=1e-6, atol=1e-6)

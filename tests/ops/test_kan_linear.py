"""The fused C++ path of KANLayer (kanlab.ops._kan_linear) against the pure-PyTorch reference."""
from __future__ import annotations

import pytest
import torch

from kanlab import config
from kanlab.ops import _extension as extension
from kanlab.ops import kan_linear, kernels_usable

from kanlab.ops import _strategies as spline_strategies
from kanlab.nn import KANLayer
from kanlab.splines import extend_points

F64 = torch.float64
needs_kernels = pytest.mark.skipif(extension.ops() is None,
                                   reason=f"C++ kernels unavailable: {extension.status()}")


def make_layer(i=4, o=3, grid=5, k=3, base="silu", nonuniform=False, extrapolate="linear",
               dtype=F64) -> KANLayer:
    layer = KANLayer(i, o, grid, k, base_fun=base, extrapolate=extrapolate, dtype=dtype,
                     generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        layer.coef.copy_(torch.randn(layer.coef.shape, generator=g, dtype=F64))
        layer.scale_sp.copy_(1 + torch.rand(layer.scale_sp.shape, generator=g, dtype=F64))
        layer.scale_base.copy_(torch.randn(layer.scale_base.shape, generator=g, dtype=F64))
        layer.mask[0, 0] = 0.0
    if nonuniform:
        gaps = 0.2 + torch.rand(i, grid, generator=g, dtype=F64)
        points = torch.cat([torch.zeros(i, 1, dtype=F64), gaps.cumsum(-1)], -1) - 1.0
        layer.set_grid(extend_points(points, k).to(dtype), layer.coef.detach().clone())
    return layer


def points(layer, count=41, seed=0, at_knots=True) -> torch.Tensor:
    """Inside and outside the grid (linear extrapolation), plus the knots themselves."""
    g = torch.Generator().manual_seed(seed)
    lo, hi = layer.knots[:, 0].min().item(), layer.knots[:, -1].max().item()
    x = lo - 1 + (hi - lo + 2) * torch.rand(count, layer.in_features, generator=g, dtype=F64)
    if at_knots:
        x[:layer.knots.shape[1]] = layer.knots.t().to(F64)[:count]
    return x.to(layer.coef.dtype).requires_grad_(True)


def reference(layer, x):
    """The layer's output on the pure-PyTorch path (kernels switched off)."""
    with config.use(kernels=False):
        return layer(x)


def values_and_grads(layer, x, fast: bool):
    params = [layer.coef, layer.scale_base, layer.scale_sp]
    y = layer(x) if fast else reference(layer, x)
    gy = torch.randn(y.shape, generator=torch.Generator().manual_seed(3), dtype=y.dtype)
    grads = torch.autograd.grad(y, [x, *params], gy, allow_unused=True)
    return [y] + [torch.zeros_like(p) if g is None else g for g, p in zip(grads, [x, *params])]


def assert_fast_matches_reference(layer, x):
    """Values and gradients (x, coef, scale_base, scale_sp) of the layer's own path and of
    the reference agree to 1e-12 relative to each one's largest magnitude (at least 1)."""
    fast, ref = values_and_grads(layer, x, True), values_and_grads(layer, x, False)
    for name, a, b in zip(("y", "x", "coef", "scale_base", "scale_sp"), fast, ref):
        scale = max(1.0, float(b.detach().abs().max()))
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12 * scale, msg=name)


CASES = [dict(grid=5, k=3), dict(grid=5, k=3, nonuniform=True), dict(grid=7, k=2, base="tanh",
         extrapolate="constant"), dict(grid=4, k=1, base="gelu", nonuniform=True),
         dict(grid=3, k=0, base="identity"), dict(grid=5, k=3, base="zero"),
         dict(grid=40, k=3), dict(grid=30, k=3, nonuniform=True, base="zero"),
         dict(grid=25, k=5, base="gelu", extrapolate="constant")]


@needs_kernels
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_fast_path_matches_reference_float64(case):
    """Values and gradients (x, coef, scale_base, scale_sp) agree to 1e-12 in float64."""
    layer = make_layer(**case)
    x = points(layer)
    assert kernels_usable(x, layer.spline_spec(), layer.coef)
    assert_fast_matches_reference(layer, x)


LOCAL_CASES = CASES + [dict(grid=5, k=3, i=7, o=37), dict(grid=5, k=3, i=3, o=300),
                       dict(grid=50, k=3, i=5, o=70), dict(grid=8, k=4, base="tanh"),
                       dict(grid=6, k=1, o=1, base="zero"),
                       # inputs in panels of 8 (float64): two whole ones and a partial one
                       dict(grid=5, k=3, i=19, o=9),
                       # threads' blocks of 19 inputs: gradients split 16 inputs at a time, then 3
                       dict(grid=5, k=3, i=150, o=3)]


@needs_kernels
@pytest.mark.parametrize("block_rows", [0, 3], ids=["default-rows", "3-rows"])
@pytest.mark.parametrize("case", LOCAL_CASES,
                         ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_local_kernels_match_reference_float64(kanlab_config, case, block_rows):
    """The local-support kernels (forced), on any degree, base, grid, output width (padded
    tiles) and row blocking: values and gradients agree with the reference to 1e-12."""
    kanlab_config(strategy="local")
    kanlab_config(local_rows=block_rows)
    case = dict(case)
    layer = make_layer(i=case.pop("i", 4), o=case.pop("o", 3), **case)
    x = points(layer)
    assert spline_strategies.Plan(x, layer.coef, layer.spline_spec()).local
    assert_fast_matches_reference(layer, x)


@needs_kernels
@pytest.mark.parametrize("block_rows", [0, 7], ids=["ring", "gW-in-memory"])
def test_local_backward_orders(kanlab_config, block_rows):
    """Both orders of the local backward pass over 310 rows: one block of rows, the
    weight gradients of 16 inputs at a time in a ring, and blocks of rows outermost
    with the weight gradients accumulated in memory."""
    kanlab_config(strategy="local")
    kanlab_config(local_rows=block_rows)
    layer = make_layer(i=21, o=5)
    x = points(layer, count=310)
    assert_fast_matches_reference(layer, x)


@needs_kernels
@pytest.mark.parametrize("needs", [(True, False), (False, True)], ids=["x-only", "params-only"])
def test_local_backward_partial_needs(kanlab_config, needs):
    """Only the gradients asked for are computed, and they are right."""
    kanlab_config(strategy="local")
    layer = make_layer(i=5, o=20)
    x = points(layer, count=30).detach().requires_grad_(needs[0])
    for p in (layer.coef, layer.scale_base, layer.scale_sp):
        p.requires_grad_(needs[1])
    wanted = [t for t, n in zip([x, layer.coef], needs) if n]
    fast = torch.autograd.grad(layer(x).square().sum(), wanted)
    ref = torch.autograd.grad(reference(layer, x).square().sum(), wanted)
    for a, b in zip(fast, ref):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


@needs_kernels
@pytest.mark.parametrize("dtype", [F64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("o,padded,base,grid", [(5, 16, "silu", 5), (70, 80, "silu", 5),
                                                 (1, 48, "zero", 2), (17, 32, "tanh", 9),
                                                 (64, 64, "silu", 1)],
                         ids=["narrow", "wide", "one-output", "partial-tile", "one-interval"])
def test_pack_weights(o, padded, base, grid, dtype):
    """pack_weights lays out [scale_base·mask | scale_sp·mask·coef] as (F, S, Op), outputs
    zero-padded to Op (past whole tiles too), for any range of inputs, bit for bit: tiles
    of inputs x outputs, partial ones (outputs, inputs and runs of coefficients that do
    not fill a vector) included.  (Its adjoint, the split of the packed gradient, is
    inside local_backward: checked by test_local_kernels_match_reference_float64.)"""
    ops = extension.ops()
    layer = make_layer(i=21, o=o, grid=grid, base=base, dtype=dtype)
    coef, sb, ssp, mask = (layer.coef.detach(), layer.scale_base.detach(),
                           layer.scale_sp.detach(), layer.mask)
    has_base = base != "zero"
    w = ops.pack_weights(coef, sb, ssp, mask, has_base, padded, 0, 21)
    # (F, S, O): no base slot without a base function
    expect = layer.feature_weight().detach().permute(1, 2, 0)
    torch.testing.assert_close(w[..., :o], expect, rtol=0, atol=0)
    assert bool((w[..., o:] == 0).all())
    torch.testing.assert_close(ops.pack_weights(coef, sb, ssp, mask, has_base, o, 1, 19),
                               expect[1:19], rtol=0, atol=0)
    assert ops.pack_weights(coef, sb, ssp, mask, has_base, padded, 7, 7).shape == (0, expect.shape[1], padded)


AVX512 = torch.backends.cpu.get_cpu_capability() == "AVX512"
AMD_AVX512 = AVX512 and spline_strategies._cpu_vendor() == "AuthenticAMD"


@needs_kernels
@pytest.mark.parametrize("shape,grid,strategy", [
    ((784, 64), 5, "local" if AVX512 else "dense"), ((256, 256), 50, "local"),
    ((1024, 1024), 5, "local" if AMD_AVX512 else "dense"), ((4, 3), 5, "rows"), ((100, 8), 5, "rows"),
    ((64, 10), 5, "rows"), ((256, 16), 5, "rows")])
def test_strategy_choice(shape, grid, strategy):
    """The cost model picks the rows kernels for layers of at most 16 outputs, the local
    kernels where they measured faster (small outputs, large grids) and the GEMMs for
    wide layers on a small grid; degree > 3 stays dense.  [784,64] is local with AVX-512
    only: with AVX2 the local kernels measured 1.8x slower than the dense ones there
    (batch 512); [1024,1024] is local on AMD's AVX-512 only (0.89-0.93x dense there)."""
    layer = KANLayer(*shape, grid=grid, k=3)
    x = torch.zeros(512, shape[0])
    plan = spline_strategies.Plan(x, layer.coef, layer.spline_spec())
    assert (plan.rows, plan.local) == (strategy == "rows", strategy == "local")
    layer5 = KANLayer(*shape, grid=grid, k=5)
    plan5 = spline_strategies.Plan(x, layer5.coef, layer5.spline_spec())
    assert not plan5.local and not plan5.rows


@needs_kernels
def test_dense_blocks_are_multiples_of_16_inputs(kanlab_config, monkeypatch):
    """Blocks of the dense strategy hold a multiple of 16 inputs (64-byte aligned GEMM
    rows for any number of features per input), and a shorter last block: still exact.
    (Blocks serve features that are not kept for the backward pass: none kept here.)"""
    monkeypatch.setattr(spline_strategies, "_SAVE_BYTES", 0)
    kanlab_config(strategy="dense")
    layer = make_layer(i=70, o=4)
    x = points(layer, count=13)
    per_input = 13 * layer.spline_spec().n_features * 8
    kanlab_config(feature_block=37 * per_input)
    blocks = spline_strategies.Plan(x, layer.coef, layer.spline_spec()).blocks()
    assert blocks == [(0, 32), (32, 64), (64, 70)]
    for a, b in zip(values_and_grads(layer, x, True), values_and_grads(layer, x, False)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


@needs_kernels
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("kept", [0, 1 << 30], ids=["recomputed", "kept"])
def test_input_blocks_match_reference(kanlab_config, monkeypatch, case, kept):
    """A tiny block size forces one block per input: still exact, for every base
    function and grid; and with the features kept for the backward pass (one block)."""
    monkeypatch.setattr(spline_strategies, "_SAVE_BYTES", kept)
    kanlab_config(feature_block=64)
    kanlab_config(strategy="dense")
    layer = make_layer(i=5, o=4, **case)
    x = points(layer, count=13)
    assert len(spline_strategies.Plan(x, layer.coef, layer.spline_spec()).blocks()) == 5
    assert_fast_matches_reference(layer, x)


@needs_kernels
@pytest.mark.parametrize("case", [dict(grid=1, k=0), dict(grid=1, k=1), dict(grid=2, k=0, base="zero"),
                                  dict(grid=5, k=3), dict(grid=5, k=3, extrapolate="constant"),
                                  dict(grid=6, k=2, nonuniform=True)],
                         ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_dense_last_spline_as_bias(kanlab_config, case):
    """The dense forward pass folds each input's last spline into a bias (the splines
    sum to one, inside the grid and outside it with either extrapolation); with a
    single spline there is nothing to fold.  Exact far outside the grid too."""
    kanlab_config(strategy="dense")
    layer = make_layer(i=3, o=4, **case)
    n = layer.coef.shape[-1]
    x = torch.cat([points(layer, count=17).detach(),
                   torch.tensor([[-60.0, 0.0, 60.0], [45.0, -45.0, 1e-3]], dtype=F64)])
    x.requires_grad_(True)
    assert spline_strategies.Plan(x, layer.coef, layer.spline_spec()).drop == (n >= 2)
    assert_fast_matches_reference(layer, x)


@needs_kernels
@pytest.mark.parametrize("base", ["silu", "gelu", "tanh"])
@pytest.mark.parametrize("wanted", ["x", "weights"])
def test_input_blocks_one_gradient(kanlab_config, base, wanted):
    """The dense backward with only x's gradient or only the weights' (each skips the
    other's half, and the base function's values or derivatives with it)."""
    kanlab_config(feature_block=64)
    kanlab_config(strategy="dense")
    layer = make_layer(i=5, o=4, base=base)
    x = points(layer, count=13)
    if wanted == "x":
        layer.requires_grad_(False)
        inputs = [x]
    else:
        x = x.detach()
        inputs = [layer.coef, layer.scale_base, layer.scale_sp]
    gy = torch.randn(13, 4, generator=torch.Generator().manual_seed(3), dtype=F64)
    fast = torch.autograd.grad(layer(x), inputs, gy)
    ref = torch.autograd.grad(reference(layer, x), inputs, gy)
    for a, b in zip(fast, ref):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


@needs_kernels
@pytest.mark.parametrize("strategy", ["dense", "local", "rows"])
@pytest.mark.parametrize("case", [{}, dict(base="zero"), dict(grid=20), dict(grid=13),
                                  dict(grid=13, base="zero"), dict(grid=14, base="zero")],
                         ids=["silu", "no-base", "grid20", "16-splines", "16-splines-no-base",
                              "17-splines-no-base"])
def test_float32_close_to_reference(kanlab_config, strategy, case):
    """float32's vector paths (local panels of 16 inputs, and 5 more), with and without
    a base function, and with up to one vector's lanes of splines per edge (the dense
    weights: 16) or more."""
    kanlab_config(strategy=strategy)
    layer = make_layer(i=37, o=5, dtype=torch.float32, **case)
    x = points(layer)
    for a, b in zip(values_and_grads(layer, x, True), values_and_grads(layer, x, False)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@needs_kernels
@pytest.mark.parametrize("strategy", ["dense", "local", "rows"])
def test_nan_input_gives_nan_not_crash(kanlab_config, strategy):
    """With value checks off, the kernels give NaN rows for NaN inputs instead of crashing
    (with them on, the layer refuses the input: tests/test_validation.py)."""
    import kanlab
    kanlab_config(strategy=strategy)
    layer = make_layer()
    x = points(layer, count=5).detach().clone()
    x[2, 1] = float("nan")
    with kanlab.checks(False):
        y = layer(x)
    assert bool(torch.isnan(y[2]).all()) and bool(torch.isfinite(y[[0, 1, 3, 4]]).all())


@pytest.mark.parametrize("grid", [5, 30])
def test_gradcheck_and_gradgradcheck(grid):
    """First and second derivatives (the backward's graph is the reference's) are right."""
    layer = make_layer(i=2, o=2, grid=grid)
    x = points(layer, count=6, at_knots=False)  # second derivatives jump at the grid's ends
    params = [p.detach().clone().requires_grad_(True)
              for p in (layer.coef, layer.scale_base, layer.scale_sp)]
    spec = layer.spline_spec()

    def f(x, coef, sb, ssp):  # the kernels where usable, else the reference
        return kan_linear(x, coef, sb, ssp, layer.mask, spec)

    assert torch.autograd.gradcheck(f, (x, *params), eps=1e-6, atol=1e-7)
    assert torch.autograd.gradgradcheck(f, (x, *params), eps=1e-6, atol=1e-6)


def test_pde_style_second_derivative():
    """d²y/dx² through create_graph matches the reference path."""
    layer = make_layer(i=1, o=1)
    x = torch.linspace(-1.5, 1.5, 31, dtype=F64).unsqueeze(-1).requires_grad_(True)
    results = []
    for y in (layer(x), reference(layer, x)):
        (dy,) = torch.autograd.grad(y.sum(), x, create_graph=True)
        (d2y,) = torch.autograd.grad(dy.sum(), x)
        results.append((dy.detach(), d2y))
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=1e-10)


def test_vmap_and_jacrev_match_reference():
    layer = make_layer(i=3, o=2)
    x = points(layer, count=7).detach()
    jac = torch.func.vmap(torch.func.jacrev(layer))(x)  # (7, 2, 3)
    ref = torch.stack([torch.autograd.functional.jacobian(lambda r: reference(layer, r), r[None])[0, :, 0]
                       for r in x])
    torch.testing.assert_close(jac, ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("case", [dict(), dict(nonuniform=True), dict(k=2, extrapolate="constant")],
                         ids=["uniform", "nonuniform", "k2-constant"])
def test_forward_mode_matches_reverse(monkeypatch, case):
    """Forward-mode AD: torch.func.jacfwd and hessian (jacfwd of jacrev), and dual
    tensors of torch.autograd.forward_ad, which route the layer to the reference
    path; all equal reverse mode's to 1e-12.  With an empty cache, so the first
    call makes the uniform spline's constant matrix inside the transforms."""
    import torch.autograd.forward_ad as fwAD
    from kanlab.splines import _tables as spline_tables
    monkeypatch.setattr(spline_tables, "_CARDINAL", {})
    layer = make_layer(i=3, o=2, **case)
    x = points(layer, count=7).detach()
    fwd = torch.func.vmap(torch.func.jacfwd(layer))(x)  # (7, 2, 3)
    rev = torch.func.vmap(torch.func.jacrev(layer))(x)
    torch.testing.assert_close(fwd, rev, rtol=0, atol=1e-12)
    f = lambda r: layer(r).sum()
    hess = torch.func.vmap(torch.func.hessian(f))(x)  # (7, 3, 3), diagonal per point
    ref = torch.func.vmap(torch.func.jacrev(torch.func.jacrev(f)))(x)
    torch.testing.assert_close(hess, ref, rtol=0, atol=1e-12)
    assert float(hess.detach().abs().max()) > 0
    t = torch.randn(x.shape, generator=torch.Generator().manual_seed(4), dtype=x.dtype)
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(layer(fwAD.make_dual(x, t))).tangent
    expected = torch.autograd.functional.jvp(layer, x, t)[1]
    torch.testing.assert_close(tangent, expected, rtol=0, atol=1e-12)


def test_compile_fullgraph_matches_eager():
    layer = make_layer(i=3, o=2)
    x = points(layer, count=9)
    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
    eager = values_and_grads(layer, x, True)
    y = compiled(x)
    gy = torch.randn(y.shape, generator=torch.Generator().manual_seed(3), dtype=y.dtype)
    params = [layer.coef, layer.scale_base, layer.scale_sp]
    grads = torch.autograd.grad(y, [x, *params], gy)
    for a, b in zip([y, *grads], eager):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_disabled_extension_falls_back(monkeypatch):
    """KANLAB_NO_EXTENSION=1 routes to the pure-PyTorch path with the same result."""
    layer = make_layer()
    x = points(layer)
    fast = values_and_grads(layer, x, True)
    monkeypatch.setenv("KANLAB_NO_EXTENSION", "1")
    assert extension.ops() is None and "disabled" in extension.status()
    assert not kernels_usable(x, layer.spline_spec(), layer.coef)
    fallback = values_and_grads(layer, x, True)
    for a, b in zip(fast, fallback):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_custom_base_function_uses_reference():
    layer = KANLayer(2, 2, base_fun=torch.sin, dtype=F64)
    assert not kernels_usable(torch.zeros(3, 2, dtype=F64), layer.spline_spec())
    x = torch.rand(3, 2, dtype=F64)
    torch.testing.assert_close(layer(x), reference(layer, x), rtol=0, atol=0)


@needs_kernels
@pytest.mark.parametrize("uniform", [True, False], ids=["uniform", "nonuniform"])
@pytest.mark.parametrize("base", ["silu", "gelu", "identity"])
def test_kernel_features_match_reference(uniform, base, kanlab_config):
    """layer.features by the kernels (Features) equals the pure-PyTorch features to 1e-12,
    values and input gradients; double backward goes through the reference."""
    from kanlab import KANLayer
    g = torch.Generator().manual_seed(3)
    layer = KANLayer(3, 2, grid=6, k=3, base_fun=base, dtype=torch.float64, generator=g)
    if not uniform:
        knots = torch.sort(torch.rand(3, 13, generator=g, dtype=torch.float64) * 3 - 1.5).values
        layer.set_grid(knots, layer.coef.detach())
    x = (torch.rand(40, 3, generator=g, dtype=torch.float64) * 3 - 1.5).requires_grad_(True)
    weight = torch.randn(40, 3, 10, generator=g, dtype=torch.float64)
    fast = layer.features(x)
    assert type(fast.grad_fn).__name__ == "FeaturesFunctionBackward"
    (g_fast,) = torch.autograd.grad((fast * weight).sum(), x, create_graph=True)
    (gg_fast,) = torch.autograd.grad(g_fast.sum(), x)
    kanlab_config(kernels=False)
    ref = layer.features(x)
    (g_ref,) = torch.autograd.grad((ref * weight).sum(), x, create_graph=True)
    (gg_ref,) = torch.autograd.grad(g_ref.sum(), x)
    torch.testing.assert_close(fast, ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(g_fast, g_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(gg_fast, gg_ref, rtol=1e-12, atol=1e-12)


@needs_kernels
@pytest.mark.parametrize("grid", [5, 20], ids=["S<=16", "S>16"])
def test_kernel_features_float32_vector_path(grid, kanlab_config):
    """float32 features and their input gradient by the kernels (16 points at a time
    through AVX-512 scatters and gathers where available, then a scalar remainder)
    equal the pure-PyTorch ones: the features exactly up to rounding of the same
    arithmetic, the contraction up to float32 summation order."""
    from kanlab import KANLayer
    g = torch.Generator().manual_seed(5)
    layer = KANLayer(37, 2, grid=grid, k=3, dtype=torch.float32, generator=g)
    x = (torch.rand(6, 37, generator=g) * 2.4 - 1.2).requires_grad_(True)
    weight = torch.randn(6, 37, layer.n_basis + 1, generator=g)
    fast = layer.features(x)
    assert type(fast.grad_fn).__name__ == "FeaturesFunctionBackward"
    (g_fast,) = torch.autograd.grad((fast * weight).sum(), x)
    kanlab_config(kernels=False)
    ref = layer.features(x)
    (g_ref,) = torch.autograd.grad((ref * weight).sum(), x)
    torch.testing.assert_close(fast, ref, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(g_fast, g_ref, rtol=1e-5, atol=1e-5)

"""Tests for kanlab.nn._layer.KANLayer against an explicit per-edge computation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from kanlab.nn import KANLayer
from kanlab.splines import bspline_basis, extend_points

F64 = torch.float64


def make_layer(in_features=3, out_features=2, grid=5, k=3, seed=0, **kwargs) -> KANLayer:
    kwargs.setdefault("dtype", F64)
    layer = KANLayer(in_features, out_features, grid, k,
                     generator=torch.Generator().manual_seed(seed), **kwargs)
    with torch.no_grad():  # O(1) coefficients so every term matters
        g = torch.Generator().manual_seed(seed + 1)
        layer.coef.copy_(torch.randn(layer.coef.shape, generator=g, dtype=F64))
        layer.scale_sp.copy_(1 + torch.rand(layer.scale_sp.shape, generator=g, dtype=F64))
    return layer


def nonuniform_knots(layer: KANLayer, seed: int = 0) -> torch.Tensor:
    """Per-input graded grid points on different ranges, extended for the layer's degree."""
    g = torch.Generator().manual_seed(seed)
    gaps = 0.2 + torch.rand(layer.in_features, layer.grid, generator=g, dtype=F64)
    points = torch.cat([torch.zeros(layer.in_features, 1, dtype=F64), gaps.cumsum(-1)], -1)
    points = points - torch.arange(layer.in_features, dtype=F64)[:, None]  # shift each row
    return extend_points(points, layer.k)


def set_nonuniform(layer: KANLayer, seed: int = 0) -> None:
    layer.set_grid(nonuniform_knots(layer, seed), layer.coef.detach().clone())


def inside(layer: KANLayer, count: int = 64, seed: int = 0) -> torch.Tensor:
    """Random points of every input's base interval, (count, in_features)."""
    k, n = layer.k, layer.n_basis
    lo, hi = layer.knots[:, k], layer.knots[:, n]
    g = torch.Generator().manual_seed(seed)
    return lo + (hi - lo) * torch.rand(count, layer.in_features, generator=g, dtype=F64)


def explicit_forward(layer: KANLayer, x: torch.Tensor) -> torch.Tensor:
    """y_j = Σ_i mask_ij (scale_base_ij b(x_i) + scale_sp_ij Σ_b coef_jib B_ib(x_i)), per edge."""
    y = torch.zeros(x.shape[0], layer.out_features, dtype=x.dtype)
    for j in range(layer.out_features):
        for i in range(layer.in_features):
            basis = bspline_basis(x[:, i], layer.knots[i], layer.k)  # (B, n_basis)
            spline = basis @ layer.coef[j, i]
            base = layer.base_fun(x[:, i]) if layer.base_fun is not None else 0.0
            y[:, j] += layer.mask[j, i] * (layer.scale_base[j, i] * base
                                           + layer.scale_sp[j, i] * spline)
    return y


# ---------------------------------------------------------------------------
# shapes and nn.Linear conventions


@pytest.mark.parametrize("lead", [(), (7,), (2, 5), (2, 3, 4)])
def test_output_shape_follows_leading_dims(lead):
    """Input (*, in_features) gives output (*, out_features)."""
    layer = make_layer()
    assert layer(torch.zeros(*lead, 3, dtype=F64)).shape == (*lead, 2)


def test_leading_dims_do_not_change_values():
    """Reshaping the batch into leading dims gives the same values."""
    layer = make_layer()
    x = inside(layer, count=24)
    torch.testing.assert_close(layer(x.reshape(2, 3, 4, 3)), layer(x).reshape(2, 3, 4, 2),
                               rtol=0, atol=0)


def test_empty_batch():
    """An empty batch (0, in_features) gives (0, out_features), like nn.Linear."""
    layer = make_layer()
    assert layer(torch.zeros(0, 3, dtype=F64)).shape == (0, 2)


def test_dtype_and_device_kwargs():
    """dtype/device factory kwargs apply to every parameter and buffer."""
    layer = KANLayer(2, 3, grid=4, k=2, dtype=F64, device="cpu")
    tensors = list(layer.parameters()) + list(layer.buffers())
    assert len(tensors) == 5
    assert all(t.dtype == F64 and t.device.type == "cpu" for t in tensors)


def test_default_dtype():
    """Without dtype the layer uses torch's default dtype."""
    layer = KANLayer(2, 3)
    assert layer.coef.dtype == torch.get_default_dtype() == layer.knots.dtype


def test_meta_device():
    """The layer can be built on the meta device (deferred initialisation), like nn.Linear."""
    layer = KANLayer(2, 3, device="meta")
    assert layer.coef.is_meta and layer.coef.shape == (3, 2, 8)


def test_parameter_and_buffer_shapes():
    """coef (out, in, G + k); scale_base, scale_sp, mask (out, in); knots (in, G + 2k + 1)."""
    layer = KANLayer(4, 3, grid=6, k=2)
    assert layer.coef.shape == (3, 4, 8) and layer.n_basis == 8
    assert layer.scale_base.shape == layer.scale_sp.shape == layer.mask.shape == (3, 4)
    assert layer.knots.shape == (4, 11)
    assert {n for n, _ in layer.named_buffers()} == {"knots", "mask"}


def test_reset_parameters_deterministic_with_generator():
    """Two layers initialised from equally seeded generators are identical."""
    a = KANLayer(3, 2, generator=torch.Generator().manual_seed(7))
    b = KANLayer(3, 2, generator=torch.Generator().manual_seed(7))
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(p, q), name


def test_reset_parameters_is_recallable():
    """reset_parameters can be called again, draws new values, and is reproducible."""
    layer = KANLayer(3, 2, generator=torch.Generator().manual_seed(0))
    first = layer.coef.detach().clone()
    layer.reset_parameters(torch.Generator().manual_seed(1))
    second = {n: p.detach().clone() for n, p in layer.named_parameters()}
    assert not torch.equal(first, second["coef"])
    layer.reset_parameters(torch.Generator().manual_seed(1))
    for name, p in layer.named_parameters():
        assert torch.equal(p, second[name]), name


def test_reset_parameters_leaves_global_rng_alone():
    """Initialising with a generator does not consume the global RNG."""
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    KANLayer(3, 2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(torch.rand(3), expected)


def test_reset_parameters_initial_scales():
    """scale_sp starts at scale_sp/sqrt(in); scale_base within mu ± sigma/sqrt(in)."""
    layer = KANLayer(4, 5, scale_sp=2.0, scale_base_mu=0.5, scale_base_sigma=1.0,
                     generator=torch.Generator().manual_seed(0), dtype=F64)
    torch.testing.assert_close(layer.scale_sp, torch.full((5, 4), 1.0, dtype=F64))
    assert float((layer.scale_base.detach() - 0.5).abs().max()) <= 0.5
    assert float(layer.coef.detach().abs().max()) <= 0.5 * 0.3 / 5


def test_extra_repr_mentions_constructor_arguments():
    """repr names in_features, out_features, grid and k (and follows set_grid)."""
    layer = make_layer(3, 2, grid=5, k=3)
    text = repr(layer)
    for part in ("in_features=3", "out_features=2", "grid=5", "k=3"):
        assert part in text
    points = torch.linspace(-1, 1, 8, dtype=F64).expand(3, 8)
    layer.set_grid(extend_points(points, 3), torch.zeros(2, 3, 10, dtype=F64))
    assert "grid=7" in repr(layer)


# ---------------------------------------------------------------------------
# values


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_forward_matches_explicit_edges_uniform(k):
    """The forward equals the per-edge sum with bspline_basis on uniform knots (1e-12)."""
    layer = make_layer(k=k)
    x = inside(layer)
    torch.testing.assert_close(layer(x), explicit_forward(layer, x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_forward_matches_explicit_edges_nonuniform(k):
    """The forward equals the per-edge sum after set_grid with non-uniform knots (1e-12)."""
    layer = make_layer(k=k)
    set_nonuniform(layer)
    x = inside(layer)
    torch.testing.assert_close(layer(x), explicit_forward(layer, x), rtol=0, atol=1e-12)


def test_forward_matches_explicit_edges_per_input_ranges():
    """grid_range given per input puts each input's grid on its own interval."""
    ranges = [(-1.0, 1.0), (0.0, 5.0), (-3.0, -2.0)]
    layer = make_layer(grid_range=ranges)
    k, n = layer.k, layer.n_basis
    torch.testing.assert_close(layer.knots[:, [k, n]], torch.tensor(ranges, dtype=F64))
    x = inside(layer)
    torch.testing.assert_close(layer(x), explicit_forward(layer, x), rtol=0, atol=1e-12)


def test_set_grid_with_nonuniform_knots_keeps_knots():
    """set_grid stores the given knots and coefficients."""
    layer = make_layer()
    knots = nonuniform_knots(layer)
    coef = torch.randn(2, 3, 8, dtype=F64)
    layer.set_grid(knots, coef)
    assert torch.equal(layer.knots, knots) and torch.equal(layer.coef.detach(), coef)


def test_set_grid_rejects_bad_shapes_and_knots():
    """set_grid rejects coefficient shapes that do not match and decreasing knots."""
    layer = make_layer()
    with pytest.raises(ValueError, match="set_grid expects"):
        layer.set_grid(layer.knots.clone(), torch.zeros(2, 3, 7, dtype=F64))
    bad = layer.knots.clone()
    bad[0, 4] = bad[0, 2]
    with pytest.raises(ValueError, match="non-decreasing"):
        layer.set_grid(bad, layer.coef.detach().clone())


@pytest.mark.parametrize("nonuniform", [False, True])
def test_gradcheck_input_and_parameters(nonuniform):
    """Autograd gradients w.r.t. x, coef, scale_base and scale_sp pass gradcheck (float64)."""
    layer = make_layer(in_features=2, out_features=2, grid=4, k=3)
    if nonuniform:
        set_nonuniform(layer)
    k, n = layer.k, layer.n_basis
    knots = layer.knots
    mid = (knots[:, k:n] + knots[:, k + 1:n + 1]) / 2  # interval midpoints, off the knots
    outside = torch.stack([knots[:, k] - 0.4, knots[:, n] + 0.7])
    x = torch.cat([mid.t(), outside]).requires_grad_(True)
    names = ["coef", "scale_base", "scale_sp"]
    params = tuple(getattr(layer, name).detach().clone().requires_grad_(True) for name in names)

    def f(x, *p):
        return functional_call(layer, dict(zip(names, p)), (x,))

    assert torch.autograd.gradcheck(f, (x, *params), eps=1e-6, atol=1e-7)


def test_edge_values_sum_to_forward():
    """Summing edge_values over inputs gives the forward output."""
    layer = make_layer()
    set_nonuniform(layer)
    x = inside(layer)
    x[:3] += 5.0  # some points beyond the grid too
    edges = layer.edge_values(x)
    assert edges.shape == (x.shape[0], 2, 3)
    torch.testing.assert_close(edges.sum(-1), layer(x), rtol=0, atol=1e-12)


def test_edge_rms_is_root_mean_square_of_edge_values():
    """edge_rms equals sqrt(mean(edge_values**2, dim=0))."""
    layer = make_layer()
    x = inside(layer, count=50)
    expected = layer.edge_values(x).pow(2).mean(0).sqrt()
    torch.testing.assert_close(layer.edge_rms(x), expected, rtol=1e-10, atol=1e-12)


def test_edge_rms_has_finite_gradient_for_masked_edge():
    """A masked (zero) edge keeps edge_rms differentiable (no NaN gradient)."""
    layer = make_layer()
    layer.mask[0, 1] = 0.0
    layer.edge_rms(inside(layer)).sum().backward()
    assert all(bool(torch.isfinite(p.grad).all()) for p in layer.parameters())


def test_mask_zero_removes_edge():
    """Zeroing mask[j, i] removes exactly edge (i -> j) from output j."""
    layer = make_layer()
    x = inside(layer)
    full, edges = layer(x), layer.edge_values(x)
    layer.mask[1, 2] = 0.0
    expected = full.clone()
    expected[:, 1] -= edges[:, 1, 2]
    torch.testing.assert_close(layer(x), expected, rtol=0, atol=1e-12)
    assert float(layer.edge_values(x).detach()[:, 1, 2].abs().max()) == 0.0


def test_masked_edge_gets_no_gradient():
    """A masked edge's coefficients and scales receive zero gradient."""
    layer = make_layer()
    layer.mask[0, 0] = 0.0
    layer(inside(layer)).sum().backward()
    assert float(layer.coef.grad[0, 0].abs().max()) == 0.0
    assert float(layer.scale_base.grad[0, 0]) == 0.0 and float(layer.scale_sp.grad[0, 0]) == 0.0


@pytest.mark.parametrize("nonuniform", [False, True])
def test_state_dict_round_trip(nonuniform):
    """Loading a state_dict into a fresh layer gives identical outputs, in and beyond the grid."""
    layer = make_layer(seed=0)
    if nonuniform:
        set_nonuniform(layer)
    fresh = make_layer(seed=5)
    if not nonuniform:
        set_nonuniform(fresh, seed=3)  # the fresh layer starts on the other kind of grid
    fresh.load_state_dict(layer.state_dict())
    x = torch.cat([inside(layer), inside(layer, count=8) * 3])
    assert torch.equal(fresh(x), layer(x))


# ---------------------------------------------------------------------------
# input validation


def test_rejects_wrong_feature_count():
    """An input whose last dimension is not in_features is a ValueError naming the shape."""
    with pytest.raises(ValueError, match=r"\(\*, 3\)"):
        make_layer()(torch.zeros(4, 2, dtype=F64))


def test_rejects_scalar_input():
    """A 0-d tensor is a ValueError."""
    with pytest.raises(ValueError, match=r"\(\*, 3\)"):
        make_layer()(torch.tensor(1.0, dtype=F64))


def test_rejects_integer_input():
    """Integer input is a TypeError naming the expected dtype."""
    with pytest.raises(TypeError, match="float64"):
        make_layer()(torch.zeros(4, 3, dtype=torch.int64))


def test_rejects_float32_input_into_float64_layer():
    """float32 input into a float64 layer is a TypeError suggesting a conversion."""
    with pytest.raises(TypeError, match=r"\.to\("):
        make_layer()(torch.zeros(4, 3, dtype=torch.float32))


def test_rejects_non_tensor_input():
    """A list input is a TypeError."""
    with pytest.raises(TypeError, match="torch.Tensor"):
        make_layer()([[0.0, 0.0, 0.0]])


@pytest.mark.parametrize("kwargs", [{"in_features": 0}, {"out_features": -1}, {"grid": 0},
                                    {"k": -1}, {"extrapolate": "cubic"},
                                    {"grid_range": [(0.0, 1.0)] * 2}])
def test_constructor_rejects_bad_arguments(kwargs):
    """Invalid sizes, degree, extrapolation or grid_range are ValueErrors."""
    args = {"in_features": 3, "out_features": 2, **kwargs}
    with pytest.raises(ValueError):
        KANLayer(**args)


# ---------------------------------------------------------------------------
# base functions


@pytest.mark.parametrize("base_fun, fn", [("silu", F.silu), ("gelu", F.gelu),
                                          ("tanh", torch.tanh), (torch.sin, torch.sin),
                                          ("identity", lambda x: x)])
def test_base_fun_options(base_fun, fn):
    """Named and callable base functions add scale_base · b(x_i) on every edge."""
    layer = make_layer(base_fun=base_fun)
    x = inside(layer)
    spline_only = explicit_forward(layer, x) - (fn(x) @ layer.scale_base.t())
    with torch.no_grad():
        layer.scale_base.zero_()
    torch.testing.assert_close(layer(x), spline_only, rtol=0, atol=1e-12)


@pytest.mark.parametrize("base_fun", ["zero", None])
def test_base_fun_zero_ignores_scale_base(base_fun):
    """"zero"/None: the output does not depend on scale_base."""
    layer = make_layer(base_fun=base_fun)
    x = inside(layer)
    before = layer(x)
    with torch.no_grad():
        layer.scale_base.fill_(100.0)
    assert torch.equal(layer(x), before)
    assert "base_fun='zero'" in repr(layer)


def test_base_fun_rejects_unknown_name():
    """An unknown base function name is a ValueError listing the choices."""
    with pytest.raises(ValueError, match="silu"):
        KANLayer(2, 2, base_fun="relu6")


def test_base_fun_rejects_non_callable():
    """A base function that is neither a name, None nor callable is a TypeError."""
    with pytest.raises(TypeError, match="callable"):
        KANLayer(2, 2, base_fun=3)


# ---------------------------------------------------------------------------
# out-of-grid inputs


def edge_curve(layer: KANLayer, t: torch.Tensor, i: int = 0, j: int = 0) -> torch.Tensor:
    """Edge (i -> j) along the points t (other inputs held at 0)."""
    x = torch.zeros(t.shape[0], layer.in_features, dtype=F64)
    x[:, i] = t
    return layer.edge_values(x).detach()[:, j, i]


@pytest.mark.parametrize("nonuniform", [False, True])
def test_linear_extension_beyond_grid(nonuniform):
    """Beyond the base interval the edge function is affine (second difference ~0)."""
    layer = make_layer(base_fun="zero")
    if nonuniform:
        set_nonuniform(layer)
    k, n = layer.k, layer.n_basis
    for end, sign in ((float(layer.knots[0, n]), 1.0), (float(layer.knots[0, k]), -1.0)):
        t = end + sign * torch.tensor([0.1, 0.6, 1.1, 1.6, 2.1, 10.1], dtype=F64)
        y = edge_curve(layer, t)
        d2 = y[:-2] - 2 * y[1:-1] + y[2:]
        assert float(d2[:3].abs().max()) < 1e-10 * max(1.0, float(y.abs().max()))
        # the last point is far out: still on the same line
        slope = (y[1] - y[0]) / (t[1] - t[0])
        assert float((y[-1] - y[0] - slope * (t[-1] - t[0])).abs()) < 1e-9


def test_linear_extension_is_c1_at_the_grid_end():
    """The extension continues the end value and the end slope of the spline."""
    layer = make_layer(base_fun="zero")
    set_nonuniform(layer)
    n = layer.n_basis
    hi = float(layer.knots[0, n])
    h = 1e-6
    y = edge_curve(layer, torch.tensor([hi - h, hi, hi + h], dtype=F64))
    assert abs(float(y[2] - y[1]) - float(y[1] - y[0])) < 1e-9  # equal one-sided slopes
    spline = bspline_basis(layer.knots[0, n:n + 1], layer.knots[0], layer.k) @ layer.coef[0, 0]
    torch.testing.assert_close(y[1], layer.scale_sp[0, 0] * spline[0], rtol=0, atol=1e-12)


def test_constant_extension_beyond_grid():
    """With extrapolate="constant" the edge function is frozen at its end value."""
    layer = make_layer(base_fun="zero", extrapolate="constant")
    n = layer.n_basis
    hi = float(layer.knots[0, n])
    y = edge_curve(layer, torch.tensor([hi, hi + 0.5, hi + 7.0], dtype=F64))
    torch.testing.assert_close(y[1:], y[:1].expand(2), rtol=0, atol=1e-14)


def test_out_of_grid_output_is_not_just_base():
    """Far outside the grid the spline branch still contributes (no silent drop to b(x))."""
    layer = make_layer()
    x = torch.full((1, 3), 4.0, dtype=F64)
    base_only = F.silu(x) @ layer.scale_base.t()
    assert float((layer(x) - base_only).detach().abs().max()) > 1e-3


def test_float32_layer_matches_float64():
    """A float32 layer computes the same function as its float64 copy to ~1e-5."""
    layer = make_layer()
    layer32 = make_layer(dtype=torch.float32)
    layer32.load_state_dict({k: v.float() for k, v in layer.state_dict().items()})
    x = torch.cat([inside(layer), inside(layer, count=4) * 2])
    y32, y64 = layer32(x.float()).detach(), layer(x).detach()
    assert y32.dtype == torch.float32
    np.testing.assert_allclose(y32.double().numpy(), y64.numpy(), rtol=0,
                               atol=1e-5 * float(y64.abs().max()))

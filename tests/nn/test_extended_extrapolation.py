"""KANLayer(extrapolate="extended"): beyond its grid a spline is the B-spline sum over the
k extension intervals of its knots (pykan's spline), 0 beyond the outermost knots; the
kernels' output plus the end terms equals the textbook basis, to every derivative order."""
from __future__ import annotations

import pytest
import torch

from kanlab.nn import KANLayer
from kanlab.splines import bspline_basis, local_basis, scatter_local, uniform_knots
from _continued_layers import assert_forward_and_features_give, continued_layer

F64 = torch.float64


def extended_layer(nonuniform: bool, dtype=F64, seed=0) -> KANLayer:
    return continued_layer("extended", dtype, seed, knot_shifts=(
        4, [0.05, -0.04, 0.07]) if nonuniform else None)


def textbook_output(layer: KANLayer, x: torch.Tensor) -> torch.Tensor:
    """sum_j c_j B_j(x) on the layer's whole knot vector (0 beyond it) plus the base
    function: the layer's output from the recursion alone."""
    basis = bspline_basis(x, layer.knots, layer.k)  # (B, in, n_basis)
    base, spline = layer.edge_weight()
    return layer.base_fun(x) @ base.t() + torch.einsum("bif,oif->bo", basis, spline)


@pytest.mark.parametrize("derivative", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("uniform", [True, False])
def test_local_basis_extended_is_the_textbook_basis_everywhere(derivative, uniform):
    """Inside, on the extension intervals and beyond the outermost knots."""
    knots = uniform_knots(5, 3, (-1.0, 1.0), dtype=F64)[None].clone()
    if not uniform:
        knots[0, 4:7] += torch.tensor([0.05, -0.04, 0.07], dtype=F64)
    x = torch.linspace(-2.5, 2.5, 101, dtype=F64)[:, None] + 0.0123  # off the knots (d³ jumps there)
    values, start = local_basis(x, knots, 3, uniform=uniform, extrapolate="extended",
                                derivative=derivative)
    dense = scatter_local(values, start, knots.shape[-1] - 4)
    want = bspline_basis(x, knots, 3, derivative=derivative)
    assert float((dense - want).abs().max()) <= 1e-10 * (1 + float(want.abs().max()))
    beyond = (x[:, 0] < -1.0) & (x[:, 0] > float(knots[0, 0]))
    if derivative <= 3:
        assert float(dense[beyond].abs().sum()) > 0  # the extension intervals are live


@pytest.mark.parametrize("nonuniform", [False, True])
def test_extended_layer_forward_and_features_are_the_textbook_spline(nonuniform):
    """forward (kernels + end terms) and features give sum c_j B_j(x) + base, with ~half
    the samples beyond the grid, some beyond the outermost knots (spline 0 there)."""
    layer = extended_layer(nonuniform)
    x = torch.rand(200, 3, generator=torch.Generator().manual_seed(1), dtype=F64) * 5 - 2.5
    assert_forward_and_features_give(layer, x, textbook_output(layer, x).detach(), 1e-12)
    far = torch.full((1, 3), 3.0, dtype=F64)  # beyond the outermost knot (1 + 3 * 0.4 = 2.2)
    base = layer.base_fun(far) @ layer.edge_weight()[0].t()
    assert torch.allclose(layer(far), base, atol=1e-14)


def test_extended_layer_differs_from_the_old_continuations_beyond_the_grid():
    """The regression this mode fixes: beyond the grid the quadratic continuation (what
    kanlab.pykan used) is the end polynomial, not the B-splines of the extension intervals."""
    layer = extended_layer(False)
    x = torch.tensor([[-1.3, 1.3, 0.0]], dtype=F64)
    want = textbook_output(layer, x).detach()
    layer.extrapolate = "quadratic"
    assert float((layer(x).detach() - want).abs().max()) > 1e-3
    layer.extrapolate = "extended"
    assert float((layer(x).detach() - want).abs().max()) <= 1e-12


def test_extended_layer_gradcheck_and_gradgradcheck():
    """First and second derivatives in x, inside, on the extension intervals and beyond."""
    layer = extended_layer(True)
    x = torch.tensor([[-1.7, 0.3, 1.2], [0.2, -0.55, 2.4], [1.5, -1.3, 0.05]], dtype=F64,
                     requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,), eps=1e-6, atol=1e-7)
    assert torch.autograd.gradgradcheck(layer, (x,), eps=1e-6, atol=1e-6)


def test_extended_layer_is_c2_across_the_grid_ends():
    """d²y/dx² just inside and just outside both ends agree (cubic B-splines are C²)."""
    layer = extended_layer(True, seed=3)
    for end in (-1.0, 1.0):
        x = torch.tensor([[end - 1e-7] * 3, [end + 1e-7] * 3], dtype=F64, requires_grad=True)
        (dy,) = torch.autograd.grad(layer(x).sum(), x, create_graph=True)
        (d2y,) = torch.autograd.grad(dy.sum(), x)
        assert float((dy[1] - dy[0]).detach().abs().max()) < 1e-5
        assert float((d2y[1] - d2y[0]).abs().max()) < 1e-4


def test_extended_layer_under_torch_func_matches_eager():
    """Under a functorch transform every entry goes through the end terms (no gather):
    the Jacobian equals the eager one."""
    layer = extended_layer(False)
    x = torch.tensor([[-1.6, 0.4, 1.1], [0.3, 1.9, -2.4]], dtype=F64)
    eager = torch.autograd.functional.jacobian(lambda v: layer(v).sum(0), x)
    func = torch.func.jacrev(lambda v: layer(v).sum(0))(x)
    assert torch.allclose(eager, func, atol=1e-12)

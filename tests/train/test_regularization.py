"""Tests for kanlab.train._regularization: sparsity (L1, entropy) and spline smoothness penalties."""
from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
import torch

from torch.func import functional_call

from kanlab.nn import refine_layer
from kanlab.nn import KANLayer
from kanlab.train import (entropy_penalty, l1_penalty, smoothness_penalty,
                                   sparsity_penalty)
from kanlab.splines import extend_points

F64 = torch.float64


def magnitudes(out_features=3, in_features=4, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 0.1 + torch.rand(out_features, in_features, generator=g, dtype=F64)


def entropy_by_hand(m: np.ndarray) -> float:
    """Mean row entropy plus mean column entropy of the normalised magnitudes."""
    rows = m / m.sum(axis=1, keepdims=True)
    cols = m / m.sum(axis=0, keepdims=True)
    h_rows = np.mean([-sum(p * math.log(p) for p in r if p > 0) for r in rows])
    h_cols = np.mean([-sum(p * math.log(p) for p in c if p > 0) for c in cols.T])
    return h_rows + h_cols


# ---------------------------------------------------------------------------
# sparsity


def test_l1_is_sum_of_magnitudes():
    """The L1 penalty of a layer is the sum of its edge magnitudes."""
    m = magnitudes()
    assert float(l1_penalty(m)) == pytest.approx(float(m.numpy().sum()), rel=1e-14)


def test_entropy_matches_hand_computation():
    """Entropy equals mean row entropy + mean column entropy of the normalised magnitudes."""
    m = magnitudes()
    assert float(entropy_penalty(m)) == pytest.approx(entropy_by_hand(m.numpy()), rel=1e-12)


@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (5, 2)])
def test_entropy_of_uniform_magnitudes(shape):
    """Equal magnitudes give the maximum, log(n_in) + log(n_out)."""
    m = torch.full(shape, 0.7, dtype=F64)
    expected = math.log(shape[1]) + math.log(shape[0])
    assert float(entropy_penalty(m)) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_entropy_of_permutation_is_zero():
    """One active edge per row and column gives zero entropy (0·log 0 = 0)."""
    m = torch.eye(4, dtype=F64)[[2, 0, 3, 1]]
    assert float(entropy_penalty(m)) == pytest.approx(0.0, abs=1e-12)


def test_entropy_is_scale_invariant():
    """Scaling every magnitude leaves the entropy unchanged."""
    m = magnitudes()
    assert float(entropy_penalty(5.0 * m)) == pytest.approx(float(entropy_penalty(m)), rel=1e-12)


def test_entropy_of_zero_layer_is_finite():
    """An all-zero layer (every edge pruned) has zero, finite entropy."""
    assert float(entropy_penalty(torch.zeros(3, 4, dtype=F64))) == 0.0


def test_entropy_gradient_finite_with_pruned_node():
    """A node with only zero-magnitude edges (pruned) leaves the entropy gradient finite."""
    m = magnitudes()
    m[1] = 0.0  # output node 1 lost every incoming edge
    m.requires_grad_(True)
    entropy_penalty(m).backward()
    assert bool(torch.isfinite(m.grad).all())


def test_sparsity_penalty_combines_layers():
    """sparsity = Σ_layers lamb_l1·L1 + lamb_entropy·entropy."""
    ms = [magnitudes(3, 4, seed=0), magnitudes(2, 3, seed=1)]
    expected = sum(0.5 * float(m.sum()) + 3.0 * entropy_by_hand(m.numpy()) for m in ms)
    got = sparsity_penalty(ms, lamb_l1=0.5, lamb_entropy=3.0)
    assert float(got) == pytest.approx(expected, rel=1e-12)


def test_entropy_gradcheck():
    """The entropy penalty's gradient passes gradcheck on positive magnitudes."""
    m = magnitudes().requires_grad_(True)
    assert torch.autograd.gradcheck(entropy_penalty, (m,))


def test_sparsity_gradients_reach_layer_parameters():
    """A sparsity loss on edge_rms gives finite, non-zero gradients to coef and both scales."""
    layer = KANLayer(3, 2, generator=torch.Generator().manual_seed(0), dtype=F64)
    x = torch.rand(64, 3, generator=torch.Generator().manual_seed(1), dtype=F64) * 2 - 1
    sparsity_penalty([layer.edge_rms(x)]).backward()
    for name in ("coef", "scale_base", "scale_sp"):
        grad = getattr(layer, name).grad
        assert grad is not None and bool(torch.isfinite(grad).all()), name
        assert float(grad.abs().max()) > 0, name


# ---------------------------------------------------------------------------
# smoothness


def make_layer(k=3, grid=5, grid_range=(-1.0, 1.0), in_features=2, out_features=3,
               seed=0) -> KANLayer:
    layer = KANLayer(in_features, out_features, grid, k, grid_range=grid_range,
                     generator=torch.Generator().manual_seed(seed), dtype=F64)
    with torch.no_grad():
        g = torch.Generator().manual_seed(seed + 1)
        layer.scale_sp.copy_(0.5 + torch.rand(layer.scale_sp.shape, generator=g, dtype=F64))
    return layer


def smoothness(layer: KANLayer) -> float:
    return float(smoothness_penalty(layer).detach())


def greville(knots: torch.Tensor, k: int) -> torch.Tensor:
    """Greville abscissae (t_{i+1} + ... + t_{i+k}) / k, shape (F, n_basis)."""
    n = knots.shape[-1] - k - 1
    return torch.stack([knots[:, i + 1:i + k + 1].mean(-1) for i in range(n)], dim=-1)


def square_coefficients(knots: torch.Tensor, k: int) -> torch.Tensor:
    """Marsden's identity: x² = Σ_i c_i B_i with c_i the mean of t_{i+p} t_{i+q}, p < q."""
    n = knots.shape[-1] - k - 1
    pairs = list(itertools.combinations(range(1, k + 1), 2))
    return torch.stack([sum(knots[:, i + p] * knots[:, i + q] for p, q in pairs) / len(pairs)
                        for i in range(n)], dim=-1)  # (F, n_basis)


def set_nonuniform(layer: KANLayer) -> None:
    g = torch.Generator().manual_seed(4)
    gaps = 0.2 + torch.rand(layer.in_features, layer.grid, generator=g, dtype=F64)
    points = torch.cat([torch.zeros(layer.in_features, 1, dtype=F64), gaps.cumsum(-1)], -1)
    layer.set_grid(extend_points(points - 1.0, layer.k), layer.coef.detach().clone())


def edge_scales(layer: KANLayer, seed: int = 2) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(layer.out_features, layer.in_features, 1, generator=g, dtype=F64)


@pytest.mark.parametrize("k, nonuniform", [(1, False), (2, False), (3, False), (4, False),
                                           (2, True), (3, True), (4, True)])
def test_smoothness_zero_for_affine_spline(k, nonuniform):
    """Coefficients linear in the Greville abscissae (an affine spline) give zero penalty."""
    layer = make_layer(k=k)
    if nonuniform:
        set_nonuniform(layer)
    a, b = edge_scales(layer, 2), edge_scales(layer, 3)
    with torch.no_grad():
        layer.coef.copy_(a * greville(layer.knots, k) + b)
    assert smoothness(layer) < 1e-20


def test_smoothness_positive_for_curved_spline():
    """A non-affine spline has a strictly positive penalty."""
    layer = make_layer()
    assert smoothness(layer) > 0


@pytest.mark.parametrize("grid_range, length", [((-1.0, 1.0), 2.0), ((0.0, 3.0), 3.0)])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_smoothness_of_square_matches_hand_computation(k, grid_range, length):
    """s = α·x² on an interval of length L: each edge gives L³∫(2α·scale_sp)² = 4(α·scale_sp)²L⁴."""
    layer = make_layer(k=k, grid_range=grid_range)
    alpha = edge_scales(layer)
    with torch.no_grad():
        layer.coef.copy_(alpha * square_coefficients(layer.knots, k))
    per_edge = (alpha[..., 0] * layer.scale_sp.detach()) ** 2 * 4 * length * length ** 3
    assert smoothness(layer) == pytest.approx(float(per_edge.mean()), rel=1e-10)


def test_smoothness_of_square_on_nonuniform_knots():
    """The quadrature is exact on any knots: x² on graded knots gives the same closed form."""
    layer = make_layer(k=3)
    set_nonuniform(layer)
    alpha = edge_scales(layer)
    with torch.no_grad():
        layer.coef.copy_(alpha * square_coefficients(layer.knots, 3))
    n = layer.n_basis
    length = layer.knots[:, n] - layer.knots[:, 3]  # (in,)
    per_edge = (alpha[..., 0] * layer.scale_sp.detach()) ** 2 * 4 * length ** 4
    assert smoothness(layer) == pytest.approx(float(per_edge.mean()), rel=1e-10)


def test_smoothness_ignores_masked_edges():
    """A masked edge does not contribute to the penalty."""
    layer = make_layer()
    full = smoothness(layer)
    with torch.no_grad():
        layer.coef[0, 0].mul_(100.0)
    layer.mask[0, 0] = 0.0
    reduced = smoothness(layer)
    layer.mask[0, 0] = 1.0
    with torch.no_grad():
        layer.coef[0, 0].div_(100.0)
    layer.mask[0, 0] = 0.0
    assert reduced == pytest.approx(smoothness(layer), rel=1e-12)
    assert reduced < full


@pytest.mark.parametrize("k", [0, 1])
def test_smoothness_low_degree_is_discrete(k):
    """For k < 2 the penalty is the mean over edges of G³ · Σ (second difference of weights)²."""
    layer = make_layer(k=k)
    w = layer.coef.detach() * layer.scale_sp.detach().unsqueeze(-1)
    expected = (np.diff(w.numpy(), n=2, axis=-1) ** 2).sum(-1).mean() * layer.grid ** 3
    assert smoothness(layer) == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.parametrize("nonuniform", [False, True])
@pytest.mark.parametrize("k", [2, 3])
def test_smoothness_is_grid_independent(k, nonuniform):
    """The same smooth function on grid G and refined to 2G has the same penalty."""
    layer = make_layer(k=k)
    if nonuniform:
        set_nonuniform(layer)
    with torch.no_grad():  # a smooth function: sin of the Greville abscissae
        layer.coef.copy_(torch.sin(1.3 * greville(layer.knots, k) + edge_scales(layer)))
    fine = copy.deepcopy(layer)
    refine_layer(fine, 2 * layer.grid)
    coarse_value, fine_value = smoothness(layer), smoothness(fine)
    assert coarse_value > 0
    assert fine_value == pytest.approx(coarse_value, rel=1e-8)


def test_smoothness_gradients_flow():
    """The smoothness penalty back-propagates to coef and scale_sp (finite, non-zero)."""
    layer = make_layer()
    smoothness_penalty(layer).backward()
    for name in ("coef", "scale_sp"):
        grad = getattr(layer, name).grad
        assert grad is not None and bool(torch.isfinite(grad).all()) and float(grad.abs().max()) > 0


class SmoothnessOf(torch.nn.Module):
    """A module whose forward is the layer's smoothness penalty (for functional_call)."""

    def __init__(self, layer: KANLayer) -> None:
        super().__init__()
        self.layer = layer

    def forward(self) -> torch.Tensor:
        return smoothness_penalty(self.layer)


@pytest.mark.parametrize("k", [1, 3])
def test_smoothness_gradcheck(k):
    """The penalty's gradient w.r.t. coef and scale_sp passes gradcheck."""
    module = SmoothnessOf(make_layer(k=k, in_features=2, out_features=2))
    names = ("layer.coef", "layer.scale_sp")
    params = tuple(module.get_parameter(n).detach().clone().requires_grad_(True) for n in names)

    def f(*p):
        return functional_call(module, dict(zip(names, p)), ())

    assert torch.autograd.gradcheck(f, params)


def test_pykan_reg_metrics_match_direct_computation():
    """edge_forward_spline_n: std of every edge's output over std(input) + 0.1, pykan's
    entropy (row/column over sum + 1, in bits); edge_rms unchanged."""
    from kanlab.nn import KAN
    from kanlab.train._regularization import edge_magnitudes
    model = KAN([3, 4, 1], grid=5, seed=0, dtype=torch.float64)
    layer = model.layers[0]
    x = torch.rand(300, 3, dtype=torch.float64) * 2 - 1
    feats, w = layer.features(x), layer.feature_weight()
    per_edge = torch.einsum("bif,oif->boi", feats, w)  # (B, out, in): every edge's output
    std = per_edge.std(0, unbiased=False)
    torch.testing.assert_close(edge_magnitudes(feats, w, x, "edge_forward_spline_u"), std)
    torch.testing.assert_close(edge_magnitudes(feats, w, x, "edge_forward_spline_n"),
                               std / (x.std(0, unbiased=False) + 0.1))
    torch.testing.assert_close(edge_magnitudes(feats, w, x, "edge_rms"),
                               per_edge.pow(2).mean(0).sqrt())
    m = torch.tensor([[0.5, 0.1], [0.0, 2.0]], dtype=torch.float64)

    def h(p):
        return -(p * torch.log2(torch.where(p > 0, p, 1.0))).sum()
    rows = [h(r / (r.sum() + 1)) for r in m]
    cols = [h(c / (c.sum() + 1)) for c in m.T]
    expected = 1.0 * m.sum() + 2.0 * (sum(rows) / 2 + sum(cols) / 2)
    torch.testing.assert_close(sparsity_penalty([m], 1.0, 2.0, "edge_forward_spline_n"), expected)
    with pytest.raises(ValueError, match="reg_metric"):
        sparsity_penalty([m], reg_metric="w")


def test_entropy_with_mass_fades_with_a_fading_row():
    """With pykan's mass 1 a row whose edges shrink toward 0 loses its entropy; scale-free it keeps it."""
    row = torch.tensor([[1.0, 1.0, 1.0]], dtype=torch.float64)
    for scale in (1e-1, 1e-3):
        assert entropy_penalty(row * scale, mass=1.0) < entropy_penalty(row, mass=1.0)
        torch.testing.assert_close(entropy_penalty(row * scale), entropy_penalty(row))
    assert entropy_penalty(row * 1e-6, mass=1.0) < 1e-4


def test_edge_rms_sum1_is_the_rms_with_pykans_entropy():
    """edge_rms_sum1 (what kanlab.pykan trains for pykan's default name): edge_rms's magnitudes,
    so a hidden node's offset is penalised, and pykan's entropy over sum + 1 in bits."""
    from kanlab.nn import KAN
    from kanlab.train._fit import penalties
    from kanlab.train._magnitudes import forward_with_magnitudes
    from kanlab.train import FitConfig
    model = KAN([3, 4, 1], grid=5, seed=0, dtype=torch.float64)
    x = torch.rand(300, 3, dtype=torch.float64) * 2 - 1
    _, rms = forward_with_magnitudes(model, x, None, "edge_rms")
    _, mags = forward_with_magnitudes(model, x, None, "edge_rms_sum1")
    for a, b in zip(rms, mags):
        torch.testing.assert_close(a, b)
    for m in mags:  # pykan's entropy on the same magnitudes, not edge_rms's scale-free one
        torch.testing.assert_close(sparsity_penalty([m], 1.0, 2.0, "edge_rms_sum1"),
                                   sparsity_penalty([m], 1.0, 2.0, "edge_forward_spline_n"))
    _, reg = penalties(model, x, FitConfig(lamb=1.0, reg_metric="edge_rms_sum1"))
    torch.testing.assert_close(reg, sparsity_penalty(mags, 1.0, 2.0, "edge_forward_spline_n"))


def test_edge_rms_std_mult_measures_factor_edges_by_spread_and_the_others_by_rms():
    """edge_rms_std_mult (what kanlab.pykan trains for pykan's default name): edge_rms_sum1,
    except the edges into a multiplication node's factors and the last layer's edges,
    measured by their spread (their level costs nothing); without products its hidden
    layers are edge_rms_sum1's to the bit."""
    from kanlab.nn import KAN
    from kanlab.train._fit import penalties
    from kanlab.train._magnitudes import forward_with_magnitudes
    from kanlab.train._regularization import edge_magnitudes
    from kanlab.train import FitConfig
    x = torch.rand(300, 3, dtype=torch.float64) * 2 - 1
    plain = KAN([3, 4, 1], grid=5, seed=0, dtype=torch.float64)
    plain_mags = forward_with_magnitudes(plain, x, None, "edge_rms_std_mult")[1]
    assert torch.equal(plain_mags[0], forward_with_magnitudes(plain, x, None, "edge_rms_sum1")[1][0])
    torch.testing.assert_close(plain_mags[1],
                               forward_with_magnitudes(plain, x, None, "edge_forward_spline_u")[1][1])
    _, plain_reg = penalties(plain, x, FitConfig(lamb=1.0, reg_metric="edge_rms_std_mult"))
    torch.testing.assert_close(plain_reg, sparsity_penalty(plain_mags, 1.0, 2.0, "edge_rms_sum1"))
    model = KAN([3, [1, 2], 1], grid=5, seed=0, dtype=torch.float64)  # 1 sum + 2 products
    _, rms = forward_with_magnitudes(model, x, None, "edge_rms_sum1")
    _, spread = forward_with_magnitudes(model, x, None, "edge_forward_spline_u")
    _, mags = forward_with_magnitudes(model, x, None, "edge_rms_std_mult")
    assert mags[0].shape == (5, 3)  # 1 sum node + 2 x 2 factors
    torch.testing.assert_close(mags[0][:1], rms[0][:1])
    torch.testing.assert_close(mags[0][1:], spread[0][1:])
    torch.testing.assert_close(mags[1], spread[1])
    assert bool((mags[0][1:] <= rms[0][1:] + 1e-12).all())
    assert not torch.allclose(mags[0][1:], rms[0][1:])
    _, reg = penalties(model, x, FitConfig(lamb=1.0, reg_metric="edge_rms_std_mult"))
    torch.testing.assert_close(reg, sparsity_penalty(mags, 1.0, 2.0, "edge_forward_spline_n"))
    layer = model.layers[0]  # a factor edge's level: shifting its spline leaves the spread
    feats, w = layer.features(x), layer.feature_weight()
    shifted = w.clone()
    shifted[1:] = shifted[1:] + 0.3 * torch.linalg.lstsq(  # coefficients of the constant 1
        feats[:, 0, :], torch.ones(300, 1, dtype=torch.float64)).solution[:, 0]
    torch.testing.assert_close(edge_magnitudes(feats, shifted, x, "edge_rms_std_mult", 4)[1:, 0],
                               edge_magnitudes(feats, w, x, "edge_rms_std_mult", 4)[1:, 0])
    from kanlab.pykan._fit_settings import NATIVE_METRIC
    assert NATIVE_METRIC["edge_forward_spline_n"] == "edge_rms_std_mult"


def test_edge_rms_std_mult_leaves_the_outputs_level_free():
    """edge_rms_std_mult: a constant added to the last layer's edges (the outputs' level, which
    feeds no grid) leaves the penalty and its gradient's pull unchanged; one added to a hidden
    layer's edges (the next layer's inputs) is charged."""
    from kanlab.nn import KAN
    from kanlab.train import FitConfig
    from kanlab.train._fit import penalties
    x = torch.rand(300, 2, dtype=torch.float64) * 2 - 1
    cfg = FitConfig(lamb=1.0, reg_metric="edge_rms_std_mult")

    def reg_after_shift(l: int, c: float) -> float:
        model = KAN([2, 3, 1], grid=5, seed=0, dtype=torch.float64)
        layer = model.layers[l]
        with torch.no_grad():  # B-splines sum to 1 inside the grid: + c on every spline edge
            layer.coef.add_(c / layer.scale_sp.unsqueeze(-1))
        return float(penalties(model, x, cfg)[1].detach())

    torch.testing.assert_close(reg_after_shift(1, 2.0), reg_after_shift(1, 0.0))
    assert reg_after_shift(0, 2.0) > reg_after_shift(0, 0.0) + 1.0


@pytest.mark.parametrize("scale, shift", [(1.0, 0.0), (0.07, 0.9)])
def test_pykan_fit_under_a_strong_penalty_collapses_to_the_labels_mean(scale, shift):
    """kanlab.pykan's fit with pykan's default metric and λ = 1 ends near the labels' mean, not at
    the prediction 0: pykan's API_6 cell 9 (labels f, mean 1.8, std 1.36: RMSE 2.26, the labels'
    RMS, before) and labels 0.07·f + 0.9 (mean 1.03, std 0.098: RMSE 1.03 before)."""
    from kanlab.pykan import KAN
    g = torch.Generator().manual_seed(0)
    x = torch.rand(100, 2, generator=g) * 2 - 1
    y = scale * torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2) + shift
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    model = KAN(width=[2, 3, 1], grid=3, k=3, seed=0)
    model.fit(data, opt="LBFGS", steps=4, lamb=1.0)
    with torch.no_grad():
        rmse = float((model(x) - y).pow(2).mean().sqrt())
    labels_rms = float(y.pow(2).mean().sqrt())  # the RMSE of the prediction 0
    assert rmse < 0.7 * labels_rms  # after: 1.52 of 2.36 (labels f), 0.146 of 1.03
    assert rmse < 2.0 * float(y.std())  # after: 1.52 of std 1.53, 0.146 of std 0.107

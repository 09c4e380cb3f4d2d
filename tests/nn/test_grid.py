"""Tests for kanlab.nn._grid: refine (exact for multiples of G) and update_grid (follows the data)."""
from __future__ import annotations

import copy
import warnings

import pytest
import torch

from kanlab import KAN
from kanlab.nn._grid import update_grid, update_layer_grid
from kanlab.nn._grid_points import grid_points_from_samples
from kanlab.nn._refine import refine_layer
from kanlab.splines import extend_points
from kanlab import NonFiniteError


def _tensors(model):
    """(name, tensor) of the state dict; the symbolic names (extra state) left out."""
    return [(k, v) for k, v in model.state_dict().items() if torch.is_tensor(v)]

F64 = torch.float64
WIDTH = [2, 3, 1]
GRID, K = 5, 3


def trained_kan(dtype=F64, grid=GRID, k=K, seed=0, **kwargs) -> KAN:
    """A KAN whose splines look trained: smooth, O(1) coefficients (cumulative small noise)."""
    model = KAN(WIDTH, grid=grid, k=k, seed=seed, dtype=dtype, **kwargs)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for layer in model.layers:
            noise = 0.3 * torch.randn(layer.coef.shape, generator=g, dtype=F64)
            layer.coef.copy_(noise.cumsum(-1))
    return model


def smooth_kan(dtype=F64, seed=0) -> KAN:
    """A KAN whose every spline samples sin(freq·x + phase) at the Greville abscissae."""
    model = KAN(WIDTH, grid=GRID, k=K, seed=seed, dtype=dtype)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for layer in model.layers:
            t = layer.knots.to(F64)
            greville = torch.stack([t[:, j + 1:j + K + 1].mean(-1) for j in range(layer.n_basis)],
                                   dim=-1)  # (in, n_basis)
            shape = (layer.out_features, layer.in_features, 1)
            freq = 0.5 + torch.rand(shape, generator=g, dtype=F64)
            phase = 6.3 * torch.rand(shape, generator=g, dtype=F64)
            layer.coef.copy_(torch.sin(freq * greville + phase))
    return model


def sample(count: int, lo: float, hi: float, seed: int = 0, dtype=F64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return lo + (hi - lo) * torch.rand(count, WIDTH[0], generator=g, dtype=F64).to(dtype)


def snapshot(model: KAN) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in _tensors(model)}


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach(), b.detach()
    return float((a - b).abs().max() / b.abs().max())


# ---------------------------------------------------------------------------
# refine


@pytest.mark.parametrize("factor", [2, 3])
def test_refine_keeps_outputs_in_grid(factor):
    """refine(m·G) changes outputs by at most 1e-9 on inputs inside the grid range."""
    model = trained_kan()
    x = sample(500, -1.0, 1.0)
    fine = model.refine(factor * GRID)
    assert fine.grid == factor * GRID
    torch.testing.assert_close(fine(x), model(x), rtol=0, atol=1e-9)


@pytest.mark.parametrize("factor", [2, 3])
def test_refine_keeps_outputs_beyond_grid(factor):
    """refine(m·G) keeps the linear extension: outputs agree to 1e-9 on [-3, 3]."""
    model = trained_kan()
    x = sample(500, -3.0, 3.0, seed=1)
    torch.testing.assert_close(model.refine(factor * GRID)(x), model(x), rtol=0, atol=1e-9)


def test_refine_keeps_base_interval_and_uniformity():
    """Every layer keeps its base interval; uniform grids stay uniform with the new spacing."""
    model = trained_kan()
    fine = model.refine(2 * GRID)
    for old, new in zip(model.layers, fine.layers):
        torch.testing.assert_close(new.knots[:, [K, 2 * GRID + K]], old.knots[:, [K, GRID + K]])
        steps = new.knots.diff(dim=-1)
        torch.testing.assert_close(steps, torch.full_like(steps, 2.0 / (2 * GRID)))
        assert new.coef.shape == (old.out_features, old.in_features, 2 * GRID + K)


def test_refine_does_not_modify_original():
    """refine returns a new model and leaves the original's state untouched."""
    model = trained_kan()
    before = snapshot(model)
    x = sample(50, -1.0, 1.0)
    y_before = model(x)
    fine = model.refine(2 * GRID)
    assert fine is not model and model.grid == GRID
    for name, value in _tensors(model):
        assert torch.equal(value, before[name]), name
    assert torch.equal(model(x), y_before)
    assert fine.layers[0].coef is not model.layers[0].coef


def test_refine_non_multiple_is_close():
    """refine to a grid that is not a multiple of G is a close least-squares projection."""
    model = trained_kan()
    x = sample(500, -1.0, 1.0)
    assert rel_err(model.refine(7)(x), model(x)) < 0.05


def test_refine_after_update_grid_is_exact():
    """refine keeps the function on the non-uniform grids that update_grid produces."""
    model = trained_kan()
    model.update_grid(sample(300, -0.8, 0.9, seed=2))
    x = sample(500, -2.0, 2.0, seed=3)
    torch.testing.assert_close(model.refine(2 * GRID)(x), model(x), rtol=0, atol=1e-9)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_refine_rejects_bad_grid(bad):
    """A new grid that is not a positive int is a ValueError."""
    with pytest.raises(ValueError, match="new_grid"):
        trained_kan().refine(bad)


def test_refine_layer_in_place():
    """refine_layer changes the layer's grid in place and keeps its output."""
    layer = trained_kan().layers[0]
    x = sample(100, -1.5, 1.5)
    y = layer(x)
    refine_layer(layer, 10)
    assert layer.grid == 10 and layer.coef.shape[-1] == 10 + K
    torch.testing.assert_close(layer(x), y, rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------
# update_grid


def spread_samples(count: int = 400, seed: int = 0) -> torch.Tensor:
    """Input 0 on [-0.5, 0.8] (inside the grid), input 1 on [-1.6, 0.3] (partly beyond)."""
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(count, 2, generator=g, dtype=F64)
    return torch.stack([-0.5 + 1.3 * u[:, 0], -1.6 + 1.9 * u[:, 1] ** 2], dim=1)


def test_update_grid_covers_sample_range():
    """The first layer's base interval becomes [min x, max x] of each input."""
    model = trained_kan()
    x = spread_samples()
    model.update_grid(x)
    knots = model.layers[0].knots
    torch.testing.assert_close(knots[:, K], x.min(0).values, rtol=0, atol=1e-12)
    torch.testing.assert_close(knots[:, GRID + K], x.max(0).values, rtol=0, atol=1e-12)
    assert bool((knots.diff(dim=-1) > 0).all())


def test_update_grid_follows_sample_density():
    """With grid_eps=0 the interior grid points are sample quantiles (denser where data are)."""
    model = trained_kan()
    x = spread_samples()  # input 1 is denser near -1.6 (u**2)
    model.update_grid(x, grid_eps=0.0)
    steps = model.layers[0].knots[1, K:GRID + K + 1].diff()
    assert float(steps[0]) < float(steps[-1])


def test_update_grid_eps_one_is_uniform():
    """With grid_eps=1 the grid is uniform between the extremes."""
    model = trained_kan()
    model.update_grid(spread_samples(), grid_eps=1.0)
    steps = model.layers[0].knots.diff(dim=-1)
    torch.testing.assert_close(steps, steps[:, :1].expand_as(steps), rtol=1e-10, atol=0)


def test_update_grid_keeps_outputs_close():
    """Outputs on the samples change little (relative error < 5e-3) for smooth splines."""
    model = smooth_kan()
    x = spread_samples()
    y = model(x)
    model.update_grid(x)
    assert rel_err(model(x), y) < 5e-3


def test_update_grid_keeps_first_layer_edges():
    """Every first-layer edge function is kept on the samples (relative error < 5e-3)."""
    model = smooth_kan()
    x = spread_samples()
    old = model.layers[0].edge_values(x).detach()
    model.update_grid(x)
    new = model.layers[0].edge_values(x).detach()
    err = (new - old).abs().amax(dim=(0, 1)) / old.abs().amax(dim=(0, 1))  # per input
    assert float(err.max()) < 5e-3


def test_update_grid_updates_every_layer():
    """Deeper layers get grids on their own (updated) inputs' ranges."""
    model = trained_kan()
    x = spread_samples()
    before = model.layers[1].knots.clone()
    model.update_grid(x)
    h = model.layers[0](x)
    knots = model.layers[1].knots
    assert not torch.equal(knots, before)
    torch.testing.assert_close(knots[:, K], h.min(0).values, rtol=0, atol=1e-12)
    torch.testing.assert_close(knots[:, GRID + K], h.max(0).values, rtol=0, atol=1e-12)


def test_update_grid_constant_column_warns_and_keeps_grid():
    """A constant input keeps its old (valid, increasing) grid, with a RuntimeWarning."""
    model = trained_kan()
    x = spread_samples()
    x[:, 1] = 0.25
    old = model.layers[0].knots.clone()
    with pytest.warns(RuntimeWarning, match=r"inputs \[1\]"):
        model.update_grid(x)
    knots = model.layers[0].knots
    assert bool(torch.isfinite(knots).all()) and bool((knots[1].diff() > 0).all())
    torch.testing.assert_close(knots[1], old[1])
    torch.testing.assert_close(knots[0, K], x[:, 0].min())
    assert bool(torch.isfinite(model(x)).all())


def test_update_grid_few_distinct_values():
    """Two distinct values per input (tied quantiles) still give strictly increasing grids."""
    model = trained_kan()
    x = torch.tensor([[-0.5, 0.0], [0.5, 1.0]], dtype=F64).repeat(50, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.update_grid(x)
    knots = model.layers[0].knots
    assert bool((knots.diff(dim=-1) > 0).all())
    torch.testing.assert_close(knots[:, [K, GRID + K]], torch.tensor([[-0.5, 0.5], [0.0, 1.0]],
                                                                      dtype=F64))


def test_update_grid_batch_smaller_than_grid():
    """Fewer samples than grid points still give strictly increasing grids on [min, max]."""
    model = smooth_kan()
    x = torch.tensor([[-0.3, 0.2], [0.1, 0.9], [0.6, -0.4]], dtype=F64)
    model.update_grid(x)
    knots = model.layers[0].knots
    assert bool((knots.diff(dim=-1) > 0).all())
    torch.testing.assert_close(knots[:, [K, GRID + K]], torch.stack([x.min(0).values,
                                                                     x.max(0).values], 1))
    assert bool(torch.isfinite(model(x)).all())


def test_update_grid_single_sample_warns():
    """A single sample has one distinct value per input: every grid is kept, with a warning."""
    model = smooth_kan()
    before = model.layers[0].knots.clone()
    with pytest.warns(RuntimeWarning, match="single distinct value"):
        model.update_grid(torch.tensor([[0.3, -0.2]], dtype=F64))
    torch.testing.assert_close(model.layers[0].knots, before, rtol=0, atol=1e-14)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_update_grid_rejects_non_finite(bad):
    """NaN or inf samples are a ValueError and leave the model unchanged."""
    model = trained_kan()
    before = snapshot(model)
    x = spread_samples()
    x[10, 0] = bad
    with pytest.raises(ValueError, match="non-finite"):
        model.update_grid(x)
    for name, value in _tensors(model):
        assert torch.equal(value, before[name]), name


def test_update_grid_rejects_empty_batch():
    """An empty batch is a ValueError."""
    with pytest.raises(ValueError, match="non-empty"):
        trained_kan().update_grid(torch.zeros(0, 2, dtype=F64))


def test_update_grid_rejects_bad_grid_eps():
    """grid_eps outside [0, 1] is a ValueError."""
    with pytest.raises(ValueError, match="grid_eps"):
        update_grid(trained_kan(), spread_samples(), grid_eps=1.5)


def test_grid_points_from_samples_constant_row_is_nan():
    """A constant sample column is reported as a NaN row for the caller."""
    x = torch.stack([torch.linspace(0, 1, 20, dtype=F64), torch.full((20,), 3.0, dtype=F64)], 1)
    points = grid_points_from_samples(x, 4, 0.02)
    assert points.shape == (2, 5)
    assert bool(torch.isnan(points[1]).all()) and bool((points[0].diff() > 0).all())


# ---------------------------------------------------------------------------
# checkpoints and dtypes


def test_state_dict_round_trip_after_refine():
    """A fresh KAN built with the refined grid loads the refined state and matches exactly."""
    fine = trained_kan().refine(2 * GRID)
    fresh = KAN(WIDTH, grid=2 * GRID, k=K, seed=9, dtype=F64)
    fresh.load_state_dict(fine.state_dict())
    x = sample(100, -2.0, 2.0)
    assert torch.equal(fresh(x), fine(x))


def test_state_dict_round_trip_after_update_grid():
    """A fresh KAN loads the non-uniform knots of an updated model and matches exactly."""
    model = trained_kan()
    model.update_grid(spread_samples())
    fresh = KAN(WIDTH, grid=GRID, k=K, seed=9, dtype=F64)
    fresh.load_state_dict(model.state_dict())
    x = torch.cat([spread_samples(seed=1), sample(50, -3.0, 3.0)])
    assert torch.equal(fresh(x), model(x))


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_refine_and_update_grid_keep_dtype(dtype):
    """float32 and float64 models refine and update their grid without changing dtype."""
    model = smooth_kan(dtype=dtype)
    x = spread_samples().to(dtype)
    y = model(x)
    fine = model.refine(2 * GRID)
    assert rel_err(fine(x), y) < (1e-9 if dtype == F64 else 5e-3)
    fine.update_grid(x)
    assert all(p.dtype == dtype for p in fine.parameters())
    assert all(b.dtype == dtype for b in fine.buffers() if b.is_floating_point())
    assert rel_err(fine(x), y) < 5e-3


def test_refine_float32_keeps_outputs_to_float32_accuracy():
    """refine(2G) of a float32 model keeps its outputs to 1e-5 relative."""
    model = smooth_kan(dtype=torch.float32)
    x = spread_samples().float()
    assert rel_err(model.refine(2 * GRID)(x), model(x)) < 1e-5


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
def test_refine_and_update_grid_on_cuda():
    """refine and update_grid run on CUDA and match the CPU model."""
    model = smooth_kan()
    x = spread_samples()
    gpu = copy.deepcopy(model).to("cuda")
    torch.testing.assert_close(gpu.refine(2 * GRID)(x.cuda()).cpu(), model.refine(2 * GRID)(x),
                               rtol=0, atol=1e-9)
    gpu.update_grid(x.cuda())
    model.update_grid(x)
    torch.testing.assert_close(gpu(x.cuda()).cpu(), model(x), rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------
# robustness: outliers, heavy tails, sparse features, huge ranges


def bulk_with_outliers(count: int = 1000, seed: int = 0) -> torch.Tensor:
    """Uniform samples on [-1, 1]² plus one wild sample per input (1e6 and -1e30)."""
    g = torch.Generator().manual_seed(seed)
    x = 2 * torch.rand(count, 2, generator=g, dtype=F64) - 1
    x[17, 0], x[400, 1] = 1e6, -1e30
    return x


def interval_counts(knots: torch.Tensor, x: torch.Tensor, grid: int) -> torch.Tensor:
    """Samples per base interval, (F, G)."""
    points = knots[:, K:K + grid + 1]
    inside = (x.t()[:, :, None] >= points[:, None, :-1]) & (x.t()[:, :, None] < points[:, None, 1:])
    return inside.sum(1)


def test_one_huge_outlier_does_not_stretch_the_grid():
    """One sample at 1e6 (and one at -1e30) among 1000: the grid still spans the bulk [-1, 1],
    every one of the 10 intervals holds at least 5% of the samples, and the first layer's
    edges are kept on the bulk."""
    model = smooth_kan()
    refine_layer(model.layers[0], 10)
    x = bulk_with_outliers()
    bulk = torch.ones(len(x), dtype=torch.bool)
    bulk[[17, 400]] = False
    old = model.layers[0].edge_values(x[bulk]).detach()
    model.update_grid(x)
    knots = model.layers[0].knots
    assert float(knots[:, K].min()) > -1.01 and float(knots[:, 10 + K].max()) < 1.01
    assert int(interval_counts(knots, x, 10).min()) >= 50
    new = model.layers[0].edge_values(x[bulk]).detach()
    assert rel_err(new, old) < 5e-3
    assert bool(torch.isfinite(model(x)).all())


def test_without_fences_the_outlier_would_stretch_the_grid():
    """The fault the fences prevent: on raw extremes 999 of 1000 samples share one interval."""
    x = bulk_with_outliers()
    points = grid_points_from_samples(x, 10, 1.0, fence=None)
    assert float(points[0, -1]) == 1e6
    raw = interval_counts(extend_points(points, K), x, 10)
    assert int(raw[0].max()) >= 999
    robust = grid_points_from_samples(x, 10, 1.0)
    assert int(interval_counts(extend_points(robust, K), x, 10).min()) >= 50


def test_grid_fence_none_spans_every_sample():
    """A model whose ``grid_fence`` is None (kanlab.pykan's rule) puts its grid's ends on the
    extreme samples; the class default still leaves them out."""
    x = 2 * torch.rand(500, 2, generator=torch.Generator().manual_seed(1), dtype=F64) - 1
    x[3, 0], x[9, 1] = 40.0, -25.0
    fenced, spanning = smooth_kan(), smooth_kan()
    spanning.grid_fence = None
    fenced.update_grid(x)
    spanning.update_grid(x)
    ends = spanning.layers[0].knots[:, [K, K + GRID]]
    torch.testing.assert_close(ends, torch.stack([x.min(0).values, x.max(0).values], dim=1))
    assert float(fenced.layers[0].knots[:, K + GRID].max()) < 1.01


@pytest.mark.parametrize("fence", [-1.0, float("nan"), float("inf"), "3", True])
def test_update_grid_rejects_a_bad_grid_fence(fence):
    """A ``grid_fence`` that is not a finite number >= 0 (or None) is refused, model unchanged."""
    model = smooth_kan()
    model.grid_fence = fence
    before = [t.clone() for _, t in _tensors(model)]
    with pytest.raises(ValueError, match="grid_fence"):
        model.update_grid(bulk_with_outliers())
    assert all(torch.equal(a, b) for a, (_, b) in zip(before, _tensors(model)))


def test_outlier_in_small_minibatch_is_ignored():
    """A 16-sample minibatch with one sample at 1e3 keeps the grid on the other 15."""
    g = torch.Generator().manual_seed(3)
    x = torch.rand(16, 2, generator=g, dtype=F64)
    x[5, 1] = 1e3
    points = grid_points_from_samples(x, 5, 1.0)
    rest = torch.cat([x[:5, 1], x[6:, 1]])
    torch.testing.assert_close(points[1, [0, -1]], torch.stack([rest.min(), rest.max()]))
    torch.testing.assert_close(points[0, [0, -1]], torch.stack([x[:, 0].min(), x[:, 0].max()]))


@pytest.mark.parametrize("name, max_out", [("gauss", 0.0), ("exponential", 0.02),
                                           ("lognormal", 0.05)])
def test_tails_stay_mostly_on_the_grid(name, max_out):
    """Light tails are never cut (Gaussian: the grid spans the extremes); heavy tails lose
    at most a few percent of the samples to the linear extension."""
    g = torch.Generator().manual_seed(4)
    z = torch.randn(2000, 1, generator=g, dtype=F64)
    x = {"gauss": z, "exponential": -torch.log(torch.rand(2000, 1, generator=g, dtype=F64)),
         "lognormal": z.exp()}[name]
    points = grid_points_from_samples(x, 10, 1.0)
    out = ((x[:, 0] < points[0, 0]) | (x[:, 0] > points[0, -1])).double().mean()
    assert float(out) <= max_out


def test_sparse_feature_keeps_its_spread():
    """90% zeros and 10% spread (IQR 0): the grid spans all samples instead of collapsing."""
    x = torch.zeros(200, 2, dtype=F64)
    x[:, 0] = torch.linspace(-1, 1, 200, dtype=F64)
    x[::10, 1] = torch.linspace(0.1, 2.0, 20, dtype=F64)
    model = smooth_kan()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.update_grid(x)
    knots = model.layers[0].knots
    torch.testing.assert_close(knots[1, [K, GRID + K]], torch.tensor([0.0, 2.0], dtype=F64))
    assert bool((knots.diff(dim=-1) > 0).all())


def test_range_too_wide_for_dtype_keeps_grid_with_warning():
    """float32 samples split between ±3e38: hi - lo overflows, so the grid is kept (with a
    warning) rather than filled with inf, and the forward pass refuses such inputs clearly."""
    model = smooth_kan(dtype=torch.float32)
    layer = model.layers[0]
    x = spread_samples().float()
    x[:, 0] = torch.where(x[:, 1] > -0.6, 3e38, -3e38)
    before = layer.knots.clone()
    with pytest.warns(RuntimeWarning, match=r"inputs \[0\].*too wide"):
        update_layer_grid(layer, x)
    torch.testing.assert_close(layer.knots[0], before[0])
    assert bool(torch.isfinite(layer.knots).all())
    with pytest.raises(NonFiniteError, match="would overflow"):
        layer(x)


def test_update_grid_is_all_or_nothing():
    """When a deeper layer fails (its input would overflow), every layer is restored."""
    model = smooth_kan(dtype=torch.float32)
    with torch.no_grad():
        model.layers[1].coef.fill_(1e30)
    x = spread_samples().float() * 1e16  # layer 1 sees ~1e16; its output would pass 3.4e38
    before = snapshot(model)
    with pytest.raises(NonFiniteError):
        model.update_grid(x)
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_update_grid_max_change_keeps_a_function_the_new_grid_cannot_carry():
    """A coarse grid stretched over samples three times wider than it cannot carry the old
    function: with max_change (fit's default) those inputs keep their knots exactly, so the
    layer's output does not jolt; without it the knots move and the output changes."""
    model = KAN([1, 1], grid=3, k=3, seed=0, noise_scale=3.0, dtype=F64)
    x = torch.linspace(-3, 3, 200, dtype=F64)[:, None]
    before, knots = model(x).detach(), model.layers[0].knots.clone()
    guarded = copy.deepcopy(model)
    guarded.update_grid(x, max_change=1e-2)
    torch.testing.assert_close(guarded.layers[0].knots, knots, rtol=0, atol=0)
    torch.testing.assert_close(guarded(x), before, rtol=0, atol=0)
    model.update_grid(x)
    assert float(model.layers[0].knots[0, K]) == pytest.approx(-3.0)
    assert rel_err(model(x).detach(), before) > 1e-2

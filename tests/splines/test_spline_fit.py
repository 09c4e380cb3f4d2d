"""Tests for kanlab.splines._fit: knot insertion, projection and least-squares fits."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.interpolate import BSpline, insert

from kanlab.splines import (evaluate_spline, fit_coefficients, insert_knots,
                               project_coefficients, solve_least_squares)
from kanlab.splines import bspline_basis, uniform_knots

F64 = torch.float64


def random_knots(k: int, rng: np.random.Generator, n_interior: int = 6) -> np.ndarray:
    """Sorted knots with gaps of at least 0.05."""
    return np.cumsum(0.05 + rng.random(2 * k + 2 + n_interior)) - 1.0


def spline_values(x: np.ndarray, t: np.ndarray, c: np.ndarray, k: int) -> np.ndarray:
    """Reference evaluation on the closed base interval (kanlab's Cox–de Boor)."""
    b = bspline_basis(torch.as_tensor(x, dtype=F64), torch.as_tensor(t, dtype=F64), k)
    return (b @ torch.as_tensor(c, dtype=F64).T).numpy()


def base_grid(t: np.ndarray, k: int, count: int = 301) -> np.ndarray:
    n = len(t) - k - 1
    return np.linspace(t[k], t[n], count)


def smooth_coef(shape, seed: int = 0) -> torch.Tensor:
    """Coefficients that vary smoothly along the last dimension (a 'trained' spline)."""
    g = torch.Generator().manual_seed(seed)
    return torch.cumsum(0.3 * torch.randn(*shape, generator=g, dtype=F64), dim=-1)


# ---------------------------------------------------------------------------
# insert_knots


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_insert_knots_matches_scipy_insert(k):
    """One inserted knot gives scipy.interpolate.insert's knots and coefficients."""
    rng = np.random.default_rng(k)
    t = random_knots(k, rng)
    c = rng.standard_normal(len(t) - k - 1)
    n = len(t) - k - 1
    u = t[k] + 0.618 * (t[n] - t[k])
    tt, cc, _ = insert(u, (t, c, k))
    t2, c2 = insert_knots(torch.as_tensor(t), torch.as_tensor(c), k, torch.tensor([u], dtype=F64))
    np.testing.assert_allclose(t2.numpy(), tt, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c2.numpy(), cc[:len(tt) - k - 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_insert_several_knots_matches_repeated_scipy_insert(k):
    """Several knots (one of them an existing knot) match scipy's inserts one by one."""
    rng = np.random.default_rng(10 + k)
    t = random_knots(k, rng)
    c = rng.standard_normal(len(t) - k - 1)
    n = len(t) - k - 1
    new = [t[k] + 0.1 * (t[n] - t[k]), t[k + 2], t[k] + 0.9 * (t[n] - t[k])]
    tck = (t, c, k)
    for u in new:
        tck = insert(u, tck)
    t2, c2 = insert_knots(torch.as_tensor(t), torch.as_tensor(c), k, torch.tensor(new, dtype=F64))
    np.testing.assert_allclose(t2.numpy(), tck[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(c2.numpy(), tck[1][:len(tck[0]) - k - 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_insert_knots_keeps_the_spline(k):
    """The spline is unchanged on the closed base interval, ends included."""
    rng = np.random.default_rng(20 + k)
    t = random_knots(k, rng)
    n = len(t) - k - 1
    c = rng.standard_normal((3, n))  # three splines sharing the knots
    new = np.concatenate([[t[k], t[n]], t[k] + (t[n] - t[k]) * rng.random(5)])
    t2, c2 = insert_knots(torch.as_tensor(t), torch.as_tensor(c), k, torch.as_tensor(new))
    assert t2.shape == (len(t) + 7,) and c2.shape == (3, n + 7)
    x = base_grid(t, k)
    np.testing.assert_allclose(spline_values(x, t2.numpy(), c2.numpy(), k),
                               spline_values(x, t, c, k), rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 3])
def test_insert_knots_agrees_with_scipy_evaluation(k):
    """scipy's BSpline of the new (knots, coef) equals that of the old inside the interval."""
    rng = np.random.default_rng(30 + k)
    t = random_knots(k, rng)
    c = rng.standard_normal(len(t) - k - 1)
    n = len(t) - k - 1
    t2, c2 = insert_knots(torch.as_tensor(t), torch.as_tensor(c), k,
                          torch.tensor([t[k] + 0.3 * (t[n] - t[k])], dtype=F64))
    x = base_grid(t, k)
    np.testing.assert_allclose(BSpline(t2.numpy(), c2.numpy(), k)(x), BSpline(t, c, k)(x),
                               rtol=0, atol=1e-12)


def test_insert_knots_rejects_knot_outside_base_interval():
    """A knot outside [t[k], t[n]] is a ValueError naming the interval."""
    t = uniform_knots(4, 3, dtype=F64)
    c = torch.zeros(7, dtype=F64)
    with pytest.raises(ValueError, match="outside the base interval"):
        insert_knots(t, c, 3, torch.tensor([1.5], dtype=F64))


# ---------------------------------------------------------------------------
# project_coefficients


def uniform_rows(grid: int, k: int) -> torch.Tensor:
    """Two uniform knot rows on different ranges, shape (2, grid + 2k + 1)."""
    return torch.stack([uniform_knots(grid, k, (-1.0, 1.0), dtype=F64),
                        uniform_knots(grid, k, (0.0, 4.0), dtype=F64)])


def eval_points(knots: torch.Tensor, k: int, beyond: float = 0.0, count: int = 400) -> torch.Tensor:
    """Points covering every row's base interval widened by ``beyond`` each side, (count, F)."""
    n = knots.shape[-1] - k - 1
    lo, hi = knots[:, k] - beyond, knots[:, n] + beyond
    s = torch.linspace(0, 1, count, dtype=F64)[:, None]
    return lo + (hi - lo) * s




@pytest.mark.parametrize("factor", [2, 3])
@pytest.mark.parametrize("k", [0, 1, 2, 3, 4])
def test_project_refined_uniform_grid_is_exact(k, factor):
    """Refining G -> 2G or 3G keeps the splines to 1e-12 on the base interval."""
    grid = 4
    old, new = uniform_rows(grid, k), uniform_rows(factor * grid, k)
    coef = smooth_coef((2, grid + k, 3))
    got = project_coefficients(old, coef, new, k)
    assert got.shape == (2, factor * grid + k, 3)
    x = eval_points(old, k)
    torch.testing.assert_close(evaluate_spline(x, new, got, k), evaluate_spline(x, old, coef, k),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_project_refined_uniform_grid_keeps_linear_extension(k):
    """Refining G -> 2G keeps the straight-line extension 1.5 beyond the grid (end slope kept)."""
    grid = 4
    old, new = uniform_rows(grid, k), uniform_rows(2 * grid, k)
    coef = smooth_coef((2, grid + k, 3))
    got = project_coefficients(old, coef, new, k)
    x = eval_points(old, k, beyond=1.5)
    torch.testing.assert_close(evaluate_spline(x, new, got, k), evaluate_spline(x, old, coef, k),
                               rtol=0, atol=1e-11)


@pytest.mark.parametrize("factor", [2, 3])
def test_project_refined_degree_five_is_exact(factor):
    """Refining a quintic G -> 2G, 3G keeps it to 1e-12 inside and 1.5 beyond the grid."""
    k, grid = 5, 4
    old, new = uniform_rows(grid, k), uniform_rows(factor * grid, k)
    coef = smooth_coef((2, grid + k, 3))
    got = project_coefficients(old, coef, new, k)
    x = eval_points(old, k, beyond=1.5)
    torch.testing.assert_close(evaluate_spline(x, new, got, k), evaluate_spline(x, old, coef, k),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_project_onto_superset_of_knots_is_knot_insertion(k):
    """When the new knots contain the old, the result equals insert_knots exactly."""
    rng = np.random.default_rng(k)
    t = torch.as_tensor(random_knots(k, rng))
    n = t.numel() - k - 1
    extra = t[k] + (t[n] - t[k]) * torch.tensor([0.15, 0.5, 0.77], dtype=F64)
    coef = smooth_coef((n, 2))  # two splines on one feature
    t2, c2 = insert_knots(t, coef.t(), k, extra)
    got = project_coefficients(t[None], coef[None], t2[None], k)
    torch.testing.assert_close(got[0], c2.t(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2])
def test_project_onto_knots_widening_the_base_interval(k):
    """New knots containing the old but widening the base interval project (exactly for k <= 2)."""
    old = uniform_knots(4, k, (-1.0, 1.0), dtype=F64)
    h = float(old[1] - old[0])
    new = torch.cat([old[:1] - h, old, old[-1:] + h])  # base interval grows by h each side
    coef = smooth_coef((1, old.numel() - k - 1, 1))
    got = project_coefficients(old[None], coef, new[None], k)
    x = eval_points(new[None], k)  # the linear extension is C^{k-1} at the old ends when k <= 2
    torch.testing.assert_close(evaluate_spline(x, new[None], got, k),
                               evaluate_spline(x, old[None], coef, k), rtol=0, atol=1e-10)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_project_non_nested_is_close(k):
    """G = 5 -> 7 (not nested) is a least-squares approximation: close, not exact."""
    old, new = uniform_rows(5, k), uniform_rows(7, k)
    xs = eval_points(old, k, count=200)
    coef = fit_coefficients(xs, torch.sin(0.8 * xs).unsqueeze(-1), old, k)  # a smooth spline
    got = project_coefficients(old, coef, new, k)
    x = eval_points(old, k)
    ref = evaluate_spline(x, old, coef, k)
    err = (evaluate_spline(x, new, got, k) - ref).abs().max()
    assert float(err) < 0.05 * float(ref.abs().max())


@pytest.mark.parametrize("k", [1, 2, 3])
def test_project_non_nested_reproduces_polynomials(k):
    """A polynomial of degree k lies in every spline space, so any projection keeps it."""
    old, new = uniform_rows(5, k), uniform_rows(7, k)
    xs = eval_points(old, k, count=200)
    ys = (0.5 - xs + 0.25 * xs ** k).unsqueeze(-1)  # (N, F, 1)
    coef = fit_coefficients(xs, ys, old, k)
    got = project_coefficients(old, coef, new, k)
    torch.testing.assert_close(evaluate_spline(xs, new, got, k), ys, rtol=0, atol=1e-10)


def test_project_non_nested_beats_coarser_space():
    """The projection onto the finer non-nested grid fits better than a coarse 3-interval grid."""
    k = 3
    old, fine, coarse = uniform_rows(5, k), uniform_rows(7, k), uniform_rows(3, k)
    coef = smooth_coef((2, 5 + k, 1), seed=3)
    x = eval_points(old, k)
    ref = evaluate_spline(x, old, coef, k)
    err_fine = (evaluate_spline(x, fine, project_coefficients(old, coef, fine, k), k) - ref)
    err_coarse = (evaluate_spline(x, coarse, project_coefficients(old, coef, coarse, k), k) - ref)
    assert float(err_fine.pow(2).mean()) < float(err_coarse.pow(2).mean())


# ---------------------------------------------------------------------------
# fit_coefficients and solve_least_squares


def nonuniform_rows(k: int, grid: int = 6, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    rows = [np.cumsum(0.05 + rng.random(grid + 2 * k + 1)) - 1.0 for _ in range(2)]
    return torch.as_tensor(np.stack(rows))


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("k", [0, 1, 3, 5])
def test_fit_coefficients_recovers_sampled_spline(k, uniform):
    """Sampling a spline densely and fitting recovers its coefficients to 1e-10."""
    knots = uniform_rows(6, k) if uniform else nonuniform_rows(k)
    n = knots.shape[-1] - k - 1
    coef = smooth_coef((2, n, 3))
    g = torch.Generator().manual_seed(k)
    lo, hi = knots[:, k], knots[:, n]
    x = lo + (hi - lo) * torch.rand(2000, 2, generator=g, dtype=F64)
    got = fit_coefficients(x, evaluate_spline(x, knots, coef, k), knots, k)
    torch.testing.assert_close(got, coef, rtol=0, atol=1e-10)


def test_fit_coefficients_rejects_bad_shapes():
    """x of shape (N, F) and y of shape (N, F, p) are required."""
    knots = uniform_rows(4, 3)
    with pytest.raises(ValueError, match=r"\(N, F\)"):
        fit_coefficients(torch.zeros(5, 2, dtype=F64), torch.zeros(5, 2, dtype=F64), knots, 3)


def test_fit_coefficients_rejects_nan_samples():
    """NaN in x or y is a ValueError rather than NaN coefficients."""
    knots = uniform_rows(4, 3)
    x = eval_points(knots, 3, count=50)
    y = torch.sin(x).unsqueeze(-1)
    x_bad, y_bad = x.clone(), y.clone()
    x_bad[3, 0] = float("nan")
    y_bad[7, 1, 0] = float("nan")
    with pytest.raises(ValueError, match="non-finite"):
        fit_coefficients(x_bad, y, knots, 3)
    with pytest.raises(ValueError, match="non-finite"):
        fit_coefficients(x, y_bad, knots, 3)


def partial_design(k: int = 3) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Design matrix of samples on the left 40% of a uniform base interval only."""
    knots = uniform_knots(8, k, (0.0, 1.0), dtype=F64)
    x = torch.linspace(0.0, 0.4, 200, dtype=F64)
    a = bspline_basis(x, knots, k)  # (200, 11)
    return a, torch.cos(3 * x).unsqueeze(-1), knots


def test_solve_least_squares_partial_samples_is_finite():
    """Samples covering part of the base interval give finite coefficients and a good fit."""
    a, y, _ = partial_design()
    c = solve_least_squares(a, y)
    assert c.shape == (a.shape[1], 1) and bool(torch.isfinite(c).all())
    assert float((a @ c - y).abs().max()) < 1e-3


def test_solve_least_squares_zeroes_unconstrained_coefficients():
    """Coefficients whose bases see no sample come back as (almost) zero, as documented."""
    a, y, _ = partial_design()
    unseen = a.abs().sum(0) == 0
    assert int(unseen.sum()) >= 3  # the test data really leaves coefficients free
    c = solve_least_squares(a, y)
    assert float(c[unseen].abs().max()) < 1e-12


def test_solve_least_squares_duplicate_columns():
    """Duplicate columns: finite coefficients that fit y as well as lstsq does."""
    a, y, _ = partial_design()
    a = a[:, :6]
    dup = torch.cat([a, a[:, :1]], dim=1)  # column 0 twice
    c = solve_least_squares(dup, y)
    assert bool(torch.isfinite(c).all())
    c_ref = torch.linalg.lstsq(a, y).solution
    torch.testing.assert_close(dup @ c, a @ c_ref, rtol=0, atol=1e-8)


def test_solve_least_squares_matches_lstsq_when_well_posed():
    """A full-rank batched system agrees with torch.linalg.lstsq to 1e-10."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3, 50, 6, generator=g, dtype=F64)
    y = torch.randn(3, 50, 2, generator=g, dtype=F64)
    torch.testing.assert_close(solve_least_squares(a, y), torch.linalg.lstsq(a, y).solution,
                               rtol=0, atol=1e-10)


def test_solve_least_squares_ridge_shrinks():
    """A positive ridge shrinks the solution norm."""
    a, y, _ = partial_design()
    shrunk = solve_least_squares(a, y, ridge=1e-2)
    assert float(shrunk.norm()) < float(solve_least_squares(a, y).norm())


def test_solve_least_squares_all_zero_design_does_not_raise():
    """An all-zero design (no sample touches any basis) gives zero coefficients."""
    c = solve_least_squares(torch.zeros(10, 4, dtype=F64), torch.ones(10, 1, dtype=F64))
    assert bool(torch.isfinite(c).all()) and float(c.abs().max()) == 0.0


def test_solve_least_squares_rejects_zero_samples():
    """Zero samples is a ValueError."""
    with pytest.raises(ValueError, match="at least one sample"):
        solve_least_squares(torch.zeros(0, 4, dtype=F64), torch.zeros(0, 1, dtype=F64))


@pytest.mark.parametrize("where", ["a", "y"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_solve_least_squares_rejects_non_finite(where, bad):
    """NaN or inf in the design or the right-hand side is a ValueError."""
    a, y, _ = partial_design()
    a, y = a.clone(), y.clone()
    (a if where == "a" else y)[5, 0] = bad
    with pytest.raises(ValueError, match="non-finite"):
        solve_least_squares(a, y)


def test_evaluate_spline_matches_bspline_basis():
    """evaluate_spline equals the dense Cox–de Boor sum inside the base interval."""
    knots = nonuniform_rows(3)
    coef = smooth_coef((2, knots.shape[-1] - 4, 2))
    x = eval_points(knots, 3, count=50)
    expected = torch.einsum("nfb,fbp->nfp", bspline_basis(x, knots, 3), coef)
    torch.testing.assert_close(evaluate_spline(x, knots, coef, 3), expected, rtol=0, atol=1e-12)


DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="CUDA is not available"))]


@pytest.mark.parametrize("device", DEVICES)
def test_insert_knots_runs_on_device(device):
    """insert_knots accepts knots and coefficients on a device and matches the CPU result."""
    t = torch.as_tensor(random_knots(3, np.random.default_rng(0)))
    c = smooth_coef((2, t.numel() - 4))
    new = t[3:5].mean(0, keepdim=True)
    t2, c2 = insert_knots(t.to(device), c.to(device), 3, new.to(device))
    assert t2.device.type == device and c2.device.type == device
    t_ref, c_ref = insert_knots(t, c, 3, new)
    torch.testing.assert_close(c2.cpu(), c_ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(t2.cpu(), t_ref, rtol=0, atol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_fit_and_project_run_on_device(device):
    """fit_coefficients and project_coefficients run on a device and match the CPU results."""
    old, new = uniform_rows(4, 3), uniform_rows(8, 3)
    x = eval_points(old, 3, count=100)
    y = torch.sin(x).unsqueeze(-1)
    coef = fit_coefficients(x.to(device), y.to(device), old.to(device), 3)
    assert coef.device.type == device
    torch.testing.assert_close(coef.cpu(), fit_coefficients(x, y, old, 3), rtol=1e-9, atol=1e-12)
    got = project_coefficients(old.to(device), coef, new.to(device), 3)
    assert got.device.type == device
    torch.testing.assert_close(evaluate_spline(x.to(device), new.to(device), got, 3).cpu(),
                               evaluate_spline(x, old, coef.cpu(), 3), rtol=0, atol=1e-10)

"""Tests for kanlab.splines._bspline: B-spline bases against scipy, properties, local evaluation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.interpolate import BSpline

from kanlab.splines import (bspline_basis, check_knots, extend_points, local_basis,
                            scatter_local, uniform_knots)

DEGREES = [0, 1, 2, 3, 4, 5]
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="CUDA is not available"))]
PROPERTY = settings(max_examples=50, deadline=None)


# ---------------------------------------------------------------------------
# knot vectors and references


def random_knots(k: int, rng: np.random.Generator, n_interior: int = 5) -> np.ndarray:
    """Sorted random knots, gaps at least 0.05, ``n_interior`` knots inside the base interval."""
    m = 2 * k + 2 + n_interior
    return np.cumsum(0.05 + rng.random(m)) - 2.0


def nonuniform_knots(k: int, n_interior: int = 5) -> np.ndarray:
    """Geometrically graded knots (each gap 1.6 times the previous)."""
    m = 2 * k + 2 + n_interior
    return np.concatenate([[0.0], np.cumsum(0.02 * 1.6 ** np.arange(m - 1))])


def repeated_knots(k: int, rng: np.random.Generator) -> np.ndarray:
    """Knots whose interior knots repeat up to ``k`` times; the base interval ends are simple."""
    left = np.cumsum(0.1 + rng.random(k + 1))  # t[0..k], ending at lo
    lo = left[-1]
    hi = lo + 1.0
    right = hi + np.concatenate([[0.0], np.cumsum(0.1 + rng.random(k))])  # t[n..m-1]
    interior = lo + np.sort(0.1 + 0.8 * rng.random(3))
    mult = rng.integers(1, max(k, 1) + 1, size=3)
    mult[0] = max(k, 1)  # at least one knot of the maximal multiplicity
    return np.concatenate([left, np.repeat(interior, mult), right])


def knot_family(name: str, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(1000 * k + seed)
    if name == "random":
        return random_knots(k, rng)
    if name == "nonuniform":
        return nonuniform_knots(k)
    return repeated_knots(k, rng)


FAMILIES = ["random", "nonuniform", "repeated"]


def scipy_basis(x: np.ndarray, t: np.ndarray, k: int, nu: int = 0) -> np.ndarray:
    """Every basis element ``BSpline(t, e_i, k)`` (or its ``nu``-th derivative) at ``x``."""
    n = len(t) - k - 1
    eye = np.eye(n)
    return np.stack([BSpline(t, eye[i], k)(x, nu=nu) for i in range(n)], axis=-1)


def base_points(t: np.ndarray, k: int, rng: np.random.Generator, count: int = 200,
                ends: bool = True) -> np.ndarray:
    n = len(t) - k - 1
    lo, hi = t[k], t[n]
    x = lo + (hi - lo) * rng.random(count)
    return np.concatenate([[lo, hi], x]) if ends else x


def as_tensor(a, dtype=torch.float64, device="cpu") -> torch.Tensor:
    return torch.as_tensor(np.asarray(a), dtype=dtype, device=device)


@st.composite
def knot_vectors(draw, max_degree: int = 5):
    """``(t, k)``: non-decreasing knots on an integer lattice (so repeats occur), non-empty base."""
    k = draw(st.integers(0, max_degree))
    n = draw(st.integers(k + 1, k + 6))
    gaps = draw(st.lists(st.integers(0, 3), min_size=n + k, max_size=n + k))
    t = np.concatenate([[0.0], np.cumsum(gaps, dtype=float)]) / 4.0 - 1.0
    assume(t[n] > t[k])
    return t, k


@st.composite
def knots_and_points(draw, max_degree: int = 5):
    """Knots, degree and points of the closed base interval (both ends included)."""
    t, k = draw(knot_vectors(max_degree))
    n = len(t) - k - 1
    frac = draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20))
    x = np.concatenate([[t[k], t[n]], t[k] + (t[n] - t[k]) * np.asarray(frac)])
    return t, k, np.clip(x, t[k], t[n])


# ---------------------------------------------------------------------------
# bspline_basis against scipy


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("k", DEGREES)
def test_bspline_basis_values_match_scipy(family, k):
    """Basis values equal scipy's BSpline basis elements on the closed base interval."""
    t = knot_family(family, k)
    x = base_points(t, k, np.random.default_rng(k))
    ours = bspline_basis(as_tensor(x), as_tensor(t), k).numpy()
    np.testing.assert_allclose(ours, scipy_basis(x, t, k), rtol=0, atol=1e-12)


@pytest.mark.parametrize("derivative", [1, 2])
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("k", DEGREES)
def test_bspline_basis_derivatives_match_scipy(family, k, derivative):
    """First and second derivatives equal scipy's (``nu=derivative``) away from the knots."""
    t = knot_family(family, k)
    x = base_points(t, k, np.random.default_rng(10 + k), ends=False)
    ref = scipy_basis(x, t, k, nu=derivative)
    ours = bspline_basis(as_tensor(x), as_tensor(t), k, derivative=derivative).numpy()
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12 * max(1.0, np.abs(ref).max()))


def test_bspline_basis_repeated_knots_are_used():
    """The repeated-knot family really repeats an interior knot k times (guards the test data)."""
    t = knot_family("repeated", 3)
    _, counts = np.unique(t, return_counts=True)
    assert counts.max() == 3 and np.all(np.diff(t) >= 0)


def test_bspline_basis_docstring_example():
    """The documented example (clamped linear knots, right end included) holds."""
    t = torch.tensor([0.0, 0.0, 1.0, 2.0, 2.0], dtype=torch.float64)
    got = bspline_basis(torch.tensor([0.5, 2.0], dtype=torch.float64), t, 1)
    expected = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-15)


def test_bspline_basis_derivative_above_degree_is_zero():
    """Derivatives of order above k vanish and keep the output shape."""
    t = as_tensor(random_knots(2, np.random.default_rng(0)))
    x = torch.linspace(float(t[2]), float(t[-3]), 7, dtype=torch.float64)
    got = bspline_basis(x, t, 2, derivative=3)
    assert got.shape == (7, t.numel() - 3) and bool((got == 0).all())


def test_bspline_basis_broadcasts_knot_rows():
    """Knots of shape (F, m) evaluate row f on column f of x of shape (N, F)."""
    rng = np.random.default_rng(3)
    rows = np.stack([random_knots(3, rng), nonuniform_knots(3)])
    x = np.stack([base_points(r, 3, rng, count=20, ends=False) for r in rows], axis=-1)
    got = bspline_basis(as_tensor(x), as_tensor(rows), 3).numpy()  # (20, 2, n)
    for f in range(2):
        np.testing.assert_allclose(got[:, f], scipy_basis(x[:, f], rows[f], 3), atol=1e-12)


@pytest.mark.parametrize("k", [0, 1, 3, 5])
def test_bspline_basis_float32_agrees_with_float64(k):
    """float32 evaluation stays float32 and agrees with float64 to ~1e-5."""
    t = knot_family("random", k)
    x = base_points(t, k, np.random.default_rng(k), ends=False)
    b32 = bspline_basis(as_tensor(x, torch.float32), as_tensor(t, torch.float32), k)
    b64 = bspline_basis(as_tensor(x), as_tensor(t), k)
    assert b32.dtype == torch.float32
    np.testing.assert_allclose(b32.double().numpy(), b64.numpy(), rtol=0, atol=1e-5)


# ---------------------------------------------------------------------------
# properties


@PROPERTY
@given(knots_and_points())
def test_partition_of_unity(case):
    """The bases sum to one on the closed base interval, whatever the knot multiplicities."""
    t, k, x = case
    b = bspline_basis(as_tensor(x), as_tensor(t), k)
    np.testing.assert_allclose(b.sum(-1).numpy(), 1.0, rtol=0, atol=1e-12)


@PROPERTY
@given(knots_and_points())
def test_bases_are_non_negative(case):
    """Every basis value is non-negative on the base interval."""
    t, k, x = case
    assert bool((bspline_basis(as_tensor(x), as_tensor(t), k) >= 0).all())


@PROPERTY
@given(knots_and_points())
def test_at_most_k_plus_one_nonzero(case):
    """At most k + 1 bases are non-zero at any point."""
    t, k, x = case
    b = bspline_basis(as_tensor(x), as_tensor(t), k)
    assert int((b != 0).sum(-1).max()) <= k + 1


@PROPERTY
@given(knots_and_points())
def test_values_match_scipy_on_lattice_knots(case):
    """Away from the knots, values equal scipy's even with high multiplicities."""
    t, k, x = case
    x = x[~np.isin(x, t)]
    assume(x.size > 0)
    ours = bspline_basis(as_tensor(x), as_tensor(t), k).numpy()
    np.testing.assert_allclose(ours, scipy_basis(x, t, k), rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------
# local_basis


def dense_local(x, knots, k, **kwargs):
    values, start = local_basis(x, knots, k, **kwargs)
    return scatter_local(values, start, knots.shape[-1] - k - 1)


def uniform_rows(k: int, grid: int = 5, dtype=torch.float64, device="cpu"):
    """Two uniform knot rows on different ranges, shape (2, grid + 2k + 1)."""
    return torch.stack([uniform_knots(grid, k, (-1.0, 1.0), dtype=dtype, device=device),
                        uniform_knots(grid, k, (0.5, 3.0), dtype=dtype, device=device)])


def points_inside(knots: torch.Tensor, k: int, count: int = 100, seed: int = 0) -> torch.Tensor:
    """Random points of every row's base interval plus both ends, shape (count + 2, F)."""
    n = knots.shape[-1] - k - 1
    lo, hi = knots[:, k], knots[:, n]
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(count, knots.shape[0], generator=g, dtype=torch.float64).to(knots)
    return torch.cat([lo[None], hi[None], lo + (hi - lo) * u])


def points_outside(knots: torch.Tensor, k: int,
                   seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x, end, is_right)``: points 0.01..2 beyond either end of every row's base interval."""
    n = knots.shape[-1] - k - 1
    lo, hi = knots[:, k], knots[:, n]
    g = torch.Generator().manual_seed(seed)
    d = (0.01 + 2 * torch.rand(40, knots.shape[0], generator=g, dtype=torch.float64)).to(knots)
    right = torch.arange(40)[:, None].expand(40, knots.shape[0]) % 2 == 1
    end = torch.where(right, hi, lo)
    return torch.where(right, end + d, end - d), end, right


def general_rows(k: int) -> torch.Tensor:
    """Rows of random, graded and repeated knots padded to a common length."""
    rows = [knot_family(f, k) for f in FAMILIES]
    m = max(len(r) for r in rows)
    padded = []
    for r in rows:  # pad by extending the interior left of the base interval end
        extra = m - len(r)
        if extra:
            n = len(r) - k - 1
            fill = np.linspace(r[n - 1], r[n], extra + 2)[1:-1]
            r = np.sort(np.concatenate([r, fill]))
        padded.append(r)
    return as_tensor(np.stack(padded))


@pytest.mark.parametrize("k", DEGREES)
def test_local_basis_uniform_matches_bspline_basis(k):
    """The uniform closed form equals the Cox–de Boor reference inside the base interval."""
    knots = uniform_rows(k)
    x = points_inside(knots, k)
    got = dense_local(x, knots, k, uniform=True)
    torch.testing.assert_close(got, bspline_basis(x, knots, k), rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", DEGREES)
def test_local_basis_general_matches_bspline_basis(k):
    """The general (span search + span polynomial) path equals the reference on any knot family."""
    knots = general_rows(k)
    x = points_inside(knots, k)
    got = dense_local(x, knots, k, uniform=False)
    torch.testing.assert_close(got, bspline_basis(x, knots, k), rtol=0, atol=1e-12)


@PROPERTY
@given(knots_and_points())
def test_local_basis_general_matches_on_any_knots(case):
    """The general path equals the reference on lattice knots with any multiplicities."""
    t, k, x = case
    knots = as_tensor(t)[None]
    xt = as_tensor(x)[:, None]
    got = dense_local(xt, knots, k, uniform=False)
    torch.testing.assert_close(got, bspline_basis(xt, knots, k), rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", DEGREES)
def test_local_basis_start_indexes_nonzero_window(k):
    """``start`` lies in [0, n - k - 1] and the window holds every non-zero basis."""
    knots = general_rows(k)
    x = points_inside(knots, k)
    values, start = local_basis(x, knots, k)
    n = knots.shape[-1] - k - 1
    assert values.shape == (*x.shape, k + 1) and start.dtype == torch.int64
    assert int(start.min()) >= 0 and int(start.max()) <= n - k - 1
    assert torch.allclose(values.sum(-1), torch.ones_like(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_local_basis_linear_extrapolation(k, uniform):
    """Outside the base interval, "linear" gives end value + end slope · (x − end)."""
    knots = uniform_rows(k) if uniform else general_rows(k)
    x, end, _ = points_outside(knots, k)
    value = bspline_basis(end, knots, k)
    slope = bspline_basis(end, knots, k, derivative=1)
    expected = value + slope * (x - end).unsqueeze(-1)
    got = dense_local(x, knots, k, uniform=uniform, extrapolate="linear")
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-12 * float(expected.abs().max()))


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("k", [0, 1, 3, 5])
def test_local_basis_constant_extrapolation(k, uniform):
    """Outside the base interval, "constant" freezes the bases at their end values."""
    knots = uniform_rows(k) if uniform else general_rows(k)
    x, end, _ = points_outside(knots, k)
    got = dense_local(x, knots, k, uniform=uniform, extrapolate="constant")
    torch.testing.assert_close(got, bspline_basis(end, knots, k), rtol=0, atol=1e-12)


@pytest.mark.parametrize("uniform", [True, False])
def test_local_basis_degree_zero_extrapolates_constant(uniform):
    """For k = 0 "linear" has no slope to use and equals the end values."""
    knots = uniform_rows(0) if uniform else general_rows(0)
    x, end, _ = points_outside(knots, 0)
    got = dense_local(x, knots, 0, uniform=uniform, extrapolate="linear")
    torch.testing.assert_close(got, bspline_basis(end, knots, 0), rtol=0, atol=0)


def test_local_basis_keeps_leading_dims():
    """Points of shape (A, B, F) give values (A, B, F, k + 1) and start (A, B, F)."""
    knots = uniform_rows(3)
    x = points_inside(knots, 3, count=10).reshape(3, 4, 2)
    for uniform in (True, False):
        values, start = local_basis(x, knots, 3, uniform=uniform)
        assert values.shape == (3, 4, 2, 4) and start.shape == (3, 4, 2)


def test_local_basis_rejects_unknown_extrapolation():
    """An unknown extrapolation mode is a ValueError naming the choices."""
    knots = uniform_rows(3)
    with pytest.raises(ValueError, match="linear"):
        local_basis(torch.zeros(2, 2, dtype=torch.float64), knots, 3, extrapolate="cubic")


def spline_of_x(knots, k, uniform, extrapolate="linear"):
    n = knots.shape[-1] - k - 1
    coef = torch.linspace(-1.0, 1.0, n, dtype=torch.float64).sin() + 0.3
    return lambda x: (dense_local(x, knots, k, uniform=uniform, extrapolate=extrapolate)
                      * coef).sum(-1)


def off_knot_points(knots: torch.Tensor, k: int) -> torch.Tensor:
    """Points inside every interval (away from knots) and beyond both ends, shape (N, F)."""
    n = knots.shape[-1] - k - 1
    left, right = knots[:, k:n], knots[:, k + 1:n + 1]  # (F, G)
    inside = (left + 0.37 * (right - left)).t()
    lo, hi = knots[:, k], knots[:, n]
    outside = torch.stack([lo - 0.3, lo - 1.1, hi + 0.2, hi + 0.9])
    return torch.cat([inside, outside]).clone().requires_grad_(True)


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_local_basis_gradcheck_wrt_x(k, uniform):
    """Autograd derivatives w.r.t. x match finite differences, inside and outside the grid."""
    knots = uniform_rows(k) if uniform else general_rows(k)[:1]
    x = off_knot_points(knots, k)
    assert torch.autograd.gradcheck(spline_of_x(knots, k, uniform), (x,), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("uniform", [True, False])
def test_local_basis_gradient_equals_spline_derivative(uniform):
    """The autograd slope equals the spline derivative from bspline_basis (derivative=1)."""
    k = 3
    knots = uniform_rows(k) if uniform else general_rows(k)[:1]
    n = knots.shape[-1] - k - 1
    coef = torch.linspace(-1.0, 1.0, n, dtype=torch.float64).sin() + 0.3
    x = off_knot_points(knots, k)
    spline_of_x(knots, k, uniform)(x).sum().backward()
    xc = torch.minimum(torch.maximum(x.detach(), knots[:, k]), knots[:, n])
    expected = (bspline_basis(xc, knots, k, derivative=1) * coef).sum(-1)
    torch.testing.assert_close(x.grad, expected, rtol=0, atol=1e-10)


# ---------------------------------------------------------------------------
# knot construction and validation


def test_uniform_knots_docstring_example():
    """uniform_knots(2, 1, (0, 1)) is the documented extended vector."""
    got = uniform_knots(2, 1, (0.0, 1.0), dtype=torch.float64)
    expected = torch.tensor([-0.5, 0.0, 0.5, 1.0, 1.5], dtype=torch.float64)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("k", DEGREES)
def test_uniform_knots_shape_and_base_interval(k):
    """grid + 2k + 1 equally spaced knots whose base interval is grid_range."""
    t = uniform_knots(7, k, (-2.0, 5.0), dtype=torch.float64)
    assert t.shape == (7 + 2 * k + 1,)
    assert float(t[k]) == pytest.approx(-2.0, abs=1e-14)
    assert float(t[7 + k]) == pytest.approx(5.0, abs=1e-14)
    torch.testing.assert_close(t.diff(), torch.full((t.numel() - 1,), 1.0, dtype=torch.float64))


def test_uniform_knots_default_dtype():
    """Without dtype the knots use torch's default dtype."""
    assert uniform_knots(3, 2).dtype == torch.get_default_dtype()


def test_extend_points_matches_uniform_knots():
    """Extending a uniform grid gives the uniform knot vector."""
    points = torch.linspace(-1.0, 2.0, 6, dtype=torch.float64)
    torch.testing.assert_close(extend_points(points, 3),
                               uniform_knots(5, 3, (-1.0, 2.0), dtype=torch.float64))


@pytest.mark.parametrize("kwargs, match", [
    ({"grid": 0, "k": 3}, "grid"),
    ({"grid": -2, "k": 3}, "grid"),
    ({"grid": 2.0, "k": 3}, "grid"),
    ({"grid": 5, "k": -1}, "degree"),
    ({"grid": 5, "k": 1.5}, "degree"),
    ({"grid": 5, "k": 3, "grid_range": (1.0, 1.0)}, "lo < hi"),
    ({"grid": 5, "k": 3, "grid_range": (2.0, 1.0)}, "lo < hi"),
    ({"grid": 5, "k": 3, "grid_range": (0.0, float("inf"))}, "finite"),
    ({"grid": 5, "k": 3, "grid_range": (float("nan"), 1.0)}, "finite"),
])
def test_uniform_knots_rejects_bad_arguments(kwargs, match):
    """Bad grid, degree or range is a ValueError saying what was expected."""
    with pytest.raises(ValueError, match=match):
        uniform_knots(**kwargs)


@pytest.mark.parametrize("knots, k, error, match", [
    ([0.0, 2.0, 1.0, 3.0], 1, ValueError, "non-decreasing"),
    ([0.0, 1.0, 2.0], 1, ValueError, "at least 4 knots"),
    ([0.0, 1.0, float("nan"), 3.0], 1, ValueError, "finite"),
    ([0.0, 1.0, float("inf"), 3.0], 1, ValueError, "finite"),
    ([0.0, 1.0, 2.0, 3.0], -1, ValueError, "non-negative"),
    ([0.0, 1.0, 1.0, 3.0], 1, ValueError, "base interval"),
])
def test_check_knots_rejects_bad_knots(knots, k, error, match):
    """Invalid knot vectors raise with a message naming the problem."""
    with pytest.raises(error, match=match):
        check_knots(torch.tensor(knots, dtype=torch.float64), k)


def test_check_knots_rejects_integer_knots():
    """Integer knots are a TypeError naming the dtype."""
    with pytest.raises(TypeError, match="int64"):
        check_knots(torch.arange(8), 3)


def test_check_knots_accepts_valid_rows():
    """Uniform, graded and repeated knot rows pass; so does a (F, m) batch."""
    for k in DEGREES:
        check_knots(general_rows(k), k)
        check_knots(uniform_rows(k), k)


def test_check_knots_checks_every_row():
    """A bad second row of a (F, m) batch is caught."""
    knots = uniform_rows(2)
    knots[1, 3] = knots[1, 1]
    with pytest.raises(ValueError, match="non-decreasing"):
        check_knots(knots, 2)


def test_bspline_basis_rejects_negative_derivative():
    """A negative derivative order is a ValueError."""
    t = uniform_knots(3, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="derivative"):
        bspline_basis(torch.zeros(2, dtype=torch.float64), t, 2, derivative=-1)


def test_bspline_basis_rejects_mixed_dtypes():
    """x and knots of different dtypes are a TypeError."""
    t = uniform_knots(3, 2, dtype=torch.float64)
    with pytest.raises(TypeError, match="dtype"):
        bspline_basis(torch.zeros(2, dtype=torch.float32), t, 2)


# ---------------------------------------------------------------------------
# devices


@pytest.mark.parametrize("device", DEVICES)
def test_bspline_basis_runs_on_device(device):
    """bspline_basis on a device stays there and matches the CPU result."""
    t = as_tensor(knot_family("repeated", 3))
    x = as_tensor(base_points(t.numpy(), 3, np.random.default_rng(0), count=50))
    for derivative in (0, 1, 2):
        got = bspline_basis(x.to(device), t.to(device), 3, derivative=derivative)
        assert got.device.type == device
        torch.testing.assert_close(got.cpu(), bspline_basis(x, t, 3, derivative=derivative),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("device", DEVICES)
def test_local_basis_runs_on_device(device, uniform):
    """local_basis and scatter_local on a device stay there and match the CPU result."""
    knots = uniform_rows(3) if uniform else general_rows(3)[:2]
    x = torch.cat([points_inside(knots, 3, count=30), points_outside(knots, 3)[0]])
    got = dense_local(x.to(device), knots.to(device), 3, uniform=uniform)
    assert got.device.type == device
    torch.testing.assert_close(got.cpu(), dense_local(x, knots, 3, uniform=uniform),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_uniform_knots_on_device(device):
    """uniform_knots honours device and dtype."""
    t = uniform_knots(4, 3, device=device, dtype=torch.float64)
    assert t.device.type == device and t.dtype == torch.float64

"""Property-based tests: random shapes, dtypes, knots and values (NaN, inf, 1e300, 1e-300).

Every call either raises a clear ``ValueError``/``TypeError`` or returns finite
results that keep the documented behaviour.  Kept small: tiny models, bounded
examples, no deadline (the machine may be busy).
"""
from __future__ import annotations

import math
import warnings

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kanlab
from kanlab import KAN, KANLayer
from kanlab.splines import extend_points
from kanlab import NonFiniteError

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SPECIAL = [math.nan, math.inf, -math.inf, 1e300, -1e300, 1e30, -1e30, 1e-300, -1e-300, 0.0]
values = st.one_of(st.floats(-3.0, 3.0), st.sampled_from(SPECIAL),
                   st.floats(allow_nan=True, allow_infinity=True))
dtypes = st.sampled_from([torch.float32, torch.float64])


def tensor(draw, shape, dtype, elements=values) -> torch.Tensor:
    count = math.prod(shape)
    flat = draw(st.lists(elements, min_size=count, max_size=count))
    return torch.tensor(flat, dtype=torch.float64).reshape(shape).to(dtype)


@st.composite
def knot_rows(draw, in_features, grid, k, dtype):
    """Random non-decreasing grid points (ties allowed inside) with a non-empty base interval."""
    rows = []
    for _ in range(in_features):
        lo = draw(st.floats(-5, 5))
        gaps = draw(st.lists(st.sampled_from([0.0, 0.01, 0.3, 1.0, 2.5]), min_size=grid,
                             max_size=grid))
        if sum(gaps) == 0:
            gaps[-1] = 1.0
        rows.append(torch.tensor([lo] + gaps, dtype=torch.float64).cumsum(0))
    return extend_points(torch.stack(rows), k).to(dtype)


@st.composite
def layer_case(draw):
    dtype = draw(dtypes)
    in_f, out_f = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    grid, k = draw(st.integers(1, 6)), draw(st.integers(0, 3))
    layer = KANLayer(in_f, out_f, grid, k, base_fun=draw(st.sampled_from(["silu", "tanh", None])),
                     generator=torch.Generator().manual_seed(0), dtype=dtype)
    if draw(st.booleans()):
        layer.set_grid(draw(knot_rows(in_f, grid, k, dtype)), layer.coef.detach().clone())
    lead = draw(st.lists(st.integers(0, 4), min_size=0, max_size=2))
    x = tensor(draw, (*lead, in_f), dtype)
    return layer, x


@FUZZ
@given(layer_case())
def test_layer_forward_is_finite_or_refuses(case):
    """Finite output of the right shape, or NonFiniteError exactly when the input holds NaN/inf
    or values whose output would overflow; the bases sum to one everywhere."""
    layer, x = case
    finite_input = bool(torch.isfinite(x).all())
    try:
        y = layer(x)
    except NonFiniteError:
        assert not finite_input or float(x.abs().max()) > 1e20
        return
    assert finite_input
    assert y.shape == (*x.shape[:-1], layer.out_features)
    assert bool(torch.isfinite(y).all())
    moderate = x.reshape(-1, layer.in_features)
    moderate = moderate[(moderate.abs() < 1e6).all(-1)]
    if len(moderate):
        # partition of unity, also on the linear extension (the slopes sum to zero),
        # to rounding: knots of magnitude |t| spaced h apart are only known to eps·|t|/h
        total = layer.basis(moderate).sum(-1)
        steps = layer.knots.diff(dim=-1)
        ratio = float(layer.knots.abs().max() / steps[steps > 0].min())
        tol = 64 * torch.finfo(x.dtype).eps * (1 + ratio)
        scale = 1 + moderate.abs()
        assert bool(((total - 1).abs() <= tol * scale).all()), (layer.knots.tolist(), tol)


@FUZZ
@given(st.data())
def test_layer_rejects_wrong_structure(data):
    """Wrong feature counts, 0-d input and non-float dtypes are ValueError/TypeError."""
    dtype = data.draw(dtypes)
    layer = KANLayer(2, 1, 3, 2, generator=torch.Generator().manual_seed(0), dtype=dtype)
    shape = data.draw(st.lists(st.integers(0, 3), min_size=0, max_size=3))
    x_dtype = data.draw(st.sampled_from([torch.float32, torch.float64, torch.int32, torch.bool]))
    x = torch.zeros(shape, dtype=x_dtype)
    ok = len(shape) > 0 and shape[-1] == 2 and x_dtype == dtype
    if ok:
        assert layer(x).shape == (*shape[:-1], 1)
    else:
        with pytest.raises((ValueError, TypeError)):
            layer(x)


@st.composite
def grid_case(draw):
    dtype = draw(dtypes)
    width = [draw(st.integers(1, 3)), draw(st.integers(1, 2)), 1]
    model = KAN(width, grid=draw(st.integers(1, 6)), k=draw(st.integers(1, 3)), seed=0,
                dtype=dtype)
    batch = draw(st.integers(1, 30))
    pool = draw(st.lists(values, min_size=1, max_size=4))  # few distinct values -> ties
    mode = draw(st.sampled_from(["free", "ties"]))
    elements = values if mode == "free" else st.sampled_from(pool)
    x = tensor(draw, (batch, width[0]), dtype, elements)
    return model, x, draw(st.floats(0.0, 1.0))


@FUZZ
@given(grid_case())
def test_update_grid_keeps_a_valid_grid(case):
    """update_grid raises a ValueError (non-finite or overflowing samples, the model restored)
    or leaves every layer with finite, strictly increasing knots and finite outputs."""
    model, x, grid_eps = case
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # kept grids of constant inputs
        try:
            model.update_grid(x, grid_eps=grid_eps)
        except ValueError:
            assert not bool(torch.isfinite(x).all()) or float(x.abs().max()) > 1e20
            for name, value in model.state_dict().items():
                assert torch.equal(value, before[name]), name
            return
    for layer in model.layers:
        assert bool(torch.isfinite(layer.knots).all())
        assert bool((layer.knots.diff(dim=-1) > 0).all())
        assert bool(torch.isfinite(layer.coef).all())
    moderate = x[(x.abs() < 1e6).all(-1)]
    if len(moderate):
        assert bool(torch.isfinite(model(moderate)).all())


@st.composite
def fit_case(draw):
    dtype = draw(dtypes)
    n_in = draw(st.integers(1, 2))
    n = draw(st.integers(1, 12))
    x = tensor(draw, (n, n_in), dtype)
    y = tensor(draw, (n, 1), dtype)
    return dtype, n_in, x, y, draw(st.sampled_from(["LBFGS", "Adam"])), draw(st.booleans())


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(fit_case())
def test_fit_refuses_or_stays_finite(case):
    """fit refuses non-finite data with ValueError; otherwise it returns a History whose status
    is 'completed' or 'nonfinite' and the parameters are finite."""
    dtype, n_in, x, y, opt, update = case
    model = KAN([n_in, 1], grid=3, k=2, seed=0, dtype=dtype)
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    cfg = kanlab.FitConfig(steps=2, opt=opt, lr=1.0 if opt == "LBFGS" else 1e-2, max_iter=3,
                           update_grid=update, stop_grid_update_step=2, grid_update_num=1,
                           progress=False)
    finite = bool(torch.isfinite(x).all()) and bool(torch.isfinite(y).all())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            history = kanlab.fit(model, data, cfg)
        except ValueError:
            assert not finite or float(x.abs().max()) > 1e20
            return
    assert finite
    assert history.status in ("completed", "nonfinite", "converged")
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())

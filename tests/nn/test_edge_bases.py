"""Tests for kanlab.nn._edge_bases: Chebyshev, Fourier and Gaussian RBF edges behind KANLayer."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy
import torch

import kanlab
from kanlab import KAN
from kanlab.nn import EDGE_BASES, get_edge_basis
from kanlab.nn import KANLayer
from kanlab.train import smoothness_penalty
from kanlab.splines import uniform_knots

F64 = torch.float64
OTHER = ["chebyshev", "fourier", "rbf"]


def _x(n=300, d=2, lo=-1.0, hi=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return lo + (hi - lo) * torch.rand(n, d, generator=g, dtype=F64)


def _knots(grid=6, k=3, ranges=((-1.0, 1.0), (-0.5, 2.0))):
    return torch.stack([uniform_knots(grid, k, r, dtype=F64) for r in ranges])


def _numpy_basis(name, x, lo, hi, grid):
    """Direct numpy formulas, ``x`` (N,) on domain [lo, hi]: (N, n_basis)."""
    u = (x - lo) / (hi - lo)
    if name == "chebyshev":  # tangent line beyond ±1
        t = 2 * u - 1
        c = np.clip(t, -1, 1)
        ends = np.polynomial.chebyshev.chebvander(c, grid)
        slope = np.stack([np.polynomial.chebyshev.chebval(c, np.polynomial.chebyshev.chebder(
            np.eye(grid + 1)[m])) for m in range(grid + 1)], axis=1)
        return ends + (t - c)[:, None] * slope
    if name == "fourier":
        m = np.arange(1, grid + 1)
        th = np.pi * u[:, None] * m
        return np.concatenate([np.ones((len(x), 1)), np.cos(th), np.sin(th)], axis=1)
    h = (hi - lo) / grid
    centres = lo + h * np.arange(-3, grid + 4)  # k = 3 centres beyond each end
    gauss = np.exp(-(((x[:, None] - centres) / h) ** 2))
    return np.concatenate([np.ones((len(x), 1)), gauss], axis=1)


@pytest.mark.parametrize("name", OTHER)
def test_values_match_numpy_formulas(name):
    """Every basis equals its textbook formula, inside the domain and beyond it."""
    basis, knots, k = get_edge_basis(name), _knots(), 3
    x = torch.stack([torch.linspace(-1.5, 1.5, 101, dtype=F64),
                     torch.linspace(-1.0, 2.5, 101, dtype=F64)], dim=1)
    got = basis.evaluate(x, knots, k)
    assert got.shape == (101, 2, basis.n_basis(6, k))
    for i, (lo, hi) in enumerate([(-1.0, 1.0), (-0.5, 2.0)]):
        want = _numpy_basis(name, x[:, i].numpy(), lo, hi, 6)
        np.testing.assert_allclose(got[:, i].numpy(), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", OTHER)
def test_gradcheck(name):
    basis, knots = get_edge_basis(name), _knots(grid=4)
    x = _x(n=7, lo=-0.9, hi=0.9).requires_grad_()  # inside both domains: no clamp kink
    assert torch.autograd.gradcheck(lambda t: basis.evaluate(t, knots, 3), (x,))


@pytest.mark.parametrize("name", list(EDGE_BASES))
def test_unit_is_the_constant_one(name):
    """unit() (used by pruning to move a constant) reproduces 1 everywhere, B-splines included."""
    basis, knots = get_edge_basis(name), _knots(grid=5)
    x = _x(n=50, lo=-0.5, hi=1.0)
    values = basis.evaluate(x, knots, 3) @ basis.unit(basis.n_basis(5, 3), dtype=F64)
    torch.testing.assert_close(values, torch.ones_like(values), rtol=0, atol=1e-13)


def test_chebyshev_and_fourier_orthogonality():
    """Discrete orthogonality: Chebyshev at Chebyshev–Gauss nodes, Fourier over a full period."""
    grid, n = 5, 40
    knots = _knots(grid, ranges=((0.0, 2.0),))
    nodes = torch.cos(math.pi * (torch.arange(n, dtype=F64) + 0.5) / n)  # in (-1, 1)
    t = get_edge_basis("chebyshev").evaluate((nodes + 1)[:, None], knots, 3)[:, 0]  # (n, G+1)
    gram = t.T @ t
    want = torch.diag(torch.tensor([n] + [n / 2] * grid, dtype=F64))
    torch.testing.assert_close(gram, want, rtol=0, atol=1e-11)
    # the Fourier basis has period 2(hi - lo): uniform samples over [0, 4)
    x = (4.0 * torch.arange(n, dtype=F64) / n)[:, None]
    f = get_edge_basis("fourier").evaluate(x, knots, 3)[:, 0]  # (n, 2G + 1)
    gram = f.T @ f
    want = torch.diag(torch.tensor([n] + [n / 2] * (2 * grid), dtype=F64))
    torch.testing.assert_close(gram, want, rtol=0, atol=1e-11)


@pytest.mark.parametrize("name", OTHER)
def test_layer_forward_is_features_times_weights(name):
    """forward = base branch + Σ_b coef·scale_sp·φ_b, and agrees with edge_values."""
    layer = KANLayer(2, 3, grid=4, basis=name, generator=torch.Generator().manual_seed(0),
                     dtype=F64)
    assert layer.coef.shape == (3, 2, get_edge_basis(name).n_basis(4, 3))
    assert f"basis='{name}'" in repr(layer)
    x = _x(n=40)
    phi = torch.from_numpy(np.stack([_numpy_basis(name, x[:, i].numpy(), -1.0, 1.0, 4)
                                     for i in range(2)], axis=1))  # (B, in, n)
    w = (layer.coef * layer.scale_sp.unsqueeze(-1)).detach()
    want = torch.einsum("bin,oin->bo", phi, w) + torch.nn.functional.silu(x) @ layer.scale_base.T
    torch.testing.assert_close(layer(x), want.detach(), rtol=0, atol=1e-12)
    torch.testing.assert_close(layer.edge_values(x).sum(-1), layer(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", OTHER)
def test_checkpoint_round_trip(name, tmp_path):
    model = KAN([2, 3, 1], grid=4, basis=name, seed=1, dtype=F64)
    model = model.refine(7)  # a grid other than the config's
    model.save(tmp_path / "m.safetensors")
    loaded = kanlab.load(tmp_path / "m.safetensors")
    assert loaded.basis_name == name and loaded.get_config()["basis"] == name
    assert all(layer.basis_name == name for layer in loaded.layers)
    x = _x()
    assert torch.equal(loaded(x), model(x))


def test_checkpoint_without_basis_is_bspline(tmp_path):
    """Files written before edge bases carry no "basis": they load as B-spline models."""
    model = KAN([2, 2, 1], grid=4, seed=0, dtype=F64)
    model.save(tmp_path / "m.safetensors")
    raw = (tmp_path / "m.safetensors").read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + size])
    meta = header["__metadata__"]
    config = json.loads(meta["config"])
    del config["basis"]
    layers = json.loads(meta["layers"])
    for info in layers:
        del info["basis"]
    meta["config"], meta["layers"] = json.dumps(config), json.dumps(layers)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    (tmp_path / "old.safetensors").write_bytes(len(text).to_bytes(8, "little") + text
                                               + raw[8 + size:])
    loaded = kanlab.load(tmp_path / "old.safetensors")
    assert loaded.basis_name == "bspline"
    x = _x()
    assert torch.equal(loaded(x), model(x))


@pytest.mark.parametrize("name,atol", [("chebyshev", 1e-10), ("fourier", 2e-3), ("rbf", 5e-3)])
def test_update_grid_keeps_the_function_on_the_data(name, atol):
    """The domain moves to the samples and the refit keeps the edges there (exactly for
    Chebyshev: a polynomial restricted to a subinterval is a polynomial of the same degree)."""
    model = KAN([2, 2], grid=5, basis=name, seed=0, dtype=F64)
    x = _x(lo=-0.6, hi=0.8, n=500)
    before = model(x)
    model.update_grid(x)
    lo, hi = model.layers[0].knots[:, 3], model.layers[0].knots[:, 3 + 5]
    torch.testing.assert_close(lo, x.amin(0), rtol=0, atol=1e-12)
    torch.testing.assert_close(hi, x.amax(0), rtol=0, atol=1e-12)
    err = (model(x) - before).abs().max().item()
    assert err < atol, err


@pytest.mark.parametrize("name,new_grid,atol", [("chebyshev", 9, 1e-12), ("fourier", 9, 1e-12),
                                                 ("rbf", 10, 2e-3)])
def test_refine_keeps_the_function(name, new_grid, atol):
    """Chebyshev and Fourier spaces nest as the grid grows: refine is exact; RBF approximate."""
    model = KAN([2, 3, 1], grid=5, basis=name, seed=0, dtype=F64)
    fine = model.refine(new_grid)
    assert fine.layers[0].coef.shape[-1] == get_edge_basis(name).n_basis(new_grid, 3)
    x = _x()
    err = (fine(x) - model(x)).abs().max().item()
    assert err < atol, err


@pytest.mark.parametrize("name", OTHER)
def test_prune_removed_node_keeps_outputs(name):
    """A node whose edges were removed is dropped; a constant hidden node is folded into a
    kept edge through the basis's constant term; outputs are unchanged."""
    model = KAN([2, 4, 1], grid=5, basis=name, seed=0, dtype=F64)
    model.remove_node(1, 1)
    with torch.no_grad():  # hidden node 3: constant 0.7 (constant term only, no base part)
        layer = model.layers[0]
        layer.scale_base[3] = 0.0
        layer.coef[3] = 0.0
        layer.coef[3, :, 0] = 0.35 / layer.scale_sp[3]
    x = _x()
    small = model.prune(node_th=1e-8, edge_th=1e-8, x=x)
    assert small.width == [2, 2, 1] and small.basis_name == name
    torch.testing.assert_close(small(x), model(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", OTHER)
def test_trained_sine_gives_a_sine_formula(name):
    """A [1, 1] model trained on sin(πx) is read off as a sine (or its cosine twin)."""
    x = _x(n=200, d=1)
    y = torch.sin(math.pi * x)
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    model = KAN([1, 1], grid=8, basis=name, seed=0, dtype=F64)
    model.fit(data, steps=15, progress=False)
    rmse = (model(x) - y).pow(2).mean().sqrt().item()
    assert rmse < 1e-3, rmse
    records = model.auto_symbolic()
    assert [r["name"] for r in records] in (["sin"], ["cos"])
    formula = model.symbolic_formula(["t"])[0]
    t = sympy.Symbol("t")
    f = sympy.lambdify(t, formula, "numpy")
    grid = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(f(grid), np.sin(np.pi * grid), atol=1e-3)


@pytest.mark.parametrize("name", OTHER)
def test_plots_work_for_every_basis(name, tmp_path):
    pytest.importorskip("matplotlib")
    from kanlab import plotting
    model = KAN([2, 2, 1], grid=4, basis=name, seed=0, dtype=F64)
    fig = plotting.plot_bspline_basis(model.layers[0], path=tmp_path / "b.png")
    assert name in fig.axes[0].get_title()
    assert len(fig.axes[0].get_lines()) == model.layers[0].n_basis + 1  # functions + grid dots
    plotting.plot_network(model, _x(), path=tmp_path / "n.png")
    assert (tmp_path / "b.png").stat().st_size > 0 and (tmp_path / "n.png").stat().st_size > 0


def test_bad_basis_and_unsupported_penalty():
    with pytest.raises(ValueError, match="unknown basis 'legendre'"):
        KAN([2, 1], basis="legendre")
    with pytest.raises(TypeError, match="basis must be a name"):
        KANLayer(2, 1, basis=3)
    with pytest.raises(ValueError, match="B-spline"):
        smoothness_penalty(KANLayer(2, 1, basis="rbf"))
    layer = KANLayer(2, 1, grid=4, basis="fourier")
    with pytest.raises(ValueError, match="fourier basis"):
        layer.set_grid(layer.knots, torch.zeros(1, 2, 7))


def test_huge_inputs_are_refused_not_nan():
    """The overflow guard knows the other bases: Chebyshev grows linearly outside its domain."""
    from kanlab import NonFiniteError
    layer = KANLayer(1, 1, grid=20, basis="chebyshev", base_fun=None, dtype=F64)
    with pytest.raises(NonFiniteError, match="overflow"):
        layer(torch.tensor([[1e306]], dtype=F64))
    rbf = KANLayer(1, 1, grid=5, basis="rbf", base_fun=None, dtype=F64)
    assert torch.isfinite(rbf(torch.tensor([[1e306]], dtype=F64))).all()  # bounded basis


def test_cli_passes_the_basis():
    from kanlab.cli._checks import config_from_args
    from kanlab.cli._options import build_parser
    parser = build_parser()
    args = parser.parse_args(["train", "--basis", "rbf", "--no-progress"])
    assert config_from_args(parser, args).basis == "rbf"
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--basis", "legendre"])

"""The regularised loss and gradient without autograd agree with the autograd route."""
import math

import pytest
import torch

from kanlab._validation import NonFiniteError
from kanlab.nn._network import KAN
from kanlab.train import _fit
from kanlab.train._config import FitConfig
from kanlab.train._fit import fit, penalties
from kanlab.train._magnitudes import MagnitudeCache
from kanlab.train._reg_network import reg_network

F64 = torch.float64


def _data(n_in: int, seed: int, n: int = 64, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, n_in, generator=g, dtype=F64) * 2.4 - 1.2).to(dtype)  # some beyond the grid
    y = (torch.sin(3 * x[:, :1]) + x[:, -1:] ** 2).to(dtype)
    return x, y


def _autograd(model, x, y, cfg):
    """Loss, penalty and gradients by the recorded route that fit takes otherwise."""
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.grad = None
    pred, reg = penalties(model, x, cfg, MagnitudeCache())
    loss = torch.mean((pred - y) ** 2) + reg
    loss.backward()
    return float(loss.detach()), float(reg.detach()), [p.grad.clone() for p in params]


def _fused(model, x, y, cfg):
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.grad = None
    evaluate = reg_network(model, cfg, x)
    assert evaluate is not None
    cache = MagnitudeCache()
    evaluate(x, y, cache)  # a first call fills the cache, the second uses the Gram route
    for p in params:
        p.grad = None
    loss, reg = evaluate(x, y, cache)
    return float(loss), float(reg), [p.grad.clone() for p in params]


@pytest.mark.parametrize("width", [[2, 5, 1], [3, 4, 2, 2], [1, 1]])
@pytest.mark.parametrize("reg_metric", ["edge_rms", "edge_rms_sum1"])
@pytest.mark.parametrize("dtype", [F64, torch.float32])
def test_loss_penalty_and_gradients_match_the_autograd_route(width, reg_metric, dtype):
    model = KAN(width, grid=5, seed=1, dtype=dtype, sb_trainable=True)
    x, y = _data(width[0], 2, dtype=dtype)
    model.update_grid(x[:40])  # knots no longer uniform
    with torch.no_grad():
        model.layers[0].mask[0, -1] = 0.0  # a pruned edge
    cfg = FitConfig(lamb=0.02, lamb_l1=0.7, lamb_entropy=1.5, reg_metric=reg_metric)
    ref = _autograd(model, x, y, cfg)
    got = _fused(model, x, y, cfg)
    tol = dict(rtol=1e-11, atol=1e-13) if dtype == F64 else dict(rtol=2e-4, atol=1e-6)
    assert got[0] == pytest.approx(ref[0], rel=tol["rtol"])
    assert got[1] == pytest.approx(ref[1], rel=tol["rtol"])
    assert len(got[2]) == len(ref[2]) == 3 * len(model.layers)
    for a, b in zip(got[2], ref[2]):
        torch.testing.assert_close(a, b, **tol)


def test_gradients_only_for_trainable_parameters():
    model = KAN([2, 3, 1], grid=4, seed=0, dtype=F64)  # scale_base is not trainable
    x, y = _data(2, 0)
    evaluate = reg_network(model, FitConfig(lamb=0.01), x)
    evaluate(x, y, None)
    assert all(layer.scale_base.grad is None for layer in model.layers)
    assert all(layer.coef.grad is not None for layer in model.layers)


def test_non_finite_inputs_raise_as_the_layers_do():
    model = KAN([2, 3, 1], grid=4, seed=0, dtype=F64)
    x, y = _data(2, 0)
    x[3, 1] = math.inf
    evaluate = reg_network(model, FitConfig(lamb=0.01), x)
    with pytest.raises(NonFiniteError):
        evaluate(x, y, MagnitudeCache())


class _Custom(KAN):
    def layer_output(self, l, x, edges=None):
        return super().layer_output(l, x, edges)


@pytest.mark.parametrize("case", ["quadratic", "symbolic", "mult", "std metric", "smooth",
                                  "loss_fn", "chebyshev", "subclass", "no lamb grad"])
def test_everything_else_takes_the_autograd_route(case):
    kwargs, cfg = {}, dict(lamb=0.01)
    if case == "quadratic":
        kwargs["extrapolate"] = "quadratic"
    elif case == "chebyshev":
        kwargs["basis"] = "chebyshev"
    elif case == "std metric":
        cfg["reg_metric"] = "edge_forward_spline_n"
    elif case == "smooth":
        cfg["lamb_smooth"] = 0.1
    elif case == "loss_fn":
        cfg["loss_fn"] = torch.nn.functional.l1_loss
    width = [2, [2, 1], 1] if case == "mult" else [2, 3, 1]
    model = (_Custom if case == "subclass" else KAN)(width, grid=4, seed=0, dtype=F64, **kwargs)
    x, _ = _data(2, 0)
    if case == "symbolic":
        model.fix_symbolic(1, 0, 0, "x", fit_params=False)
    if case == "no lamb grad":
        with torch.no_grad():
            assert reg_network(model, FitConfig(**cfg), x) is None
        return
    assert reg_network(model, FitConfig(**cfg), x) is None


def test_a_regularised_fit_follows_the_autograd_route(monkeypatch):
    x, y = _data(2, 5, n=200)
    dataset = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    cfg = dict(steps=3, lamb=0.01, progress=False, update_grid=True, stop_grid_update_step=3,
               grid_update_num=3)
    fused = KAN([2, 3, 1], grid=5, seed=3, dtype=F64)
    plain = KAN([2, 3, 1], grid=5, seed=3, dtype=F64)
    h1 = fit(fused, dataset, FitConfig(**cfg))
    monkeypatch.setattr(_fit, "reg_network", lambda *args: None)
    h2 = fit(plain, dataset, FitConfig(**cfg))
    assert h1.train_rmse == pytest.approx(h2.train_rmse, rel=1e-6)
    assert h1.reg == pytest.approx(h2.reg, rel=1e-6)
    for a, b in zip(fused.parameters(), plain.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)

"""The regularised fit's edge magnitudes: every route agrees with KANLayer.forward_and_rms."""
import pytest
import torch

from kanlab.nn._network import KAN
from kanlab.train import _magnitudes
from kanlab.train._magnitudes import MagnitudeCache, forward_with_magnitudes

F64 = torch.float64


def _reference(model, x):
    mags = []

    def edges(layer, x):
        y, rms = layer.forward_and_rms(x)
        mags.append(rms)
        return y

    return model.forward_layers(x, lambda l, x: model.layer_output(l, x, edges)), mags


def _grads(model, pred, mags):
    loss = pred.pow(2).mean() + sum(m.sum() for m in mags)
    return torch.autograd.grad(loss, [p for p in model.parameters() if p.requires_grad])


@pytest.mark.parametrize("broadcast_limit", [1 << 20, 0])  # edge values by broadcast / einsum
def test_cached_and_edge_value_routes_match_the_gram_route(monkeypatch, broadcast_limit):
    # [2, 5, 12, 1]: a cached first layer, an edge-value layer (5 <= S) and a Gram layer (12 > S)
    monkeypatch.setattr(_magnitudes, "BROADCAST_LIMIT", broadcast_limit)
    model = KAN([2, 5, 12, 1], grid=4, seed=0, dtype=F64)
    x = torch.rand(300, 2, dtype=F64) * 2 - 1
    want_pred, want_mags = _reference(model, x)
    want_grads = _grads(model, want_pred, want_mags)
    cache = MagnitudeCache()
    for _ in range(2):  # the second evaluation reuses the first layer's features
        pred, mags = forward_with_magnitudes(model, x, cache)
        assert torch.allclose(pred, want_pred, rtol=1e-12, atol=1e-13)
        for m, w in zip(mags, want_mags):
            assert torch.allclose(m, w, rtol=1e-10, atol=1e-13)
        for g, w in zip(_grads(model, pred, mags), want_grads):
            assert torch.allclose(g, w, rtol=1e-9, atol=1e-12)
    assert len(cache._entries) == 1


def test_the_cache_follows_the_knots_and_the_data():
    model = KAN([2, 3, 1], grid=4, seed=1, dtype=F64)
    x = torch.rand(200, 2, dtype=F64) * 2 - 1
    cache = MagnitudeCache()
    forward_with_magnitudes(model, x, cache)
    model.update_grid(x * 0.5)  # new knots: the kept features are stale
    x.mul_(0.9)  # and the data changed in place
    pred, mags = forward_with_magnitudes(model, x, cache)
    want_pred, want_mags = _reference(model, x)
    assert torch.allclose(pred, want_pred, rtol=1e-12, atol=1e-13)
    assert all(torch.allclose(m, w, rtol=1e-10, atol=1e-13) for m, w in zip(mags, want_mags))

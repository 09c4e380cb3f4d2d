"""A regularised layer as one autograd node agrees with the recorded operations."""
import pytest
import torch

from kanlab.nn._network import KAN
from kanlab.train import _reg_layer
from kanlab.train._magnitudes import MagnitudeCache, forward_with_magnitudes, forward_with_penalty
from kanlab.train._reg_layer import _RegularisedLayer, reference, regularised_layer
from kanlab.train._regularization import sparsity_penalty

F64 = torch.float64
WEIGHTS = [(0.01, 1.0, 2.0, 0.0), (0.3, 0.5, 2.0 / 0.6931471805599453, 1.0)]


def _inputs(seed: int, b=40, n_in=3, n_out=4, s=6, gram=False):
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(b, n_in, s, generator=g, dtype=F64)
    w = torch.randn(n_out, n_in, s, generator=g, dtype=F64)
    w[1, n_in - 1] = 0.0  # a pruned edge: magnitude at the floor
    m = torch.einsum("bif,big->ifg", feats, feats) / b if gram else None
    return feats.requires_grad_(not gram), w.requires_grad_(), m


@pytest.mark.parametrize("gram", [False, True])
@pytest.mark.parametrize("weights", WEIGHTS)
# torch, numpy and Python-float penalties
@pytest.mark.parametrize("numpy_limit, python_limit", [(0, 0), (4096, 0), (4096, 64)])
@pytest.mark.parametrize("broadcast_limit", [0, 1 << 20])  # edge values by einsum / broadcast
def test_value_and_gradients_match_the_reference(gram, weights, numpy_limit, python_limit,
                                                 broadcast_limit, monkeypatch):
    monkeypatch.setattr(_reg_layer, "NUMPY_LIMIT", numpy_limit)
    monkeypatch.setattr(_reg_layer, "PYTHON_LIMIT", python_limit)
    monkeypatch.setattr(_reg_layer, "BROADCAST_LIMIT", broadcast_limit)
    for seed in range(3):
        feats, w, m = _inputs(seed, gram=gram)
        y, p = regularised_layer(feats, w, m, weights)
        assert "RegularisedLayer" in type(y.grad_fn).__name__
        f2, w2 = feats.detach().clone().requires_grad_(feats.requires_grad), \
            w.detach().clone().requires_grad_()
        y_ref, p_ref = reference(f2, w2, m, weights)
        torch.testing.assert_close(y, y_ref, rtol=1e-13, atol=1e-13)
        torch.testing.assert_close(p, p_ref, rtol=1e-13, atol=1e-15)
        gy = torch.randn(y.shape, dtype=F64, generator=torch.Generator().manual_seed(seed))
        ((y * gy).sum() + 1.7 * p).backward()
        ((y_ref * gy).sum() + 1.7 * p_ref).backward()
        torch.testing.assert_close(w.grad, w2.grad, rtol=1e-11, atol=1e-13)
        if not gram:
            torch.testing.assert_close(feats.grad, f2.grad, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("gram", [False, True])
def test_gradcheck_and_second_derivative(gram):
    feats, w, m = _inputs(4, b=12, n_in=2, n_out=3, s=4, gram=gram)
    w = (w.detach() + 0.05).requires_grad_()  # no edge at the floor: smooth there
    args = (w,) if gram else (feats, w)

    def node(*t):
        f, ww = (feats, t[0]) if gram else t
        return _RegularisedLayer.apply(f, ww, m, WEIGHTS[1])[:2]
    assert torch.autograd.gradcheck(node, args)
    assert torch.autograd.gradgradcheck(node, args)


@pytest.mark.parametrize("metric", ["edge_rms", "edge_rms_sum1"])
@pytest.mark.parametrize("width", [[2, 5, 1], [3, 4, 2]])
def test_the_network_penalty_matches_magnitudes_then_penalty(metric, width):
    model = KAN(width, grid=5, k=3, seed=1, dtype=F64)
    x = torch.rand(64, width[0], dtype=F64, generator=torch.Generator().manual_seed(2)) * 2 - 1
    lamb, l1, ent = 0.02, 1.0, 2.0
    params = [p for p in model.parameters() if p.requires_grad]
    pred, reg = forward_with_penalty(model, x, MagnitudeCache(), lamb, l1, ent, metric)
    grads = torch.autograd.grad(pred.square().sum() + reg, params,
                                allow_unused=True)
    pred_ref, mags = forward_with_magnitudes(model, x, None, metric)
    reg_ref = lamb * sparsity_penalty(mags, l1, ent, metric)
    grads_ref = torch.autograd.grad(pred_ref.square().sum() + reg_ref,
                                    params, allow_unused=True)
    torch.testing.assert_close(pred, pred_ref, rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(reg, reg_ref, rtol=1e-12, atol=1e-14)
    for g, g_ref in zip(grads, grads_ref):
        if g_ref is None:
            assert g is None or not g.any()
        else:
            torch.testing.assert_close(g, g_ref, rtol=1e-10, atol=1e-12)

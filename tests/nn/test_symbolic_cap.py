"""Singularity avoidance on symbolic edges (``SymbolicEdges.y_th``) keeps every gradient."""
import torch

import kanlab

F64 = torch.float64


def _grads(model, x, y_th):
    for s in model.symbolic:
        s.y_th = y_th
    model.zero_grad()
    model(x).pow(2).sum().backward()
    return [None if s.affine.grad is None else s.affine.grad.clone() for s in model.symbolic]


def test_capping_with_nothing_to_cap_keeps_the_exact_gradient():
    """An edge whose values all stay below ``y_th`` trains exactly as without the cap.  The
    cap used to return the uncapped values from inside ``torch.no_grad()``, so such edges
    (pykan's Example_9/10 ``x^2`` and ``arctanh`` edges under ``singularity_avoiding=True``)
    got no gradient at all and Adam left them where they were."""
    model = kanlab.KAN([2, 1, 1], seed=0, dtype=F64)
    model.fix_symbolic(0, 0, 0, "x^2", fit_params=False, params=(1.0, 0.1, 0.8, 0.0))
    model.fix_symbolic(0, 1, 0, "x^2", fit_params=False, params=(1.0, -0.2, 0.7, 0.0))
    model.fix_symbolic(1, 0, 0, "sqrt", fit_params=False, params=(1.0, 0.5, 1.0, 0.0))
    x = torch.rand(64, 2, dtype=F64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    exact = _grads(model, x, None)
    capped = _grads(model, x, 1000.0)
    for e, c in zip(exact, capped):
        assert c is not None and c.abs().max() > 0
        torch.testing.assert_close(c, e)


def test_capped_samples_alone_lose_their_gradient():
    """Where some samples are capped, the others keep theirs: the gradient in the argument's
    ``a, b`` equals the exact one over the uncapped samples (``c·(±y_th) + d`` still trains
    ``c`` and ``d``)."""
    model = kanlab.KAN([1, 1], seed=0, dtype=F64)
    model.fix_symbolic(0, 0, 0, "1/x", fit_params=False, params=(1.0, 0.0, 1.0, 0.0))
    x = torch.tensor([[-0.5], [1e-4], [0.25], [2.0]], dtype=F64)
    keep = torch.tensor([True, False, True, True])
    capped = _grads(model, x, 100.0)[0]
    exact = _grads(model, x[keep], None)[0]
    torch.testing.assert_close(capped[..., :2], exact[..., :2])
    assert capped[..., :2].abs().max() > 0

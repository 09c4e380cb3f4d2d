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


def test_outside_an_interval_domain_the_edge_takes_the_value_at_the_nearest_end():
    """``arcsin`` beyond 1 stands in as ``π/2`` (continuous where the function stops being
    defined, as pykan's own stand-in), not ``y_th``; ``log(0)`` is still capped.  ``sqrt`` of
    a negative argument: see the reflection test below."""
    from kanlab.nn._symbolic_edges import capped
    from kanlab.symbolic._library import LIBRARY
    u = torch.tensor([[-0.3], [0.0], [0.25], [4.0]], dtype=F64)
    arcsin, log = (LIBRARY[n] for n in ("arcsin", "log"))
    half_pi = torch.pi / 2
    torch.testing.assert_close(capped(arcsin.fn, u, 1000.0, arcsin.domain)[:, 0],
                               torch.tensor([-0.3, 0.0, 0.25, 4.0], dtype=F64).clamp(-1, 1)
                               .arcsin().where(torch.tensor([True, True, True, False]),
                                               torch.tensor(half_pi, dtype=F64)))
    torch.testing.assert_close(capped(log.fn, u, 1000.0, log.domain)[:, 0],
                               torch.tensor([-1000.0, -1000.0, 0.25, 4.0], dtype=F64).where(
                                   torch.tensor([True, True, False, False]),
                                   torch.log(u[:, 0].clamp(min=1e-300))))


def test_below_a_half_line_domain_sqrt_continues_by_reflection_with_its_gradient():
    """``sqrt`` (and ``x^1.5``) continue below 0 as ``−f(−u)``, the point reflection through
    ``(0, f(0))``: continuous, monotone, and with the gradient ``f'(−u)``, so Adam's next step
    pulls a sample pushed past the end back (pykan's own ``sqrt`` stand-in is
    ``sign(u)·sqrt(|u|)``).  The flat ``sqrt(0)`` used before had no gradient there.  At the
    open end itself (``u = 0``, ``sqrt'`` infinite) the value is ``0`` with no gradient."""
    from kanlab.nn._symbolic_edges import capped
    from kanlab.symbolic._library import LIBRARY
    u = torch.tensor([[-0.3, -2.0], [0.0, -1e-6], [0.25, 0.5], [4.0, 9.0]], dtype=F64,
                     requires_grad=True)
    sqrt, p15 = LIBRARY["sqrt"], LIBRARY["x^1.5"]
    y = capped(sqrt.fn, u, 1000.0, sqrt.domain)
    expected = torch.sign(u.detach()) * u.detach().abs().sqrt()
    torch.testing.assert_close(y, expected)
    y.sum().backward()
    grad = 0.5 / u.detach().abs().sqrt()
    grad[1, 0] = 0.0
    torch.testing.assert_close(u.grad, grad)
    v = torch.tensor([-0.5, 0.0, 0.5], dtype=F64)
    torch.testing.assert_close(capped(p15.fn, v, 1000.0, p15.domain),
                               torch.sign(v) * v.abs() ** 1.5)
    # the cap still bounds a reflected value
    w = torch.tensor([-1e8, 1.0], dtype=F64)
    torch.testing.assert_close(capped(p15.fn, w, 1000.0, p15.domain),
                               torch.tensor([-1000.0, 1.0], dtype=F64))
    model = kanlab.KAN([1, 1], seed=0, dtype=F64)
    model.fix_symbolic(0, 0, 0, "sqrt", fit_params=False, params=(1.0, 0.0, 2.0, 0.5))
    model.symbolic[0].y_th = 1000.0
    y = model.symbolic[0](u[:, :1].detach())[:, 0]
    torch.testing.assert_close(y, 2.0 * expected[:, 0] + 0.5)
    y.sum().backward()
    assert torch.isfinite(model.symbolic[0].affine.grad).all()
    assert model.symbolic[0].affine.grad[0, 0, 1] > 0  # b: the reflected sample pulls too

"""pykan's penalty terms on kanlab.pykan: the coefficient terms are pykan's, term for term.

Compared with pykan 0.2.8 itself (skipped where it is not installed) on one model:
pykan's initial parameters copied into a kanlab.pykan model of the same width.
"""
from __future__ import annotations

import pytest
import torch

from kanlab import pykan


def _twin(width, seed=1):
    """A pykan 0.2.8 model and a kanlab.pykan model with the same parameters and grids."""
    kan = pytest.importorskip("kan")
    theirs = kan.KAN(width=width, seed=seed, auto_save=False)
    ours = pykan.KAN(width=width, seed=seed, auto_save=False)
    with torch.no_grad():
        for t, o in zip(theirs.act_fun, ours.layers):
            assert o.knots.shape == t.grid.shape
            o.knots.copy_(t.grid)
            o.coef.copy_(t.coef.permute(1, 0, 2))
            o.scale_base.copy_(t.scale_base.T)
            o.scale_sp.copy_(t.scale_sp.T)
    return theirs, ours


def test_coefficient_terms_average_over_output_nodes_only():
    model = pykan.KAN(width=[3, 2, 1], seed=0, auto_save=False)
    x = torch.rand(64, 3) * 2 - 1
    model(x)
    got = model.reg(lamb_l1=0.0, lamb_entropy=0.0, lamb_coef=1.0, lamb_coefdiff=0.5)
    want = sum(l.coef.abs().sum() / l.out_features
               + 0.5 * l.coef.diff(dim=-1).abs().sum() / l.out_features for l in model.layers)
    torch.testing.assert_close(got, want)


def test_coefficient_terms_equal_pykans():
    theirs, ours = _twin([3, 4, 2])
    x = torch.rand(100, 3) * 2 - 1
    theirs(x), ours(x)
    for lamb_coef, lamb_coefdiff in ((1.0, 0.0), (0.0, 1.0), (0.7, 0.3)):
        want = theirs.reg("edge_forward_spline_n", 0.0, 0.0, lamb_coef, lamb_coefdiff)
        got = ours.reg("edge_forward_spline_n", 0.0, 0.0, lamb_coef, lamb_coefdiff)
        torch.testing.assert_close(got, want.to(got.dtype), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("width, kw", [([2, 5, 1], {}), ([3, 2, 2], {"grid": 5, "seed": 4}),
                                       ([2, [3, 2], 1], {"noise_scale": 0.1, "scale_base_mu": 0.5})])
def test_initialisation_is_pykans_for_the_seed(width, kw):
    kan = pytest.importorskip("kan")
    theirs = kan.KAN(width=width, auto_save=False, **kw)
    after_theirs = torch.rand(3)
    ours = pykan.KAN(width=width, auto_save=False, **kw)
    after_ours = torch.rand(3)
    assert torch.equal(after_theirs, after_ours)  # the global generator is left where pykan leaves it
    for t, o in zip(theirs.act_fun, ours.layers):
        torch.testing.assert_close(o.coef, t.coef.permute(1, 0, 2).to(o.coef), rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(o.scale_base, t.scale_base.T.to(o.scale_base))
        torch.testing.assert_close(o.scale_sp, t.scale_sp.T.to(o.scale_sp))
    x = torch.rand(64, theirs.width_in[0]) * 2 - 1
    torch.testing.assert_close(ours(x), theirs(x).to(ours(x).dtype), rtol=1e-4, atol=1e-6)


def test_initialisation_splines_pass_through_the_drawn_noise():
    torch.manual_seed(3)
    noise = (torch.rand(4, 2, 5) - 0.5) * 0.3 / 3
    model = pykan.KAN(width=[2, 5, 1], seed=3, auto_save=False)
    layer = model.layers[0]
    points = layer.knots[:, 3:-3]  # the 4 grid points of each input
    basis = pykan.spline.B_batch(points.T, layer.knots, 3)  # (4, in, G + k)
    values = torch.einsum("pif,oif->pio", basis, layer.coef)
    torch.testing.assert_close(values, noise, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("lamb_l1, lamb_entropy", [(1.0, 0.0), (0.0, 2.0)])
def test_edge_forward_spline_n_terms_have_pykans_value(lamb_l1, lamb_entropy):
    """kanlab's ``edge_forward_spline_n`` is pykan's penalty term for term (std of the edge's
    output over ``std(input) + 0.1``, entropies over ``sum + 1`` in bits, means over nodes),
    up to the biased std and pykan's ``log2(p + 1e-4)`` (below 1 %)."""
    from kanlab.train import FitConfig
    from kanlab.train._fit import penalties
    theirs, ours = _twin([2, 5, 1])
    x = torch.rand(500, 2) * 2 - 1
    theirs(x)
    want = float(theirs.reg("edge_forward_spline_n", lamb_l1, lamb_entropy, 0.0, 0.0))
    _, got = penalties(ours, x, FitConfig(lamb=1.0, lamb_l1=lamb_l1, lamb_entropy=lamb_entropy,
                                          reg_metric="edge_forward_spline_n"))
    assert float(got) == pytest.approx(want, rel=1e-2)


def test_pykan_spline_n_has_pykans_gradient():
    """``pykan_spline_n`` differentiates the divisor ``std(input) + 0.1`` as pykan does; the
    detached ``edge_forward_spline_n`` does not (its gradient points elsewhere)."""
    from kanlab.train import FitConfig
    from kanlab.train._fit import penalties
    theirs, ours = _twin([2, 5, 1])
    x = torch.rand(500, 2) * 2 - 1
    for layer in ours.layers:
        layer.scale_base.requires_grad_(True)  # pykan trains it
    theirs(x)
    theirs.reg("edge_forward_spline_n", 1.0, 2.0, 0.0, 0.0).backward()
    want = torch.cat([torch.cat([t.coef.grad.permute(1, 0, 2).flatten(), t.scale_base.grad.T.flatten(),
                                 t.scale_sp.grad.T.flatten()]) for t in theirs.act_fun])

    def grad(metric):
        ours.zero_grad()
        _, reg = penalties(ours, x, FitConfig(lamb=1.0, lamb_l1=1.0, lamb_entropy=2.0,
                                              reg_metric=metric))
        reg.backward()
        return torch.cat([torch.cat([o.coef.grad.flatten(), o.scale_base.grad.flatten(),
                                     o.scale_sp.grad.flatten()]) for o in ours.layers])

    live, detached = grad("pykan_spline_n"), grad("edge_forward_spline_n")
    assert float((live - want).norm() / want.norm()) < 0.02
    assert float((detached - want).norm() / want.norm()) > 0.1

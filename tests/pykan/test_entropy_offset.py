"""``reg(..., entropy_offset=...)``, an older pykan's keyword (its Physics_2B notebook passes
1e-4): each node's edge magnitudes are divided by their sum plus the offset before the
entropy is taken.  kanlab.pykan accepted the keyword and ignored it (pykan 0.2.8's fixed 1),
so a scale-free objective's penalty fell by shrinking the whole network and Physics_2B's
conserved quantity was printed as ``0.0``."""
import pytest
import torch

from kanlab.pykan import KAN, LBFGS
from kanlab.pykan.utils import batch_jacobian


def _entropy_part(model, offset, x):
    return float(model.reg(lamb_l1=0.0, lamb_entropy=1.0, entropy_offset=offset, x=x).detach())


def test_a_small_entropy_offset_makes_the_entropy_scale_free():
    """One layer scaled by 1e-3: the entropy over ``sum + 1e-9`` is unchanged, over pykan
    0.2.8's ``sum + 1`` (the default, and ``entropy_offset=1``) it falls with the scale."""
    torch.manual_seed(0)
    model = KAN(width=[3, 2], grid=5, k=3, seed=0, auto_save=False)
    x = torch.rand(64, 3) * 2 - 1
    free, fixed = _entropy_part(model, 1e-9, x), _entropy_part(model, None, x)
    assert fixed == pytest.approx(_entropy_part(model, 1.0, x), rel=1e-12)
    with torch.no_grad():
        for layer in model.layers:
            layer.coef.mul_(1e-3)
            layer.scale_base.mul_(1e-3)
    assert _entropy_part(model, 1e-9, x) == pytest.approx(free, rel=1e-4)
    assert _entropy_part(model, None, x) < 0.05 * fixed
    with pytest.raises(ValueError, match="entropy_offset"):
        model.reg(entropy_offset=-1.0, x=x)


def test_physics_2b_objective_keeps_the_networks_scale():
    """Physics_2B's own loop (normalised gradients against a flow, ``reg(entropy_offset=1e-4)``)
    no longer drives the network's output to zero: its spread stays at the 1e-2 scale."""
    torch.manual_seed(0)
    model = KAN(width=[4, [0, 2], 1], seed=12, base_fun="identity", auto_save=False)
    x = torch.rand(300, 4) * 2 - 1
    flow = torch.cat([x[:, [1]], -x[:, [0]], x[:, [3]], -x[:, [2]]], dim=1)
    flow = flow / torch.linalg.norm(flow, dim=1, keepdim=True)
    optimizer = LBFGS(model.parameters(), lr=1, history_size=10, line_search_fn="strong_wolfe",
                      tolerance_grad=1e-32, tolerance_change=1e-32, tolerance_ys=1e-32)

    def closure():
        optimizer.zero_grad()
        grad = batch_jacobian(model, x, create_graph=True)
        grad = grad / torch.linalg.norm(grad, dim=1, keepdim=True)
        cq = torch.mean(torch.sum(grad * flow, dim=1) ** 2)
        objective = cq + 1e-2 * model.reg(lamb_l1=1., entropy_offset=1e-4, lamb_coef=1.)
        objective.backward()
        return objective

    model.update_grid_from_samples(x)
    for _ in range(15):
        optimizer.step(closure)
    assert float(model(x).std()) > 1e-3

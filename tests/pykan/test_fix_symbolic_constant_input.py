"""``fix_symbolic`` on an edge whose inputs take one value (kanlab.pykan._fit_params).

pykan 0.2.8's ``fit_params`` returns ``c = 0``, ``d = mean(y)`` and R² ≈ 0 there and goes on;
kanlab's fitter raised a ValueError, which stopped Physics_4C's ``fix_symbolic(1, 2, 0, 'x')``
under ``ATEN_CPU_CAPABILITY=default`` (auto_symbolic had fixed every edge into that product
node to 0).
"""
import pytest
import torch

from kanlab.pykan import KAN, Symbolic_KANLayer
from kanlab.pykan.utils import fit_params


def _dead_node_model():
    torch.manual_seed(0)
    model = KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    x = torch.rand(200, 2) * 2 - 1
    model(x)  # pykan's cached activations: fix_symbolic fits on them
    for i in range(2):  # every edge into hidden node 1 fixed to the zero function
        model.fix_symbolic(0, i, 1, "0", fit_params_bool=False, verbose=False)
    return model, x


def test_fix_symbolic_on_a_dead_node_gives_its_constant():
    model, x = _dead_node_model()
    model(x)
    before = model(x).detach()
    r2 = model.fix_symbolic(1, 1, 0, "x", verbose=False)  # raised ValueError before
    assert float(r2) == 0.0
    a, b, c, d = (float(v) for v in model.symbolic_fun[1].affine[0, 1].detach())
    assert c == 0.0
    # the edge keeps the value its spline had at the node's one input: the output is unchanged
    assert torch.allclose(model(x).detach(), before, atol=1e-5)
    assert torch.isfinite(torch.tensor([a, b, d])).all()


def test_fit_params_on_one_valued_x_is_the_mean():
    y = torch.linspace(-1.0, 3.0, 50)
    params, r2 = fit_params(torch.zeros(50), y, lambda t: t, verbose=False)
    assert float(params[2]) == 0.0
    assert float(params[3]) == pytest.approx(1.0)
    assert float(r2) == 0.0


def test_symbolic_layer_fix_on_one_valued_x():
    layer = Symbolic_KANLayer(in_dim=1, out_dim=1)
    r2 = layer.fix_symbolic(0, 0, "sin", x=torch.full((40,), 0.3), y=torch.full((40,), 2.0),
                            verbose=False)
    assert float(r2) == 0.0
    with torch.no_grad():
        layer.mask[0, 0] = 1.0  # pykan's Symbolic_KANLayer starts with every edge masked off
    out = layer(torch.full((5, 1), 0.3))
    out = out[0] if isinstance(out, tuple) else out
    assert torch.allclose(out, torch.full_like(out, 2.0))


def test_varying_x_still_fitted():
    x = torch.linspace(-1.0, 1.0, 60)
    params, r2 = fit_params(x, 2.0 * torch.sin(x) + 0.5, torch.sin, verbose=False)
    assert float(r2) > 0.9999

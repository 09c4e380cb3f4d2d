"""pykan's default bound on ``a`` read for inputs on [-1, 1] (kanlab.symbolic.ScaledRange), and
a symbolic hidden node's scale handed from its readers' ``a`` to its writers
(kanlab.pykan._gauge)."""
import pytest
import torch

from kanlab import pykan
from kanlab.pykan._gauge import balance_symbolic_nodes
from kanlab.symbolic import ScaledRange, fit_candidate

F64 = torch.float64


def test_scaled_range_widens_on_narrow_inputs_only():
    bound = ScaledRange(-10, 10)
    assert bound == (-10, 10)  # as a tuple, the pair itself
    x = torch.linspace(-0.05, 0.02, 50, dtype=F64)
    assert bound.for_inputs(x) == pytest.approx((-200, 200))
    assert bound.for_inputs(1e-4 * x) == pytest.approx((-1000, 1000))  # capped at 100x
    assert bound.for_inputs(torch.linspace(-3, 2, 9)) == (-10, 10)  # wide inputs: as stated
    assert bound.for_inputs(torch.zeros(5)) == (-10, 10)
    assert bound.for_inputs(None) == (-10, 10)


def test_a_steep_tanh_on_a_narrow_range_fits_under_the_scaled_bound():
    """tanh(50 x) on |x| <= 0.06 (Example_10's hidden node): the fixed (-10, 10) leaves it
    nearly straight; the scaled bound fits it, as (-10, 10) fits tanh(0.83 x') on [-1, 1]."""
    x = torch.linspace(-0.06, 0.06, 301, dtype=F64)
    y = torch.tanh(50 * x)
    fixed = fit_candidate(x, y, "tanh", a_range=(-10, 10))
    scaled = fit_candidate(x, y, "tanh", a_range=ScaledRange(-10, 10))
    assert fixed.r2 < 0.99
    assert scaled.r2 > 1 - 1e-9
    assert abs(scaled.params[0]) == pytest.approx(50, rel=1e-4)


def _symbolic_chain(c_in=0.02, a_out=50.0, live_spline=False):
    """[2, 1, 1]: h = c·(x1 + x2) read by tanh(a·h)."""
    model = pykan.KAN(width=[2, 1, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fix_symbolic(0, 0, 0, "x", fit_params_bool=False, log_history=False)
    if not live_spline:
        model.fix_symbolic(0, 1, 0, "x", fit_params_bool=False, log_history=False)
    model.fix_symbolic(1, 0, 0, "tanh", fit_params_bool=False, log_history=False)
    with torch.no_grad():
        model.symbolic[0].affine[0, :, 2] = c_in
        model.symbolic[1].affine[0, 0, 0] = a_out
    return model


def _a(model):
    """``a`` of the reading edge (1, 0, 0)."""
    return float(model.symbolic[1].affine[0, 0, 0].detach())


def test_balance_moves_the_scale_to_the_writers_and_keeps_the_function():
    model = _symbolic_chain()
    x = torch.rand(200, 2) * 2 - 1
    before = model(x).detach()
    moved = balance_symbolic_nodes(model, 10.0)
    assert [(level, node) for level, node, _ in moved] == [(1, 0)]
    assert moved[0][2] == pytest.approx(5.0)
    assert _a(model) == pytest.approx(10.0)
    assert model.symbolic[0].affine[0, :, 2].tolist() == pytest.approx([0.1, 0.1])
    torch.testing.assert_close(model(x).detach(), before, rtol=1e-5, atol=1e-6)
    assert balance_symbolic_nodes(model, 10.0) == []  # at the bound: nothing more to move


def test_balance_leaves_a_node_with_a_live_spline_alone():
    model = _symbolic_chain(live_spline=True)
    assert balance_symbolic_nodes(model, 10.0) == []
    assert _a(model) == pytest.approx(50.0)


def test_a_bound_the_user_passes_is_kept():
    """Only the default bound hands a node's scale back; an explicit one leaves ``a`` as
    fitted under it."""
    from kanlab.pykan._fit_params import A_RANGE
    from kanlab.pykan._symbolic import _balance
    model = _symbolic_chain()
    _balance(model, (-10, 10))
    assert _a(model) == pytest.approx(50.0)
    _balance(model, A_RANGE)
    assert _a(model) == pytest.approx(10.0)


def test_example_10_suggests_tanh_and_starts_at_pykans_constants():
    """pykan's Example_10 (relativistic velocity addition) through cell 15, seed 0: the hidden
    node comes out of the arctanh fit narrow; under the scaled bound suggest_symbolic ranks
    tanh first (the fixed bound ranked gaussian, R² 0.96), and the fix leaves |a| = 10 with
    the node's scale in the arctanh edges' c (the function unchanged by the hand-back)."""
    model = pykan.KAN(width=[2, 1, 1], grid=10, k=3, seed=0, auto_save=False)
    f = lambda x: (x[:, [0]] + x[:, [1]]) / (1 + x[:, [0]] * x[:, [1]])
    data = pykan.create_dataset(f, n_var=2, ranges=[-0.9, 0.9])
    model.fit(data, opt="LBFGS", steps=20, log=0)
    model.fix_symbolic(0, 0, 0, "arctanh", verbose=False)
    model.fix_symbolic(0, 1, 0, "arctanh", verbose=False)
    model.fit(data, opt="LBFGS", steps=20, update_grid=False, log=0)
    model(data["train_input"])
    h = model.acts[1][:, 0]
    assert float(h.abs().max()) < 0.5  # a narrow hidden node: the case the scaling is for
    name, _, r2, _ = model.suggest_symbolic(1, 0, 0, weight_simple=0.0, verbose=False)
    assert name == "tanh" and r2 > 0.9999
    x = data["train_input"][:100]
    model.fix_symbolic(1, 0, 0, "tanh", verbose=False)
    out = model(x).detach()
    assert abs(_a(model)) == pytest.approx(10, rel=1e-6)
    assert torch.sqrt(torch.mean((out - f(x)) ** 2)) < 1e-3

"""A later pykan's calls (its Physics_4 tutorials): new inputs by ``expand_width(0, n)``,
``perturb=``, ``expr2kan(base_fun=)``, ``plot(out_vars_offset=)``, ``auto_symbolic`` on edges
that are symbolic and spline at once, formulas in variables such as ``|F|``."""
import matplotlib
import pytest
import sympy
import torch

import kanlab.pykan as pykan
from kanlab.pykan.compiler import kanpiler

matplotlib.use("Agg")
F64 = torch.float64


def _x(n, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return 2 * torch.rand(n, d, generator=g, dtype=F64) - 1


def _kan(width, **kw):
    return pykan.KAN(width=width, grid=3, k=3, seed=0, auto_save=False, dtype=F64, **kw)


def test_expand_width_at_level_zero_puts_new_inputs_first_and_keeps_the_function():
    """expand_width(0, n): n inputs before the old ones; the old columns give the old output."""
    model = _kan([3, 2, 1])
    x = _x(64, 5)
    before = model(x[:, 2:]).detach()
    model.expand_width(0, 2)
    assert model.width == [5, 2, 1]
    assert model.input_ids == [0, 1, 2, 3, 4]
    torch.testing.assert_close(model(x).detach(), before)
    x_changed = x.clone()
    x_changed[:, :2] = 0.7  # the new inputs' edges start at zero
    torch.testing.assert_close(model(x_changed).detach(), before)


def test_expand_width_at_level_zero_trains_the_new_input():
    """A target of the new input alone is learnt through its new edges."""
    model = _kan([2, 1])
    x = _x(200, 3, seed=1)
    y = x[:, [0]] ** 2
    model.expand_width(0, 1)
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    before = torch.sqrt(torch.mean((model(x) - y) ** 2)).item()
    hist = model.fit(data, steps=20, log=0, update_grid=False)
    assert hist["train_loss"][-1] < 0.2 * before


def test_expand_width_perturb_switches_the_new_edges_on():
    """perturb=True: the new edges start as a new layer's (the output moves with the input)."""
    model = _kan([2, 1])
    model.expand_width(0, 1, perturb=True)
    x = _x(64, 3, seed=2)
    x_changed = x.clone()
    x_changed[:, 0] = -x_changed[:, 0]
    delta = (model(x_changed) - model(x)).abs().max().item()
    assert delta > 1e-3
    assert torch.isfinite(model(x)).all()


def test_expand_width_rejects_multiplication_inputs_and_unknown_levels():
    """Inputs are no multiplication nodes; a level past the last hidden one is refused."""
    model = _kan([2, 2, 1])
    with pytest.raises(ValueError, match="inputs"):
        model.expand_width(0, 1, sum_bool=False)
    with pytest.raises(ValueError, match="layer_id"):
        model.expand_width(2, 1)


def test_expand_width_at_level_zero_drops_the_stale_data():
    """The last data seen had the old columns: plots and scores ask for new data."""
    model = _kan([2, 1])
    model(_x(16, 2))
    model.expand_width(0, 1)
    assert model.reference_input is None
    model.get_act(_x(16, 3))
    assert model.reference_input.shape == (16, 3)


def test_kanpiler_takes_the_splines_base_function():
    """expr2kan(base_fun=...) sets the base of the splines a perturb switches on."""
    x1, x2 = sympy.symbols("x1 x2")
    model = kanpiler([x1, x2], 0.5 * (x1 + x2), base_fun="identity")
    assert all(layer.base_fun_name == "identity" for layer in model.layers)
    x = _x(32, 2, seed=3).to(torch.get_default_dtype())
    torch.testing.assert_close(model(x).detach(), 0.5 * (x[:, [0]] + x[:, [1]]),
                               atol=1e-6, rtol=1e-6)


def test_plot_accepts_out_vars_offset():
    """plot(out_vars_offset=...) draws (kanlab places the names itself)."""
    model = _kan([2, 1])
    model.get_act(_x(16, 2))
    model.plot(out_vars=["$P$"], out_vars_offset=0.08)


def test_auto_symbolic_fixes_an_edge_that_is_symbolic_and_spline_by_its_whole_function():
    """An edge carrying sin(x) and a zero spline becomes sin, not 0, and keeps its function."""
    model = _kan([1, 1])
    model.fix_symbolic(0, 0, 0, "sin", fit_params_bool=False, verbose=False)
    with torch.no_grad():  # the spline switched on at zero, as perturb leaves a compiled edge
        model.layers[0].mask.fill_(1.0)
        model.layers[0].coef.zero_()
        model.layers[0].scale_base.zero_()
    x = _x(200, 1, seed=4)
    before = model(x).detach()
    model.auto_symbolic(verbose=0)
    assert model.layers[0].mask[0, 0] == 0
    assert model.symbolic[0].names[0][0] == "sin"
    torch.testing.assert_close(model(x).detach(), before, atol=1e-4, rtol=1e-4)


def test_symbolic_formula_takes_variables_that_are_not_identifiers():
    """var=[Symbol('|F|'), ...] (pykan's Physics_4A) comes back in the formula."""
    model = _kan([2, 1])
    model.fix_symbolic(0, 0, 0, "x", fit_params_bool=False, verbose=False)
    model.fix_symbolic(0, 1, 0, "log", fit_params_bool=False, verbose=False)
    d, f = sympy.Symbol("|F|"), sympy.Symbol("F11")
    expr = model.symbolic_formula(var=[f, d])[0][0]
    assert expr.free_symbols == {d, f}
    assert sympy.simplify(expr - (f + sympy.log(d))) == 0

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
    assert model.width == [[5, 0], [2, 0], [1, 0]]  # pykan's [n_add, n_mult] pairs
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
    model = kanpiler([x1, x2], 0.5 * (x1 + x2), base_fun="identity", auto_save=False)
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


def test_rewind_continues_the_rewound_version_in_a_new_round(tmp_path):
    """rewind('0.1') carries on as 1.1, and the next change is saved as 1.2 (pykan's names)."""
    x = _x(40, 2, seed=5)
    data = {"train_input": x, "train_label": x[:, [0]] * x[:, [1]], "test_input": x,
            "test_label": x[:, [0]] * x[:, [1]]}
    model = pykan.KAN(width=[2, 2, 1], grid=3, seed=0, ckpt_path=str(tmp_path / "m"))
    model.fit(data, steps=2, log=0)
    model = model.prune()
    assert (tmp_path / "m" / "0.2.pt").exists()
    model = model.rewind("0.1")
    assert (model.round, model.state_id) == (1, 1)
    model.fit(data, steps=1, log=0)
    assert (tmp_path / "m" / "1.2.pt").exists()


def test_compiling_and_reshaping_each_save_a_version(tmp_path, monkeypatch):
    """kanpiler saves 0.1 (the later pykan's Physics_4 notebooks rewind to the versions it
    numbers); expand_depth, expand_width and perturb each save the next one."""
    monkeypatch.chdir(tmp_path)  # pykan's default checkpoint folder is ./model
    x1, x2 = sympy.symbols("x1 x2")
    model = kanpiler([x1, x2], x1 + x2)
    assert model.state_id == 1 and (tmp_path / "model" / "0.1.pt").exists()
    model.expand_depth()
    model.expand_width(1, 2)
    model.perturb(mode="all")
    assert model.state_id == 4
    assert all((tmp_path / "model" / f"0.{v}.pt").exists() for v in (2, 3, 4))
    quiet = kanpiler([x1, x2], x1 + x2, auto_save=False)
    quiet.expand_depth()
    assert quiet.state_id == 0


def test_sparse_init_starts_sparse_but_keeps_every_edge_trainable():
    """sparse_init: splines off pykan's nearest-neighbour pattern start at weight 0, masks on,
    and their weights get gradients (pykan <= 0.2.4; 0.2.5-0.2.8 mask them for good)."""
    from kanlab.pykan._views import sparse_mask
    dense = _kan([9, 6, 1])
    model = _kan([9, 6, 1], sparse_init=True)
    x = _x(50, 9, seed=6)
    model(x).pow(2).sum().backward()
    off = sparse_mask(9, 6) == 0
    assert bool(off.any())
    for layer, ref in zip(model.layers[:1], dense.layers):
        assert bool((layer.mask == 1).all())
        assert bool((layer.scale_sp[off] == 0).all())
        torch.testing.assert_close(layer.scale_sp[~off], ref.scale_sp[~off])
        torch.testing.assert_close(layer.coef, ref.coef)  # pykan's draws, unchanged
        assert bool((layer.scale_sp.grad[off] != 0).any())

"""Patterns from the sixth round of public pykan code (``benchmarks/pykan_user_cases/round6_edges.py``, ``round6_tools.py``):
``prune_node(active_neurons_id=...)`` without ``mode``, edges fixed to Python functions read
back in ``symbolic_formula``, ``input_id`` copied into a clone, ``set_mode`` on an edge never
fixed, and ``rewind`` moving the model it is called on to the new round."""
import pytest
import torch
from _data import sin_square_dataset

from kanlab import pykan


def _fitted(width=(2, 4, 1), steps=3, **kw):
    model = pykan.KAN(width=list(width), grid=5, k=3, seed=0, auto_save=False, **kw)
    model.fit(sin_square_dataset(), opt="LBFGS", steps=steps, update_grid=False)
    return model


def test_prune_node_with_ids_keeps_those_nodes():
    """Given ``active_neurons_id``, pykan prunes by hand whatever ``mode`` says (was: ignored
    unless ``mode='manual'``, so every node scoring above the threshold stayed)."""
    model = _fitted()
    small = model.prune_node(active_neurons_id=[[0, 2]], log_history=False)
    assert [w[0] for w in small.width] == [2, 2, 1]
    x = torch.rand(40, 2) * 2 - 1
    with torch.no_grad():
        model.act_fun[1].mask.data[[1, 3]] = 0.0  # the same network: nodes 1 and 3 cut off
        gap = small(x) - model(x)
    # up to the dropped nodes' mean output, which kanlab's pruning keeps as an offset
    assert float(gap.std()) < 1e-5


def test_callable_edges_read_back_as_their_formula():
    """``fix_symbolic(l, i, j, fun_name=callable)``: pykan calls the function on the sympy
    variable (was an opaque ``f1(x_1)`` that ``symbolic_formula`` refused); the edge is named
    ``'anonymous'`` as pykan's."""
    model = pykan.KAN(width=[2, 1, 1], grid=3, k=3, seed=0, auto_save=False)
    for layer in range(2):
        model.act_fun[layer].mask.data = torch.zeros_like(model.act_fun[layer].mask)

    def f1(x):
        return 0.75 * x

    model.fix_symbolic(0, 0, 0, fun_name=f1, fit_params_bool=False, verbose=False)
    model.fix_symbolic(0, 1, 0, fun_name=lambda x: -0.375 * x, fit_params_bool=False, verbose=False)
    model.fix_symbolic(1, 0, 0, fun_name=lambda x: (x - 0.1) ** 2 / 0.5, fit_params_bool=False,
                       verbose=False)
    formula = pykan.ex_round(model.symbolic_formula()[0][0], 3)
    assert str(formula) == "2.0*(0.75*x_1 - 0.375*x_2 - 0.1)**2"
    assert model.symbolic_fun[0].funs_name == [["anonymous", "anonymous"]]
    x = torch.rand(30, 2) * 2 - 1
    with torch.no_grad():
        expected = (0.75 * x[:, [0]] - 0.375 * x[:, [1]] - 0.1) ** 2 / 0.5
        assert torch.allclose(model(x), expected, atol=1e-6)


def test_torch_only_callable_stays_a_named_function():
    """A function sympy cannot run keeps an opaque name in the formula."""
    model = pykan.KAN(width=[1, 1], grid=3, k=3, seed=0, auto_save=False)
    model.fix_symbolic(0, 0, 0, fun_name=lambda x: torch.clamp(x, max=1.0), fit_params_bool=False,
                       verbose=False)
    assert "anonymous" in str(model.symbolic_formula()[0][0])


def test_input_id_assigned_like_pykans_attribute():
    """A hand-written clone copies ``input_id`` over (was: a property without a setter)."""
    src = pykan.KAN(width=[3, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    clone = pykan.KAN(width=[3, 2, 1], grid=5, k=3, seed=1, auto_save=False)
    clone.input_id = torch.tensor([2, 0, 1])
    assert clone.input_id.tolist() == [2, 0, 1]
    clone.input_id = src.input_id.clone()
    assert clone.input_id.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="distinct"):
        clone.input_id = torch.tensor([0, 0, 1])


def test_set_mode_symbolic_on_an_edge_never_fixed_adds_nothing():
    """``set_mode(l, i, j, 's')`` on an edge never fixed switches its spline off and its
    (pykan: zero) symbolic function on, as pykan's (was a ValueError)."""
    model = _fitted(width=(2, 2, 1))
    x = torch.rand(30, 2) * 2 - 1
    with torch.no_grad():
        model.act_fun[0].mask.data[1, 1] = 0.0
        expected = model(x)
        model.act_fun[0].mask.data[1, 1] = 1.0
    model.set_mode(0, 1, 1, "s")
    assert float(model.act_fun[0].mask[1, 1]) == 0.0
    assert float(model.symbolic_fun[0].mask[1, 1]) == 1.0
    assert model.symbolic_fun[0].funs_name[1][1] == "0"
    with torch.no_grad():
        assert torch.allclose(model(x), expected, atol=1e-6)


def test_rewind_moves_the_model_to_the_new_round(tmp_path):
    """pykan's ``rewind`` renames the model it is called on too (round + 1, the version
    rewound to); ``checkout`` leaves it as it is."""
    model = pykan.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, ckpt_path=str(tmp_path))
    model.fit(sin_square_dataset(), opt="LBFGS", steps=2)
    assert (model.round, model.state_id) == (0, 1)
    old = model.checkout("0.0")
    assert (model.round, model.state_id) == (0, 1)
    assert old.round == 1
    back = model.rewind("0.0")
    assert (model.round, model.state_id) == (1, 0)
    assert (back.round, back.state_id) == (1, 0)


def test_symbolic_lists_copied_entry_by_entry_into_a_clone():
    """A clone written by hand copies ``funs``/``funs_sympy``/``funs_avoid_singularity``/
    ``funs_name`` entry by entry (was: no ``funs`` on ``symbolic_fun[l]``); an entry assigned
    a user's function computes it, under the edge's name until renamed; the masks stay."""
    src = pykan.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    src.fix_symbolic(0, 0, 0, "sin", fit_params_bool=False, verbose=False)
    src.fix_symbolic(0, 1, 1, "x^2", fit_params_bool=False, verbose=False)
    clone = pykan.KAN(width=[2, 2, 1], grid=3, k=3, seed=1, auto_save=False)
    clone.load_state_dict(src.state_dict())
    for l in range(2):
        s, c = src.symbolic_fun[l], clone.symbolic_fun[l]
        for j in range(s.out_dim):
            for i in range(s.in_dim):
                for kind in ("funs", "funs_sympy", "funs_avoid_singularity", "funs_name"):
                    getattr(c, kind)[j][i] = getattr(s, kind)[j][i]
    assert clone.symbolic_fun[0].funs_name == [["sin", "0"], ["0", "x^2"]]
    assert torch.equal(clone.symbolic_fun[0].mask, src.symbolic_fun[0].mask)
    x = torch.rand(20, 2) * 2 - 1
    with torch.no_grad():
        assert torch.equal(clone(x), src(x))
    clone.symbolic_fun[0].funs[1][1] = lambda u: 0.5 * u ** 2
    clone.symbolic_fun[0].funs_name[1][1] = "half_square"
    assert clone.symbolic_fun[0].funs_name[1][1] == "half_square"
    assert torch.equal(clone.symbolic_fun[0].mask, src.symbolic_fun[0].mask)
    with torch.no_grad():
        src.act_fun[0].mask.data[1, 1] = 0.0  # compare the symbolic edge alone
        clone.act_fun[0].mask.data[1, 1] = 0.0
        gap = clone(x) - src(x)
    assert float(gap.abs().max()) > 1e-3  # the new function computes

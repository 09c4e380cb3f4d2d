"""Multiplication nodes (pykan's KAN 2.0 width notation): forward, formula, prune, checkpoint."""
from __future__ import annotations

import pytest
import sympy
import torch

import kanlab
from kanlab import KAN
from kanlab.symbolic import round_formula

F64 = torch.float64


def _x(n=200, d=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g, dtype=F64) * 2 - 1


def test_width_notation_and_layer_sizes():
    """[2, [1, 2], 1]: 3 nodes in the hidden level, fed by 1 + 2·2 = 5 layer outputs."""
    model = KAN([2, [1, 2], 1], mult_arity=2, dtype=F64)
    assert model.width == [2, 3, 1] and model.width_spec == [2, [1, 2], 1]
    assert [(l.in_features, l.out_features) for l in model.layers] == [(2, 5), (3, 1)]
    assert model.subnode_to_node(1) == [0, 1, 1, 2, 2]
    assert KAN([3, [0, 1]], mult_arity=3).layers[0].out_features == 3


@pytest.mark.parametrize("width, arity", [([[1, 1], 1], 2), ([2, [0, 0]], 2), ([2, [-1, 1]], 2),
                                          ([2, [1, 1, 1]], 2), ([2, 1], 1)])
def test_bad_width_or_arity(width, arity):
    with pytest.raises(ValueError):
        KAN(width, mult_arity=arity)


def test_forward_multiplies_the_factors():
    """A multiplication node outputs the product of its subnodes."""
    model = KAN([2, [0, 1]], dtype=F64)
    x = _x()
    sub = model.layers[0](x)  # (B, 2): the two factors
    torch.testing.assert_close(model(x), sub[:, :1] * sub[:, 1:], rtol=0, atol=0)


def test_formula_of_a_product_is_exact():
    """Edges fixed to x on the two factors give the formula x·y."""
    model = KAN([2, [0, 1]], dtype=F64)
    model.reference_input = _x()
    for i in range(2):  # input i feeds factor i; the cross edges are removed
        model.fix_symbolic(0, i, i, "x", fit_params=False, params=(1.0, 0.0, 1.0, 0.0))
        model.remove_edge(0, i, 1 - i)
    x, y = sympy.symbols("x y")
    assert round_formula(model.symbolic_formula([x, y])[0]) == x * y


def test_attribution_prune_and_checkpoint_with_mult_nodes(tmp_path):
    """Scores have one entry per node; prune keeps the product; a checkpoint restores it."""
    model = KAN([2, [2, 1], 1], dtype=F64, seed=1)
    x = _x()
    scores = model.attribute(x)
    assert [tuple(s.shape) for s in scores.node_scores] == [(2,), (3,), (1,)]
    model.remove_node(1, 0)
    small = model.prune(node_th=1e-8, edge_th=0.0, x=x)
    assert small.width_spec == [2, [1, 1], 1]
    torch.testing.assert_close(small(x), model(x), rtol=0, atol=1e-13)
    small.save(tmp_path / "m.safetensors")
    loaded = kanlab.load(tmp_path / "m.safetensors")
    assert loaded.width_spec == [2, [1, 1], 1] and torch.equal(loaded(x), small(x))


def test_diagram_marks_mult_nodes():
    pytest.importorskip("matplotlib")
    from kanlab.plotting import plot_network
    model = KAN([2, [1, 1], 1], dtype=F64)
    fig = plot_network(model, _x())
    labels = [t.get_label() for t in fig.axes[0].texts]
    assert "mult 1 1" in labels


@pytest.mark.slow
@pytest.mark.parametrize("function, width", [("x*y", [2, [0, 1]]),
                                             ("x*y + sin(z)", [3, [1, 1], 1])])
def test_kanlab_train_recovers_products_exactly(tmp_path, function, width):
    """`kanlab train` with multiplication nodes prints the exact formula (sympy difference 0)."""
    from kanlab.cli._train_job import TrainConfig, resolve_function, run
    metrics = run(TrainConfig(function=function, width=width, grids=[5, 10], steps=20,
                              out=str(tmp_path), progress=False), log=lambda line: None)
    _, names, truth = resolve_function(function)
    formula = sympy.sympify(metrics["formula"], locals={n: sympy.Symbol(n) for n in names})
    assert sympy.simplify(formula - truth) == 0
    assert metrics["formula_test_rmse"] <= 1e-8


def test_per_node_arities_forward_prune_checkpoint(tmp_path):
    """pykan's mult_arity=[[], [2, 3], []]: node 3 multiplies 2 subnodes, node 4 three."""
    model = KAN([2, [3, 2], 1], mult_arity=[[], [2, 3], []], dtype=F64, seed=0)
    assert model.layers[0].out_features == 3 + 2 + 3 and model.width == [2, 5, 1]
    assert model.subnode_to_node(1) == [0, 1, 2, 3, 3, 4, 4, 4]
    assert model.mult_arity == [[], [2, 3], []]
    x = _x()
    sub = model.layer_output(0, x)
    expected = torch.cat([sub[:, :3], sub[:, 3:5].prod(1, keepdim=True),
                          sub[:, 5:8].prod(1, keepdim=True)], 1)
    torch.testing.assert_close(model.multiply(1, sub), expected, rtol=0, atol=0)
    model.remove_node(1, 3)  # the arity-2 node goes; the arity-3 one stays
    small = model.prune(node_th=1e-8, edge_th=0.0, x=x)
    assert small.width_spec == [2, [3, 1], 1] and small.mult_arity == 3
    torch.testing.assert_close(small(x), model(x), rtol=0, atol=1e-13)
    model.save(tmp_path / "m.safetensors")
    loaded = kanlab.load(tmp_path / "m.safetensors")
    assert loaded.mult_arity == [[], [2, 3], []] and torch.equal(loaded(x), model(x))
    for bad in ([[], [2], []], [[], [2, 1], []], [[2, 3], []]):
        with pytest.raises(ValueError, match="mult_arity"):
            KAN([2, [3, 2], 1], mult_arity=bad)

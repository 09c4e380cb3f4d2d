"""pykan's formula-tree helpers: hypothesis.get_tree_node, plot_tree's labels, MLP.tree and
compiler.next_nontrivial_operation (pykan 0.2.8 as the oracle where it is installed)."""
import pytest
import sympy
import torch

from kanlab.pykan.hypothesis import get_molecule, get_tree_node

F64 = torch.float64


def _x(n, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (1.6 * torch.rand(n, d, generator=g, dtype=F64) - 0.8)


LAWS = {
    "mul": lambda z: (z[:, [0]] ** 2 + z[:, [1]] ** 2) * torch.exp(z[:, [2]]),
    "add": lambda z: torch.sin(z[:, [0]] * z[:, [1]]) + torch.exp(z[:, [2]]),
    "gs": lambda z: torch.sin(torch.exp(z[:, [0]]) + z[:, [1]] ** 2 + torch.cos(z[:, [2]])),
    "nested": lambda z: ((z[:, [0]] ** 2 + z[:, [1]] ** 2) ** 2
                         + (z[:, [2]] ** 2 + z[:, [3]] ** 2) ** 2) ** 2,
}


@pytest.mark.parametrize("name, top", [("mul", "Mul"), ("add", "Add"), ("gs", "GS")])
def test_get_tree_node_names_what_joins_the_groups(name, top):
    x = _x(100, 3)
    levels = get_molecule(LAWS[name], x, verbose=False)
    assert levels[1] == [[0, 1], [2]]  # x0 and x1 enter through one combination
    arities, properties = get_tree_node(LAWS[name], x, levels, sep_th=1e-2, skip_test=False)
    assert arities == [[2, 1], [2]]
    assert properties == [["GS", "Id"], [top]]
    # without the tests every group of two or more parts is unnamed
    assert get_tree_node(LAWS[name], x, levels)[1] == [["", "Id"], [""]]


@pytest.mark.parametrize("name", sorted(LAWS))
@pytest.mark.parametrize("sep_th", [1e-2, 1e-1])
def test_get_tree_node_matches_pykan(name, sep_th):
    hyp = pytest.importorskip("kan.hypothesis")
    x = _x(100, 4 if name == "nested" else 3, seed=1)
    levels = get_molecule(LAWS[name], x, verbose=False)
    assert get_tree_node(LAWS[name], x, levels, sep_th=sep_th, skip_test=False) \
        == hyp.get_tree_node(LAWS[name], x, levels, sep_th=sep_th, skip_test=False)


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_plot_tree_labels_sums_and_products():
    plt = pytest.importorskip("matplotlib.pyplot")
    from kanlab.pykan.hypothesis import plot_tree
    x = _x(100, 3)
    plot_tree(LAWS["mul"], x, sep_th=1e-2)
    assert "\u00d7" in _texts(plt.gcf()) and "+" not in _texts(plt.gcf())
    plot_tree(LAWS["add"], x, sep_th=1e-2)
    assert "+" in _texts(plt.gcf())
    plot_tree(LAWS["add"], x, sep_th=1e-2, skip_sep_test=True)
    assert "+" not in _texts(plt.gcf())
    plot_tree(LAWS["mul"], x, style="box", sep_th=1e-2)
    assert {"GS", "Mul"} <= set(_texts(plt.gcf()))
    plt.close("all")


def test_mlp_tree_draws_the_network_tree():
    plt = pytest.importorskip("matplotlib.pyplot")
    from kanlab.pykan.MLP import MLP
    model = MLP(width=[3, 4, 1], seed=0)
    with pytest.raises(ValueError, match="needs inputs"):
        model.tree()
    model(_x(50, 3).float())
    assert model.tree(sep_th=1e-2) is None  # on the last input, as pykan's KAN.tree
    assert [f"$x_{{{i}}}$" for i in (1, 2, 3)] == [t for t in _texts(plt.gcf()) if "x_" in t]
    plt.close("all")


def test_next_nontrivial_operation_peels_numbers_off():
    from kanlab.pykan.compiler import next_nontrivial_operation
    a, b = sympy.symbols("a b")
    expr = 3.5 * sympy.exp(sympy.sin(sympy.pi * a) + b ** 2) - 2.25
    inner, scale, bias = next_nontrivial_operation(expr)
    assert inner == sympy.exp(sympy.sin(sympy.pi * a) + b ** 2)
    assert (scale, bias) == (3.5, -2.25)
    # an unevaluated product of a number and a sum: still scale * inner + bias == expr
    nested = sympy.Mul(3, sympy.Add(sympy.sin(a), 2, evaluate=False), evaluate=False)
    inner, scale, bias = next_nontrivial_operation(nested)
    assert inner == sympy.sin(a) and sympy.simplify(scale * inner + bias - nested) == 0
    assert next_nontrivial_operation(a * b) == (a * b, 1, 0)


def test_next_nontrivial_operation_matches_pykan():
    comp = pytest.importorskip("kan.compiler")
    from kanlab.pykan.compiler import next_nontrivial_operation
    a, b = sympy.symbols("a b")
    for expr in [sympy.exp(a), 2 * a, a + 1, 5 + 3 * sympy.sin(a), sympy.pi * a,
                 -sympy.sin(a), 2 * a * b + 3, sympy.Integer(3),
                 3.14534242 * sympy.exp(sympy.sin(sympy.pi * a) + b ** 2) - 2.32345402]:
        assert next_nontrivial_operation(expr) == comp.next_nontrivial_operation(expr)

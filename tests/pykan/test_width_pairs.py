"""``model.width`` of kanlab.pykan's KAN is pykan's ``[n_add, n_mult]`` per level (issue 19)."""
import pytest
import torch

import kanlab
from kanlab import pykan

WIDTHS = [[2, 5, 1], [2, [3, 2], 1], [3, [0, 2], [1, 1]]]


def _kan(width, **kw):
    return pykan.KAN(width=width, grid=3, k=3, seed=0, auto_save=False, **kw)


def _x(n=32, d=2, seed=0):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("width", WIDTHS)
def test_width_width_in_and_width_out_are_pykans(width):
    """width, width_in and width_out equal pykan 0.2.8's for the same constructor width."""
    theirs = pytest.importorskip("kan").KAN(width=[list(w) if isinstance(w, list) else w
                                                  for w in width], grid=3, k=3, seed=0,
                                           auto_save=False)
    ours = _kan(width)
    assert ours.width == theirs.width
    assert ours.width_in == theirs.width_in
    assert ours.width_out == theirs.width_out


def test_width_pairs_without_pykan():
    ours = _kan([2, [3, 2], 1])
    assert ours.width == [[2, 0], [3, 2], [1, 0]]
    assert ours.width[1][0] == 3 and len(ours.width) == 3
    assert ours.width_in == [2, 5, 1] and ours.width_out == [2, 7, 1]


def test_rebuilding_from_model_width_loads_the_state_dict():
    """KAN(width=model.width) then load_state_dict(model.state_dict()): the same function
    (pykan users save configs as model.width; a [2, 5, 1] rebuild lost the product nodes)."""
    model = _kan([2, [3, 2], 1])
    again = pykan.KAN(width=model.width, grid=3, k=3, seed=1, auto_save=False)
    again.load_state_dict(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(again(_x()), model(_x()))


def test_width_follows_prune_node_and_prune_input():
    """After pruning, width lists the kept addition and multiplication nodes, as pykan's."""
    model = _kan([2, [3, 2], 1])
    model(_x())
    kept = model.prune_node(mode="manual", active_neurons_id=[[0, 2, 3, 4]])
    assert kept.width == [[2, 0], [2, 2], [1, 0]]
    assert kept.width_in == [2, 4, 1]
    only_x0 = model.prune_input(active_inputs=[1])
    assert only_x0.width == [[1, 0], [3, 2], [1, 0]]


def test_width_follows_expand_width():
    model = _kan([2, 3, 1])
    model.expand_width(1, 2, sum_bool=False)
    assert model.width == [[2, 0], [3, 2], [1, 0]]


def test_assigning_width_accepts_the_models_own_and_refuses_another():
    """pykan's methods assign width after changing the layers; here the layers define it."""
    model = _kan([2, [3, 2], 1])
    model.width = [[2, 0], [3, 2], [1, 0]]
    model.width = [2, [3, 2], 1]  # the same width in the constructor's notation
    with pytest.raises(ValueError, match=r"width follows the model's layers.*expand_width"):
        model.width = [2, 5, 1]
    assert model.width == [[2, 0], [3, 2], [1, 0]]


def test_native_kan_width_stays_nodes_per_level():
    """kanlab.KAN's width is its node count; n_nodes is the same list on both classes."""
    native = kanlab.KAN([2, [3, 2], 1], grid=3, k=3)
    assert native.width == native.n_nodes == [2, 5, 1]
    assert _kan([2, [3, 2], 1]).n_nodes == [2, 5, 1]


def test_mult_model_fits_plots_and_formulas_with_pair_width():
    """The engine paths that read the node counts (fit's dataset check, attribution, plot,
    symbolic_formula) run on a model whose width is pairs."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    model = _kan([2, [0, 1], 1])
    x = _x(64)
    y = (x[:, :1] * x[:, 1:])
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    model.fit(data, steps=2, log=0, update_grid=False)
    model.attribute(plot=False)
    model.plot()
    plt.close("all")
    model.auto_symbolic(verbose=0)
    formula = model.symbolic_formula()[0][0]
    assert formula.free_symbols

"""Patterns from the second round of public pykan code (``benchmarks/pykan_user_cases``:
``analysis``, ``formulas``, ``workflows``) that kanlab.pykan got wrong."""
import torch

from kanlab import pykan


def _model():
    torch.manual_seed(0)
    x = torch.rand(300, 3) * 2 - 1
    y = x[:, [0]] ** 2 + 0.3 * x[:, [1]]
    ds = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    model = pykan.KAN(width=[3, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=5, log=0)
    model(x)
    return model


def test_attribute_weights_a_node_by_its_own_score():
    # pykan's attribute(l, i) starts from node i's score (Interp_4: "the 3rd neuron ... the y
    # axis scale is really small"): a node cut from the output scores zero on every input
    model = _model()
    model.remove_edge(1, 2, 0)
    model.attribute()
    assert float(model.node_scores[1][2]) == 0.0
    assert float(model.attribute(1, 2, plot=False).abs().max()) == 0.0
    assert float(model.attribute(1, 0, plot=False).abs().max()) > 0.0
    # the output node's input scores are the feature scores
    torch.testing.assert_close(model.attribute(2, 0, plot=False), model.feature_score)


def test_attribute_of_a_level_and_node_attribute_scores():
    model = _model()
    rows = model.attribute(1)
    assert rows.shape == (3, 3)
    for i in range(3):
        torch.testing.assert_close(rows[i], model.attribute(1, i, plot=False))
    model.node_attribute()
    assert [tuple(s.shape) for s in model.node_attribute_scores] == [(3, 3), (1, 3)]

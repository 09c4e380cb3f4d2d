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


def test_attribute_names_a_missing_node():
    model = _model()
    for l, i in ((3, 0), (1, 3)):
        try:
            model.attribute(l, i, plot=False)
        except ValueError as e:
            assert "does not exist" in str(e)
        else:
            raise AssertionError(f"attribute({l}, {i}) should raise")


def test_attribute_rows_match_pykan_at_initialisation():
    # at the same seed kanlab.pykan starts from pykan's splines: every node's input scores
    # (a multiplication node's too) agree with pykan 0.2.8's to its float32 sums
    import os
    import tempfile

    import pytest
    kan = pytest.importorskip("kan")
    x = torch.rand(200, 3, generator=torch.Generator().manual_seed(0)) * 2 - 1
    for width in ([3, 3, 1], [3, [1, 1], 1]):
        ours = pykan.KAN(width=width, mult_arity=3, seed=0, auto_save=False)
        cwd = os.getcwd()
        os.chdir(tempfile.mkdtemp())  # pykan writes ./model
        try:
            theirs = kan.KAN(width=width, mult_arity=3, seed=0, auto_save=False)
        finally:
            os.chdir(cwd)
        ours(x)
        theirs(x)
        for l in (1, 2):
            torch.testing.assert_close(ours.attribute(l), theirs.attribute(l).detach(), rtol=2e-2,
                                       atol=1e-4)

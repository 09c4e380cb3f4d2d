"""Tests for kanlab.nn._pruning: attribution scores, remove_edge/node, prune, prune_input."""
from __future__ import annotations

import pytest
import torch

import kanlab
from kanlab import KAN
from kanlab.nn import attribute, edge_moments

F64 = torch.float64


def _x(n=300, d=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g, dtype=F64) * 2 - 1


def _model(width=(2, 5, 1), seed=0):
    return KAN(list(width), grid=5, k=3, seed=seed, dtype=F64)


def test_edge_moments_match_direct_evaluation():
    """Mean and std from the feature covariance equal those of the explicit edge values."""
    model = _model()
    x = _x()
    layer, sym = model.layers[0], model.symbolic[0]
    mean, std = edge_moments(layer, sym, x)
    values = layer.edge_values(x)  # (B, out, in)
    torch.testing.assert_close(mean, values.mean(0), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(std, values.std(0, unbiased=False), rtol=1e-10, atol=1e-12)


def test_attribution_shapes_and_output_scores():
    """One score per edge and node; outputs score 1, inputs get positive scores."""
    model = _model((3, 4, 2))
    scores = attribute(model, _x(d=3))
    assert [tuple(s.shape) for s in scores.edge_scores] == [(4, 3), (2, 4)]
    assert [tuple(s.shape) for s in scores.node_scores] == [(3,), (4,), (2,)]
    torch.testing.assert_close(scores.node_scores[-1], torch.full((2,), 0.5, dtype=F64))
    assert (scores.feature_score > 0).all() and torch.isfinite(scores.feature_score).all()


def test_removed_input_scores_zero():
    """An input whose edges are all removed has feature score 0; the others do not."""
    model = _model()
    model.remove_node(0, 1)
    score = attribute(model, _x()).feature_score
    assert score[1] == 0 and score[0] > 0


def test_feature_score_uses_reference_input():
    """feature_score needs data; after fit it uses the training inputs."""
    model = _model()
    with pytest.raises(ValueError, match="reference_input"):
        model.feature_score
    model.reference_input = _x()
    assert model.feature_score.shape == (2,)


def test_prune_drops_removed_nodes_and_keeps_function():
    """Nodes whose edges were removed are dropped; the smaller model computes the same."""
    model = _model()
    for i in (1, 2, 4):
        model.remove_node(1, i)
    x = _x()
    small = model.prune(node_th=1e-6, edge_th=0.0, x=x)
    assert small.width == [2, 2, 1] and model.width == [2, 5, 1]
    assert small.layers[0].coef.shape == (2, 2, 8) and small.layers[1].knots.shape == (2, 12)
    torch.testing.assert_close(small(x), model(x), rtol=0, atol=1e-13)


def test_prune_folds_the_mean_of_constant_nodes():
    """A hidden node that is constant on the data is pruned without changing the output."""
    model = _model()
    with torch.no_grad():  # hidden node 3: constant 0.7 (no base part, constant spline)
        model.layers[0].scale_base[3] = 0.0
        model.layers[0].coef[3] = 0.7
    x = _x()
    small = model.prune(node_th=1e-8, edge_th=1e-8, x=x)
    assert small.width == [2, 4, 1]
    torch.testing.assert_close(small(x), model(x), rtol=0, atol=1e-12)


def test_prune_keeps_one_node_and_stays_finite():
    """Thresholds above every score leave one node per hidden layer and no NaN."""
    model = _model((2, 4, 3, 1))
    x = _x()
    small = model.prune(node_th=1e9, edge_th=1e9, x=x)
    assert small.width == [2, 1, 1, 1]
    assert torch.isfinite(small(x)).all()


def test_prune_rejects_bad_arguments():
    model = _model()
    with pytest.raises(ValueError, match="node_th"):
        model.prune(node_th=-1.0, x=_x())
    with pytest.raises(ValueError, match="pass x"):
        model.prune()
    with pytest.raises(ValueError, match="shape"):
        model.prune(x=torch.zeros(5))
    with pytest.raises(ValueError, match="edges"):
        model.remove_edge(0, 2, 0)
    with pytest.raises(ValueError, match="does not exist"):
        model.remove_node(3, 0)


def test_prune_input_and_input_ids():
    """prune_input drops an unused input; input_ids name the kept columns; a checkpoint keeps them."""
    model = _model((3, 4, 1))
    model.remove_node(0, 1)
    x = _x(d=3)
    small = model.prune_input(threshold=1e-8, x=x)
    assert small.width == [2, 4, 1] and small.input_ids == [0, 2]
    torch.testing.assert_close(small(x[:, small.input_ids]), model(x), rtol=0, atol=1e-13)
    again = small.prune_input(active_inputs=[1], x=x[:, small.input_ids])
    assert again.input_ids == [2]
    with pytest.raises(ValueError, match="active_inputs"):
        small.prune_input(active_inputs=[5], x=x[:, small.input_ids])


def test_checkpoint_round_trip_after_prune(tmp_path):
    """A pruned model saves and loads with identical outputs, widths and input_ids."""
    model = _model((3, 5, 1))
    model.remove_node(1, 0)
    model.remove_node(0, 2)
    x = _x(d=3)
    small = model.prune(node_th=1e-8, x=x).prune_input(threshold=1e-8, x=x)
    small.save(tmp_path / "m.safetensors")
    loaded = kanlab.load(tmp_path / "m.safetensors")
    assert loaded.width == small.width == [2, 4, 1] and loaded.input_ids == [0, 1]
    xs = x[:, small.input_ids]
    assert torch.equal(loaded(xs), small(xs))


@pytest.mark.slow
def test_prune_trained_seed_model_to_skeleton():
    """Sparsity training on exp(sin(πx)+y²) prunes [2,5,1] to [2,1,1]; a fit recovers the RMSE."""
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    data = kanlab.create_dataset(f, n_var=2, train_num=1000, test_num=1000, seed=0, dtype=F64)
    model = KAN([2, 5, 1], grid=5, k=3, seed=0, dtype=F64)
    before = model.fit(data, steps=50, lamb=0.01, progress=False).test_rmse[-1]
    small = model.prune(node_th=0.05)  # kanlab train's threshold
    assert small.width == [2, 1, 1]
    after = small.fit(data, steps=50, progress=False).test_rmse[-1]
    assert after <= 2 * before

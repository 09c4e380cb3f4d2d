"""Patterns from the eleventh round of pykan code, an ML engineer's tables and a scientist's
measurements (``benchmarks/pykan_user_cases/round11a_*.py``): ``model.prune()`` with the
returned model dropped, then ``auto_symbolic`` on ``model`` (a public script's pattern):
pykan 0.2.8's ``prune_node`` removes the dropped hidden nodes in the model it prunes too."""
import contextlib
import io

import torch

import kanlab.pykan as K


def _fitted():
    g = torch.Generator().manual_seed(11)
    x = torch.rand(300, 3, generator=g) * 2 - 1
    y = torch.sin(torch.pi * x[:, :1]) + x[:, 1:2] ** 2
    ds = {"train_input": x[:200], "train_label": y[:200],
          "test_input": x[200:], "test_label": y[200:]}
    model = K.KAN(width=[3, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    with contextlib.redirect_stdout(io.StringIO()):
        model.fit(ds, opt="LBFGS", steps=20, lamb=1e-2)
    return model, ds


def _dropped(model, pruned):
    """The hidden nodes of ``model`` that ``pruned`` lacks (by width)."""
    return model.width_in[1] - pruned.width_in[1]


def test_prune_switches_off_the_dropped_nodes_in_the_original():
    model, ds = _fitted()
    pruned = model.prune()
    assert _dropped(model, pruned) >= 1
    # the original keeps its width; the dropped nodes' edges are off (pykan's remove_node)
    assert model.width_in[1] == 3
    off = [i for i in range(3) if float(model.act_fun[1].mask[i, 0]) == 0.0]
    assert len(off) == _dropped(model, pruned)
    for i in off:
        assert float(model.act_fun[0].mask[:, i].abs().sum()) == 0.0
    # what is left computes what the pruned model computes (up to the folded means)
    with torch.no_grad():
        gap = (model(ds["test_input"]) - pruned(ds["test_input"])).abs().max()
    assert float(gap) < 0.1


def test_prune_node_switches_off_the_dropped_nodes_in_the_original():
    model, _ = _fitted()
    pruned = model.prune_node(active_neurons_id=[[0, 1]])
    assert pruned.width_in[1] == 2
    assert float(model.act_fun[1].mask[2, 0]) == 0.0
    assert float(model.act_fun[0].mask[:, 2].abs().sum()) == 0.0
    assert float(model.act_fun[1].mask[0, 0]) == 1.0

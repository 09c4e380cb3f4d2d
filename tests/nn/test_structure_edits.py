"""kanlab.nn._structure_edits: the one way into an edit of the symbolic structure hands the
moved offsets back; written_inputs reads the nodes as their writers compute them."""
from __future__ import annotations

import copy

import torch

from kanlab import KAN
from kanlab.nn._structure_edits import handed_back_copy, has_moved_offsets
from kanlab.nn._symbolic_offsets import restore_symbolic_offsets, settle_symbolic_offsets
from kanlab.symbolic._library import LIBRARY


def _moved():
    """A [2, 2, 1] chain, every edge symbolic (``log`` with offsets, then ``sin``), settled,
    and its twin as built."""
    model = KAN([2, 2, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    g = torch.Generator().manual_seed(1)
    for l, (layer, sym) in enumerate(zip(model.layers, model.symbolic)):
        for j in range(layer.out_features):
            for i in range(layer.in_features):
                a, b, c, d = (torch.rand(4, generator=g, dtype=torch.float64) * 2 + 0.2).tolist()
                sym.set_edge(i, j, LIBRARY.get("log" if l == 0 else "sin"), (a, b, c, d))
                layer.mask[j, i] = 0.0
    own = copy.deepcopy(model)
    settle_symbolic_offsets(model)
    assert has_moved_offsets(model)
    return model, own


def _x():
    return torch.rand(50, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3)) * 4 + 0.5


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_entering_the_edit_hands_the_offsets_back():
    """``with model.edit_structure():`` empties the records on entry, exactly as
    restore_symbolic_offsets does, and the edit inside sees the writer's own ``d``."""
    model, _ = _moved()
    twin = copy.deepcopy(model)
    restore_symbolic_offsets(twin)
    with model.edit_structure():
        assert not has_moved_offsets(model)
        seen = float(model.symbolic[0].affine.detach()[0, 0, 3])
    assert seen == float(twin.symbolic[0].affine.detach()[0, 0, 3]) != 0.0
    for key, value in _state(twin).items():
        assert torch.equal(model.state_dict()[key], value), key


def test_an_edit_after_the_move_computes_as_one_before_it():
    """remove_edge on a moved model gives bit for bit what it gives on the handed-back twin."""
    model, _ = _moved()
    twin = copy.deepcopy(model)
    restore_symbolic_offsets(twin)
    model.remove_edge(1, 0, 0)
    twin.remove_edge(1, 0, 0)
    assert torch.equal(model(_x()), twin(_x()))


def test_written_inputs_are_the_unmoved_nodes():
    """On the moved model the written inputs are the twin's (as built) to 1e-12; without
    records they are forward_with_inputs' own tensors' values."""
    model, own = _moved()
    for mine, theirs in zip(model.written_inputs(_x()), own.forward_with_inputs(_x())[1]):
        assert torch.allclose(mine, theirs, rtol=0, atol=1e-12)
    assert not torch.allclose(model.forward_with_inputs(_x())[1][1], own.forward_with_inputs(_x())[1][1])
    for mine, theirs in zip(own.written_inputs(_x()), own.forward_with_inputs(_x())[1]):
        assert torch.equal(mine, theirs)


def test_written_inputs_visit_before_each_layer_runs():
    """``visit(l, h)`` is called once per layer in order, with that layer's written input,
    and a change it makes to layer ``l`` is seen by the layers above."""
    model, _ = _moved()
    plain = model.written_inputs(_x())
    seen = []

    def visit(l, h):
        seen.append((l, h.clone()))
        if l == 0:
            with torch.no_grad():
                model.symbolic[0].affine[..., 2] *= 2.0  # layer 0's outputs change
    inputs = model.written_inputs(_x(), visit)
    assert [l for l, _ in seen] == [0, 1]
    assert all(torch.equal(h, w) for (_, h), w in zip(seen, inputs))
    assert torch.equal(inputs[0], plain[0]) and not torch.allclose(inputs[1], plain[1])


def test_a_handed_back_copy_leaves_the_model():
    """handed_back_copy: a copy without records when the model has some, the model itself
    when it has none; the model keeps its records."""
    model, own = _moved()
    twin = handed_back_copy(model)
    assert twin is not model and not has_moved_offsets(twin) and has_moved_offsets(model)
    assert handed_back_copy(own) is own


def test_a_layers_grid_eps_else_the_default():
    """grid_eps_or: the layer's own grid_eps where set, else the default given."""
    model = KAN([2, 1], grid=3, k=3, seed=0)
    layer = model.layers[0]
    assert layer.grid_eps_or(0.25) == 0.25
    layer.grid_eps = 0.5
    assert layer.grid_eps_or(0.25) == 0.5

"""A symbolic layer compares its mask with the last one seen once per forward pass (each
comparison waits for the device on a GPU), and still sees a mask edited in place."""
import torch

import kanlab
from kanlab.nn._symbolic_edges import SymbolicEdges

F64 = torch.float64


def _model():
    model = kanlab.KAN([2, 2, 1], seed=0, dtype=F64)
    model.fix_symbolic(0, 0, 0, "sin", fit_params=False, params=(1.0, 0.0, 1.0, 0.0))
    model.fix_symbolic(1, 0, 0, "x^2", fit_params=False, params=(1.0, 0.0, 1.0, 0.0))
    return model


def test_one_mask_comparison_per_symbolic_layer_per_forward(monkeypatch):
    model = _model()
    calls = []
    original = SymbolicEdges._follow_mask
    monkeypatch.setattr(SymbolicEdges, "_follow_mask", lambda self: (calls.append(self), original(self)))
    x = torch.rand(16, 2, dtype=F64, generator=torch.Generator().manual_seed(1))
    model(x)
    # one per layer in the per-layer pass (was two: `active`, then the forward), plus the
    # fused planner's `any(s.active ...)`, which stops at the first symbolic layer
    assert len(calls) == len(model.symbolic) + 1


def test_a_mask_edited_in_place_still_switches_the_edge_off():
    model = _model()
    x = torch.rand(16, 2, dtype=F64, generator=torch.Generator().manual_seed(1)) * 2 - 1
    before = model(x)
    model.symbolic[0].mask.data[0, 0] = 0.0  # pykan's in-place edit: no version counter sees it
    after = model(x)
    assert not torch.allclose(before, after)
    assert not model.symbolic[0].active
    # the layer called directly checks the mask itself
    model.symbolic[1].mask.data[0, 0] = 0.0
    assert torch.equal(model.symbolic[1](torch.ones(3, 2, dtype=F64)), torch.zeros(3, 1, dtype=F64))

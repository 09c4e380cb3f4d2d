"""pykan's layer lists on kanlab.pykan.KAN: ModuleLists found by get_submodule, and a direct
edit through a view enters the model's edit_structure (kanlab.nn._structure_edits)."""
from __future__ import annotations

import copy

import pytest
import torch

from kanlab import pykan
from kanlab.nn._structure_edits import has_moved_offsets
from kanlab.nn._symbolic_offsets import restore_symbolic_offsets, settle_symbolic_offsets


def _moved():
    """A [2, 2, 1] pykan model, every edge symbolic (``log`` with offsets, then ``sin``),
    its offsets settled; and a twin handed back."""
    model = pykan.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    g = torch.Generator().manual_seed(1)
    for l, j_n, i_n in ((0, 2, 2), (1, 1, 2)):
        for j in range(j_n):
            for i in range(i_n):
                model.fix_symbolic(l, i, j, "log" if l == 0 else "sin", fit_params_bool=False,
                                   verbose=False)
                with torch.no_grad():
                    model.symbolic[l].affine[j, i] = torch.rand(4, generator=g) * 2 + 0.2
    settle_symbolic_offsets(model)
    assert has_moved_offsets(model)
    twin = copy.deepcopy(model)
    restore_symbolic_offsets(twin)
    return model, twin


def _same(a, b) -> bool:
    return all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())


def test_get_submodule_finds_the_views():
    """``get_submodule("act_fun.0")`` / ``("symbolic_fun.1")``: the views, as in pykan."""
    model = pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    assert model.get_submodule("act_fun.0") is model.act_fun[0]
    assert model.get_submodule("symbolic_fun.1") is model.symbolic_fun[1]
    assert isinstance(model.get_submodule("act_fun"), torch.nn.ModuleList)


def test_act_fun_is_a_module_list_that_adds_no_parameters():
    """len, negative indices, iteration and parameters() as pykan's ModuleList; the model's
    parameters() and state_dict() keys are those of a model never asked for its views."""
    model = pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    fresh = pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    views = model.act_fun
    assert len(views) == 2 and views[-1] is views[1] and list(views) == [views[0], views[1]]
    mine = {id(p) for p in views.parameters()}
    assert mine == {id(p) for layer in model.layers for p in layer.parameters()}
    assert list(model.state_dict()) == list(fresh.state_dict())
    assert len(list(model.parameters())) == len(list(fresh.parameters()))
    with pytest.raises(TypeError):
        views.append(views[0])


def test_a_mask_write_through_the_view_hands_back_first():
    """``symbolic_fun[0].mask.data[0][0] = 0`` on a moved model: the records are handed back
    before the write, so the model is bit for bit the handed-back twin after the same write."""
    model, twin = _moved()
    model.symbolic_fun[0].mask.data[0][0] = 0.0
    twin.symbolic[0].mask.data[0][0] = 0.0
    assert not has_moved_offsets(model) and _same(model, twin)


def test_a_function_written_through_a_kept_row_hands_back():
    """A row of ``funs_name`` taken before the move writes inside the model's edit."""
    model, _ = _moved()
    restore_symbolic_offsets(model)
    row = model.symbolic_fun[1].funs_name[0]
    settle_symbolic_offsets(model)
    twin = copy.deepcopy(model)
    restore_symbolic_offsets(twin)
    row[0] = "cos"
    twin.symbolic_fun[1].funs_name[0][0] = "cos"
    assert not has_moved_offsets(model) and _same(model, twin)


def test_a_spline_mask_and_a_layer_assignment_through_the_views_hand_back():
    """``act_fun[1].mask`` (a spline reading a moved node) and ``symbolic_fun[0] = ...``
    enter the edit too."""
    model, _ = _moved()
    model.act_fun[1].mask.data[0][0] = 1.0
    assert not has_moved_offsets(model)
    model, twin = _moved()
    model.symbolic_fun[0] = twin.symbolic_fun[0]
    assert not has_moved_offsets(model)


def test_a_write_to_the_engine_tensors_is_not_covered():
    """The documented limit: a write to ``model.symbolic[l]`` itself keeps the records."""
    model, _ = _moved()
    model.symbolic[0].mask.data[0][0] = 0.0
    assert has_moved_offsets(model)

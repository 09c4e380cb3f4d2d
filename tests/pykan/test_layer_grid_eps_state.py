"""kanlab.pykan's per-layer ``grid_eps`` (``model.act_fun[l].grid_eps``) is the engine layer's
declared setting: it survives ``state_dict``, checkpoints, copies and ``expand_width``, and
pykan's state_dict keys stay as they were."""
import copy

import torch

import kan
import kanlab.pykan as K


def _model(**kw):
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False, grid_eps=0.02, **kw)
    model.act_fun[0].grid_eps = 0.5
    return model


def test_state_dict_round_trip_into_a_fresh_model():
    """A fresh model loading the state_dict (strictly) takes the layer's own grid_eps."""
    fresh = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=1, auto_save=False)
    result = fresh.load_state_dict(_model().state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert (fresh.act_fun[0].grid_eps, fresh.act_fun[1].grid_eps) == (0.5, 0.02)


def test_pykan_names_still_answered_and_pykans_state_loads():
    """The state_dict still answers pykan's names, and pykan's own state_dict (no grid_eps
    entry) loads strictly, keeping the layer's own value."""
    model = _model()
    state = model.state_dict()
    assert state["act_fun.0.coef"].shape == (2, 3, 8)
    pk = kan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    result = model.load_state_dict(pk.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert model.act_fun[0].grid_eps == 0.5


def test_copy_and_checkpoint_carry_it(tmp_path):
    """``copy()``, ``copy.deepcopy`` and ``saveckpt``/``loadckpt`` keep the layer's own."""
    model = _model()
    model.saveckpt(str(tmp_path / "m"))
    for other in (model.copy(), copy.deepcopy(model), K.KAN.loadckpt(str(tmp_path / "m"))):
        assert (other.act_fun[0].grid_eps, other.act_fun[1].grid_eps) == (0.5, 0.02)


def test_expand_width_prune_and_refine_keep_it():
    """The grown, pruned and refined models keep every layer's own grid_eps."""
    model = _model()
    model(torch.rand(50, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1)
    pruned, refined = model.prune(node_th=0.0, edge_th=0.0), model.refine(8)
    model.expand_width(1, 1)
    for other in (model, pruned, refined):
        assert other.act_fun[0].grid_eps == 0.5

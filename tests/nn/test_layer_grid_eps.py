"""A layer's own ``grid_eps``: a declared, validated setting of ``kanlab.nn.KANLayer`` that
grid updates read and that copies, ``state_dict``, checkpoints, prune and refine carry."""
import copy
import json
import pickle

import pytest
import torch

from kanlab import io
from kanlab.nn import KAN, KANLayer, update_layer_grid


def _skewed(n=400, width=1):
    return (torch.rand(n, width, generator=torch.Generator().manual_seed(0)) ** 3) * 2 - 1


def _spread(layer):
    steps = layer.knots[0].diff()
    return float(steps.std() / steps.mean())


def _model(eps=0.0):
    model = KAN([1, 1, 1], grid=5, k=3, seed=0, grid_eps=eps)
    model.layers[0].grid_eps = 1.0  # the first layer's own: uniform
    return model


def test_default_follows_the_model():
    """A new layer has no own value (None): the model's grid_eps applies."""
    assert KANLayer(2, 3).grid_eps is None
    model = KAN([1, 1, 1], grid=5, k=3, seed=0, grid_eps=0.0)
    model.update_grid(_skewed())
    assert _spread(model.layers[0]) > 0.1  # the model's 0: sample quantiles


def test_constructor_takes_and_checks_grid_eps():
    """``KANLayer(grid_eps=...)`` keeps a number in [0, 1] and refuses anything else."""
    assert KANLayer(2, 3, grid_eps=0.25).grid_eps == 0.25
    for bad in (1.5, -0.1, float("nan"), True, "0.5"):
        with pytest.raises(ValueError, match=r"grid_eps must be a number in \[0, 1\]"):
            KANLayer(2, 3, grid_eps=bad)


def test_assignment_is_checked():
    """Setting the attribute validates it as the constructor does; None restores the default."""
    layer = KANLayer(2, 3)
    with pytest.raises(ValueError, match="grid_eps"):
        layer.grid_eps = 2
    layer.grid_eps = 0.5
    assert layer.grid_eps == 0.5
    layer.grid_eps = None
    assert layer.grid_eps is None


def test_model_update_uses_each_layers_own():
    """With no explicit value, a layer's own grid_eps replaces the model's for that layer."""
    model = _model(eps=0.0)
    model.update_grid(_skewed())
    assert _spread(model.layers[0]) < 1e-3  # its own 1.0: uniform
    assert _spread(model.layers[1]) > 0.1  # the model's 0.0: quantiles


def test_explicit_value_overrides_the_layers():
    """An explicit ``grid_eps`` to update_grid wins over the layers' own."""
    model = _model(eps=1.0)
    model.update_grid(_skewed(), grid_eps=0.0)
    assert _spread(model.layers[0]) > 0.1


def test_update_layer_grid_reads_the_layers_own():
    """``update_layer_grid`` without ``grid_eps`` uses the layer's own (1.0 when None)."""
    layer = KANLayer(1, 1, grid=5, k=3, grid_eps=0.0)
    update_layer_grid(layer, _skewed())
    assert _spread(layer) > 0.1
    plain = KANLayer(1, 1, grid=5, k=3)
    update_layer_grid(plain, _skewed())
    assert _spread(plain) < 1e-3


def test_copies_and_pickles_carry_it():
    """``copy.deepcopy`` and pickling keep a layer's own grid_eps."""
    model = _model()
    for other in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert [l.grid_eps for l in other.layers] == [1.0, None]


def test_state_dict_round_trip_into_a_fresh_model():
    """The own value is a ``grid_eps`` entry of the layer's state_dict and loads strictly."""
    model = _model()
    state = model.state_dict()
    assert "layers.0.grid_eps" in state and "layers.1.grid_eps" not in state
    fresh = KAN([1, 1, 1], grid=5, k=3, seed=1, grid_eps=0.0)
    result = fresh.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert [l.grid_eps for l in fresh.layers] == [1.0, None]


def test_default_state_dict_keys_unchanged():
    """A model whose layers follow its grid_eps saves no grid_eps entry."""
    assert not any("grid_eps" in key for key in KAN([2, 3, 1], grid=5, seed=0).state_dict())


def test_a_state_dict_without_it_keeps_the_layers_own():
    """Loading a state_dict from before (no entry) leaves the layer's own value."""
    model = _model()
    model.load_state_dict(KAN([1, 1, 1], grid=5, k=3, seed=1).state_dict())
    assert model.layers[0].grid_eps == 1.0


def test_a_bad_saved_value_is_reported():
    """A saved grid_eps outside [0, 1] is refused by load_state_dict."""
    state = _model().state_dict()
    state["layers.0.grid_eps"] = torch.tensor([3.0], dtype=torch.float64)
    with pytest.raises(RuntimeError, match=r"grid_eps: expected one number in \[0, 1\]"):
        KAN([1, 1, 1], grid=5, k=3, seed=1).load_state_dict(state)


def test_checkpoint_round_trip(tmp_path):
    """kanlab.io checkpoints keep a layer's own grid_eps, in the layer metadata (no tensor,
    so a reader from before it loads the file)."""
    path = tmp_path / "m.safetensors"
    io.save(_model(), path)
    loaded = io.load(path)
    assert [l.grid_eps for l in loaded.layers] == [1.0, None]
    raw = path.read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    assert not any("grid_eps" in key for key in header)
    layers = json.loads(header["__metadata__"]["layers"])
    assert [info.get("grid_eps") for info in layers] == [1.0, None]


def test_prune_and_refine_keep_it():
    """prune and refine copy every layer's own grid_eps to the new model."""
    model = KAN([2, 3, 1], grid=5, k=3, seed=0)
    model.layers[1].grid_eps = 0.5
    x = _skewed(width=2)
    pruned = model.prune(node_th=0.0, edge_th=0.0, x=x)
    assert [l.grid_eps for l in pruned.layers] == [None, 0.5]
    assert [l.grid_eps for l in model.refine(10).layers] == [None, 0.5]
    assert [l.grid_eps for l in model.prune_input(threshold=0.0, x=x).layers] == [None, 0.5]


def test_setting_it_keeps_the_fused_plan():
    """grid_eps is not read by the forward pass: setting it does not move the plan stamp."""
    from kanlab.nn._stamp import stamp
    layer = KANLayer(2, 3)
    before = stamp()
    layer.grid_eps = 0.3
    assert stamp() == before

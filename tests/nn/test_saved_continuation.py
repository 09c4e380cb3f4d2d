"""A layer's continuation beyond the grid (``extrapolate``) travels with ``state_dict``."""
import copy
import io
import pickle

import pytest
import torch

from kanlab import KAN
from kanlab.io import load, save
from kanlab.train import FitConfig, fit

TO = "extended_quadratic"


def _data(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(200, 2, generator=g, dtype=torch.float64) * 2 - 1
    return x, torch.exp(torch.sin(torch.pi * x[:, :1]) + x[:, 1:] ** 2)


def _model(seed=2):
    return KAN([2, 3, 1], grid=3, k=3, seed=seed, extrapolate="quadratic", dtype=torch.float64)


@pytest.fixture(scope="module")
def switched():
    """A model whose fit switched its layers (seed 2 switches)."""
    model = _model()
    (x, y), (xt, yt) = _data(2), _data(3)
    cfg = FitConfig(steps=8, grid_update_num=4, stop_grid_update_step=8, progress=False,
                    stop_when_converged=False, choose_continuation=TO)
    history = fit(model, {"train_input": x, "train_label": y, "test_input": xt,
                          "test_label": yt}, cfg)
    assert history.continuation_layers  # the fit did switch
    return model


def _beyond():
    return torch.linspace(-3, 3, 61, dtype=torch.float64)[:, None].repeat(1, 2) * \
        torch.tensor([1.0, -0.7], dtype=torch.float64)


def test_state_dict_round_trip_computes_the_same_function_beyond_the_grid(switched):
    fresh = _model()
    fresh.load_state_dict(switched.state_dict())
    assert [l.extrapolate for l in fresh.layers] == [l.extrapolate for l in switched.layers]
    assert fresh.extrapolate == switched.extrapolate
    with torch.no_grad():
        torch.testing.assert_close(fresh(_beyond()), switched(_beyond()), rtol=0, atol=0)


def test_a_state_dict_from_before_loads_strictly_and_keeps_the_models_continuation(switched):
    old = {k: v for k, v in switched.state_dict().items() if not k.endswith(".extrapolate")}
    fresh = _model()
    result = fresh.load_state_dict(old, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert all(l.extrapolate == "quadratic" for l in fresh.layers)


def test_a_state_dict_cast_as_a_whole_still_loads(switched):
    """Users cast every entry (``{k: v.float() ...}``): a whole float still names one."""
    fresh = KAN([2, 3, 1], grid=3, k=3, seed=0, extrapolate="quadratic", dtype=torch.float32)
    fresh.load_state_dict({k: v.float() for k, v in switched.state_dict().items()})
    assert [l.extrapolate for l in fresh.layers] == [l.extrapolate for l in switched.layers]


def test_a_bad_entry_is_reported():
    state = _model().state_dict()
    state["layers.0.extrapolate"] = torch.tensor([99])
    with pytest.raises(RuntimeError, match="layers.0.extrapolate"):
        _model().load_state_dict(state)
    state["layers.0.extrapolate"] = torch.tensor([0.5])
    with pytest.raises(RuntimeError, match="layers.0.extrapolate"):
        _model().load_state_dict(state)


def test_the_entry_is_a_copy(switched):
    state = switched.state_dict()
    state["layers.1.extrapolate"].fill_(0)
    assert int(switched.state_dict()["layers.1.extrapolate"]) != 0


def test_checkpoint_copy_and_pickle_keep_it(switched, tmp_path):
    save(switched, tmp_path / "m.safetensors")
    want = [l.extrapolate for l in switched.layers]
    for other in (load(tmp_path / "m.safetensors"), copy.deepcopy(switched),
                  pickle.loads(pickle.dumps(switched))):
        assert [l.extrapolate for l in other.layers] == want
        with torch.no_grad():
            torch.testing.assert_close(other(_beyond()), switched(_beyond()), rtol=0, atol=0)
    buf = io.BytesIO()
    torch.save(switched.state_dict(), buf)
    fresh = _model()
    fresh.load_state_dict(torch.load(io.BytesIO(buf.getvalue()), weights_only=True))
    assert [l.extrapolate for l in fresh.layers] == want


def test_a_checkpoint_file_from_before_loads_with_its_metadatas_continuation(switched, tmp_path,
                                                                             monkeypatch):
    from torch import nn

    from kanlab.nn import KANLayer
    monkeypatch.setattr(KANLayer, "_save_to_state_dict", nn.Module._save_to_state_dict)
    assert not any(k.endswith(".extrapolate") for k in switched.state_dict())
    save(switched, tmp_path / "old.safetensors")
    monkeypatch.undo()
    loaded = load(tmp_path / "old.safetensors")
    assert [l.extrapolate for l in loaded.layers] == [l.extrapolate for l in switched.layers]
    with torch.no_grad():
        torch.testing.assert_close(loaded(_beyond()), switched(_beyond()), rtol=0, atol=0)

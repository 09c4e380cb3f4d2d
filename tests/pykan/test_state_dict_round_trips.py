"""kanlab.pykan: ``continuation_unplaced`` and ``data_columns`` travel with ``state_dict``, so
``KAN(same arguments).load_state_dict(model.state_dict())`` behaves as the model afterwards
(benchmarks/pykan_round_trips.py runs the whole matrix of round trips)."""
import io

import pytest
import torch

from kanlab.pykan import KAN, create_dataset
from kanlab.pykan._continuation import as_pykans


def _f(x):
    return torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)


def _data(n_var=2):
    return create_dataset(lambda x: _f(x[:, :2]), n_var=n_var, seed=0, train_num=100,
                          test_num=50)


def _model(width=(2, 3, 1), seed=1):
    return KAN(width=list(width), grid=3, k=3, seed=seed, auto_save=False)


def _through_file(model):
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    twin = _model(model.width, seed=7)
    twin.load_state_dict(torch.load(buf, weights_only=True), strict=True)
    return twin


def _losses(model, data):
    return [float(v) for v in model.fit(data, opt="LBFGS", steps=3, log=100)["train_loss"]]


def _far():
    return torch.linspace(-10, 10, 41)[:, None] * torch.tensor([1.0, -0.6])


def test_a_pykan_continuation_stays_after_a_state_dict_round_trip():
    """A model on pykan's continuation with its grids placed (what loadckpt/load_state_dict of
    pykan's files give) keeps it through its next fit's grid update; before, a fresh model
    loading its state_dict took the quadratic one there and the fit went elsewhere."""
    data = _data()
    model = _model()
    as_pykans(model)  # as after loading pykan's tensors
    twin = _through_file(model)
    assert twin.continuation_unplaced is False
    assert _losses(twin, data) == _losses(model, data)
    assert [layer.extrapolate for layer in twin.layers] == ["extended", "extended"]
    with torch.no_grad():
        torch.testing.assert_close(twin(_far()), model(_far()), rtol=0, atol=0)


def test_an_unplaced_model_loaded_into_a_placed_one_waits_for_its_first_grid_update():
    data = _data()
    fresh = _model()
    placed = _model()
    placed.update_grid(data["train_input"])
    assert placed.continuation_unplaced is False
    placed.load_state_dict(fresh.state_dict())
    assert placed.continuation_unplaced is True
    assert _losses(placed, data) == _losses(fresh, data)


def test_prune_input_keeps_taking_the_datasets_rows_after_a_state_dict_round_trip():
    """Inputs 0 and 1 of 3 kept: ``input_ids`` alone ([0, 1]) cannot tell the dataset's rows
    from a wrong width, ``data_columns`` can; before, the loaded model refused them."""
    data = _data(n_var=3)
    model = _model((3, 3, 1))
    model.fit(data, opt="LBFGS", steps=3, log=100, lamb=0.01)
    pruned = model.prune_input(active_inputs=[0, 1])
    assert pruned.input_ids == [0, 1] and pruned.data_columns == 3
    twin = _through_file(pruned)
    assert twin.data_columns == 3
    x = data["test_input"]
    with torch.no_grad():
        torch.testing.assert_close(twin(x), pruned(x), rtol=0, atol=0)
    assert _losses(twin, data) == _losses(pruned, data)


def test_a_state_dict_without_the_new_entries_loads_strictly_as_before():
    """Saved before they were kept: the loading model keeps its own flags, ``strict=True``."""
    data = _data(n_var=3)
    pruned = _model((3, 3, 1)).prune_input(active_inputs=[0, 1])
    old = {k: v for k, v in pruned.state_dict().items()
           if k not in ("continuation_unplaced", "data_columns")}
    twin = _model((2, 3, 1))
    result = twin.load_state_dict(old, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert twin.continuation_unplaced is True and getattr(twin, "data_columns", None) is None
    with torch.no_grad():
        twin(data["test_input"][:, :2])  # the model's own width, as before


@pytest.mark.parametrize("key, value", [("data_columns", [-1]), ("data_columns", [3, 4]),
                                        ("continuation_unplaced", [2])])
def test_a_bad_entry_is_reported(key, value):
    state = _model().state_dict()
    state[key] = torch.tensor(value)
    with pytest.raises(RuntimeError, match=key):
        _model().load_state_dict(state)


def test_pykans_multkan_refuses_kanlabs_state_dict_strictly():
    """kanlab.pykan's ``state_dict`` has kanlab's keys (``layers.0.coef``, ...): pykan 0.2.8's
    ``MultKAN.load_state_dict`` refuses it, naming the keys (docs/pykan.md)."""
    pykan = pytest.importorskip("kan")
    theirs = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    with pytest.raises(RuntimeError, match="act_fun.0.coef"):
        theirs.load_state_dict(_model().state_dict(), strict=True)

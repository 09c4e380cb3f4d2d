"""pykan's ``input_id`` after ``prune_input``: the pruned model takes the original inputs
(pykan 0.2.8 reads ``x[:, input_id]``), so code written for the full dataset runs on, and the
kept columns travel with ``state_dict`` (``saveckpt`` pickles them).  pykan is the oracle (it
runs in a temporary directory)."""
import pytest
import torch

from kanlab import pykan


def _dataset(n=80, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, generator=g) * 2 - 1
    y = torch.sin(torch.pi * x[:, [0]]) + x[:, [2]] ** 2
    return {"train_input": x, "train_label": y, "test_input": x.flip(0), "test_label": y.flip(0)}


def test_pruned_model_takes_the_original_inputs(tmp_path, monkeypatch):
    kan = pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    x = _dataset()["train_input"]
    theirs = kan.KAN(width=[3, 3, 1], grid=3, seed=0, auto_save=False)
    ours = pykan.KAN(width=[3, 3, 1], grid=3, auto_save=False, extrapolate="extended")
    ours.load_state_dict(theirs.state_dict())
    for m in (theirs, ours):
        m(x)
        for j in range(3):  # input 1 contributes nothing: both prunings keep the function
            m.remove_edge(0, 1, j)
    theirs, ours = (m.prune_input(active_inputs=[0, 2]) for m in (theirs, ours))
    assert torch.equal(ours.input_id, theirs.input_id)
    with torch.no_grad():
        want, got = theirs(x), ours(x)  # the full width, as pykan takes it
        assert torch.allclose(got, want, atol=1e-5), (got - want).abs().max()
        assert torch.equal(ours(x[:, [0, 2]]), got)  # kanlab's own: the kept columns


def test_fit_and_scores_on_the_full_dataset_after_prune_input():
    ds = _dataset()
    model = pykan.KAN(width=[3, 3, 1], grid=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=2, log=0)
    pruned = model.prune_input(active_inputs=[0, 2])
    result = pruned.fit(ds, opt="LBFGS", steps=2, log=0)
    assert len(result["train_loss"]) == 2
    pruned.get_act(ds["train_input"])
    assert pruned.reference_input.shape[1] == 2
    assert pruned.feature_score.shape == (2,)
    plain = pykan.KAN(width=[3, 3, 1], grid=3, seed=0, auto_save=False)
    with pytest.raises(ValueError, match=r"shape \(\*, 3\)"):
        plain(torch.zeros(5, 4))  # a model that pruned nothing narrows nothing


def test_input_ids_travel_with_state_dict_and_checkpoints(tmp_path):
    ds = _dataset()
    model = pykan.KAN(width=[3, 3, 1], grid=3, seed=0, auto_save=False)
    model(ds["train_input"])
    pruned = model.prune_input(active_inputs=[0, 2])
    again = pykan.KAN(width=pruned.width, grid=3, auto_save=False)
    again.load_state_dict(pruned.state_dict())
    assert again.input_ids == [0, 2]
    x = ds["test_input"]
    with torch.no_grad():
        assert torch.equal(again(x), pruned(x))
    pruned.saveckpt(str(tmp_path / "ck"))
    assert pykan.KAN.loadckpt(str(tmp_path / "ck")).input_ids == [0, 2]
    state = pruned.state_dict()
    state["input_ids"] = torch.tensor([2, 2])
    with pytest.raises(RuntimeError, match="distinct input columns"):
        again.load_state_dict(state)
    old = {k: v for k, v in pruned.state_dict().items() if k != "input_ids"}
    kept = pykan.KAN(width=pruned.width, grid=3, auto_save=False)
    kept.load_state_dict(old)  # a state_dict from before: the model's own columns
    assert kept.input_ids == [0, 1]

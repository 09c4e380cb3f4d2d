"""Patterns from the fourth round of public pykan code (``benchmarks/pykan_user_cases/round4_fit.py`` and ``round4_edit.py``)
and the gaps the third left: auto-save's pykan file names and refine's version number,
``prune_input(active_inputs=...)`` before any data, and symbolic masks edited in place."""
import pytest
import torch

from kanlab import pykan


def _data(n=200, n_var=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, n_var, generator=g) * 2 - 1
    y = torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 2
    h = n // 2
    return {"train_input": x[:h], "train_label": y[:h], "test_input": x[h:], "test_label": y[h:]}


def test_refine_is_the_next_version_of_the_round_as_in_pykan(tmp_path):
    """pykan 0.2.8: fit (0.1) -> refine (0.2) -> fit (0.3) within round 0; kanlab started
    round 1 at refine (1.0, then 1.1)."""
    ds = _data()
    model = pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=1, ckpt_path=str(tmp_path))
    model.fit(ds, opt="Adam", steps=2, log=0)
    assert (model.round, model.state_id) == (0, 1)
    model = model.refine(6)
    assert (model.round, model.state_id) == (0, 2)
    assert "0.1 => refine => 0.2" in model.history_lines()
    model.fit(ds, opt="Adam", steps=2, log=0)
    assert (model.round, model.state_id) == (0, 3)
    # with auto-save off the version still counts on (pykan's refine adds 1 whatever)
    quiet = pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=1, auto_save=False)
    assert quiet.refine(5).state_id == 1


def test_auto_save_writes_pykans_state_file_beside_the_checkpoint(tmp_path):
    """User code loads ``<ckpt_path>/<version>_state`` into a fresh model (wild3's
    autosave_toggled_refine_versions): auto-save toggled around each fit of a refine schedule."""
    ds = _data()
    model = pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=1, ckpt_path=str(tmp_path),
                      auto_save=False)
    for g in (None, 6):
        if g is not None:
            model = model.refine(g)
        model.auto_save = True
        model.fit(ds, opt="Adam", steps=3, lr=0.01, log=0)
        model.auto_save = False
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith("_state")) == \
        ["0.1_state", "0.3_state"]
    fresh = pykan.KAN(width=[2, 3, 1], grid=6, k=3, seed=1, auto_save=False)
    fresh.load_state_dict(torch.load(tmp_path / "0.3_state"))
    with torch.no_grad():
        torch.testing.assert_close(fresh(ds["test_input"]), model(ds["test_input"]))
    # the last input it saw, as pykan's _cache_data; loadckpt still reads the .pt
    torch.testing.assert_close(torch.load(tmp_path / "0.3_cache_data"), ds["train_input"])
    back = pykan.KAN.loadckpt(str(tmp_path / "0.3"))
    with torch.no_grad():
        torch.testing.assert_close(back(ds["test_input"]), model(ds["test_input"]))


def test_saveckpt_writes_the_state_under_pykans_name(tmp_path):
    model = pykan.KAN(width=[2, 2, 1], grid=3, seed=0, auto_save=False)
    model.saveckpt(str(tmp_path / "mark"))
    state = torch.load(tmp_path / "mark_state")
    assert set(state) == set(model.state_dict())


def test_prune_input_with_active_inputs_needs_no_data():
    """pykan drops the edges of the inputs left out; kanlab asked for data to fold their mean
    output into the kept edges (ValueError 'no activations yet')."""
    model = pykan.KAN(width=[3, 4, 1], grid=5, k=3, seed=0, auto_save=False)
    pruned = model.prune_input(active_inputs=[0, 2])
    assert pruned.input_id.tolist() == [0, 2] and pruned.width[0] == [2, 0]
    x = torch.rand(20, 3) * 2 - 1
    with torch.no_grad():
        # the kept edges are the old ones; the dropped input's edges are simply gone
        full = model(torch.stack([x[:, 0], torch.zeros(20), x[:, 2]], 1))
        kept = pruned(x)
        torch.testing.assert_close(kept, pruned(x[:, [0, 2]]))
        model.act_fun[0].mask.data[1, :] = 0.0  # the same function, input 1 switched off
        torch.testing.assert_close(kept, model(x))
        assert not torch.allclose(kept, full)
    # the threshold rule still needs data
    with pytest.raises(ValueError, match="no activations yet"):
        pykan.KAN(width=[3, 4, 1], grid=5, seed=0, auto_save=False).prune_input(threshold=0.1)


def test_a_symbolic_mask_edited_in_place_takes_effect():
    """``model.symbolic_fun[l].mask.data[j, i] = 0`` switches a fixed edge off (pykan multiplies
    by the mask); kanlab's forward pass kept the edge until the next fix/unfix."""
    ds = _data()
    model = pykan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=3, log=0)
    x = ds["test_input"]
    with torch.no_grad():
        model.act_fun[1].mask.data[0, 0] = 0.0  # edge (1, 0, 0) off, by hand
        without = model(x)
        model.act_fun[1].mask.data[0, 0] = 1.0
        model.fix_symbolic(1, 0, 0, "x", verbose=False, log_history=False)
        fixed = model(x)
        assert not torch.allclose(fixed, without)
        model.symbolic_fun[1].mask.data[0, 0] = 0.0
        torch.testing.assert_close(model(x), without)
        model.symbolic_fun[1].mask.data[0, 0] = 1.0  # and back on
        torch.testing.assert_close(model(x), fixed)


def test_cache_data_after_prune_input_has_the_datas_columns():
    """pykan's pruned model keeps the data it was made from (all columns) as ``cache_data``
    until its next forward pass; kanlab's held the kept columns only, so
    ``m.cache_data[:, m.input_id]`` raised an IndexError (or took the wrong columns)."""
    ds = _data(n_var=3)
    model = pykan.KAN(width=[3, 3, 1], grid=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=2, log=0)
    pruned = model.prune_input(active_inputs=[0, 2])
    assert pruned.cache_data.shape == (100, 3)
    torch.testing.assert_close(pruned.cache_data, ds["train_input"])
    kept = pruned.cache_data[:, pruned.input_id]
    pruned.get_act(pruned.cache_data)  # the full rows, narrowed by the model
    torch.testing.assert_close(pruned.cache_data, kept)  # now what it saw, as pykan's
    assert pruned.node_scores is None or len(pruned.node_scores[0]) == 2

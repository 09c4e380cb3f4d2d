"""pykan 0.0.x/0.1.x's API on kanlab.pykan (kanlab/pykan/_old_api.py)."""
import pytest
import sympy
import torch

import kanlab.pykan as pykan
from kanlab.nn import KAN as NativeKAN
from _data import sin_square_dataset

F64 = torch.float64


def _kan(width, grid=3, seed=0, **kw):
    return pykan.KAN(width=width, grid=grid, k=3, seed=seed, auto_save=False, **kw)


# ---------------------------------------------------------------- train
def test_train_with_a_dataset_is_fit_with_a_future_warning():
    """model.train(dataset, ...) returns fit's results, the same numbers as fit."""
    data = sin_square_dataset()
    a, b = _kan([2, 3, 1]), _kan([2, 3, 1])
    with pytest.warns(FutureWarning, match="fit"):
        old = a.train(data, opt="LBFGS", steps=3, update_grid=False)
    new = b.fit(data, opt="LBFGS", steps=3, update_grid=False)
    assert set(old) >= {"train_loss", "test_loss", "reg"} and len(old["train_loss"]) == 3
    assert old["train_loss"] == new["train_loss"]
    with pytest.warns(FutureWarning):
        kw = _kan([2, 3, 1]).train(dataset=data, steps=2, update_grid=False, device="cpu")
    assert len(kw["test_loss"]) == 2


def test_train_without_data_keeps_torchs_training_mode():
    """train()/train(False)/eval() set nn.Module's mode, for the pykan model and the native."""
    model = _kan([2, 3, 1])
    assert model.eval() is model and model.training is False
    assert all(not m.training for m in model.modules())
    assert model.train() is model and model.training is True
    assert model.train(False).training is False and model.train(mode=True).training is True
    outer = torch.nn.Sequential(model)
    outer.eval()
    assert model.training is False
    native = NativeKAN([2, 3, 1], grid=3)
    assert native.eval().training is False and native.train().training is True


def test_train_refuses_what_it_cannot_mean():
    model = _kan([2, 1])
    with pytest.raises(TypeError, match="bool"):
        model.train("yes")
    with pytest.raises(TypeError, match="dataset dict"):
        model.train(True, steps=3)
    with pytest.raises(ValueError, match="small_reg_factor"), pytest.warns(FutureWarning):
        model.train(sin_square_dataset(), steps=1, small_reg_factor=0.5)


def test_train_sglr_avoid_is_singularity_avoiding():
    data = sin_square_dataset()
    with pytest.warns(FutureWarning):
        old = _kan([2, 1]).train(data, steps=2, update_grid=False, sglr_avoid=True)
    new = _kan([2, 1]).fit(data, steps=2, update_grid=False, singularity_avoiding=True)
    assert old["train_loss"] == new["train_loss"]


def test_fit_takes_pykan_01s_fit_keywords():
    """pykan 0.1's ``fit`` (May 2024: 3e0e5ae's experiment1 calls ``fit(..., device=device)``)
    took ``device``, ``sglr_avoid``, ``small_mag_threshold``, ``small_reg_factor``: read as
    the old ``train`` reads them."""
    data = sin_square_dataset()
    old = _kan([2, 1]).fit(data, steps=2, update_grid=False, device="cpu", sglr_avoid=True,
                           small_mag_threshold=1e-16, small_reg_factor=1.0)
    new = _kan([2, 1]).fit(data, steps=2, update_grid=False, singularity_avoiding=True)
    assert old["train_loss"] == new["train_loss"]
    with pytest.raises(ValueError, match="small_mag_threshold"):
        _kan([2, 1]).fit(data, steps=1, small_mag_threshold=0.1)
    with pytest.raises(TypeError):
        _kan([2, 1]).fit(data, steps=1, devise="cpu")


# ---------------------------------------------------------------- save_ckpt / load_ckpt
def test_save_ckpt_and_load_ckpt_round_trip_in_place(tmp_path, capsys):
    model = _kan([2, 3, 1])
    x = sin_square_dataset()["train_input"]
    before = model(x).detach()
    model.save_ckpt("c1", folder=str(tmp_path / "ck"))
    assert "save this model to" in capsys.readouterr().out
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    assert not torch.equal(model(x), before)
    model.load_ckpt("c1", folder=str(tmp_path / "ck"))
    torch.testing.assert_close(model(x).detach(), before, rtol=0, atol=0)
    (tmp_path / "ck" / "keep").mkdir()
    model.clear_ckpts(folder=str(tmp_path / "ck"))
    assert [p.name for p in (tmp_path / "ck").iterdir()] == ["keep"]


# ---------------------------------------------------------------- initialize_from_another_model
def test_initialize_from_another_model_keeps_the_function_on_a_finer_grid():
    """From grid 3 to grid 9 (a multiple) the function is kept to rounding error."""
    data = sin_square_dataset()
    coarse = _kan([2, 3, 1], grid=3, dtype=F64)
    coarse.fit(data, steps=3)
    fine = _kan([2, 3, 1], grid=9, dtype=F64)
    out = fine.initialize_from_another_model(coarse, data["train_input"])
    assert out is fine and fine.grid == 9
    x = data["test_input"].double()
    torch.testing.assert_close(fine(x), coarse(x), rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="same width"):
        _kan([2, 2, 1]).initialize_from_another_model(coarse, data["train_input"])


# ---------------------------------------------------------------- prune, symbolic_formula
def test_prune_with_old_keywords_prunes_nodes_only():
    """prune(threshold=...) is pykan 0.1's node pruning; mode='manual' lists every level."""
    model = _kan([2, 5, 1])
    model(sin_square_dataset()["train_input"])
    kept = model.prune(mode="manual", active_neurons_id=[[0, 1], [2, 4], [0]])
    assert kept.width_in == [2, 2, 1]
    assert int(kept.layers[0].mask.sum()) == 4  # no edge pruned
    everything = model.prune(threshold=0.0)
    assert everything.width_in == [2, 5, 1]
    with pytest.raises(ValueError, match="one list"):
        model.prune(mode="manual", active_neurons_id=[[2]])


def test_symbolic_formula_floating_digit_rounds_the_numbers():
    model = _kan([1, 1], grid=3, dtype=F64)
    x = torch.linspace(-1, 1, 50, dtype=F64)[:, None]
    model(x)
    model.fix_symbolic(0, 0, 0, "sin", verbose=False)
    exact = model.symbolic_formula()[0][0]
    rounded, var = model.symbolic_formula(floating_digit=1)
    assert var == [sympy.Symbol("x_1")]
    floats = [a for a in sympy.preorder_traversal(rounded[0]) if isinstance(a, sympy.Float)]
    assert floats and all(abs(float(f) * 10 - round(float(f) * 10)) < 1e-9 for f in floats)
    assert rounded[0] != exact


def test_bias_trainable_is_accepted():
    assert _kan([2, 1], bias_trainable=False).width_in == [2, 1]


def test_runner_reads_pykan_01s_progress_bar():
    """The notebook runner takes pykan 0.1's 'train loss:' for 0.2.8's 'train_loss:'."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "pykan_notebooks.py"
    spec = importlib.util.spec_from_file_location("pykan_notebooks", path)
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    old = "train loss: 1.55e-01 | test loss: 1.30e-01 | reg: 2.03e+01 : 100%|██| 20/20"
    assert runner.key_numbers(old) == {"train_loss": 0.155, "test_loss": 0.13, "reg": 20.3}
    assert runner.key_numbers(old.replace(" loss", "_loss")) == runner.key_numbers(old)


def test_prune_manual_with_nodes_that_do_not_exist_says_so():
    """A kept node beyond a level's width is a ValueError naming it (was an IndexError)."""
    model = _kan([2, 3, 1])
    model(sin_square_dataset()["train_input"])
    with pytest.raises(ValueError, match=r"nodes \[4\] at level 1"):
        model.prune(mode="manual", active_neurons_id=[[0, 1], [4], [0]])
    with pytest.raises(ValueError, match=r"nodes \[4\] at level 1"):
        model.prune_node(mode="manual", active_neurons_id=[[4]])


def test_prune_threshold_scores_nodes_as_pykan_01():
    """pykan 0.1's prune(threshold) keeps a hidden node when its largest incoming and its
    largest outgoing edge scale (acts_scale) both pass; one dominant node does not push the
    others under (0.2.8's attribution scores do: there, 2 and 4 of the 5 nodes are left)."""
    model = _kan([2, 5, 1])
    x = torch.linspace(-1, 1, 101)[:, None].repeat(1, 2)
    x[:, 1] = 2 * x[:, 1] ** 2 - 1
    with torch.no_grad():  # node 0's outgoing edge 100 times larger than the others
        model.layers[1].scale_base[:, 0] *= 100
        model.layers[1].scale_sp[:, 0] *= 100
    model(x)
    inc, out = model.acts_scale[0].max(dim=1).values, model.acts_scale[1].max(dim=0).values
    for threshold in (1e-2, 3e-2, 0.05):
        expected = [j for j in range(5) if inc[j] > threshold and out[j] > threshold]
        pruned = model.prune(threshold=threshold)
        assert pruned.width_in == [2, len(expected), 1]
        assert torch.equal(pruned.layers[0].coef, model.layers[0].coef[expected])
    assert model.prune(threshold=1e-2).width_in == [2, 5, 1]


"""Patterns from the third round of public pykan code (``benchmarks/pykan_user_cases/round3.py``)
that kanlab.pykan got wrong: a model whose inputs were pruned takes the data's own columns."""
import pytest
import torch

from kanlab import pykan


def _data(n=300):
    torch.manual_seed(0)
    x = torch.rand(n, 5) * 2 - 1
    y = torch.sin(2 * x[:, [1]]) + x[:, [3]] ** 2
    return {"train_input": x[:200], "train_label": y[:200], "test_input": x[200:], "test_label": y[200:]}


def _pruned():
    ds = _data()
    model = pykan.KAN(width=[5, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10, lamb=0.01, log=0)
    return ds, model.prune_input(threshold=0.05, log_history=False)


def test_input_id_names_the_kept_columns():
    ds, model = _pruned()
    full = pykan.KAN(width=[5, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    assert full.input_id.tolist() == [0, 1, 2, 3, 4]
    assert full.input_id.dtype == torch.long
    # the two inputs the target depends on survive; df.columns[model.input_id] names them
    assert model.input_id.tolist() == [1, 3]
    columns = ["temp", "press", "hum", "wind", "rain"]
    assert [columns[i] for i in model.input_id.numpy()] == ["press", "wind"]


def test_a_pruned_model_takes_the_original_columns():
    ds, model = _pruned()
    x = ds["test_input"]
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(x[:, model.input_id]))
    # refit on the very dataset it was trained on, as users do after prune_input
    r = model.fit(ds, opt="LBFGS", steps=3, log=0)
    assert r["test_loss"][-1] < 0.1
    model.get_act(ds)
    assert model.feature_score.shape == (2,)
    assert model.evaluate(ds)["test_loss"] < 0.1
    # pruned again: ids relative to the first model's columns (pykan's own second prune
    # indexes the original data with the pruned model's positions)
    again = model.prune_input(active_inputs=[1], log_history=False)
    assert again.input_id.tolist() == [3]
    with torch.no_grad():
        torch.testing.assert_close(again(x), again(x[:, [3]]))


def test_pruned_to_the_first_columns():
    # kept inputs 0..n-1 look like an unpruned model's ids: the data's width tells
    ds, _ = _pruned()
    model = pykan.KAN(width=[5, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    model(ds["train_input"])
    first = model.prune_input(active_inputs=[0, 1], log_history=False)
    assert first.input_id.tolist() == [0, 1]
    x = ds["test_input"]
    with torch.no_grad():
        torch.testing.assert_close(first(x), first(x[:, :2]))
    first.fit(ds, opt="LBFGS", steps=2, log=0)
    assert first.prune().data_columns == 5
    with pytest.raises(ValueError):
        first(torch.rand(4, 4))


def test_other_widths_still_raise():
    _, model = _pruned()
    with pytest.raises(ValueError):
        model(torch.rand(4, 3))
    full = pykan.KAN(width=[5, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    with pytest.raises(ValueError):
        full(torch.rand(4, 6))


def test_pruned_inputs_match_pykan(tmp_path, monkeypatch):
    # pykan 0.2.8's weights in kanlab.pykan, both pruned to the same inputs: the same outputs on
    # rows with every original column.  The pruned inputs' edges are zeroed first: pykan drops
    # them, kanlab folds their mean output into the kept edges (0 here)
    kan = pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    theirs = kan.KAN(width=[4, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    with torch.no_grad():
        for i in (1, 3):
            theirs.act_fun[0].coef[i] = 0.0
            theirs.act_fun[0].scale_base[i] = 0.0
    ours = pykan.KAN(width=[4, 3, 1], grid=5, k=3, seed=1, auto_save=False)
    ours.load_state_dict(theirs.state_dict())
    x = torch.rand(64, 4) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-4)
    theirs_p = theirs.prune_input(active_inputs=[0, 2], log_history=False)
    ours_p = ours.prune_input(active_inputs=[0, 2], log_history=False)
    assert theirs_p.input_id.tolist() == ours_p.input_id.tolist() == [0, 2]
    with torch.no_grad():
        torch.testing.assert_close(ours_p(x), theirs_p(x), atol=1e-5, rtol=1e-4)

"""MultKAN's ``n_sum``, ``disable_symbolic_in_fit``, ``auto_swap_l``, ``history`` and
``kanlab.pykan.experiment``, against pykan 0.2.8 where it is deterministic."""
import numpy as np
import pytest
import torch

import kanlab.pykan as pykan
from kanlab.pykan.experiment import pareto_frontier, runner1

F64 = torch.float64


def _data(n=60, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = 2 * torch.rand(2 * n, 2, generator=g) - 1
    y = x[:, :1] * x[:, 1:] + torch.sin(x[:, :1])
    return {"train_input": x[:n], "train_label": y[:n], "test_input": x[n:], "test_label": y[n:]}


@pytest.mark.parametrize("width", [[2, 5, 1], [2, [3, 2], 4, 1], [3, 1]])
def test_n_sum_is_pykans(width, tmp_path, monkeypatch):
    """n_sum: the addition nodes of every hidden level, as pykan's."""
    kan = pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    theirs = kan.KAN(width=width, grid=3, seed=0, auto_save=False)
    ours = pykan.KAN(width=width, grid=3, seed=0, auto_save=False)
    assert ours.n_sum == theirs.n_sum


def test_disable_symbolic_in_fit_as_pykan():
    """lamb == 0 turns save_act off, no symbolic edge turns symbolic_enabled off; the old
    values come back."""
    model = pykan.KAN(width=[2, 2, 1], grid=3, seed=0, auto_save=False)
    assert model.disable_symbolic_in_fit(0.0) == (True, True)
    assert (model.save_act, model.symbolic_enabled) == (False, False)
    model = pykan.KAN(width=[2, 2, 1], grid=3, seed=0, auto_save=False)
    model.fix_symbolic(0, 0, 0, "sin", fit_params_bool=False, verbose=False)
    assert model.disable_symbolic_in_fit(0.1) == (True, True)
    assert (model.save_act, model.symbolic_enabled) == (True, True)


def test_auto_swap_l_keeps_the_function_and_lowers_the_cost():
    """auto_swap_l reorders one hidden level: same outputs, connection cost not higher."""
    model = pykan.KAN(width=[3, 5, 2], grid=3, seed=2, auto_save=False, dtype=F64)
    x = 2 * torch.rand(100, 3, generator=torch.Generator().manual_seed(0), dtype=F64) - 1
    model.get_act(x)
    before_y, before_cost = model(x).detach(), model.connection_cost
    model.auto_swap_l(1)
    torch.testing.assert_close(model(x).detach(), before_y)
    assert model.connection_cost <= before_cost + 1e-12
    with pytest.raises(ValueError, match="hidden level"):
        model.auto_swap_l(2)


def test_history_is_pykans_log(tmp_path, monkeypatch, capsys):
    """history() prints pykan's version log (history.txt) after init, fit, prune, rewind."""
    kan = pytest.importorskip("kan")
    data = _data()
    (tmp_path / "p").mkdir()
    (tmp_path / "o").mkdir()
    monkeypatch.chdir(tmp_path / "p")
    theirs = kan.KAN(width=[2, 3, 1], grid=3, seed=0)
    theirs.fit(data, steps=1, update_grid=False)
    theirs = theirs.prune()
    theirs.rewind("0.1")
    expected = (tmp_path / "p" / "model" / "history.txt").read_text().splitlines()
    monkeypatch.chdir(tmp_path / "o")
    ours = pykan.KAN(width=[2, 3, 1], grid=3, seed=0)
    ours.fit(data, steps=1, update_grid=False)
    ours = ours.prune()
    ours.rewind("0.1")
    capsys.readouterr()
    ours.history()
    assert capsys.readouterr().out.splitlines() == expected
    ours.history(k=2)
    assert capsys.readouterr().out.splitlines() == expected[-2:]


def test_pareto_frontier_is_pykans():
    """pareto_frontier picks pykan's points."""
    experiment = pytest.importorskip("kan.experiment")
    rng = np.random.default_rng(0)
    x, y = rng.random(40), rng.random(40)
    for a, b in zip(pareto_frontier(x, y), experiment.pareto_frontier(x, y)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="1-D"):
        pareto_frontier(x, y[:3])


def test_runner1_records_every_step_and_writes_nothing(tmp_path, monkeypatch):
    """runner1: prune_round · (1 + refine_round) records per key; no checkpoint files."""
    monkeypatch.chdir(tmp_path)
    result = runner1([2, 2, 1], _data(), grids=[3, 5], steps=2, prune_round=2, refine_round=2,
                     metrics=[lambda m, d: torch.tensor(1.0)])
    assert set(result) == {"test_loss", "c", "G", "id", "<lambda>"}
    assert all(len(v) == 6 for v in result.values())
    assert result["G"].tolist() == [3, 3, 5, 3, 3, 5]
    assert np.isfinite(result["test_loss"]).all()
    assert list(tmp_path.iterdir()) == []


def test_swap_and_auto_swap_l_keep_user_defined_symbolic_edges():
    """A swap moves a user function with its edge (it raised 'does not know' before)."""
    model = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False, dtype=F64)
    x = 2 * torch.rand(50, 2, generator=torch.Generator().manual_seed(0), dtype=F64) - 1
    model.get_act(x)
    model.fix_symbolic(0, 1, 0, lambda t: t ** 3, fit_params_bool=False, verbose=False)
    model.fix_symbolic(1, 0, 0, lambda t: torch.sin(5 * t), fit_params_bool=False, verbose=False)
    before = model(x).detach()
    model.swap(1, 0, 2)
    torch.testing.assert_close(model(x).detach(), before)
    model.auto_swap_l(1)
    torch.testing.assert_close(model(x).detach(), before)

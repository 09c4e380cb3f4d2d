"""Large tables: sharded reading (``--ddp --data``) and the spline model trained on every row."""
import numpy as np
import pytest
import torch

from kanlab.discover import DataError, read_table


def _csv(tmp_path, n=101, bad_line=None):
    rng = np.random.default_rng(1)
    X = rng.uniform(1, 2, (n, 2))
    lines = ["a,b,y"] + [f"{float(u)!r},{float(v)!r},{float(u * v)!r}" for u, v in X]
    if bad_line is not None:
        lines[bad_line - 1] = "1.0,oops,2.0"
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("world", [2, 3])
def test_shards_partition_the_rows(tmp_path, world):
    path = _csv(tmp_path)
    full = read_table(path, "y")
    parts = [read_table(path, "y", shard=(r, world), min_rows=1) for r in range(world)]
    for r, part in enumerate(parts):
        np.testing.assert_array_equal(part.X, full.X[r::world])
        np.testing.assert_array_equal(part.y, full.y[r::world])
    assert sum(p.n_rows for p in parts) == full.n_rows
    np.savez(tmp_path / "d.npz", X=full.X, y=full.y, names=np.array(full.names))
    npz = read_table(tmp_path / "d.npz", shard=(1, world), min_rows=1)
    np.testing.assert_array_equal(npz.X, full.X[1::world])


def test_a_bad_cell_is_reported_by_the_rank_that_reads_it(tmp_path):
    path = _csv(tmp_path, bad_line=9)  # data row 7 (0-based): rank 1 of 2
    read_table(path, "y", shard=(0, 2), min_rows=1)
    with pytest.raises(DataError, match="non-numeric cell 'oops' in row 9"):
        read_table(path, "y", shard=(1, 2), min_rows=1)


def test_bad_shard_is_refused(tmp_path):
    with pytest.raises(ValueError, match="shard"):
        read_table(_csv(tmp_path), "y", shard=(2, 2))


def test_training_on_every_row_beats_the_subsample_model_on_noisy_data():
    """A KAN fitted on 200 noisy rows, trained further on 10000: lower validation RMSE."""
    from kanlab.discover._large import refine, sum_squares
    from kanlab.discover._scaling import make_space
    from kanlab.nn._network import KAN
    from kanlab.train._config import FitConfig
    from kanlab.train._fit import fit
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (15000, 1))
    y = np.sin(2 * X[:, 0]) + 0.3 * rng.standard_normal(len(X))
    train, val = np.arange(10000), np.arange(10000, 15000)
    space = make_space("raw", X[:200], y[:200])
    t = lambda a: torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
    model = KAN([1, 1], grid=20, k=3, seed=0, dtype=torch.float64, grid_range=[-2, 2])
    ds = {"train_input": t(space.x(X[:200])), "train_label": t(space.y(y[:200]))[:, None],
          "test_input": t(space.x(X[val])), "test_label": t(space.y(y[val]))[:, None]}
    fit(model, ds, FitConfig(steps=20, progress=False, update_grid=False))
    before = np.sqrt(np.divide(*sum_squares(model, space, X, y, val)))
    lines = []
    new = refine({"model": model, "space": space}, X, y, train, val, log=lines.append)
    assert new is not None, lines
    assert new["val_rmse_all"] < before
    assert new["steps"] > 1 and any("10000 training rows" in line for line in lines)
    # the search's model is left as it was
    assert np.sqrt(np.divide(*sum_squares(model, space, X, y, val))) == pytest.approx(before)


def test_discover_refines_when_the_table_exceeds_the_search_subsample(monkeypatch):
    from kanlab.discover import _pipeline, discover
    monkeypatch.setattr(_pipeline, "MAX_SEARCH_ROWS", 400)
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (3000, 2))
    y = np.sin(3 * X[:, 0]) * X[:, 1] + 0.05 * rng.standard_normal(len(X))
    lines = []
    res = discover(X, y, n_jobs=1, rounds=(), time_budget=None, log=lines.append)
    assert any("all 1800 training rows" in line for line in lines), lines
    assert res.metrics["n_train"] == 1800 and res.metrics["n_test"] == 600
    assert np.isfinite(res.metrics["spline_test_rmse"])

"""FitConfig.keep_memory_below: L-BFGS keeps its curvature pairs across a grid update that
barely moved the knots, and starts afresh after one that moved them (kanlab.train._knot_moves)."""
import copy

import pytest
import torch

import kanlab
import kanlab.train._fit as train_fit
from kanlab.train._config import FitConfig
from kanlab.train._knot_moves import knot_move, knots_of


def _data(skew: float):
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(200, 1, generator=g, dtype=torch.float64) * 2 - 1) ** skew
    xt = (torch.rand(50, 1, generator=g, dtype=torch.float64) * 2 - 1) ** skew
    f = lambda x: torch.sin(3 * x)  # noqa: E731
    return {"train_input": x, "train_label": f(x), "test_input": xt, "test_label": f(xt)}


def _optimizers_made(model, data, **kw):
    """How many optimisers fit made (one at the start, one per update that dropped the memory)."""
    made = []
    original = train_fit._make_optimizer

    def spy(m, cfg):
        made.append(1)
        return original(m, cfg)

    train_fit._make_optimizer = spy
    try:
        history = train_fit.fit(model, data, FitConfig(progress=False, **kw))
    finally:
        train_fit._make_optimizer = original
    return len(made), history


def test_knot_move_is_measured_in_the_smallest_old_interval():
    model = kanlab.KAN([1, 1], grid=4, k=3, seed=0, dtype=torch.float64)
    before = knots_of(model)
    assert knot_move(before, model) == 0.0
    layer = model.layers[0]
    h = float(before[0].diff(dim=-1).min())
    knots = before[0].clone()
    knots[0, 5] += 0.3 * h  # one inner knot by 0.3 of an interval
    layer.set_grid(knots, layer.coef.detach().clone())
    assert knot_move(before, model) == pytest.approx(0.3)
    assert knot_move([before[0][:, :-1]], model) == float("inf")  # another grid size


def test_an_update_that_barely_moves_the_knots_keeps_the_optimizer_and_one_that_moves_them_does_not():
    # uniform samples on the grid's own interval: the percentile grid is nearly the grid
    still = kanlab.KAN([1, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    cfg = dict(steps=6, grid_update_num=3, stop_grid_update_step=6)  # updates at 0, 2, 4
    data = _data(1.0)
    made_plain, h_plain = _optimizers_made(copy.deepcopy(still), data, **cfg)
    assert made_plain == 1 + 3 and h_plain.grid_update_steps == [0, 2, 4]
    made_kept, h_kept = _optimizers_made(copy.deepcopy(still), data, keep_memory_below=0.5, **cfg)
    assert h_kept.grid_update_steps == [0, 2, 4]  # the updates themselves all happen
    assert made_kept < made_plain
    # samples bunched near 0 on a model whose grid spans [-1, 1]: the first update moves knots
    # by intervals, so that update starts a fresh optimiser even with the memory kept
    made_moved, _ = _optimizers_made(copy.deepcopy(still), _data(5.0), keep_memory_below=0.5,
                                     steps=2, grid_update_num=2, stop_grid_update_step=2)
    assert made_moved == 2


def test_none_keeps_the_old_behaviour_bitwise():
    model = kanlab.KAN([1, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    data = _data(1.0)
    a, b = copy.deepcopy(model), copy.deepcopy(model)
    cfg = dict(steps=6, grid_update_num=3, stop_grid_update_step=6, progress=False)
    ha = train_fit.fit(a, data, FitConfig(**cfg))
    hb = train_fit.fit(b, data, FitConfig(keep_memory_below=None, **cfg))
    assert ha.train_rmse == hb.train_rmse


@pytest.mark.parametrize("bad", [-0.5, "0.5", float("nan")])
def test_a_bad_threshold_is_refused(bad):
    with pytest.raises((ValueError, TypeError), match="keep_memory_below"):
        FitConfig(keep_memory_below=bad)


def test_kanlab_pykan_starts_lbfgs_anew_at_every_grid_update():
    """Off in kanlab.pykan: kept memory cost Physics_4A its formula and Interp_10 ×4."""
    from kanlab.pykan import _fit as pykan_fit
    seen = []
    original = pykan_fit.FitConfig

    def spy(**kw):
        cfg = original(**kw)
        seen.append(cfg.keep_memory_below)
        return cfg

    from kanlab.pykan import KAN, create_dataset
    data = create_dataset(lambda x: x[:, [0]] ** 2, n_var=1, train_num=50, test_num=10)
    model = KAN(width=[1, 1], grid=3, k=3, seed=0, auto_save=False)
    pykan_fit.FitConfig = spy
    try:
        model.fit(data, steps=2)
    finally:
        pykan_fit.FitConfig = original
    assert seen[0] is None  # the fit's config (the displayed reg builds its own)


def _all_symbolic_xy():
    """A ``[2, 2, 1]`` whose every edge is symbolic, for x·y = ((x + y)² − (x − y)²)/4, its
    affines off that solution: no spline edge is live, so a grid update changes no loss."""
    model = kanlab.KAN([2, 2, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    for i, j, a in [(0, 0, 0.9), (1, 0, 1.1), (0, 1, 0.8), (1, 1, -1.2)]:
        model.fix_symbolic(0, i, j, "x", fit_params=False, params=(a, 0.1, 1.0, 0.0))
    for i, c in [(0, 0.3), (1, -0.2)]:
        model.fix_symbolic(1, i, 0, "x^2", fit_params=False, params=(1.0, 0.0, c, 0.1))
    g = torch.Generator().manual_seed(0)
    x, xt = (torch.rand(n, 2, generator=g, dtype=torch.float64) * 2 - 1 for n in (200, 50))
    data = {"train_input": x, "train_label": x[:, :1] * x[:, 1:],
            "test_input": xt, "test_label": xt[:, :1] * xt[:, 1:]}
    return model, data


def test_an_all_symbolic_fit_keeps_its_memory_across_grid_updates():
    """With no live spline a grid update changes no loss: L-BFGS keeps its curvature pairs (as
    pykan's one optimiser does), so the fit is the fit without grid updates, bit for bit."""
    model, data = _all_symbolic_xy()
    cfg = {"steps": 6, "max_iter": 3, "grid_update_num": 3, "stop_grid_update_step": 6}  # 0, 2, 4
    made, updated = _optimizers_made(copy.deepcopy(model), data, **cfg)
    _, still = _optimizers_made(copy.deepcopy(model), data, update_grid=False, **cfg)
    assert updated.grid_update_steps == [0, 2, 4]  # the updates themselves all happen
    assert made == 1
    assert updated.train_rmse == still.train_rmse
    assert updated.train_rmse[-1] < 0.5 * updated.train_rmse[0]  # and the fit does progress


def test_one_live_spline_edge_still_starts_lbfgs_anew():
    """A grid update refits a live spline edge's coefficients: the pairs are dropped."""
    model, data = _all_symbolic_xy()
    model.unfix_symbolic(1, 1, 0)  # its spline live again
    made, _ = _optimizers_made(model, data, steps=6, max_iter=3, grid_update_num=3,
                               stop_grid_update_step=6)
    assert made == 1 + 3

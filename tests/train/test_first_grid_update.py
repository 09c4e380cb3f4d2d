"""FitConfig.choose_first_grid_update: the first step taken with and without the step-0
grid update, the branch with the lower training loss kept, the schedule then as usual."""
import copy

import pytest
import torch

import kanlab
from kanlab.train._config import FitConfig
from kanlab.train._continuation_choice import continuations, set_continuations
from kanlab.train._fit import fit


def _radius_data():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=g, dtype=torch.float64) * 2 - 1
    xt = torch.rand(50, 2, generator=g, dtype=torch.float64) * 2 - 1
    f = lambda x: torch.sqrt((x ** 2).sum(1, keepdim=True))  # noqa: E731
    return {"train_input": x, "train_label": f(x), "test_input": xt, "test_label": f(xt)}


def _run(model, data, **kw):
    return _run_steps(model, data, 6, **kw)  # grid updates at steps 0 and 3


def _same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("seed", [0, 2, 4])
def test_the_kept_branch_is_the_lower_one_and_the_fit_equals_that_branch_run_alone(seed):
    data = _radius_data()
    model = kanlab.KAN([2, 1, 1], grid=5, k=3, seed=seed, dtype=torch.float64)
    # each branch alone, for the first step only: which one the rule must keep
    _, h_with = _run_steps(model, data, 1)
    _, h_without = _run_steps(model, data, 1, start_grid_update_step=1)
    keep_with = h_with.train_rmse[-1] <= h_without.train_rmse[-1]
    # the rule over the whole schedule equals the kept branch run alone, bitwise: the state
    # (parameters, knots, tables, optimiser) was restored exactly between the two branches
    m_rule, h_rule = _run(model, data, choose_first_grid_update=True)
    m_ref, h_ref = _run(model, data, **({} if keep_with else {"start_grid_update_step": 1}))
    assert _same_state(m_rule, m_ref)
    assert h_rule.train_rmse == h_ref.train_rmse and h_rule.test_rmse == h_ref.test_rmse
    assert h_rule.grid_update_steps == ([0, 3] if keep_with else [3])
    assert torch.equal(m_rule(data["test_input"]), m_ref(data["test_input"]))  # fused plan


def _run_steps(model, data, steps, **kw):
    model = copy.deepcopy(model)
    cfg = FitConfig(steps=steps, stop_grid_update_step=6, grid_update_num=2, progress=False,
                    stop_when_converged=False, **kw)
    return model, fit(model, data, cfg)


def test_both_branches_occur_among_these_seeds_and_the_kept_loss_is_not_higher():
    data = _radius_data()
    kept = set()
    for seed in (0, 2, 4):
        model = kanlab.KAN([2, 1, 1], grid=5, k=3, seed=seed, dtype=torch.float64)
        _, h_with = _run_steps(model, data, 1)
        _, h_without = _run_steps(model, data, 1, start_grid_update_step=1)
        _, h_rule = _run_steps(model, data, 1, choose_first_grid_update=True)
        assert h_rule.train_rmse[-1] == min(h_with.train_rmse[-1], h_without.train_rmse[-1])
        kept.add(bool(h_rule.grid_update_steps))
    assert kept == {True, False}


def test_choose_first_grid_update_checks_its_value():
    with pytest.raises(TypeError, match="choose_first_grid_update"):
        FitConfig(choose_first_grid_update=1)
    with pytest.raises(ValueError, match="distributed"):
        FitConfig(choose_first_grid_update=True, distributed=True)


def test_a_margin_keeps_the_update_unless_its_first_step_is_that_many_times_worse():
    """first_grid_update_margin = 2: the branch without the step-0 update is kept only when its
    training RMSE after the first step is below half the update's.  Seeds 0, 1, 2 give ratios
    (with / without) of about 4.0, 1.9 and 0.9: the margin flips seed 1 back to the update."""
    data = _radius_data()
    flipped = 0
    for seed in (0, 1, 2):
        model = kanlab.KAN([2, 1, 1], grid=5, k=3, seed=seed, dtype=torch.float64)
        _, h_with = _run_steps(model, data, 1)
        _, h_without = _run_steps(model, data, 1, start_grid_update_step=1)
        ratio = h_with.train_rmse[-1] / h_without.train_rmse[-1]
        _, h2 = _run(model, data, choose_first_grid_update=True, first_grid_update_margin=2.0)
        _, h1 = _run(model, data, choose_first_grid_update=True)
        assert h2.grid_update_steps == ([3] if ratio > 2 else [0, 3])
        assert h1.grid_update_steps == ([3] if ratio > 1 else [0, 3])
        # the rule's fit equals the kept branch run alone
        _, h_ref = _run(model, data, **({"start_grid_update_step": 1} if ratio > 2 else {}))
        assert h2.train_rmse == h_ref.train_rmse
        flipped += h1.grid_update_steps != h2.grid_update_steps
    assert flipped >= 1  # the margin decided at least one of these seeds


@pytest.mark.parametrize("bad", [0.5, True, "2", None])
def test_first_grid_update_margin_must_be_a_number_at_least_one(bad):
    with pytest.raises(ValueError, match="first_grid_update_margin"):
        FitConfig(first_grid_update_margin=bad)


def _tapered(model):  # a stand-in for what a model's update_grid changes besides its splines
    set_continuations(model, ["tapered"] * len(model.layers))


def test_the_branch_without_the_update_takes_what_first_grid_update_skipped_gives_it():
    """first_grid_update_skipped runs on the branch without the step-0 update, before its step
    (kanlab.pykan places a fresh model's continuation there): the rule's fit equals that branch
    run alone from a model given it, or the update's branch with the model's own."""
    data = _radius_data()
    kept = set()
    for seed in (0, 2, 4):
        model = kanlab.KAN([2, 1, 1], grid=5, k=3, seed=seed, dtype=torch.float64)
        m_rule, h_rule = _run(model, data, choose_first_grid_update=True,
                              first_grid_update_skipped=_tapered)
        updated = h_rule.grid_update_steps == [0, 3]
        ref = copy.deepcopy(model)
        if not updated:
            _tapered(ref)
        m_ref, h_ref = _run(ref, data, **({} if updated else {"start_grid_update_step": 1}))
        assert _same_state(m_rule, m_ref) and h_rule.train_rmse == h_ref.train_rmse
        assert continuations(m_rule) == continuations(model if updated else ref)
        kept.add(updated)
    assert kept == {True, False}


def test_first_grid_update_skipped_must_be_callable():
    with pytest.raises(TypeError, match="first_grid_update_skipped"):
        FitConfig(first_grid_update_skipped="grids_placed")

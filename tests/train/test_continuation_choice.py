"""The continuation beyond the grid chosen on the training loss (FitConfig.choose_continuation)."""
import math

import pytest
import torch

import kanlab.train._fit as fit_module
from kanlab import KAN
from kanlab.train import FitConfig, fit
from kanlab.train._continuation_choice import (choose_continuation, set_continuations,
                                               switchable_layers)

TO = "extended_quadratic"


def _model(seed=0):
    return KAN([2, 3, 1], grid=3, k=3, seed=seed, extrapolate="quadratic", dtype=torch.float64)


def _data(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g, dtype=torch.float64) * 2 - 1
    y = torch.exp(torch.sin(torch.pi * x[:, :1]) + x[:, 1:] ** 2)
    return x, y


def _dataset(seed=0):
    x, y = _data(seed=seed)
    xt, yt = _data(seed=seed + 1)
    return {"train_input": x, "train_label": y, "test_input": xt, "test_label": yt}


def _inside(model, x):
    """The model with every hidden grid refitted to its samples (all of them inside)."""
    model.update_grid(x)
    return model


@pytest.mark.parametrize("switch_wins", [True, False])
def test_keeps_the_branch_with_the_lower_training_loss(switch_wins):
    """The switch is kept exactly when its trial's loss is lower; the state is put back."""
    x, _ = _data()
    model = _inside(_model(), x)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    seen = []

    def trial():
        seen.append([layer.extrapolate for layer in model.layers])
        with torch.no_grad():  # a trial trains: the chooser must undo it
            for p in model.parameters():
                p.add_(0.1)
        switched = model.layers[1].extrapolate == TO
        return 1.0 if switched == switch_wins else 2.0

    layers = choose_continuation(model, x, TO, trial)
    assert seen == [["quadratic", "quadratic"], [TO, TO]]
    assert layers == ([0, 1] if switch_wins else [])
    want = TO if switch_wins else "quadratic"
    assert [layer.extrapolate for layer in model.layers] == [want, want]
    assert model.extrapolate == want
    for k, v in model.state_dict().items():  # the tensors put back (the continuation kept)
        assert k.endswith(".extrapolate") or torch.equal(v, before[k]), k


def test_a_tie_keeps_the_current_continuation():
    """Equal losses keep what the layers had (the switch must earn its place)."""
    x, _ = _data()
    model = _inside(_model(), x)
    assert choose_continuation(model, x, TO, lambda: 0.5) == []
    assert all(layer.extrapolate == "quadratic" for layer in model.layers)


def test_a_nonfinite_switch_is_never_kept():
    x, _ = _data()
    model = _inside(_model(), x)
    scores = iter([0.3, math.inf])
    assert choose_continuation(model, x, TO, lambda: next(scores)) == []


def test_layers_with_samples_beyond_their_grid_are_not_switched():
    """A layer whose samples leave its grid would change the function: it is left alone;
    the switch of the others leaves the network's output on the samples unchanged."""
    x, _ = _data()
    model = _inside(_model(), x)
    with torch.no_grad():  # move the hidden values off the second layer's grid
        model.layers[0].coef.mul_(8.0)
        model.layers[0].scale_base.mul_(8.0)
    _, inputs = model.forward_with_inputs(x)
    knots = model.layers[1].knots
    assert bool((inputs[1] > knots[:, -4]).any() | (inputs[1] < knots[:, 3]).any())
    assert switchable_layers(model, x, TO) == [0]
    with torch.no_grad():
        y0 = model(x)
    set_continuations(model, [TO, "quadratic"])
    with torch.no_grad():
        assert torch.equal(model(x), y0)
    assert model.extrapolate == [TO, "quadratic"]
    assert switchable_layers(model, x, TO) == []  # nothing left to switch


def test_fit_switches_exactly_when_the_trial_says_so(monkeypatch):
    """In fit, the choice is made once, at the first grid update after step 0, over the
    interval up to the next one, and follows the lower of the two trial losses."""
    trials = []
    real = fit_module._trial

    def spy(model, x, y, cfg, steps, record=False):
        score, run = real(model, x, y, cfg, steps, record)
        trials.append(([layer.extrapolate for layer in model.layers], steps, score))
        return score, run

    monkeypatch.setattr(fit_module, "_trial", spy)
    outcomes = set()
    for seed in range(3):
        trials.clear()
        model = _model(seed)
        cfg = FitConfig(steps=8, grid_update_num=4, stop_grid_update_step=8, progress=False,
                        stop_when_converged=False, choose_continuation=TO)
        history = fit(model, _dataset(seed), cfg)
        assert [t[1] for t in trials] == [2, 2]  # updates at 0, 2, 4, 6: the choice at 2
        assert [t[0][1] for t in trials] == ["quadratic", TO]
        switched = trials[1][2] < trials[0][2]
        outcomes.add(switched)
        assert history.continuation_layers == ([0, 1] if switched else [])
        assert model.layers[1].extrapolate == (TO if switched else "quadratic")
        assert len(history.step) == 8 and math.isfinite(history.train_rmse[-1])
    assert outcomes == {True, False}  # seeds 0, 2 keep the quadratic, seed 1 switches


def test_fit_is_deterministic_and_off_by_default():
    runs = []
    for _ in range(2):
        model = _model(1)
        cfg = FitConfig(steps=6, grid_update_num=3, stop_grid_update_step=6, progress=False,
                        choose_continuation=TO)
        runs.append((fit(model, _dataset(1), cfg).train_rmse,
                     [layer.extrapolate for layer in model.layers]))
    assert runs[0] == runs[1]
    model = _model(1)
    history = fit(model, _dataset(1), FitConfig(steps=6, grid_update_num=3,
                                                stop_grid_update_step=6, progress=False))
    assert history.continuation_layers == []
    assert all(layer.extrapolate == "quadratic" for layer in model.layers)


@pytest.mark.parametrize("bad", ["cubic", 3])
def test_config_refuses_an_unknown_continuation(bad):
    with pytest.raises(ValueError, match="choose_continuation"):
        FitConfig(choose_continuation=bad)


def test_trials_hand_the_loss_the_fits_own_label_tensors():
    """A loss that knows its labels by identity (pykan's pred_fn does) works in the trials."""
    data = _dataset(0)
    known = (data["train_label"], data["test_label"])

    def loss_fn(pred, y):
        if not any(y is labels for labels in known):
            raise ValueError("labels neither the training nor the test ones")
        return torch.mean((pred - y) ** 2)

    cfg = FitConfig(steps=4, grid_update_num=2, stop_grid_update_step=4, progress=False,
                    loss_fn=loss_fn, choose_continuation=TO)
    history = fit(_model(1), data, cfg)
    assert len(history.step) == 4 and math.isfinite(history.train_rmse[-1])


@pytest.mark.parametrize("third, kept", [(0.24, "extended"), (0.26, TO), (0.9, TO)])
def test_a_decisive_candidate_is_kept_only_under_its_factor(third, kept):
    """``decisive=(name, factor)``: a third branch, kept only when its loss is under factor
    times the better of the other two (here the switch's 0.5, so under 0.25)."""
    x, _ = _data()
    model = _inside(_model(), x)
    seen = []
    scores = iter([1.0, 0.5, third])

    def trial():
        seen.append(model.layers[1].extrapolate)
        return next(scores)

    layers = choose_continuation(model, x, TO, trial, ("extended", 0.5))
    assert seen == ["quadratic", TO, "extended"]
    assert layers == [0, 1]
    assert [layer.extrapolate for layer in model.layers] == [kept, kept]


def test_a_decisive_candidate_needs_the_choice_and_a_factor_in_0_1():
    FitConfig(choose_continuation=TO, choose_continuation_decisive=("extended", 0.5))
    for bad in (("extended", 0.0), ("extended", 1.5), ("nope", 0.5), ["extended", 0.5],
                ("extended", True)):
        with pytest.raises(ValueError, match="choose_continuation_decisive"):
            FitConfig(choose_continuation=TO, choose_continuation_decisive=bad)
    with pytest.raises(ValueError, match="choose_continuation_decisive"):
        FitConfig(choose_continuation_decisive=("extended", 0.5))


def test_layers_the_kept_trial_sends_far_beyond_their_grid_continue_as_far_says():
    """``far = (name, widths)``: a layer whose inputs the kept branch's trial moved more than
    ``widths`` widths of its grid out takes ``name``; the state is put back
    (docs/pykan_notebook_runs.md, bigtargets)."""
    x, _ = _data()
    model = _inside(_model(), x)
    # a trial that moves nothing: the layers keep the branch's continuation
    assert choose_continuation(model, x, TO, lambda: 1.0, far=("tapered", 4.0)) == []
    assert [layer.extrapolate for layer in model.layers] == ["quadratic", "quadratic"]
    before = {k: v.clone() for k, v in model.state_dict().items()}

    def far_trial():  # layer 0's outputs (layer 1's inputs) scaled far beyond layer 1's grid
        with torch.no_grad():
            model.layers[0].scale_base.mul_(1e3)
            model.layers[0].scale_sp.mul_(1e3)
        return 1.0

    layers = choose_continuation(model, x, TO, far_trial, far=("tapered", 4.0))
    assert layers == [1]
    assert [layer.extrapolate for layer in model.layers] == ["quadratic", "tapered"]
    for k, v in model.state_dict().items():
        assert k.endswith(".extrapolate") or torch.equal(v, before[k]), k
    # without `far` the same trial leaves the continuations alone
    set_continuations(model, ["quadratic", "quadratic"])
    assert choose_continuation(model, x, TO, far_trial) == []
    assert [layer.extrapolate for layer in model.layers] == ["quadratic", "quadratic"]
    # nor does it where the kept continuation is bounded beyond the grid (pykan's own spline)
    set_continuations(model, ["quadratic", "extended"])
    assert choose_continuation(model, x, TO, far_trial, far=("tapered", 4.0)) == []
    assert [layer.extrapolate for layer in model.layers] == ["quadratic", "extended"]


@pytest.mark.parametrize("far", [("tapered",), ("nope", 4.0), ("tapered", 0), ("tapered", True)])
def test_choose_continuation_far_is_checked(far):
    with pytest.raises(ValueError, match="choose_continuation_far"):
        FitConfig(choose_continuation=TO, choose_continuation_far=far)
    with pytest.raises(ValueError, match="choose_continuation_far"):  # needs the choice
        FitConfig(choose_continuation_far=("tapered", 4.0))

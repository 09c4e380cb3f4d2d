"""The symbolic stage of `kanlab train`: no constants are trained when no formula can come out."""
import torch

from kanlab import KAN
from kanlab.cli._symbolic_stage import symbolic_stage
from kanlab.cli._train_job import TrainConfig
from kanlab.train._history import History


def _stage(width, r2_threshold, status="completed"):
    """Run the stage on ``sin(3x)·y`` with a fake constants' fit that records its calls."""
    torch.manual_seed(0)
    x = torch.rand(200, 2, dtype=torch.float64) * 2 - 1
    y = torch.sin(3 * x[:, :1]) * x[:, 1:]
    model = KAN(width, grid=5, seed=0, dtype=torch.float64)
    model.reference_input = x
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    calls, state = [], {"steps_done": 0}

    def fit_constants(m, steps):
        calls.append(steps)
        return History(step=[1], train_rmse=[1.0], test_rmse=[1.0], reg=[0.0], status=status)
    result = symbolic_stage(model, TrainConfig(r2_threshold=r2_threshold, steps=3), data, state,
                            lambda line: None, ["x", "y"], fit_constants)
    return result, calls, state, model


def test_no_fit_when_an_edge_stays_a_spline():
    """R² threshold 1: every edge stays a spline, so nothing is trained and no formula is made."""
    (model, history), calls, state, start = _stage([2, 1], 1.0)
    assert calls == [] and history is None and state["symbolic"] == {"formula": None}
    assert all(bool((layer.mask != 0).all()) for layer in model.layers)  # the spline model
    assert torch.equal(model.layers[0].coef, start.layers[0].coef)


def test_second_attempt_trains_only_under_the_linear_last_layer():
    """With two layers, the retry trains once (splines under the fixed last layer), then stops."""
    (_, history), calls, state, _ = _stage([2, 2, 1], 1.0)
    assert calls == [3] and history is None and state["symbolic"]["formula"] is None


def test_a_stop_in_the_second_attempt_is_reported():
    """A fit stopped during the retry returns its interrupted History (the stage starts over)."""
    (_, history), calls, _, _ = _stage([2, 2, 1], 1.0, status="interrupted")
    assert calls == [3] and history.status == "interrupted"


def test_constants_are_trained_when_every_edge_is_symbolic():
    """R² threshold 0: every edge becomes symbolic, its constants are trained, a formula comes out."""
    (_, history), calls, state, _ = _stage([2, 1], 0.0)
    assert calls == [3] and history is not None and state["symbolic"]["formula"] is not None

"""fit(): convergence, reproducibility, history, faults and input checks."""
import math

import pytest
import torch

import kanlab
from kanlab.train import FitConfig, NonFiniteLossError, fit


def _tensors(model):
    """(name, tensor) of the state dict; the symbolic names (extra state) left out."""
    return [(k, v) for k, v in model.state_dict().items() if torch.is_tensor(v)]


def sine_data(n=200):
    return kanlab.create_dataset(lambda x: torch.sin(math.pi * x), 1, train_num=n, test_num=n,
                                 seed=1, dtype=torch.float64)


def test_lbfgs_fit_reaches_threshold():
    """A seeded [1, 1] KAN on 10 intervals fits sin(pi x) to RMSE < 1e-3 in 30 LBFGS steps."""
    model = kanlab.KAN([1, 1], grid=10, k=3, seed=0, dtype=torch.float64)
    history = model.fit(sine_data(), steps=30, progress=False)
    assert history.status == "completed"
    assert history.test_rmse[-1] < 1e-3
    assert history.train_rmse[-1] < history.train_rmse[0]


def test_seed_function_fit_reaches_threshold(seed_data):
    """[2, 5, 1] on the seed function gets below RMSE 3e-2 (3% of the label spread) in 40 steps."""
    model = kanlab.KAN([2, 5, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    history = model.fit(seed_data, steps=40, progress=False)
    assert history.test_rmse[-1] < 3e-2


def test_adam_decreases_loss():
    """Adam with minibatches lowers the RMSE."""
    model = kanlab.KAN([1, 3, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    history = model.fit(sine_data(), opt="Adam", lr=1e-2, steps=60, batch=64, progress=False)
    assert history.train_rmse[-1] < 0.5 * history.train_rmse[0]


@pytest.mark.parametrize("opt", ["LBFGS", "Adam"])
def test_same_seed_bit_identical(seed_data, opt):
    """Two runs (init, minibatch fit with three grid updates, a final update_grid) give
    bit-identical parameters and buffers; a different fit seed gives different ones."""
    states = []
    for fit_seed in (0, 0, 1):
        model = kanlab.KAN([2, 3, 1], grid=5, k=3, seed=3, dtype=torch.float64)
        history = model.fit(seed_data, opt=opt, lr=1.0 if opt == "LBFGS" else 1e-2, steps=6,
                            batch=100, grid_update_num=3, stop_grid_update_step=6, seed=fit_seed,
                            progress=False)
        assert history.grid_update_steps == [0, 2, 4]
        model.update_grid(seed_data["train_input"][:50])
        states.append(dict(_tensors(model)))
    for key in states[0]:
        assert torch.equal(states[0][key], states[1][key]), key
    assert not all(torch.equal(states[0][key], states[2][key]) for key in states[0])


def test_global_rng_untouched(seed_data):
    """Building, fitting (minibatches, grid updates), refining and creating data leave the
    global torch, numpy and random states unchanged."""
    import random

    import numpy as np

    torch_state, np_state, py_state = torch.get_rng_state(), np.random.get_state(), random.getstate()
    kanlab.create_dataset(lambda x: x, 1, train_num=10, test_num=10)
    model = kanlab.KAN([2, 2, 1], grid=3, k=3, seed=0, dtype=torch.float64)
    model.fit(seed_data, steps=2, batch=50, progress=False)
    model.update_grid(seed_data["train_input"])
    model.refine(6)
    assert torch.equal(torch_state, torch.get_rng_state())
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]
    assert random.getstate() == py_state


def test_library_is_silent(seed_data, capsys, tmp_path, monkeypatch):
    """Model building, forward, grid work and a fit without progress print and write nothing."""
    monkeypatch.chdir(tmp_path)
    model = kanlab.KAN([2, 2, 1], grid=3, k=3, seed=0, dtype=torch.float64)
    model(seed_data["train_input"])
    model.update_grid(seed_data["train_input"])
    model = model.refine(6)
    model.fit(seed_data, steps=2, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert list(tmp_path.iterdir()) == []


def test_history_records_every_step_and_grid_updates(seed_data):
    """History has one entry per step and the grid-update steps follow pykan's schedule."""
    model = kanlab.KAN([2, 2, 1], grid=3, k=3, seed=0, dtype=torch.float64)
    history = model.fit(seed_data, steps=12, stop_grid_update_step=10, grid_update_num=5,
                        progress=False)
    assert history.step == list(range(1, 13))
    assert len(history.train_rmse) == len(history.test_rmse) == len(history.reg) == 12
    assert history.grid_update_steps == [0, 2, 4, 6, 8]
    assert history["train_loss"] is history.train_rmse  # pykan's key


def test_regularisation_is_recorded(seed_data):
    """With lamb > 0 the sparsity term is positive and recorded."""
    model = kanlab.KAN([2, 3, 1], grid=3, k=3, seed=0, dtype=torch.float64)
    history = model.fit(seed_data, steps=3, lamb=1e-3, lamb_smooth=1e-3, progress=False)
    assert all(r > 0 for r in history.reg)


def test_nonfinite_loss_stops_and_restores(seed_data, monkeypatch):
    """A NaN loss stops fit, restores the last good parameters and reports the step."""
    model = kanlab.KAN([2, 2, 1], grid=3, k=3, seed=0, dtype=torch.float64)
    calls = {"n": 0}
    forward = model.forward

    def poisoned(x):
        calls["n"] += 1
        y = forward(x)
        return y * float("nan") if calls["n"] > 40 else y

    monkeypatch.setattr(model, "forward", poisoned)
    snapshots = []
    history = fit(model, seed_data, FitConfig(steps=50, update_grid=False, progress=False,
                                              callback=lambda s, m, h: snapshots.append(
                                                  {k: v.clone() for k, v in _tensors(m)})))
    assert history.status == "nonfinite"
    assert history.stopped_at is not None and history.stopped_at < 50
    for key, value in _tensors(model):
        assert torch.isfinite(value).all()
        assert torch.equal(value, snapshots[-1][key])


def test_nonfinite_loss_can_raise(seed_data, monkeypatch):
    """on_nonfinite='raise' raises NonFiniteLossError."""
    model = kanlab.KAN([2, 2, 1], grid=3, k=3, seed=0, dtype=torch.float64)
    monkeypatch.setattr(model, "forward", lambda x: torch.full((x.shape[0], 1), float("nan"),
                                                               dtype=x.dtype))
    with pytest.raises(NonFiniteLossError, match="step 0"):
        fit(model, seed_data, FitConfig(steps=3, update_grid=False, progress=False,
                                        on_nonfinite="raise"))


@pytest.mark.parametrize("kwargs, message", [
    ({"opt": "SGD"}, "opt must be"),
    ({"steps": -1}, "steps"),
    ({"lr": 0.0}, "lr must be > 0"),
    ({"lamb": float("nan")}, "lamb"),
    ({"batch": 0}, "batch"),
    ({"on_nonfinite": "ignore"}, "on_nonfinite"),
])
def test_fit_config_rejects_bad_options(kwargs, message):
    """Bad options raise ValueError naming the option."""
    with pytest.raises(ValueError, match=message):
        FitConfig(**kwargs)


def _broken(data, key, value):
    out = dict(data)
    out[key] = value
    return out


@pytest.mark.parametrize("mutate, error, message", [
    (lambda d: {k: v for k, v in d.items() if k != "test_label"}, ValueError, "lacks"),
    (lambda d: _broken(d, "train_input", d["train_input"][:, :1]), ValueError, r"\(N, 2\)"),
    (lambda d: _broken(d, "train_input", d["train_input"].float()), TypeError, "dtype"),
    (lambda d: _broken(d, "train_label", d["train_label"][:10]), ValueError, "rows"),
    (lambda d: _broken(d, "train_label", d["train_label"] * float("nan")), ValueError, "non-finite"),
    (lambda d: _broken(d, "test_input", d["test_input"].numpy()), TypeError, "torch.Tensor"),
])
def test_fit_rejects_bad_datasets(seed_data, mutate, error, message):
    """A malformed dataset is rejected before training with a clear message."""
    model = kanlab.KAN([2, 2, 1], grid=3, k=3, seed=0, dtype=torch.float64)
    with pytest.raises(error, match=message):
        model.fit(mutate(seed_data), steps=1, progress=False)


def test_all_finite_is_not_fooled_by_overflowing_sums():
    """Finite values whose float32 sum overflows are still finite (sums are float64)."""
    from kanlab.train._rollback import all_finite as _all_finite
    big = torch.full((16,), 3e38, dtype=torch.float32)
    assert not torch.isfinite(big.sum())
    assert _all_finite([big, -big])
    assert not _all_finite([big, torch.tensor([float("-inf")])])


def test_all_finite_flags_any_nan_or_inf_across_dtypes():
    from kanlab.train._rollback import all_finite as _all_finite
    a, b = torch.zeros(3), torch.ones(2, 2, dtype=torch.float64)
    assert _all_finite([a, b, torch.arange(3)])
    b[1, 0] = float("inf")
    assert not _all_finite([a, b])
    b[1, 0] = 0.0
    a[2] = float("nan")
    assert not _all_finite([a, b])
    assert _all_finite([])


def test_loss_fn_cross_entropy_with_class_labels():
    """FitConfig.loss_fn(pred, label): class indices as labels, sqrt(loss) in the history."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=g, dtype=torch.float64) * 2 - 1
    labels = (x[:, 0] * x[:, 1] > 0).long()  # XOR-like: not linearly separable
    model = kanlab.KAN([2, 3, 2], grid=5, k=3, seed=0, dtype=torch.float64)
    data = {"train_input": x, "train_label": labels, "test_input": x, "test_label": labels}
    ce = torch.nn.functional.cross_entropy
    hist = fit(model, data, FitConfig(steps=15, loss_fn=ce, progress=False))
    with torch.no_grad():
        logits = model(x)
    assert (logits.argmax(1) == labels).double().mean() > 0.95
    assert math.isclose(hist.train_rmse[-1], math.sqrt(float(ce(logits, labels))), rel_tol=1e-9)
    assert hist.train_rmse[-1] < hist.train_rmse[0]
    # the pykan-style entry point forwards it too
    model2 = kanlab.KAN([2, 3, 2], grid=5, k=3, seed=0, dtype=torch.float64)
    hist2 = model2.fit(data, steps=15, loss_fn=ce, progress=False)
    assert hist2.train_rmse == hist.train_rmse


def test_loss_fn_none_is_the_mean_squared_error(seed_data):
    a = kanlab.KAN([2, 3, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    b = kanlab.KAN([2, 3, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    h1 = fit(a, seed_data, FitConfig(steps=3, progress=False))
    mse = lambda pred, y: torch.mean((pred - y) ** 2)  # noqa: E731
    h2 = fit(b, seed_data, FitConfig(steps=3, progress=False, loss_fn=mse))
    assert h1.train_rmse == pytest.approx(h2.train_rmse, rel=1e-6)


def test_loss_fn_must_be_callable():
    with pytest.raises(TypeError, match="loss_fn must be None or a callable"):
        FitConfig(loss_fn="cross_entropy")


def test_rmse_with_a_loss_fn_that_differentiates_the_model():
    """A ``loss_fn`` may differentiate the model (a PINN residual by ``autograd.grad``): the
    reported RMSE evaluates it with autograd on (was: RuntimeError under ``no_grad``); a loss
    that does not differentiate is evaluated without a graph."""
    from kanlab.train._objective import rmse
    model = kanlab.KAN([1, 1], grid=3, seed=0)
    xc = torch.linspace(-1, 1, 9).reshape(-1, 1).requires_grad_(True)

    def residual(pred, y):
        du = torch.autograd.grad(model(xc).sum(), xc, create_graph=True)[0]
        return torch.mean(du ** 2) + 0 * pred.sum()
    x = torch.zeros(4, 1)
    expected = torch.sqrt(residual(model(x), x)).item()
    assert rmse(model, x, x, residual) == pytest.approx(expected)
    seen = []
    rmse(model, x, x, lambda p, y: (seen.append(p.requires_grad), torch.mean(p ** 2))[1])
    assert seen == [False]

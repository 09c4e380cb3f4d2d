"""FitConfig.retry_trapped: a first interval left far above the labels' variance is trained
again from fresh draws, and the fit goes on from one only when it ends clearly lower."""
import pytest
import torch

import kanlab
from kanlab.train._config import FitConfig
from kanlab.train._fit import fit
from kanlab.train._trap_retry import is_trapped, label_variance


def _data(f, n_var=2, seed=0):
    return kanlab.create_dataset(f, n_var=n_var, seed=seed, train_num=300, test_num=100)


def _composite(x):  # f(g(x) + h(y)): a [2, 1, 1] can hold it exactly
    return torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)


def _fit(model, data, **kw):
    return fit(model, data, FitConfig(steps=20, progress=False, **kw))


def _same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_a_trapped_draw_escapes():
    """A [2, 1, 1] draw that stays at a third of the labels' spread trains with retries."""
    data = _data(_composite)
    spread = float(data["train_label"].std())
    trapped = kanlab.KAN([2, 1, 1], grid=3, k=3, seed=6)
    h_off = _fit(trapped, data)
    assert h_off.train_rmse[-1] > 0.2 * spread  # the draw is trapped without the retry
    retried = kanlab.KAN([2, 1, 1], grid=3, k=3, seed=6)
    h_on = _fit(retried, data, retry_trapped=3)
    assert h_on.restarted_at == 5  # after the first interval (grid updates every 5 steps)
    assert h_on.train_rmse[-1] < 0.05 * spread
    assert len(h_on.train_rmse) == 20 and h_on.step == list(range(1, 21))
    assert h_on.grid_update_steps == [0, 5, 10, 15]


def test_the_retried_fit_is_deterministic():
    """Two retried fits of the same draw give the same parameters and history."""
    data = _data(_composite)
    a, b = (kanlab.KAN([2, 1, 1], grid=3, k=3, seed=6) for _ in range(2))
    ha, hb = _fit(a, data, retry_trapped=2), _fit(b, data, retry_trapped=2)
    assert _same_state(a, b) and ha.train_rmse == hb.train_rmse


@pytest.mark.parametrize("seed", [2, 5])
def test_a_draw_that_trains_is_untouched(seed):
    """Below the threshold the check only evaluates: the fit equals the one without it."""
    data = _data(_composite)
    a, b = (kanlab.KAN([2, 1, 1], grid=3, k=3, seed=seed) for _ in range(2))
    ha, hb = _fit(a, data), _fit(b, data, retry_trapped=3)
    assert not is_trapped(b, data["train_input"], data["train_label"], 0.05)
    assert hb.restarted_at is None
    assert _same_state(a, b) and ha.train_rmse == hb.train_rmse


def test_no_clearly_better_draw_leaves_the_fit_as_it_was():
    """On pure-noise labels every draw is 'trapped' and none is twice better: the trials run,
    and the fit goes on bit for bit from its own state (float64 stalls included)."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=g) * 2 - 1
    y = torch.randn(200, 1, generator=g)
    data = {"train_input": x, "train_label": y, "test_input": x[:50], "test_label": y[:50]}
    a, b = (kanlab.KAN([2, 1, 1], grid=3, k=3, seed=0) for _ in range(2))
    kw = dict(float64_when_stalled=True)
    ha, hb = _fit(a, data, **kw), _fit(b, data, retry_trapped=2, **kw)
    assert is_trapped(b, x, y, 0.05)  # the check did fire
    assert hb.restarted_at is None
    assert _same_state(a, b) and ha.train_rmse == hb.train_rmse


def test_label_variance_is_the_mse_of_the_mean():
    """The threshold's unit: the mean squared error of predicting the labels' mean."""
    y = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    assert label_variance(y) == pytest.approx(0.5)  # (1 + 1) / 2 outputs / 2 samples


@pytest.mark.parametrize("kw,err", [(dict(retry_trapped=-1), ValueError),
                                    (dict(retry_trapped=1.5), TypeError),
                                    (dict(retry_trapped_above=0.0), ValueError),
                                    (dict(retry_trapped=1, distributed=True), ValueError)])
def test_bad_options_are_refused(kw, err):
    """Negative or fractional retries, a non-positive threshold, distributed fits."""
    with pytest.raises(err):
        FitConfig(**kw)


@pytest.mark.parametrize("kw", [dict(steps=5), dict(steps=8, opt="Adam", lr=1e-2)])
def test_short_and_adam_fits_are_not_retried(kw):
    """A fit no longer than the first interval, or an Adam fit, keeps its own draw."""
    data = _data(_composite)
    a, b = (kanlab.KAN([2, 1, 1], grid=3, k=3, seed=6) for _ in range(2))
    ha = fit(a, data, FitConfig(progress=False, **kw))
    hb = fit(b, data, FitConfig(progress=False, retry_trapped=3, **kw))
    assert hb.restarted_at is None
    assert _same_state(a, b) and ha.train_rmse == hb.train_rmse


def test_a_loss_fn_whose_labels_are_targets_is_retried():
    """labels_are_targets: a loss_fn that compares with the labels (here the MSE itself) gets
    the retry as the plain MSE does; without it the loss_fn's fit keeps its trapped draw."""
    data = _data(_composite)
    mse = lambda pred, y: torch.mean((pred - y) ** 2)  # noqa: E731
    off, on = (kanlab.KAN([2, 1, 1], grid=3, k=3, seed=6) for _ in range(2))
    h_off = _fit(off, data, retry_trapped=3, loss_fn=mse)
    h_on = _fit(on, data, retry_trapped=3, loss_fn=mse, labels_are_targets=True)
    assert h_off.restarted_at is None
    assert h_on.restarted_at == 5 and h_on.train_rmse[-1] < 0.5 * h_off.train_rmse[-1]


def test_labels_are_targets_must_be_a_bool():
    with pytest.raises(TypeError, match="labels_are_targets"):
        FitConfig(labels_are_targets=1)

"""pykan 0.2.1's names (mid-July 2024: the tutorials of 65fd339 and ed20f65) on kanlab.pykan:
``KAN(save_plot_data=)`` / ``model.save_plot_data`` for ``save_act``, ``fit(reg_metric='act'
| 'fa')`` and ``plot(metric='act' | 'fa')`` for 0.2.8's metrics of the same definition."""
import pytest

import kanlab.pykan as pykan
from _data import sin_square_dataset


def _kan(**kw):
    return pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False, **kw)


def test_save_plot_data_is_save_act():
    model = _kan(save_plot_data=False)
    assert model.save_act is False and model.save_plot_data is False
    model.save_plot_data = True  # 65fd339's MultKAN_tutorial, before refine
    assert model.save_act is True
    model(sin_square_dataset()["train_input"])
    assert model.refine(5).save_plot_data is True
    assert _kan(save_plot_data=True).save_act is True
    with pytest.raises(ValueError, match="save_plot_data is pykan 0.2.1's name for save_act"):
        _kan(save_act=False, save_plot_data=True)


def test_021_reg_metric_names_are_the_spline_metrics():
    """0.2.1's fit: 'act' penalised acts_scale_spline (0.2.8's edge_forward_spline_n), 'fa'
    (its default) edge_actscale (0.2.8's edge_forward_spline_u)."""
    data = sin_square_dataset()
    for old, new in (("act", "edge_forward_spline_n"), ("fa", "edge_forward_spline_u")):
        a, b = _kan(), _kan()
        ra = a.fit(data, steps=2, lamb=0.01, reg_metric=old, update_grid=False)
        rb = b.fit(data, steps=2, lamb=0.01, reg_metric=new, update_grid=False)
        assert ra["train_loss"] == rb["train_loss"] and ra["reg"] == rb["reg"]


def test_021_plot_metric_names(monkeypatch):
    """0.2.1's plot: 'act' shaded edges by acts_scale (0.2.8's 'forward_n'), 'fa' by the
    attribution scores (0.2.8's 'backward')."""
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import kanlab.plotting
    seen = []
    real = kanlab.plotting.plot_network

    def spy(*args, **kwargs):
        seen.append(kwargs["metric"])
        return real(*args, **kwargs)

    monkeypatch.setattr(kanlab.plotting, "plot_network", spy)
    model = _kan()
    model(sin_square_dataset()["train_input"])
    for name in ("act", "fa", "forward_u"):
        model.plot(metric=name)
        plt.close("all")
    assert seen == ["forward_n", "backward", "forward_u"]
    with pytest.raises(ValueError, match="metric must be one of"):
        model.plot(metric="w")

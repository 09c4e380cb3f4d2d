"""pykan's reg_metric names of July 2024 on kanlab.pykan (pykan/_fit_settings.py::reg_metric_name)."""
import pytest
import torch

import kanlab.pykan as pykan
from _data import sin_square_dataset


def _kan(width):
    return pykan.KAN(width=width, grid=3, k=3, seed=0, auto_save=False)


def test_july_2024_reg_metric_names_are_the_spline_metrics():
    """pykan's MultKAN called the spline metrics 'edge_forward_n' / 'edge_forward_u' until
    August 2024 (Interp_7 of July 2024 fits with reg_metric='edge_forward_n'): the same
    penalty as 'edge_forward_spline_n' / '_u'; an unknown name is still a ValueError."""
    data = sin_square_dataset()
    for old, new in (("edge_forward_n", "edge_forward_spline_n"),
                     ("edge_forward_u", "edge_forward_spline_u")):
        a, b = _kan([2, 3, 1]), _kan([2, 3, 1])
        ra = a.fit(data, steps=2, lamb=0.01, reg_metric=old, update_grid=False)
        rb = b.fit(data, steps=2, lamb=0.01, reg_metric=new, update_grid=False)
        assert ra["train_loss"] == rb["train_loss"] and ra["reg"] == rb["reg"]
        assert torch.equal(a.reg(old, 1.0, 2.0, 0.0, 0.0), a.reg(new, 1.0, 2.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="reg_metric must be one of"):
        _kan([2, 3, 1]).fit(data, steps=1, reg_metric="edge_forward")
    from kanlab.pykan.utils import get_derivative
    model = _kan([2, 2, 1])
    x, y = data["train_input"][:8], data["train_label"][:8]
    assert torch.equal(get_derivative(model, x, y, "jacobian", "reg", "edge_forward_u"),
                       get_derivative(model, x, y, "jacobian", "reg", "edge_forward_spline_u"))
    with pytest.raises(ValueError, match="reg_metric must be one of"):
        get_derivative(model, x, y, "jacobian", "reg", "edge_forward")

"""A fresh model's first grid update refits a spline no output sees (``scale_sp`` 0, as
pykan's ``perturb`` leaves a compiled network's last layer) to its own smooth (quadratic)
continuation, and every other spline to what the model computes (kanlab.pykan._unseen_splines)."""
import copy

import torch

import kanlab.pykan as pykan
from kanlab.pykan._continuation import grids_placed


def _model_and_samples():
    model = pykan.KAN(width=[2, 2], grid=5, k=3, seed=0, auto_save=False)
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.rand(300, 1, generator=g) * 4 - 2,  # twice the fresh grid
                   torch.rand(300, 1, generator=g) * 2 - 1], 1)
    with torch.no_grad():
        model.layers[0].scale_sp[0, :] = 0.0  # output 0's splines unseen, output 1's seen
    return model, x


def test_an_unseen_spline_takes_its_own_smooth_continuation():
    model, x = _model_and_samples()
    smooth = copy.deepcopy(model)
    grids_placed(smooth)  # the update on the quadratic continuation throughout
    smooth.update_grid(x)
    seen = copy.deepcopy(model)
    with torch.no_grad():
        seen.layers[0].scale_sp[0, :] = 1.0  # the same splines, seen: refitted to themselves
    seen.update_grid(x)
    model.update_grid(x)
    layer = model.layers[0]
    assert torch.equal(layer.knots, smooth.layers[0].knots)
    assert torch.equal(layer.coef[0], smooth.layers[0].coef[0])
    # the extended continuation is 0 beyond the fresh grid's extension, the smooth one grows
    # there: the two refits differ by far more than the noise the splines start with (before
    # this rule the unseen splines took the first)
    assert float((layer.coef[0] - seen.layers[0].coef[0]).detach().abs().max()) > 0.1
    assert torch.equal(layer.coef[1], seen.layers[0].coef[1])  # the seen ones as pykan's


def test_the_seen_splines_keep_the_function_and_the_unseen_change_nothing():
    model, x = _model_and_samples()
    with torch.no_grad():
        before = model(x)
    model.update_grid(x)
    with torch.no_grad():
        after = model(x)
    assert float((after[:, 0] - before[:, 0]).abs().max()) < 1e-6  # only base branches
    assert float((after[:, 1] - before[:, 1]).abs().max()) < 0.05  # pykan 0.2.8-like
    assert not model.continuation_unplaced

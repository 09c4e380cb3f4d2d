"""A direct grid update (``update_grid_from_samples``, ``update_grid``) on a fresh
kanlab.pykan model keeps the function on samples far beyond its ``[-1, 1]`` grid, as
pykan 0.2.8's does: the splines are refitted to what the model computed before the call
(pykan's continuation), not to the quadratic continuation the model takes afterwards."""
import pytest
import torch

import kanlab.pykan as pykan


def _samples(kind, n, n_in, scale, seed):
    g = torch.Generator().manual_seed(seed)
    if kind == "randn":
        return torch.randn(n, n_in, generator=g) * scale
    if kind == "shifted":  # all of them beyond the grid's right end
        return torch.rand(n, n_in, generator=g) * scale + scale
    return (torch.rand(n, n_in, generator=g) * 2 - 1) * scale  # "uniform"


def _change(model, x, method):
    """Largest change of the model's outputs on ``x`` made by ``method(x)``, and the largest
    output before."""
    with torch.no_grad():
        before = model(x)
    getattr(model, method)(x)
    with torch.no_grad():
        after = model(x)
    return float((after - before).abs().max()), float(before.abs().max())


# (width, grid, k, samples, scale); before the fix the outputs moved by 0.47 ([2, 3, 1] k = 1)
# to 2300 ([3, 4, 4, 1]); pykan 0.2.8 moves them by 0.003-0.047 on these, kanlab by as much
CASES = [([4, 3, 2], 3, 3, "randn", 2.0), ([4, 3, 2], 5, 3, "randn", 2.0),
         ([2, 5, 1], 3, 3, "randn", 3.0), ([2, 5, 1], 10, 3, "randn", 1.5),
         ([3, 4, 4, 1], 5, 2, "randn", 2.0), ([2, 3, 1], 5, 1, "randn", 4.0),
         ([1, 1], 5, 3, "randn", 10.0), ([3, 2, 1], 3, 3, "shifted", 2.0),
         ([2, 3, 2], 10, 2, "uniform", 100.0)]


@pytest.mark.parametrize("width,grid,k,kind,scale", CASES)
@pytest.mark.parametrize("method", ["update_grid_from_samples", "update_grid"])
def test_a_direct_grid_update_keeps_the_function_far_beyond_a_fresh_grid(
        width, grid, k, kind, scale, method):
    """The outputs move by at most 6 % of their size (or of 1): a refit's error, no more."""
    x = _samples(kind, 800, width[0], scale, seed=1)
    model = pykan.KAN(width=list(width), grid=grid, k=k, seed=0, auto_save=False)
    change, size = _change(model, x, method)
    # the largest over 100 random networks (1-3 layers, grids 3-20, k 1-3, samples on
    # [-1, 1] to ±100): 0.034 of max(1, size); pykan 0.2.8's largest 0.047
    assert change <= 0.06 * max(1.0, size)
    assert [layer.extrapolate for layer in model.layers] == ["quadratic"] * (len(width) - 1)


def test_the_tutorial_encoders_update_moves_it_no_more_than_pykans():
    """hist5's case (an encoder [4, 3, 2] on randn · 2): kanlab 0.96 before, pykan 0.047."""
    kan = pytest.importorskip("kan")
    x = _samples("randn", 800, 4, 2.0, seed=1)
    ours, _ = _change(pykan.KAN(width=[4, 3, 2], seed=0, auto_save=False), x,
                      "update_grid_from_samples")
    theirs, _ = _change(kan.KAN(width=[4, 3, 2], seed=0, auto_save=False), x,
                        "update_grid_from_samples")
    assert ours <= 1.5 * theirs + 1e-3


def test_the_update_then_trains_on_the_quadratic_continuation():
    """Once placed, the model continues as before: a second update keeps the function too."""
    x = _samples("randn", 400, 2, 3.0, seed=2)
    model = pykan.KAN(width=[2, 3, 1], grid=5, seed=0, auto_save=False)
    model.update_grid_from_samples(x)
    assert model.continuation_unplaced is False
    change, size = _change(model, x * 1.5, "update_grid_from_samples")
    assert change <= 0.06 * max(1.0, size)

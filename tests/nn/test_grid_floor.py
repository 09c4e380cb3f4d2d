"""A faded hidden node's grid keeps a floor (kanlab.nn.update_grid's ``floor``, the model's
``grid_floor``): its splines stay where its samples are, without being squeezed onto a sliver."""
import math

import pytest
import torch

from kanlab import KAN
from kanlab.nn._grid import update_grid
from kanlab.nn._grid_points import widen_narrow_rows

F64 = torch.float64


def test_widen_narrow_rows_centres_a_uniform_grid_of_the_floor_width():
    points = torch.tensor([[-1.0, -0.2, 0.1, 1.0],          # the widest: span 2
                           [0.30, 0.3001, 0.3002, 0.3004],  # span 4e-4
                           [5.0, 5.5, 6.0, 6.5],            # span 1.5, above the floor
                           [float("nan")] * 4], dtype=F64)  # constant samples: the caller's
    out = widen_narrow_rows(points, 0.1)
    assert torch.equal(out[0], points[0]) and torch.equal(out[2], points[2])
    assert torch.isnan(out[3]).all()
    torch.testing.assert_close(out[1], 0.3002 + 0.2 * torch.linspace(-0.5, 0.5, 4, dtype=F64))
    assert widen_narrow_rows(points, 0.0) is points


def _faded_model():
    """A [2, 3, 1] whose hidden node 1 carries almost nothing (its input edges scaled 1e-5)."""
    model = KAN([2, 3, 1], grid=5, k=3, seed=0, dtype=F64)
    with torch.no_grad():
        model.layers[0].scale_sp[1] *= 1e-5
        model.layers[0].scale_base[1] *= 1e-5
    x = 2 * torch.rand(512, 2, generator=torch.Generator().manual_seed(1), dtype=F64) - 1
    return model, x


def _spans(model, level):
    knots, k, g = model.layers[level].knots, model.layers[level].k, model.layers[level].grid
    return knots[:, k + g] - knots[:, k]


def test_update_grid_floor_keeps_a_faded_node_grid_and_the_function():
    model, x = _faded_model()
    plain = KAN([2, 3, 1], grid=5, k=3, seed=0, dtype=F64)
    plain.load_state_dict(model.state_dict())
    before = model(x).detach()
    update_grid(plain, x, carry=True)
    update_grid(model, x, carry=True, floor=0.05)
    shrunk, kept = _spans(plain, 1), _spans(model, 1)
    assert shrunk[1] < 1e-3 * shrunk.max()  # without the floor the node's grid is a sliver
    assert kept[1] >= 0.05 * kept.max() * (1 - 1e-9)
    torch.testing.assert_close(kept[[0, 2]], shrunk[[0, 2]])  # the live nodes' grids as before
    # the inputs' grids are the data's and never widened; the function is carried as well as
    # without the floor (the refit of a fresh grid moves it by ~4e-3 of its spread either way)
    torch.testing.assert_close(_spans(model, 0), _spans(plain, 0))
    change = float((model(x).detach() - before).abs().max())
    assert change <= 1.01 * float((plain(x).detach() - before).abs().max()) + 1e-12
    assert change < 1e-2 * float(before.std())


def test_grid_floor_is_the_models_setting_and_checked():
    model, x = _faded_model()
    assert KAN.grid_floor is None
    model.grid_floor = 0.05
    model.update_grid(x)
    assert _spans(model, 1)[1] >= 0.05 * _spans(model, 1).max() * (1 - 1e-9)
    for bad in (-0.1, 1.5, math.nan, True, "0.1"):
        with pytest.raises(ValueError, match="grid_floor"):
            update_grid(model, x, floor=bad)


def test_pykan_fit_grows_back_from_a_sparse_stage_with_the_floor():
    """API_12's recipe (λ = 0.01 leaves one of five hidden nodes): two unpenalised steps."""
    from kanlab.pykan import KAN as PykanKAN, create_dataset
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    dataset = create_dataset(f, n_var=2, train_num=400, test_num=100)
    losses = {}
    for floor in (None, 0.01):
        model = PykanKAN(width=[2, 5, 1], grid=5, k=3, seed=1, auto_save=False)
        model.grid_floor = floor
        model.fit(dataset, opt="LBFGS", steps=20, lamb=0.01, log=100)
        spans = _spans(model, 1)
        if floor is not None:
            assert bool((spans >= floor * spans.max() * (1 - 1e-6)).all())
        losses[floor] = float(model.fit(dataset, opt="LBFGS", steps=4, log=100)["train_loss"][-1])
    assert losses[0.01] < 0.8 * losses[None], losses

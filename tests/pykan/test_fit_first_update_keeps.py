"""``fit``'s first grid update on a fresh kanlab.pykan model keeps its function on samples
up to four widths beyond the ``[-1, 1]`` grid, as a direct ``update_grid`` does (and pykan
0.2.8's fit): the splines are refitted to what the model computed (pykan's continuation),
then the grids are placed.  Before, ``fit`` placed them first and one Adam step at
lr = 1e-30 moved the outputs by 0.96-8.4 where pykan's moved them by 0.008-0.05."""
import pytest
import torch

import kanlab.pykan as pykan
from kanlab.pykan._continuation import grids_placed


# (width, grid, k, scale of randn samples): before, the outputs moved by 0.96 / 4.67 / 8.41 /
# 4.01 / 0.0073; now 0.033 / 0.030 / 0.0062 / 0.028 / 0.0025; pykan 0.2.8 0.047 / 0.029 /
# 0.0076 / 0.034 / 0.0031 (docs/pykan_notebook_runs.md, fitjump)
CASES = [([4, 3, 2], 3, 3, 2.0), ([4, 3, 2], 5, 3, 2.0), ([2, 5, 1], 10, 3, 1.5),
         ([3, 4, 4, 1], 5, 2, 2.0), ([2, 3, 1], 3, 3, 0.5)]


@pytest.mark.parametrize("width,grid,k,scale", CASES)
def test_fits_first_grid_update_keeps_the_function_beyond_a_fresh_grid(width, grid, k, scale):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(800, width[0], generator=g) * scale
    y = torch.sin(x[:, :1]).repeat(1, width[-1])
    model = pykan.KAN(width=list(width), grid=grid, k=k, seed=0, auto_save=False)
    with torch.no_grad():
        before = model(x)
    ds = dict(train_input=x, train_label=y, test_input=x, test_label=y)
    # one Adam step at lr 1e-30: what moves the outputs is the step-0 grid update
    model.fit(ds, opt="Adam", lr=1e-30, steps=1, update_grid=True, log=1000)
    layer = model.layers[0]
    assert bool((layer.knots[:, layer.k] <= x.min(0).values + 1e-6).all())  # the update ran
    with torch.no_grad():
        after = model(x)
    # a refit's error: pde6b's 100 random networks' direct updates moved by at most 0.034 of
    # max(1, size), pykan 0.2.8's by 0.047
    assert float((after - before).abs().max()) <= 0.06 * max(1.0, float(before.abs().max()))
    assert [l.extrapolate for l in model.layers] == ["quadratic"] * (len(width) - 1)


def test_the_step0_branch_without_the_update_starts_placed():
    """Example_11's ``[1, 1, 1, 1]`` (seed 0): the update's first step is trapped (train RMSE
    0.50 against 0.055), so the fit keeps the branch without it.  That branch starts placed, as
    when ``fit`` placed the grids first: 5.3e-4 after 20 steps; on pykan's unplaced
    continuation until the step-5 update it ended at 1.7e-3 (docs/pykan_notebook_runs.md,
    fitjump2).  A copy placed before its fit keeps that branch too, and ends the same."""
    ds = pykan.create_dataset(lambda x: torch.sin(torch.pi * x[:, [0]]), n_var=1)
    model = pykan.KAN(width=[1, 1, 1, 1], grid=5, k=3, seed=0, noise_scale=0.1, auto_save=False)
    placed = pykan.KAN(width=[1, 1, 1, 1], grid=5, k=3, seed=0, noise_scale=0.1, auto_save=False)
    grids_placed(placed)
    r = model.fit(ds, opt="LBFGS", steps=20, log=1000)
    r_ref = placed.fit(ds, opt="LBFGS", steps=20, log=1000)
    assert r["train_loss"] == r_ref["train_loss"]
    assert [l.extrapolate for l in model.layers] == ["quadratic"] * 3
    assert not model.continuation_unplaced
    assert r["train_loss"][-1] < 1e-3

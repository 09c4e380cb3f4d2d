"""``initialize_from_another_model(other, x)`` fits the new splines where ``other``'s
activations on ``x`` lie, as pykan 0.2.8 does (pykan is the oracle; it runs in a temporary
directory, it writes ./model)."""
import pytest
import torch

from kanlab import pykan


def _target(x):
    return torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)


def _rmse(a, b):
    return float(torch.sqrt(torch.mean((a.double() - b.double()) ** 2)))


def _wiggly(model, seed=0):
    """Coefficients far from the initial ones, so a coarse grid carries a shape a finer
    grid's projection cannot hold exactly."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.act_fun:
            layer.coef.add_(torch.randn(layer.coef.shape, generator=g))
    return model


def _data(n=500, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 2, generator=g) * 2 - 1


def _coarse_pair(kan, x):
    """A wiggly G = 3 pykan model on ``x``'s grid, and kanlab.pykan's copy of it."""
    old = _wiggly(kan.KAN(width=[2, 5, 1], grid=3, k=3, seed=0, auto_save=False))
    old(x)
    old.update_grid_from_samples(x)
    ours_old = pykan.KAN(width=[2, 5, 1], grid=3, k=3, auto_save=False, extrapolate="extended")
    ours_old.load_state_dict(old.state_dict())
    return old, ours_old


def test_matches_pykan_on_pykans_model(tmp_path, monkeypatch):
    """A pykan model taken from G = 3 to G = 5 by pykan and by kanlab.pykan: the gaps to the
    old model on other samples agree, and the two new models agree far more closely than
    either gap (a projection over the whole grid interval left a gap twice pykan's)."""
    kan = pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    x, xt = _data(), _data(seed=1)
    old, ours_old = _coarse_pair(kan, x)
    new = kan.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    new = new.initialize_from_another_model(old, x)
    ours = pykan.KAN(width=[2, 5, 1], grid=5, k=3, auto_save=False, extrapolate="extended")
    assert ours.initialize_from_another_model(ours_old, x) is ours
    with torch.no_grad():
        want, got = _rmse(new(xt), old(xt)), _rmse(ours(xt), ours_old(xt))
        apart = _rmse(ours(xt), new(xt))
    assert want > 1e-3  # a gap to match
    assert got <= 1.1 * want, (got, want)
    assert apart <= 0.3 * want, (apart, want)
    for a, b in zip(ours.act_fun, new.act_fun):  # pykan's grid points
        assert torch.allclose(a.grid, b.grid, atol=1e-6)


def test_fits_on_x_closer_than_the_projection():
    """On its own model, the data-fitted G = 5 model is closer to the G = 3 one on ``x`` (and
    on other samples from the same distribution) than refine's projection of the whole grid."""
    ds = pykan.create_dataset(_target, n_var=2, train_num=300, test_num=300, seed=0)
    old = pykan.KAN(width=[2, 5, 1], grid=3, k=3, seed=0, auto_save=False)
    old.fit(ds, opt="LBFGS", steps=10, log=0)
    x, xt = ds["train_input"], ds["test_input"]
    new = pykan.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    new.initialize_from_another_model(old, x)
    with torch.no_grad():
        projected = old.refine(5)
        fitted, refined = _rmse(new(xt), old(xt)), _rmse(projected(xt), old(xt))
    assert fitted < 0.8 * refined, (fitted, refined)


def test_a_finer_grid_keeps_the_function():
    """G 5 -> 10 (nested grids) keeps the function on and off the samples, and copies the
    rest: masks, scales, symbolic edges."""
    x = _data(200)
    old = _wiggly(pykan.KAN(width=[2, 3, 1], grid=5, k=3, seed=1, auto_save=False))
    old.update_grid_from_samples(x)
    old.fix_symbolic(1, 2, 0, "sin", fit_params_bool=False, verbose=False)
    old.remove_edge(0, 1, 2)
    new = pykan.KAN(width=[2, 3, 1], grid=10, k=3, seed=0, auto_save=False)
    new.initialize_from_another_model(old, x)
    assert torch.equal(new.reference_input, x)  # the data of later scores and plots
    wide = _data(200, seed=2) * 1.5
    with torch.no_grad():
        assert _rmse(new(x), old(x)) < 1e-5
        assert _rmse(new(wide), old(wide)) < 1e-4
    assert new.grid == 10 and [l.grid for l in new.layers] == [10, 10]
    assert torch.equal(new.layers[0].mask, old.layers[0].mask)
    assert new.symbolic_fun[1].funs_name[0][2] == "sin"
    assert [l.extrapolate for l in new.layers] == ["quadratic", "quadratic"]


def test_samples_are_checked():
    old = pykan.KAN(width=[2, 3, 1], grid=3, auto_save=False)
    new = pykan.KAN(width=[2, 3, 1], grid=5, auto_save=False)
    with pytest.raises(ValueError, match=r"shape \(B, 2\)"):
        new.initialize_from_another_model(old, torch.zeros(10, 3))
    with pytest.raises(ValueError, match="same width"):
        pykan.KAN(width=[2, 2, 1], auto_save=False).initialize_from_another_model(
            old, torch.zeros(10, 2))


def test_grids_from_another_model_as_pykan(tmp_path, monkeypatch):
    """``initialize_grid_from_another_model``: pykan's grid points (the other model's,
    interpolated) and splines fitted to the other's on ``x``; the model's own scales stay."""
    kan = pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    x, xt = _data(), _data(seed=1)
    old, ours_old = _coarse_pair(kan, x)
    new = kan.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    new.initialize_grid_from_another_model(old, x)
    ours = pykan.KAN(width=[2, 5, 1], grid=5, k=3, auto_save=False, extrapolate="extended")
    ours.load_state_dict(kan.KAN(width=[2, 5, 1], grid=5, k=3, seed=0,
                                 auto_save=False).state_dict())
    scale_sp = ours.layers[0].scale_sp.clone()
    ours.initialize_grid_from_another_model(ours_old, x)
    for a, b in zip(ours.act_fun, new.act_fun):
        assert torch.allclose(a.grid, b.grid, atol=1e-6)
    assert torch.equal(ours.layers[0].scale_sp, scale_sp)
    with torch.no_grad():
        gap = _rmse(new(xt), old(xt))
        assert _rmse(ours(xt), new(xt)) <= 0.3 * gap, (_rmse(ours(xt), new(xt)), gap)

"""``load_state_dict`` of pykan 0.2.8's keys into a default-built kanlab.pykan model puts the
splines on pykan's continuation, as ``loadckpt`` does, so the model computes pykan's outputs
beyond the grid too (pykan is the oracle; it runs in a temporary directory)."""
import pytest
import torch

from kanlab import pykan


@pytest.fixture
def kan(tmp_path, monkeypatch):
    module = pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    return module


def _trained_like(kan, seed=0):
    """A pykan model off its initial coefficients, its grid moved to skewed samples."""
    model = kan.KAN(width=[2, 5, 1], grid=5, k=3, seed=seed, auto_save=False)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.act_fun:
            layer.coef.add_(torch.randn(layer.coef.shape, generator=g) * 0.5)
    x = torch.rand(64, 2, generator=g) ** 2 * 2 - 1
    model.update_grid_from_samples(x)
    return model


def _beyond(n=200):
    g = torch.Generator().manual_seed(1)
    return (torch.rand(n, 2, generator=g) * 2 - 1) * 3


def test_default_model_takes_pykans_continuation(kan):
    pk = _trained_like(kan)
    ours = pykan.KAN(width=[2, 5, 1], grid=5, k=3, auto_save=False)  # quadratic by default
    ours.load_state_dict(pk.state_dict())
    assert [layer.extrapolate for layer in ours.layers] == ["extended", "extended"]
    assert ours.extrapolate == "extended"
    x = _beyond()
    with torch.no_grad():
        want, got = pk(x), ours(x)
    assert float((got - want).abs().max()) <= 2e-5 * float(want.abs().max().clamp_min(1.0))


def test_the_continuation_stays_through_a_fit_and_a_round_trip(kan):
    """A fit keeps it (fits choose only from the default) and kanlab's own state_dict
    carries it; kanlab's own keys leave a model's continuation to the state."""
    ours = pykan.KAN(width=[2, 5, 1], grid=5, k=3, auto_save=False)
    ours.load_state_dict(_trained_like(kan).state_dict())
    assert ours.chosen_continuations is None and not ours.continuation_fixed
    ds = pykan.create_dataset(lambda x: x[:, [0]] * x[:, [1]], n_var=2, train_num=100,
                              test_num=50, seed=0)
    ours.fit(ds, opt="LBFGS", steps=3, log=0)
    assert [layer.extrapolate for layer in ours.layers] == ["extended", "extended"]
    again = pykan.KAN(width=[2, 5, 1], grid=5, k=3, auto_save=False)
    again.load_state_dict(ours.state_dict())
    x = _beyond()
    with torch.no_grad():
        assert torch.equal(again(x), ours(x))
    native = pykan.KAN(width=[2, 5, 1], grid=5, k=3, auto_save=False, extrapolate="linear")
    plain = {k: v for k, v in native.state_dict().items() if not k.endswith(".extrapolate")}
    pykan.KAN(width=[2, 5, 1], grid=5, k=3, auto_save=False).load_state_dict(plain)
    kept = pykan.KAN(width=[2, 5, 1], grid=5, k=3, auto_save=False, extrapolate="linear")
    kept.load_state_dict(plain)
    assert kept.extrapolate == "linear"

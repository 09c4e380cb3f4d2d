"""kanlab.pykan: the continuation a fit chose, and the fits' choice flags, travel with
``state_dict`` (and keep working with saveckpt/loadckpt and copies)."""
import copy

import pytest
import torch

from kanlab.pykan import KAN, create_dataset


def _f(x):
    return torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)


def _model(seed=1, grid=3):
    return KAN(width=[2, 3, 1], grid=grid, k=3, seed=seed, auto_save=False)


@pytest.fixture(scope="module")
def fitted():
    """Seed 0: the fit switches both layers to "extended_quadratic"."""
    model = _model(seed=0)
    model.fit(create_dataset(_f, n_var=2, seed=0, train_num=200), opt="LBFGS", steps=10,
              log=100)
    assert model.chosen_continuations == [0, 1]
    return model


def _beyond():
    return torch.linspace(-3, 3, 61)[:, None] * torch.tensor([1.0, -0.7])


def _same(a, b):
    assert [l.extrapolate for l in a.layers] == [l.extrapolate for l in b.layers]
    assert a.extrapolate == b.extrapolate
    assert a.chosen_continuations == b.chosen_continuations
    assert a.continuation_fixed == b.continuation_fixed
    with torch.no_grad():
        torch.testing.assert_close(a(_beyond()), b(_beyond()), rtol=0, atol=0)


def test_state_dict_round_trip_after_a_fit_that_switched(fitted):
    fresh = _model()
    fresh.load_state_dict(fitted.state_dict())
    _same(fresh, fitted)


def test_the_flags_of_a_refined_model_travel_too(fitted):
    refined = fitted.refine(5)
    assert refined.continuation_fixed and refined.chosen_continuations == []
    fresh = _model(grid=5)
    fresh.load_state_dict(refined.state_dict())
    _same(fresh, refined)


def test_a_state_dict_from_before_loads_strictly(fitted):
    old = {k: v for k, v in fitted.state_dict().items()
           if not k.endswith((".extrapolate", "continuation_choice"))}
    fresh = _model()
    result = fresh.load_state_dict(old, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert all(l.extrapolate == "quadratic" for l in fresh.layers)
    assert fresh.chosen_continuations is None and fresh.continuation_fixed is False


def test_a_bad_choice_entry_is_reported(fitted):
    state = fitted.state_dict()
    state["continuation_choice"] = torch.tensor([0, 1])  # one layer short
    with pytest.raises(RuntimeError, match="continuation_choice"):
        _model().load_state_dict(state)


def test_saveckpt_loadckpt_and_copies_keep_them(fitted, tmp_path):
    fitted.saveckpt(str(tmp_path / "m"))
    _same(KAN.loadckpt(str(tmp_path / "m")), fitted)
    _same(copy.deepcopy(fitted), fitted)
    fitted.save_ckpt("old_api", folder=str(tmp_path / "old"))
    fresh = _model()
    fresh.load_ckpt("old_api", folder=str(tmp_path / "old"))
    _same(fresh, fitted)

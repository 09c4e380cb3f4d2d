"""kanlab.pykan's continuation until a grid update first places the grids on data: pykan's
own (``"extended"``), so code that trains without updating grids (a user's own loop,
``fit(update_grid=False)``) computes and trains what pykan's does; from the first grid
update on, the quadratic, as before (kanlab.pykan._continuation)."""
import pytest
import torch

import kanlab.pykan as pykan


def _dataset(n=100, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g) * 2 - 1
    y = x[:, :1] * x[:, 1:]
    return {"train_input": x, "train_label": y, "test_input": x, "test_label": y}


def _square_wave(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, 1, generator=g) * 2 - 1) * 2 * torch.pi  # far beyond pykan's [-1, 1]
    return x, torch.sign(torch.sin(x))


def _own_loop(model, x, y, steps=150):
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.mean((model(x) - y) ** 2)
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float(torch.mean((model(x) - y) ** 2))


def _continuations(model):
    return [layer.extrapolate for layer in model.layers]


def test_pykans_continuation_until_a_grid_update_places_the_grids():
    model = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    assert _continuations(model) == ["extended", "extended"]
    for other in (model.copy(), model.refine(5)):
        assert _continuations(other) == ["extended", "extended"]
    model.fit(_dataset(), steps=2, update_grid=False)  # no grid update: still pykan's
    assert _continuations(model) == ["extended", "extended"]
    model.update_grid(_dataset()["train_input"])
    assert _continuations(model) == ["quadratic", "quadratic"]
    model.update_grid(_dataset()["train_input"])  # once only
    assert _continuations(model) == ["quadratic", "quadratic"]
    refit = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    refit.fit(_dataset(), steps=2)  # fit's grid updates: the quadratic, or the fit's choice
    assert set(_continuations(refit)) <= {"quadratic", "extended_quadratic"}
    assert refit.continuation_unplaced is False


def test_a_continuation_asked_for_stays_through_grid_updates():
    for how in ("quadratic", "tapered", "extended"):
        model = pykan.KAN(width=[1, 2, 1], grid=3, seed=0, auto_save=False, extrapolate=how)
        model.update_grid(torch.rand(50, 1) * 2 - 1)
        assert _continuations(model) == [how, how]


def test_a_fit_that_updates_grids_trains_as_on_the_quadratic():
    """Every fit-based number is what it was: the switch comes before the fit's first grid
    update, so the fit is the one a model built on the quadratic makes, bit for bit."""
    runs = []
    for how in ({}, {"extrapolate": "quadratic"}):
        model = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False, **how)
        results = model.fit(_dataset(), steps=4)
        runs.append((results["train_loss"], model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for key, value in runs[0][1].items():
        torch.testing.assert_close(value, runs[1][1][key], rtol=0, atol=0)


def test_an_unplaced_model_computes_pykans_function_beyond_the_grid():
    kan = pytest.importorskip("kan")
    torch.manual_seed(0)
    theirs = kan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    ours = pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    x = torch.linspace(-3, 3, 61)[:, None] * torch.tensor([[1.0, -0.7]])  # up to 3 grid widths out
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


def test_an_own_loop_on_data_far_beyond_the_grid_trains_as_pykans():
    """A user's Adam loop on x in [-2π, 2π] against the default [-1, 1] grid (wild3's square
    wave): the quadratic continuation's d²/2 leverage left it far behind."""
    x, y = _square_wave()
    losses = {}
    for how in (None, "quadratic"):
        model = pykan.KAN(width=[1, 5, 1], grid=5, seed=0, auto_save=False,
                          **({} if how is None else {"extrapolate": how}))
        losses[how] = _own_loop(model, x, y)
    assert losses[None] < 0.5 * losses["quadratic"], losses


def test_adam_at_pykans_default_lr_without_grid_updates_stays_near_pykans():
    """pykan 0.1's Example_2_speed_up: ``fit(opt="Adam", update_grid=False)`` at lr = 1 on a
    ``[2, 30, 30, 1]`` net diverges in pykan too (train loss ~50), but on the quadratic one
    step threw the hidden values off the grid and the loss went to 3.6e7."""
    torch.manual_seed(1)
    model = pykan.KAN(width=[2, 30, 30, 1], grid=3, k=3, seed=1, auto_save=False)
    dataset = pykan.create_dataset(lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]])
                                                       + x[:, [1]] ** 2), n_var=2)
    results = model.fit(dataset, opt="Adam", steps=10, update_grid=False)
    assert float(results["train_loss"][-1]) < 1e3, results["train_loss"]


def test_a_state_dict_saved_before_continuations_were_loads_as_placed():
    """Without the layers' continuation keys (saved before they were), a default model takes
    the quadratic its fits trained on, not the unplaced default."""
    fitted = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False, extrapolate="quadratic")
    old = {k: v for k, v in fitted.state_dict().items()
           if not k.endswith((".extrapolate", "continuation_choice"))}
    fresh = pykan.KAN(width=[2, 3, 1], grid=3, seed=1, auto_save=False)
    fresh.load_state_dict(old)
    assert _continuations(fresh) == ["quadratic", "quadratic"]
    x = torch.linspace(-4, 4, 33)[:, None].expand(33, 2)
    torch.testing.assert_close(fresh(x), fitted(x))

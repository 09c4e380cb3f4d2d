"""kanlab.pykan's default continuation beyond the grid, chosen per layer by depth
(kanlab.nn._continuations): pykan's extension intervals handing over to the quadratic for
layers fed by the inputs or one spline layer, the quadratic deeper."""
import contextlib
import io

import torch

from kanlab import pykan

NEAR, DEEP = "extended_quadratic", "quadratic"


def quiet():
    stack = contextlib.ExitStack()
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    return stack


def test_default_is_chosen_by_depth_and_kept_by_refine_prune_copy_and_expand_depth():
    model = pykan.KAN(width=[4, 2, 1, 1], grid=3, seed=0, auto_save=False)
    assert [layer.extrapolate for layer in model.layers] == [NEAR, NEAR, DEEP]
    model(torch.rand(64, 4) * 2 - 1)
    for other in (model.refine(5), model.prune(), model.copy()):
        assert [layer.extrapolate for layer in other.layers] == [NEAR, NEAR, DEEP]
    model.expand_depth()
    assert [layer.extrapolate for layer in model.layers] == [NEAR, NEAR, DEEP, DEEP]
    assert model.extrapolate == [NEAR, NEAR, DEEP, DEEP]
    shallow = pykan.KAN(width=[2, 1], auto_save=False)
    assert shallow.layers[0].extrapolate == NEAR
    assert all(layer.extrapolate == "quadratic" for layer in
               pykan.KAN(width=[2, 3, 1], auto_save=False, extrapolate="quadratic").layers)


def _example_1_first_fit(extrapolate):
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    dataset = pykan.create_dataset(f, n_var=2)
    model = pykan.KAN(width=[2, 1, 1], grid=3, k=3, seed=1, auto_save=False,
                      extrapolate=extrapolate)
    with quiet():
        return model.fit(dataset, opt="LBFGS", steps=20)["test_loss"][-1]


def test_shallow_chain_gets_pykans_extension():
    """Example_1's cell 4 ([2, 1, 1], G=3, 20 steps, the notebook's draw): the hidden values
    leave the step-0 grid by up to ~2 intervals; the extension fits them (pykan 0.2.8 on a
    CPU: 0.0137-0.0145), the quadratic reaches 0.044."""
    assert _example_1_first_fit(None) < 0.02 < _example_1_first_fit("quadratic")


def test_deep_chain_is_not_walled_in():
    """Example_3's first stage ([4, 2, 1, 1], G=3, lamb=0.002, 20 steps): its last layer's
    inputs travel up to ~4 grid intervals beyond the step-0 grid in 5 steps.  pykan's
    extension on every layer stalls at RMSE ~0.41; the rule (quadratic on that layer)
    trains (0.016; pykan prints 0.0176)."""
    f = lambda x: torch.exp((torch.sin(torch.pi * (x[:, [0]] ** 2 + x[:, [1]] ** 2))  # noqa: E731
                             + torch.sin(torch.pi * (x[:, [2]] ** 2 + x[:, [3]] ** 2))) / 2)
    rmse = {}
    for mode in (None, "extended_quadratic"):
        model = pykan.KAN(width=[4, 2, 1, 1], grid=3, k=3, seed=1, auto_save=False,
                          extrapolate=mode)
        dataset = pykan.create_dataset(f, n_var=4, train_num=3000)
        with quiet():
            rmse[mode] = model.fit(dataset, opt="LBFGS", steps=20, lamb=0.002,
                                   lamb_entropy=2.0)["train_loss"][-1]
    assert rmse[None] < 0.05 < 0.2 < rmse["extended_quadratic"]

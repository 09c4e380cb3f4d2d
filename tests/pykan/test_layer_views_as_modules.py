"""``isinstance(m, KANLayer)`` over ``model.modules()`` finds the model's layers, as in pykan:
the views ``act_fun[l]`` / ``symbolic_fun[l]`` are modules yielded after torch's own, with
pykan's layout, gradients reaching the engine's parameters, and nothing duplicated."""
import torch

import kan
import kanlab.pykan as K
from kanlab.pykan.KANLayer import KANLayer
from kanlab.pykan.Symbolic_KANLayer import Symbolic_KANLayer


def _model(width=(2, 3, 1)):
    return K.KAN(width=list(width), grid=5, k=3, seed=0, auto_save=False)


def _found(model, cls):
    return [m for m in model.modules() if isinstance(m, cls)]


def test_modules_yield_the_spline_layers_as_pykan_does():
    """As many KANLayers as pykan's model, with pykan's coef shapes ``(in, out, G + k)``."""
    ours, theirs = _model(), kan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    want = [tuple(m.coef.shape) for m in _found(theirs, kan.KANLayer)]
    assert [tuple(m.coef.shape) for m in _found(ours, KANLayer)] == want == [(2, 3, 8), (3, 1, 8)]


def test_modules_yield_the_symbolic_layers():
    """``isinstance(m, Symbolic_KANLayer)`` finds one per layer, in pykan's layout."""
    found = _found(_model(), Symbolic_KANLayer)
    assert [tuple(m.affine.shape) for m in found] == [(3, 2, 4), (1, 3, 4)]


def test_views_are_pykan_names_and_kept():
    """They come under pykan's names and are the model's ``act_fun[l]`` objects themselves."""
    model = _model()
    names = dict(model.named_modules())
    assert names["act_fun.0"] is model.act_fun[0] and names["symbolic_fun.1"] is model.symbolic_fun[1]
    assert isinstance(model.act_fun[0], KANLayer)


def test_parameters_and_state_dict_are_not_duplicated():
    """``parameters()``, ``named_parameters()`` and ``state_dict()`` keys are the engine's alone."""
    model = _model()
    params = list(model.parameters())
    assert len(params) == len({id(p) for p in params})
    engine = [f"layers.{n}" for n, _ in model.layers.named_parameters()] + \
        [f"symbolic.{n}" for n, _ in model.symbolic.named_parameters()]
    assert sorted(n for n, _ in model.named_parameters()) == sorted(engine)
    assert not any(k.startswith(("act_fun", "symbolic_fun")) for k in model.state_dict())


def test_l1_on_found_coef_trains_the_engines_parameters():
    """An L1 term on the found layers' ``coef`` sends gradients to ``layers[l].coef`` and an
    optimiser over ``model.parameters()`` shrinks it."""
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)

    def l1():
        return sum(m.coef.abs().mean() for m in model.modules() if isinstance(m, KANLayer))
    before = float(l1().detach())
    for _ in range(20):
        opt.zero_grad()
        l1().backward()
        opt.step()
    assert model.layers[0].coef.grad is not None and float(l1().detach()) < 0.9 * before


def test_views_follow_structural_changes():
    """After ``expand_depth`` the new layer is found too; a nested model's views keep its prefix."""
    model = _model()
    model.expand_depth()
    assert len(_found(model, KANLayer)) == 3
    outer = torch.nn.Sequential(model)
    assert "0.act_fun.2" in dict(outer.named_modules())


def test_forward_never_calls_a_view():
    """The forward pass runs the engine's layers: a view's own forward is not called."""
    model = _model()
    calls = []
    view = model.act_fun[0]
    original = type(view).forward
    type(view).forward = lambda self, x: calls.append(1) or original(self, x)
    try:
        model(torch.rand(4, 2))
    finally:
        type(view).forward = original
    assert calls == []


def test_views_follow_the_models_training_mode():
    """``model.eval()`` reaches every module ``modules()`` yields, views included."""
    model = _model()
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_children_list_pykans_layer_lists():
    """``named_children()`` yields pykan's ``act_fun`` / ``symbolic_fun`` ModuleLists (pykan's
    model lists them), before torch's own, each once."""
    ours, theirs = _model(), kan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    named = dict(ours.named_children())
    assert named["act_fun"] is ours.act_fun and named["symbolic_fun"] is ours.symbolic_fun
    assert {"act_fun", "symbolic_fun"} <= set(dict(theirs.named_children()))
    walked = [m for child in ours.children() if isinstance(child, torch.nn.ModuleList)
              for m in child if isinstance(m, KANLayer)]
    assert [tuple(m.coef.shape) for m in walked] == [(2, 3, 8), (3, 1, 8)]


def test_children_leave_conversions_apply_and_parameters_single():
    """With the lists among the children, ``double()``/``eval()`` still convert and flag every
    layer, ``apply`` visits each module once, and ``parameters()`` has no duplicates."""
    model = _model()
    x = torch.rand(8, 2, dtype=torch.float64) * 2 - 1
    model.double().eval()
    assert all(p.dtype == torch.float64 for p in model.parameters())
    assert model(x).dtype == torch.float64 and not model.act_fun[0].training
    seen = []
    model.apply(seen.append)
    assert len(seen) == len({id(m) for m in seen}) == len(list(model.modules()))
    params = list(model.parameters())
    assert len(params) == len({id(p) for p in params})

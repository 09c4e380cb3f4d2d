"""Patterns from the tenth round of pykan code, research code on pykan's internals
(``benchmarks/pykan_user_cases/round10b_layers.py``, ``round10b_model.py``): networks of
``KANLayer`` seeded once, forward caches copied into a loaded model, per-edge modes."""
import torch

import kanlab.pykan as K
from kanlab.pykan.KANLayer import KANLayer


def test_a_kanlayer_draws_only_pykans_numbers_from_the_global_generator():
    """``torch.manual_seed(0)`` then two layers (a recurrent cell's): the second layer and what
    comes after are pykan's too (was: the evaluator's own draws moved the generator on)."""
    torch.manual_seed(0)
    KANLayer(in_dim=3, out_dim=2, num=5, k=3)
    after = torch.rand(4)
    g = torch.Generator().manual_seed(0)
    torch.rand(6, 3, 2, generator=g)  # pykan's draws: the noise at the G + 1 points,
    torch.rand(3, 2, generator=g)  # then the base weights
    assert torch.equal(after, torch.rand(4, generator=g))
    for kw in ({"sparse_init": True}, {"base_fun": torch.nn.Identity(), "scale_base_sigma": 0.0}):
        torch.manual_seed(1)
        KANLayer(in_dim=2, out_dim=3, num=4, k=2, **kw)
        g = torch.Generator().manual_seed(1)
        torch.rand(5, 2, 3, generator=g)
        torch.rand(2, 3, generator=g)
        assert torch.equal(torch.rand(3), torch.rand(3, generator=g))


def _model(width=(2, 3, 1), **kw):
    kw.setdefault("seed", 0)
    kw.setdefault("grid", 5)
    return K.KAN(width=list(width), k=3, auto_save=False, **kw)


def test_caches_put_back_into_a_fresh_model_serve_its_scores():
    """A checkpoint's state and forward caches put into a fresh model, then ``attribute()``
    and ``feature_score`` (was: NoDataError, as the fresh model had seen no input): the
    batch behind ``acts`` (or ``spline_preacts`` alone) is the data, as pykan's scores come
    from those caches."""
    x = torch.rand(100, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    model = _model()
    model(x)
    model.attribute()
    for names in (("acts", "spline_preacts", "spline_postacts", "acts_scale", "edge_actscale"),
                  ("spline_preacts", "spline_postacts")):
        saved = {n: [t.detach().clone() for t in getattr(model, n)] for n in names}
        fresh = _model(seed=3)
        fresh.load_state_dict(model.state_dict())
        for n in names:
            setattr(fresh, n, saved[n])
        fresh.attribute()
        torch.testing.assert_close(fresh.feature_score, model.feature_score)
        torch.testing.assert_close(fresh.edge_scores[0], model.edge_scores[0])
    try:
        _model().attribute()
    except Exception as e:  # no data and no caches: still the clear error
        assert "no activations yet" in str(e)
    else:
        raise AssertionError("attribute() without data should raise")


def test_act_fun_state_dict_is_pykans_layer_state():
    """``model.act_fun[l].state_dict()`` has pykan's keys and layout (was: the engine's
    ``viewed.*`` keys, which a ``KANLayer`` rejects), loads into a standalone ``KANLayer``
    with the same outputs, and loads back into the model through the view."""
    x = torch.rand(50, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    model = _model()
    model(x)
    h = model.acts[1].detach()
    sd = model.act_fun[1].state_dict()
    assert list(sd) == ["grid", "coef", "mask", "scale_base", "scale_sp"]
    assert tuple(sd["coef"].shape) == (3, 1, 8) and tuple(sd["grid"].shape) == (3, 12)
    alone = KANLayer(in_dim=3, out_dim=1, num=5, k=3)
    alone.load_state_dict(sd)
    torch.testing.assert_close(alone(h)[0], model.act_fun[1](h)[0].detach())
    with torch.no_grad():
        alone.coef.mul_(2.0)
    model.act_fun[1].load_state_dict(alone.state_dict())
    torch.testing.assert_close(model.act_fun[1].coef.detach(), alone.coef.detach())
    torch.testing.assert_close(model.act_fun[1](h)[0].detach(), alone(h)[0].detach())
    bad = dict(sd, coef=torch.zeros(3, 2, 8))
    try:
        model.act_fun[1].load_state_dict(bad)
    except RuntimeError as e:
        assert "size mismatch for coef" in str(e)
    else:
        raise AssertionError("a coef of the wrong shape should not load")


def test_a_module_of_act_fun_views_saves_and_loads():
    """``nn.ModuleList(model.act_fun)`` in a user's module: its state round-trips (pykan's
    keys under the user's prefix), and a state with the engine's keys still loads."""
    model, other = _model(), _model(seed=5)
    net, net2 = torch.nn.ModuleList(list(model.act_fun)), torch.nn.ModuleList(list(other.act_fun))
    sd = net.state_dict()
    assert "0.coef" in sd and "1.scale_sp" in sd
    net2.load_state_dict(sd)
    torch.testing.assert_close(other.act_fun[0].coef.detach(), model.act_fun[0].coef.detach())
    engine_keys = {f"{l}.viewed.{k}": v for l, layer in enumerate(model.layers)
                   for k, v in layer.state_dict().items()}
    _model(seed=7).act_fun[0].load_state_dict({k[2:]: v for k, v in engine_keys.items()
                                               if k.startswith("0.")})


def test_act_fun_update_grid_from_samples_on_the_models_acts():
    """A user's own grid update per layer, ``model.act_fun[l].update_grid_from_samples(
    model.acts[l])`` (was: AttributeError): the grid spans the layer's inputs and the
    model's function is kept."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=g) * 1.2 - 0.9
    model = _model()
    before = model(x).detach()
    acts = [a.detach() for a in model.acts]
    for l in range(model.depth):
        model.act_fun[l].update_grid_from_samples(acts[l])
    grid = model.act_fun[0].grid.detach()
    torch.testing.assert_close(grid[:, 3], acts[0].min(0).values, atol=1e-5, rtol=0)
    torch.testing.assert_close(grid[:, -4], acts[0].max(0).values, atol=1e-5, rtol=0)
    assert float((model(x).detach() - before).abs().max()) < 2e-2 * float(before.abs().max())
    for bad in (torch.rand(5, 3), "x"):
        try:
            model.act_fun[0].update_grid_from_samples(bad)
        except ValueError as e:
            assert "(batch, 2)" in str(e)
        else:
            raise AssertionError("bad samples should raise")


def test_act_fun_layer_methods_of_pykans_kanlayer():
    """A subclass's own ``initialize_grid_from_another_model`` (``act_fun[l].
    initialize_grid_from_parent(parent.act_fun[l], parent.acts[l])``), a custom prune's
    ``act_fun[l].get_subset(...)``, ``act_fun[l].swap`` and ``.device`` (was: AttributeError
    for each)."""
    x = torch.rand(200, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    parent = _model(grid=3)
    parent(x)
    child, ref = _model(grid=8), _model(grid=8)
    for l in range(child.depth):
        child.act_fun[l].initialize_grid_from_parent(parent.act_fun[l], parent.acts[l])
    ref.initialize_grid_from_another_model(parent, x)
    torch.testing.assert_close(child(x), ref(x))
    torch.testing.assert_close(child.act_fun[0].grid, ref.act_fun[0].grid)
    alone = KANLayer(in_dim=2, out_dim=3, num=3, k=3, noise_scale=0.5)
    child.act_fun[0].initialize_grid_from_parent(alone, x)
    spl = child.act_fun[0](x)[3].detach()
    assert float((spl - alone(x)[3].detach()).abs().max()) < 3e-2 * float(spl.abs().max())
    view = child.act_fun[0]
    sub = view.get_subset([1], [0, 2])
    assert isinstance(sub, KANLayer) and tuple(sub.coef.shape) == (1, 2, 11)
    full = view(x)[2].detach()
    torch.testing.assert_close(sub(x[:, [1]])[2].detach(), full[:, [0, 2]][:, :, [1]],
                               atol=1e-5, rtol=1e-4)
    view.swap(0, 2, mode="out")
    torch.testing.assert_close(view(x)[2].detach(), full[:, [2, 1, 0]])
    assert view.device == torch.device("cpu")


def test_symbolic_fun_state_dict_and_get_subset_are_pykans():
    """``model.symbolic_fun[l].state_dict()`` has pykan's keys ``mask`` and ``affine`` (was:
    the engine's ``viewed.*``), loads into a standalone ``Symbolic_KANLayer`` and back, and
    ``get_subset`` cuts a standalone layer out with its functions (was: AttributeError)."""
    from kanlab.pykan.Symbolic_KANLayer import Symbolic_KANLayer
    x = torch.rand(60, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    model = _model()
    model(x)
    model.fix_symbolic(0, 1, 2, "sin", fit_params_bool=False, verbose=False)
    view = model.symbolic_fun[0]
    sd = view.state_dict()
    assert list(sd) == ["mask", "affine"] and tuple(sd["affine"].shape) == (3, 2, 4)
    alone = Symbolic_KANLayer(in_dim=2, out_dim=3)
    alone.load_state_dict(sd)
    torch.testing.assert_close(alone.mask, view.mask.detach())
    with torch.no_grad():
        alone.affine[2, 1] = torch.tensor([2.0, 0.5, 1.5, -0.25])
    view.load_state_dict(alone.state_dict())
    torch.testing.assert_close(view.affine[2, 1].detach(), torch.tensor([2.0, 0.5, 1.5, -0.25]))
    assert view.funs_name[2][1] == "sin"
    sub = view.get_subset([1], [2, 0])
    assert isinstance(sub, Symbolic_KANLayer) and sub.funs_name == [["sin"], ["0"]]
    torch.testing.assert_close(sub(x[:, [1]])[1].detach(),
                               view(x)[1].detach()[:, [2, 0]][:, :, [1]])

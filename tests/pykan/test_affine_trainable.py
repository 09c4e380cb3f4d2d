"""``KAN(affine_trainable=True)``: pykan 0.2.8's trainable subnode and node affine maps.

pykan itself is the oracle for the forward pass and pruning; the rest checks that every
step that copies or reshapes a model keeps the maps (and with them the function)."""
import io
import os

import pytest
import torch

from kanlab import pykan

WIDTHS = [([2, 5, 1], 2), ([2, [3, 2], [1, 1]], 2), ([3, [2, 2], 2], [[], [2, 3], []])]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs("model")  # pykan's prune logs to ./model even without auto_save


def _randomise(model, seed=0):
    """Non-identity maps and moved spline weights (pykan's or kanlab's ``node_scale`` lists)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for l in range(len(model.node_scale)):
            for p in (model.node_scale[l], model.subnode_scale[l]):
                p.copy_(1 + 0.5 * torch.randn(p.shape, generator=g))
            for p in (model.node_bias[l], model.subnode_bias[l]):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
        for layer in model.act_fun:
            layer.coef.add_(0.3 * torch.randn(layer.coef.shape, generator=g))
    return model


def _x(n_in, seed=1):
    return torch.rand(128, n_in, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _model(width=(2, [3, 2], 1), **kw):
    return _randomise(pykan.KAN(width=list(width), grid=5, k=3, affine_trainable=True,
                                auto_save=False, **kw))


def _close(a, b, rtol=1e-5):
    scale = float(b.abs().max().clamp_min(1.0))
    assert float((a - b).abs().max()) <= rtol * scale, float((a - b).abs().max())


@pytest.mark.parametrize("width, arity", WIDTHS)
def test_outputs_equal_pykans_for_its_state_dict(width, arity):
    """pykan's state dict with trained, non-identity maps: the same outputs (float32)."""
    kan = pytest.importorskip("kan")
    ref = _randomise(kan.KAN(width=width, grid=5, k=3, mult_arity=arity, affine_trainable=True,
                             auto_save=False, seed=1))
    ours = pykan.KAN(width=width, grid=5, k=3, mult_arity=arity, affine_trainable=True,
                     auto_save=False)
    ours.load_state_dict(ref.state_dict())
    x = _x(ref.width_in[0])
    with torch.no_grad():
        _close(ours(x), ref(x))
    assert torch.equal(ours.node_bias[0].detach(), ref.node_bias[0].detach())


def test_prune_node_slices_the_maps_as_pykans():
    """pykan's ``prune_node(active_neurons_id=...)`` on the same weights: same outputs (the
    dropped nodes feed nothing, so kanlab's folding of their mean output has nothing to add)."""
    kan = pytest.importorskip("kan")
    ref = _randomise(kan.KAN(width=[2, [3, 2], 1], grid=5, k=3, affine_trainable=True,
                             auto_save=False, seed=1))
    with torch.no_grad():
        ref.act_fun[1].mask[[1, 3]] = 0.0  # (in, out): nothing leaves nodes 1 and 3
    ours = pykan.KAN(width=[2, [3, 2], 1], grid=5, k=3, affine_trainable=True, auto_save=False)
    ours.load_state_dict(ref.state_dict())
    x = _x(2)
    ref(x), ours(x)
    keep = [[0, 2, 4]]  # an addition node dropped, one multiplication node dropped
    small_ref = ref.prune_node(active_neurons_id=keep, log_history=False)
    small = ours.prune_node(active_neurons_id=keep, log_history=False)
    assert [a.node_scale.shape[0] for a in small.affines] == [3, 1]
    assert [a.subnode_scale.shape[0] for a in small.affines] == [4, 1]
    with torch.no_grad():
        _close(small(x), small_ref(x))
        _close(small(x), ours(x))


def test_default_model_has_no_maps():
    """Without ``affine_trainable`` no parameters are added; ``node_scale`` reads as ones."""
    plain = pykan.KAN(width=[2, [3, 2], 1], grid=5, auto_save=False)
    with_maps = pykan.KAN(width=[2, [3, 2], 1], grid=5, auto_save=False, affine_trainable=True)
    assert plain.affines is None and plain.affine_trainable is False
    n = sum(p.numel() for p in with_maps.parameters()) - sum(p.numel() for p in plain.parameters())
    assert n == (7 + 5 + 1 + 1) * 2
    assert all(torch.equal(t, torch.ones_like(t)) for t in plain.node_scale)


def test_maps_are_the_models_parameters():
    """``node_scale[l]`` is the trained parameter itself, as pykan's list entries."""
    model = _model()
    params = {id(p) for p in model.parameters()}
    for name in ("node_scale", "node_bias", "subnode_scale", "subnode_bias"):
        assert all(id(p) in params and p.requires_grad for p in getattr(model, name))
    assert model.state_dict()["subnode_bias_0"].shape == (7,)  # pykan's key name too


def test_fit_trains_the_maps():
    """``fit`` moves all four maps (pykan trains them; a constant offset needs the bias)."""
    f = lambda x: 3 * torch.sin(x[:, [0]]) * x[:, [1]] + 5  # noqa: E731
    dataset = pykan.create_dataset(f, n_var=2, train_num=200, test_num=50, seed=0)
    model = pykan.KAN(width=[2, [2, 1], 1], grid=3, k=3, affine_trainable=True, auto_save=False)
    before = [p.detach().clone() for a in model.affines for p in a.parameters()]
    out = model.fit(dataset, steps=5, log=0)
    after = [p.detach() for a in model.affines for p in a.parameters()]
    assert all(not torch.equal(b, a) for b, a in zip(before, after))
    assert out["train_loss"][-1] < out["train_loss"][0]


def test_round_trips_keep_the_maps():
    """state_dict, torch.save, saveckpt/loadckpt and copy give the same outputs."""
    model = _model()
    x = _x(2)
    want = model(x).detach()
    other = pykan.KAN(width=[2, [3, 2], 1], grid=5, affine_trainable=True, auto_save=False)
    other.load_state_dict(model.state_dict())
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    model.saveckpt("./ck")
    for copy in (other, torch.load(buffer, weights_only=False), pykan.KAN.loadckpt("./ck"),
                 model.copy()):
        assert copy.affine_trainable is True
        assert torch.equal(copy(x).detach(), want)


def test_refine_and_structure_methods_keep_the_function():
    """refine, expand_depth, expand_width and swap carry the maps along."""
    model = _model()
    x = _x(2)
    model.update_grid(x)  # grids on the data: refine then keeps the function inside them
    want = model(x).detach()
    _close(model.refine(10)(x).detach(), want, rtol=1e-3)
    for change in (lambda m: m.expand_depth(), lambda m: m.swap(1, 0, 2, log_history=False),
                   lambda m: m.expand_width(1, 1, sum_bool=False)):
        copy = model.copy()
        change(copy)
        assert copy.affine_trainable is True
        _close(copy(x).detach(), want)


def test_grid_update_sees_the_inputs_after_the_maps():
    """``update_grid``'s second layer spans the node values after ``node_scale``/``node_bias``."""
    model = _model(width=(2, 3, 1), grid_eps=1.0)
    with torch.no_grad():
        model.node_scale[0].fill_(3.0)
        model.node_bias[0].fill_(2.0)
    x = _x(2)
    model.update_grid(x)
    level_1 = model.forward_with_inputs(x)[1][1]  # (B, 3): what layer 1 really gets
    knots = model.layers[1].knots  # (3, G + 2k + 1)
    k = model.layers[1].k
    _close(knots[:, k], level_1.min(0).values)
    _close(knots[:, -k - 1], level_1.max(0).values)


def test_symbolic_formula_includes_the_maps():
    """After ``auto_symbolic`` the formula evaluates to the model's output."""
    sympy = pytest.importorskip("sympy")
    model = _model(width=(2, [1, 1], 1))
    x = _x(2)
    model(x)
    model.auto_symbolic(verbose=0)
    formula = model.symbolic_formula()[0][0]
    fn = sympy.lambdify(sympy.symbols("x_1 x_2"), formula)
    got = torch.as_tensor(fn(x[:, 0].double().numpy(), x[:, 1].double().numpy()))
    _close(got, model(x)[:, 0].detach().double(), rtol=1e-4)


def test_plot_runs():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    model = _model()
    model(_x(2))
    model.plot()


def test_bad_maps_in_a_state_dict_are_refused():
    """A pykan state dict whose ``node_scale_0`` has the wrong size: ValueError naming it."""
    model = _model()
    kan = pytest.importorskip("kan")
    ref = kan.KAN(width=[2, [3, 2], 1], grid=5, k=3, affine_trainable=True, auto_save=False)
    state = dict(ref.state_dict())
    state["node_scale_0"] = torch.ones(4)
    with pytest.raises(ValueError, match="node_scale_0"):
        model.load_state_dict(state)
    plain = pykan.KAN(width=[2, [3, 2], 1], grid=5, auto_save=False)
    with pytest.raises(RuntimeError, match="affines.0.node_scale"):  # kanlab's keys: torch's
        plain.load_state_dict(model.state_dict())


def test_initialize_from_another_model_takes_its_maps():
    """pykan copies the other model's maps; a model without maps cannot take trained ones."""
    other = _model()
    x = _x(2)
    other.update_grid(x)
    model = pykan.KAN(width=[2, [3, 2], 1], grid=10, k=3, affine_trainable=True,
                      auto_save=False)
    model.initialize_from_another_model(other, x)
    assert torch.equal(model.node_bias[0], other.node_bias[0])
    _close(model(x).detach(), other(x).detach(), rtol=1e-3)
    plain = pykan.KAN(width=[2, [3, 2], 1], grid=10, k=3, auto_save=False)
    with pytest.raises(ValueError, match="affine_trainable=True"):
        plain.initialize_from_another_model(other, x)
    model.initialize_from_another_model(plain, x)  # the identity, as pykan's copy
    assert all(torch.equal(p, torch.ones_like(p)) for p in model.node_scale)

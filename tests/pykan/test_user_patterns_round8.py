"""Patterns from the eighth round of pykan code (``benchmarks/pykan_user_cases/round8_torch.py``,
``round8_api.py``): ``act_fun[l](x)``/``symbolic_fun[l](x)`` return pykan's tuples, forward
hooks on ``act_fun[l]``, a layer's own ``grid_eps``, ``subnode_scores`` of multiplication
nodes, ``speed()`` switching auto-save off."""
import pytest
import torch

import kanlab.pykan as K


def _model(width=(2, 3, 1), **kw):
    return K.KAN(width=list(width), grid=5, k=3, seed=0, auto_save=False, **kw)


def _x(n=16, d=2, seed=0):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_act_fun_call_returns_pykan_tuple():
    """``y, preacts, postacts, postspline = model.act_fun[0](x)`` (was: the ``(B, out)``
    output alone, which a batch of 4 rows silently unpacked into its rows)."""
    model = _model()
    x = _x(4)
    with torch.no_grad():
        model(x)
        y, preacts, postacts, postspline = model.act_fun[0](x)
        assert y.shape == (4, 3) and preacts.shape == postacts.shape == postspline.shape == (4, 3, 2)
        assert torch.allclose(postacts.sum(2), y, atol=1e-6)
        assert torch.equal(preacts[:, 1, :], x)
        assert torch.allclose(postspline, model.spline_postsplines[0], atol=1e-6)
        layer = model.act_fun[0]
        b = torch.nn.functional.silu(x)[:, None, :]
        rebuilt = layer.mask.t() * (layer.scale_base.t() * b + layer.scale_sp.t() * postspline)
        assert torch.allclose(rebuilt, postacts, atol=1e-5)


def test_symbolic_fun_call_returns_values_and_postacts():
    """``y, postacts = model.symbolic_fun[l](x)``: per-edge values ``(B, out, in)``, zero off
    the symbolic edges (was: ``y`` alone)."""
    model = _model()
    x = _x(4)
    model(x)
    model.fix_symbolic(0, 1, 2, "sin", fit_params_bool=False, verbose=False)
    with torch.no_grad():
        y, postacts = model.symbolic_fun[0](x)
    assert y.shape == (4, 3) and postacts.shape == (4, 3, 2)
    a, b, c, d = model.symbolic_fun[0].affine[2, 1]
    assert torch.allclose(postacts[:, 2, 1], c * torch.sin(a * x[:, 1] + b) + d, atol=1e-6)
    off = torch.ones(3, 2, dtype=torch.bool)
    off[2, 1] = False
    assert float(postacts[:, off].abs().max()) == 0.0
    assert torch.allclose(postacts.sum(2), y, atol=1e-6)


def test_forward_hook_on_act_fun_sees_pykan_output():
    """A hook on ``model.act_fun[0]`` runs on every forward pass with pykan's tuple, and its
    handle removes it (was: AttributeError, the view had no ``register_forward_hook``)."""
    model = _model()
    seen = []

    def hook(module, inputs, output):
        seen.append((module.in_dim, tuple(inputs[0].shape), [tuple(t.shape) for t in output]))
    handle = model.act_fun[0].register_forward_hook(hook)
    with torch.no_grad():
        model(_x(16))
        model(_x(5))
    handle.remove()
    with torch.no_grad():
        model(_x(16))
    assert seen == [(2, (16, 2), [(16, 3), (16, 3, 2), (16, 3, 2), (16, 3, 2)]),
                    (2, (5, 2), [(5, 3), (5, 3, 2), (5, 3, 2), (5, 3, 2)])]


def test_forward_hook_returned_output_replaces_y():
    """As in torch, a hook that returns pykan's tuple (here ``y`` doubled) replaces the
    layer's output in the model's forward pass."""
    model = _model(width=(2, 3))
    x = _x(8)
    with torch.no_grad():
        ref = model(x)
    handle = model.act_fun[0].register_forward_hook(lambda m, i, out: (2 * out[0],) + tuple(out[1:]))
    with torch.no_grad():
        doubled = model(x)
    handle.remove()
    assert torch.allclose(doubled, 2 * ref, atol=1e-6)


def test_grid_eps_set_on_a_layer_is_used_by_grid_updates():
    """``model.act_fun[l].grid_eps = 1.0`` makes that layer's next grid update uniform, as
    pykan's per-layer ``grid_eps`` (was: AttributeError on reading it; set, it was lost)."""
    model = K.KAN(width=[1, 2, 1], grid=5, k=3, seed=0, auto_save=False, grid_eps=0.02)
    assert model.act_fun[0].grid_eps == 0.02
    x = (torch.rand(400, 1, generator=torch.Generator().manual_seed(0)) ** 3) * 2 - 1
    model.act_fun[0].grid_eps = 1.0
    assert model.act_fun[0].grid_eps == 1.0 and model.act_fun[1].grid_eps == 0.02
    model.update_grid_from_samples(x)
    steps = model.act_fun[0].grid[0].diff()
    assert float(steps.std() / steps.mean()) < 1e-3  # uniform
    with pytest.raises(ValueError, match="grid_eps"):
        model.act_fun[0].grid_eps = 1.5


def test_grid_eps_per_layer_differs_from_model_default():
    """The other layers keep the model's ``grid_eps``: on skewed samples their grids are
    not uniform."""
    model = K.KAN(width=[1, 1, 1], grid=5, k=3, seed=0, auto_save=False, grid_eps=0.0)
    x = (torch.rand(400, 1, generator=torch.Generator().manual_seed(0)) ** 3) * 2 - 1
    model.act_fun[1].grid_eps = 1.0
    model.update_grid_from_samples(x)
    s0, s1 = model.act_fun[0].grid[0].diff(), model.act_fun[1].grid[0].diff()
    assert float(s0.std() / s0.mean()) > 0.1  # layer 0: the samples' quantiles
    assert float(s1.std() / s1.mean()) < 1e-3  # layer 1: its own grid_eps, uniform


def test_subnode_scores_expand_multiplication_nodes():
    """``subnode_scores[l]`` has one entry per output of layer ``l`` (a multiplication node's
    score at each of its inputs), as pykan's (was: the nodes' scores, 2 where pykan has 3)."""
    model = _model(width=(2, [1, 1], 1))
    model(_x(100))
    model.attribute(plot=False)
    assert [len(s) for s in model.subnode_scores] == [3, 1]
    node = model.node_scores[1]
    assert torch.allclose(model.subnode_scores[0], node[torch.tensor([0, 1, 1])])


def test_speed_switches_auto_save_off(tmp_path, monkeypatch):
    """``speed()`` stops auto-saving, as pykan's (was: the next fit kept writing versions)."""
    monkeypatch.chdir(tmp_path)
    model = K.KAN(width=[2, 1], grid=3, k=3, seed=0, ckpt_path=str(tmp_path / "m"))
    assert model.auto_save
    assert model.speed() is model
    assert not model.auto_save and not model.save_act

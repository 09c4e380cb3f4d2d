"""Patterns from the ninth round of pykan code, ML engineers' side
(``benchmarks/pykan_user_cases/round9b_nets.py``, ``round9b_loops.py``, ``round9b_state.py``):
``get_params()`` used as ``parameters()`` is, ``model.apply(init)`` meeting pykan's layers, a net
saved with pykan loaded into the same net on kanlab.pykan, a torch.func ensemble of stacked models."""
import pytest
import torch

import kanlab.pykan as K


def _model(width=(2, 3, 1), **kw):
    return K.KAN(width=list(width), grid=5, k=3, seed=0, auto_save=False, **kw)


def test_get_params_is_an_iterator_like_parameters():
    """``device = next(model.get_params()).device`` (was: TypeError, a list is no iterator);
    an optimiser over it still gets every parameter."""
    model = _model()
    assert next(model.get_params()).device == torch.device("cpu")
    assert [id(p) for p in model.get_params()] == [id(p) for p in model.parameters()]
    opt = torch.optim.Adam(model.get_params(), lr=1e-2)
    assert len(opt.param_groups[0]["params"]) == len(list(model.parameters()))


def test_get_params_same_type_as_pykan():
    """The same kind of object as pykan 0.2.8's ``get_params`` (a generator)."""
    kan = pytest.importorskip("kan")
    ref = kan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    assert type(_model().get_params()) is type(ref.get_params())


def test_apply_reaches_pykan_layers():
    """``model.apply(init)`` calls ``init`` on ``act_fun[l]`` (a ``KANLayer``) and
    ``symbolic_fun[l]`` as pykan's walk of its ModuleLists does; writes through them reach the
    model (was: only kanlab's layers, which are no ``KANLayer``: the init silently skipped)."""
    KANLayer = K.KANLayer
    Symbolic_KANLayer = K.Symbolic_KANLayer
    model = _model()
    seen = []

    def init(m):
        seen.append(m)
        if isinstance(m, KANLayer):
            with torch.no_grad():
                m.coef.zero_()
    assert model.apply(init) is model
    assert sum(isinstance(m, KANLayer) for m in seen) == 2
    assert sum(isinstance(m, Symbolic_KANLayer) for m in seen) == 2
    assert seen[-1] is model and len(seen) == len({id(m) for m in seen})
    assert all(float(layer.coef.detach().abs().max()) == 0.0 for layer in model.layers)
    # nested: a net holding the KAN reaches its layers too
    seen.clear()
    torch.nn.Sequential(torch.nn.Linear(2, 2), model).apply(init)
    assert sum(isinstance(m, KANLayer) for m in seen) == 2


class _Net(torch.nn.Module):
    def __init__(self, lib):
        super().__init__()
        self.embed = torch.nn.Linear(3, 2)
        self.kan = lib.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)

    def forward(self, x):
        return self.kan(torch.tanh(self.embed(x)))


def _pykan_net_state():
    kan = pytest.importorskip("kan")
    torch.manual_seed(0)
    old = _Net(kan)
    with torch.no_grad():  # a trained-looking model: every tensor moved off its initial value
        for p in old.parameters():
            p.add_(0.1 * torch.randn(p.shape))
    return old, old.state_dict()


def test_pykan_keys_of_a_net_holding_a_kan_load(tmp_path):
    """``net.load_state_dict(torch.load(path))`` of a net saved with pykan 0.2.8 (keys
    ``kan.act_fun.0.coef``, ...) into the same net on kanlab.pykan gives pykan's outputs
    (was: RuntimeError, missing ``kan.layers.0.coef`` and unexpected ``kan.act_fun.0.coef``)."""
    old, state = _pykan_net_state()
    torch.save(state, tmp_path / "net.pt")
    new = _Net(K)
    result = new.load_state_dict(torch.load(tmp_path / "net.pt"))
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    x = torch.rand(50, 3) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(new(x), old(x), atol=1e-5)
    # a kanlab state of the same net still round-trips
    again = _Net(K)
    again.load_state_dict(new.state_dict())
    with torch.no_grad():
        assert torch.equal(again(x), new(x))


def test_pykan_keys_of_a_net_report_missing_keys():
    """A pykan net state with a layer's key dropped: strict loading raises naming it under the
    net's prefix; ``strict=False`` returns it."""
    _, state = _pykan_net_state()
    del state["kan.act_fun.1.scale_sp"]
    with pytest.raises(RuntimeError, match=r"kan\.act_fun\.1\.scale_sp"):
        _Net(K).load_state_dict(state)
    result = _Net(K).load_state_dict(state, strict=False)
    assert "kan.act_fun.1.scale_sp" in result.missing_keys


@pytest.mark.parametrize("scale", [1.0, 3.0])  # inside the grid, and beyond it (the continuation)
def test_torch_func_ensemble_over_stacked_models(scale):
    """``stack_module_state`` of three seeds and ``vmap(functional_call)`` over the stacked
    parameters and buffers give each model's own outputs (was: RuntimeError, a data-dependent
    branch on the batched knots, then a knot cache made outside the transform)."""
    import copy
    from torch.func import functional_call, stack_module_state, vmap
    models = [K.KAN(width=[2, 3, 1], grid=5, k=3, seed=s, auto_save=False) for s in range(3)]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0])
    x = (torch.rand(12, 2, generator=torch.Generator().manual_seed(1)) * 2 - 1) * scale

    def one(p, b, xx):
        return functional_call(base, (p, b), (xx,))
    out = vmap(one, in_dims=(0, 0, None))(params, buffers, x)
    with torch.no_grad():
        ref = torch.stack([m(x) for m in models])
    assert out.shape == (3, 12, 1)
    assert torch.allclose(out.detach(), ref, atol=1e-5)

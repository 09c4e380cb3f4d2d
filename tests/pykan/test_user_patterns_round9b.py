"""Patterns from the ninth round of pykan code, ML engineers' side
(``benchmarks/pykan_user_cases/round9b_nets.py``, ``round9b_loops.py``, ``round9b_state.py``):
``get_params()`` used as ``parameters()`` is."""
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

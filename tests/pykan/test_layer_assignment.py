"""``model.act_fun[l] = KANLayer(...)`` / ``model.symbolic_fun[l] = Symbolic_KANLayer(...)``
(pykan's layers are ModuleLists that user code assigns into), and a pykan 0.2.8
``Symbolic_KANLayer`` state_dict loaded into kanlab.pykan's."""
import pytest
import torch

from kanlab import pykan
from kanlab.pykan import KANLayer, Symbolic_KANLayer


def _kan(width=(2, 3, 1), seed=0):
    return pykan.KAN(width=list(width), grid=3, k=3, seed=seed, auto_save=False)


def _x(n=40, d=2, seed=0):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _new_layer(in_dim, out_dim, num=7, seed=3, **kw):
    torch.manual_seed(seed)
    return KANLayer(in_dim=in_dim, out_dim=out_dim, num=num, k=3, noise_scale=0.5, **kw)


def test_assigned_kanlayer_replaces_the_layers_function():
    """After act_fun[0] = layer (another G), the model's layer 0 computes the layer's y."""
    model = _kan()
    new = _new_layer(2, 3)
    new.scale_base.data[0, 1] = 0.0  # distinct values to carry over
    new.mask[1, 2] = 0.0
    model.act_fun[0] = new
    x = _x()
    with torch.no_grad():
        torch.testing.assert_close(model.layers[0](x), new(x)[0], atol=1e-6, rtol=1e-5)
        y = model(x)
        expected = model.layers[1](new(x)[0])
    torch.testing.assert_close(y, expected, atol=1e-6, rtol=1e-5)
    assert model.act_fun[0].num == 7
    # act_fun[l]'s tensors are windows onto the model's (no Parameters): compare values
    torch.testing.assert_close(model.act_fun[0].coef, new.coef.detach())
    torch.testing.assert_close(model.act_fun[0].mask, new.mask)


def test_assignment_copies_so_later_changes_do_not_leak():
    """Another model's act_fun[l] assigned is copied: editing the source later changes nothing."""
    source, target = _kan(), _kan(seed=1)
    target.act_fun[-1] = source.act_fun[-1]
    x = torch.rand(20, 3) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(target.layers[1](x), source.layers[1](x))
        before = target.layers[1](x).clone()
        source.layers[1].coef.add_(1.0)
        torch.testing.assert_close(target.layers[1](x), before)


def test_assignment_keeps_the_trainable_flags_of_the_new_layer():
    model = _kan()
    model.act_fun[0] = _new_layer(2, 3, sb_trainable=False, sp_trainable=False)
    assert not model.layers[0].scale_base.requires_grad
    assert not model.layers[0].scale_sp.requires_grad
    assert model.layers[0].coef.requires_grad


@pytest.mark.parametrize("bad, match", [
    (lambda: _new_layer(3, 3), r"act_fun\[0\] maps 2 inputs to 3 outputs.*in_dim=2, out_dim=3"),
    (lambda: KANLayer(in_dim=2, out_dim=3, num=5, k=2), r"degree k=3.*k=2"),
    (lambda: KANLayer(in_dim=2, out_dim=3, num=5, k=3, base_fun=torch.nn.Tanh()),
     r"base function is 'silu'"),
])
def test_a_layer_that_does_not_fit_raises_saying_what_is_expected(bad, match):
    model = _kan()
    before = model.layers[0].coef.detach().clone()
    with pytest.raises(ValueError, match=match):
        model.act_fun[0] = bad()
    torch.testing.assert_close(model.layers[0].coef, before)  # unchanged


def test_assignment_index_and_type_errors():
    model = _kan()
    with pytest.raises(TypeError, match="KANLayer"):
        model.act_fun[0] = torch.nn.Linear(2, 3)
    with pytest.raises(IndexError):
        model.act_fun[2] = _new_layer(3, 1)
    with pytest.raises(TypeError, match="Symbolic_KANLayer"):
        model.symbolic_fun[0] = _new_layer(2, 3)
    assert len(model.act_fun) == len(model.symbolic_fun) == 2
    assert [v.in_dim for v in model.act_fun] == [2, 3]


def test_multiplication_layer_takes_its_subnode_count():
    """Layer 0 of [2, [1, 1], 1] puts out 1 + 2 subnodes: the KANLayer must have out_dim 3."""
    model = _kan([2, [1, 1], 1])
    model.act_fun[0] = _new_layer(2, 3)
    with pytest.raises(ValueError, match="out_dim=3"):
        model.act_fun[0] = _new_layer(2, 2)


def test_assigned_symbolic_layer_computes_its_edges_in_the_model():
    """symbolic_fun[0] = a Symbolic_KANLayer with two fixed edges: the model's symbolic
    branch gives that layer's output; functions and constants are readable back."""
    model = _kan()
    sb = Symbolic_KANLayer(in_dim=2, out_dim=3)
    sb.fix_symbolic(0, 1, "sin", verbose=False)
    sb.fix_symbolic(1, 2, "x^2", verbose=False)
    sb.affine.data[1, 0] = torch.tensor([2.0, 0.5, 1.5, -0.25])
    sb.mask.data[1, 0] = sb.mask.data[2, 1] = 1.0
    model.symbolic_fun[0] = sb
    x = _x()
    with torch.no_grad():
        torch.testing.assert_close(model.symbolic[0](x), sb(x)[0], atol=1e-6, rtol=1e-5)
    assert model.symbolic_fun[0].funs_name == [["0", "0"], ["sin", "0"], ["0", "x^2"]]
    wrong = Symbolic_KANLayer(in_dim=3, out_dim=2)
    with pytest.raises(ValueError, match=r"Symbolic_KANLayer\(in_dim=2, out_dim=3\)"):
        model.symbolic_fun[0] = wrong


def test_symbolic_layer_loads_a_pykan_state_dict():
    """pykan 0.2.8's Symbolic_KANLayer state_dict (mask and affine; its functions are not in
    it) loads with strict=True; the functions stay this layer's, as pykan's own load does."""
    theirs = pytest.importorskip("kan.Symbolic_KANLayer").Symbolic_KANLayer(in_dim=3, out_dim=2)
    ours = Symbolic_KANLayer(in_dim=3, out_dim=2)
    for layer in (theirs, ours):
        layer.fix_symbolic(2, 1, "sin", verbose=False)
        layer.fix_symbolic(0, 0, "x^2", verbose=False)
    torch.manual_seed(0)
    theirs.affine.data = torch.randn(2, 3, 4)
    theirs.mask.data[1, 2] = theirs.mask.data[0, 0] = 1.0
    ours.load_state_dict(theirs.state_dict())
    x = _x(d=3)
    for a, b in zip(theirs(x), ours(x)):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-5)
    assert ours.funs_name == theirs.funs_name
    again = Symbolic_KANLayer(in_dim=3, out_dim=2)
    again.load_state_dict(ours.state_dict())  # kanlab's own state carries the functions
    assert again.funs_name == theirs.funs_name

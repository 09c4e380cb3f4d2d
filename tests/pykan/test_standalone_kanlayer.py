"""``kanlab.pykan.KANLayer``: pykan's standalone spline layer, against pykan 0.2.8 itself."""
import copy
import io
import pickle

import pytest
import torch

from kanlab.pykan.KANLayer import KANLayer

SHAPES = [(3, 2, 5, 3), (1, 1, 3, 1), (4, 3, 7, 2), (2, 4, 10, 3)]
NAMES = ("grid", "coef", "scale_base", "scale_sp", "mask")


def _pykan_layer():
    return pytest.importorskip("kan.KANLayer").KANLayer


def _pair(i, o, g, k, seed=0):
    """pykan's layer drawn from ``seed`` and ours with pykan's tensors copied in."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        theirs = _pykan_layer()(i, o, num=g, k=k)
        ours = KANLayer(i, o, num=g, k=k)
    ours.load_state_dict(theirs.state_dict())
    return theirs, ours


def _x(n, d, lo=-1.3, hi=1.3, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g) * (hi - lo) + lo


def _assert_outputs_close(theirs, ours, x, atol=1e-6):
    for a, b in zip(theirs(x), ours(x)):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, atol=atol, rtol=1e-5)


@pytest.mark.parametrize("shape", SHAPES)
def test_forward_returns_pykans_four_tensors(shape):
    """Same tensors in: y, preacts, postacts and postspline equal pykan's, also beyond the grid."""
    theirs, ours = _pair(*shape)
    _assert_outputs_close(theirs, ours, _x(64, shape[0], -2.5, 2.5))


@pytest.mark.parametrize("shape", SHAPES[:3])
def test_the_same_seed_draws_pykans_layer(shape):
    """torch.manual_seed(s) before the constructor gives pykan's grid, coef and scales."""
    with torch.random.fork_rng():
        torch.manual_seed(3)
        theirs = _pykan_layer()(*shape[:2], num=shape[2], k=shape[3])
        torch.manual_seed(3)
        ours = KANLayer(*shape[:2], num=shape[2], k=shape[3])
    for name in NAMES:
        torch.testing.assert_close(getattr(ours, name), getattr(theirs, name).data,
                                   atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("mode", ["sample", "grid"])
@pytest.mark.parametrize("shape", SHAPES)
def test_update_grid_from_samples_matches_pykan(shape, mode):
    """pykan's grid points and refit: grid, coef and all four outputs as pykan's after it."""
    theirs, ours = _pair(*shape)
    x = _x(50, shape[0], -1.7, 1.1)
    theirs.update_grid_from_samples(x, mode=mode)
    ours.update_grid_from_samples(x, mode=mode)
    torch.testing.assert_close(ours.grid, theirs.grid.data, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(ours.coef.data, theirs.coef.data, atol=2e-5, rtol=1e-4)
    _assert_outputs_close(theirs, ours, _x(40, shape[0], -2.0, 1.5), atol=2e-6)


def test_initialize_grid_from_parent_matches_pykan():
    """A finer layer from a coarse parent: pykan's grid and coefficients (mode 'sample')."""
    theirs, ours = _pair(2, 3, 4, 3)
    x = _x(80, 2)
    theirs.update_grid_from_samples(x)
    ours.update_grid_from_samples(x)
    with torch.random.fork_rng():
        torch.manual_seed(5)
        fine_theirs = _pykan_layer()(2, 3, num=9, k=3)
        torch.manual_seed(5)
        fine_ours = KANLayer(2, 3, num=9, k=3)
    fine_theirs.initialize_grid_from_parent(theirs, x)
    fine_ours.initialize_grid_from_parent(ours, x)
    torch.testing.assert_close(fine_ours.grid, fine_theirs.grid.data, atol=1e-6, rtol=1e-6)
    _assert_outputs_close(fine_theirs, fine_ours, x, atol=2e-6)


def test_initialize_grid_from_parent_grid_mode_keeps_the_function():
    """mode='grid' refits on 2G + 1 points along the new grid: the parent's splines are kept."""
    parent = KANLayer(1, 2, num=4, k=3)
    child = KANLayer(1, 2, num=12, k=3)
    x = torch.linspace(-1, 1, 200)[:, None]
    child.initialize_grid_from_parent(parent, x, mode="grid")
    torch.testing.assert_close(child(x)[3], parent(x)[3], atol=2e-4, rtol=0)


def test_written_coef_and_grid_are_used_by_the_next_forward():
    """layer.coef.data[...] = v and layer.grid.data = new change the output as in pykan."""
    theirs, ours = _pair(3, 2, 5, 3)
    x = _x(30, 3)
    for layer in (theirs, ours):
        layer.coef.data[0, 1, :] = 0.3
        layer.grid.data = layer.grid.data * 1.5
    _assert_outputs_close(theirs, ours, x)
    ours.grid[1, 3] += 0.05  # in place: a non-uniform row
    theirs.grid.data[1, 3] += 0.05
    _assert_outputs_close(theirs, ours, x)


def test_state_dict_loads_from_and_into_pykans_layer():
    """The state_dict keys and layouts are pykan's, both ways."""
    theirs, ours = _pair(3, 2, 5, 3)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    with torch.no_grad():
        ours.coef.mul_(2.0)
    theirs.load_state_dict(ours.state_dict())
    _assert_outputs_close(theirs, ours, _x(20, 3))


def test_gradients_match_pykans():
    """Gradients with respect to the input and every parameter, as pykan's."""
    theirs, ours = _pair(3, 2, 5, 3)
    xa = _x(25, 3, -1.8, 1.8).requires_grad_()
    xb = xa.detach().clone().requires_grad_()
    (theirs(xa)[0] ** 2).sum().backward()
    (ours(xb)[0] ** 2).sum().backward()
    torch.testing.assert_close(xb.grad, xa.grad, atol=1e-6, rtol=1e-5)
    for name in ("coef", "scale_base", "scale_sp"):
        torch.testing.assert_close(getattr(ours, name).grad, getattr(theirs, name).grad,
                                   atol=1e-5, rtol=1e-5)


def test_a_stack_of_layers_trains_with_adam():
    """Two layers chained by hand learn x0 * x1 with torch.optim.Adam (no pykan needed)."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        first, second = KANLayer(2, 5, num=5), KANLayer(5, 1, num=5)
    x = _x(200, 2, -1, 1)
    y = x[:, :1] * x[:, 1:]
    params = list(first.parameters()) + list(second.parameters())
    opt = torch.optim.Adam(params, lr=1e-2)

    def loss():
        return ((second(first(x)[0])[0] - y) ** 2).mean()

    start = loss().item()
    for _ in range(200):
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
    assert loss().item() < 0.05 * start


def test_torch_save_pickle_and_deepcopy_round_trip():
    """A layer (after a grid update) comes back computing the same outputs."""
    layer = KANLayer(2, 3, num=4, k=2)
    x = _x(20, 2)
    layer.update_grid_from_samples(x)
    buf = io.BytesIO()
    torch.save(layer, buf)
    buf.seek(0)
    copies = [torch.load(buf, weights_only=False), pickle.loads(pickle.dumps(layer)),
              copy.deepcopy(layer)]
    for other in copies:
        for a, b in zip(layer(x), other(x)):
            torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_get_subset_and_swap_match_pykan():
    """get_subset and swap (both modes) give pykan's layer and outputs."""
    theirs, ours = _pair(4, 3, 5, 3)
    x = _x(30, 4)
    sub_theirs, sub_ours = theirs.get_subset([0, 3], [2, 1]), ours.get_subset([0, 3], [2, 1])
    assert (sub_ours.in_dim, sub_ours.out_dim) == (2, 2)
    _assert_outputs_close(sub_theirs, sub_ours, x[:, [0, 3]])
    for args in ((0, 2, "in"), (0, 1, "out")):
        theirs.swap(*args)
        ours.swap(*args)
        _assert_outputs_close(theirs, ours, x)


def test_float64_layer_and_attributes():
    """.double() moves the knots and weights; pykan's attribute names and shapes are there."""
    layer = KANLayer(3, 2, num=5, k=3).double()
    y, *_ = layer(_x(10, 3).double())
    assert y.dtype == torch.float64
    assert layer.grid.shape == (3, 12) and layer.coef.shape == (3, 2, 8)
    assert layer.scale_base.shape == layer.scale_sp.shape == layer.mask.shape == (3, 2)
    assert (layer.in_dim, layer.out_dim, layer.num, layer.k) == (3, 2, 5, 3)


def test_sp_and_sb_trainable_flags():
    """sp_trainable / sb_trainable switch the scales' requires_grad, as pykan's."""
    layer = KANLayer(2, 2, sp_trainable=False, sb_trainable=False)
    assert not layer.scale_sp.requires_grad and not layer.scale_base.requires_grad
    assert layer.coef.requires_grad


@pytest.mark.parametrize("kwargs, error, words", [
    ({"in_dim": 0}, ValueError, "in_dim"),
    ({"num": 2.5}, TypeError, "num"),
    ({"grid_range": [1, -1]}, ValueError, "grid_range"),
    ({"grid_eps": 1.5}, ValueError, "grid_eps"),
    ({"base_fun": "silu"}, TypeError, "base_fun"),
    ({"noise_scale": float("nan")}, TypeError, "noise_scale"),
])
def test_bad_constructor_arguments_are_refused(kwargs, error, words):
    with pytest.raises(error, match=words):
        KANLayer(**kwargs)


def test_bad_calls_are_refused_with_clear_errors():
    """Wrong input shapes, modes, swap indices and subsets raise ValueError/TypeError."""
    layer = KANLayer(3, 2)
    with pytest.raises(ValueError, match=r"\(batch, 3\)"):
        layer(torch.zeros(4, 2))
    with pytest.raises(TypeError, match="Tensor"):
        layer([[0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="mode"):
        layer.update_grid_from_samples(torch.zeros(4, 3), mode="bogus")
    with pytest.raises(ValueError, match="finite"):
        layer.update_grid_from_samples(torch.full((4, 3), float("nan")))
    with pytest.raises(ValueError, match="swap"):
        layer.swap(0, 5)
    with pytest.raises(ValueError, match="mode"):
        layer.swap(0, 1, mode="sideways")
    with pytest.raises(ValueError, match="in_id"):
        layer.get_subset([7], [0])
    with pytest.raises(TypeError, match="parent"):
        layer.initialize_grid_from_parent(object(), torch.zeros(4, 3))


@pytest.mark.parametrize("base_fun", [torch.nn.Tanh(), torch.nn.GELU(), torch.nn.Identity(),
                                      torch.sin], ids=["tanh", "gelu", "identity", "callable"])
def test_other_base_functions_match_pykan(base_fun):
    """Base functions kanlab knows by name and a plain callable give pykan's outputs."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        theirs = _pykan_layer()(3, 2, num=5, k=3, base_fun=base_fun)
        ours = KANLayer(3, 2, num=5, k=3, base_fun=base_fun)
    ours.load_state_dict(theirs.state_dict())
    _assert_outputs_close(theirs, ours, _x(40, 3, -2.0, 2.0))

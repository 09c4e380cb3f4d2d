"""``kanlab.pykan.Symbolic_KANLayer``: pykan's standalone symbolic layer, against pykan 0.2.8."""
import copy
import io

import pytest
import torch

from kanlab.pykan.Symbolic_KANLayer import Symbolic_KANLayer

EDGES = [(0, 0, "sin"), (1, 0, "x^2"), (2, 1, "exp"), (0, 1, "1/x"), (1, 1, "tanh")]


def _pykan_layer():
    return pytest.importorskip("kan.Symbolic_KANLayer").Symbolic_KANLayer


def _x(n=30, d=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g) * 2 - 1


def _pair(edges=EDGES, affine_seed=0, mask=1.0):
    """pykan's layer and ours with the same functions, constants and mask."""
    theirs, ours = _pykan_layer()(3, 2), Symbolic_KANLayer(3, 2)
    for i, j, name in edges:
        theirs.fix_symbolic(i, j, name, verbose=False)
        ours.fix_symbolic(i, j, name, verbose=False)
    affine = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(affine_seed))
    for layer in (theirs, ours):
        layer.affine.data = affine.clone()
        layer.mask.data[:] = mask
    return theirs, ours


def _assert_same(theirs, ours, x, **kw):
    for a, b in zip(theirs(x, **kw), ours(x, **kw)):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-5)


def test_forward_returns_pykans_outputs_and_postacts():
    """(y, postacts) as pykan's, including the edges left at pykan's zero function (c·0 + d)."""
    theirs, ours = _pair()
    assert ours.funs_name == theirs.funs_name
    _assert_same(theirs, ours, _x())


def test_singularity_avoiding_forward_matches_pykan_away_from_poles():
    """singularity_avoiding=True gives pykan's values where no edge is near a singularity."""
    theirs, ours = _pair([(0, 0, "sin"), (1, 1, "exp"), (2, 0, "x^2")])
    _assert_same(theirs, ours, _x(), singularity_avoiding=True, y_th=50.0)


def test_singularity_avoiding_caps_a_pole_at_y_th():
    """1/x through 0 with y_th = 5: every edge value stays within 5 and finite."""
    ours = Symbolic_KANLayer(1, 1)
    ours.fix_symbolic(0, 0, "1/x", verbose=False)
    ours.mask.data[:] = 1.0
    x = torch.cat([torch.linspace(-1, 1, 100), torch.zeros(1)])[:, None]
    y, post = ours(x, singularity_avoiding=True, y_th=5.0)
    assert torch.isfinite(y).all() and y.abs().max() <= 5.0
    assert not torch.isfinite(ours(x)[0]).all()  # without it, 1/0 is inf


def test_fix_symbolic_leaves_the_mask_as_pykan_does():
    """fix_symbolic sets the function and (1, 0, 1, 0) but not the mask: the output stays 0."""
    theirs, ours = _pykan_layer()(3, 2), Symbolic_KANLayer(3, 2)
    assert theirs.fix_symbolic(2, 1, "sin") is None and ours.fix_symbolic(2, 1, "sin") is None
    torch.testing.assert_close(ours.affine.data, theirs.affine.data)
    torch.testing.assert_close(ours.mask, theirs.mask.data)
    assert ours(_x())[0].abs().max() == 0


def test_fix_symbolic_with_data_fits_the_constants():
    """With x, y the constants fit y = 5 sin(3x + 2) + 0.7 (R² ≈ 1, as pykan's fit)."""
    ours = Symbolic_KANLayer(3, 2)
    x = torch.linspace(-1, 1, 100)
    y = 5.0 * torch.sin(3.0 * x + 2.0) + 0.7
    r2 = ours.fix_symbolic(2, 1, "sin", x, y, verbose=False)
    assert float(r2) > 0.9999
    ours.mask.data[1, 2] = 1.0
    out = ours(torch.stack([x, x, x], 1))[1][:, 1, 2]
    torch.testing.assert_close(out, y, atol=1e-3, rtol=0)


def test_a_torch_function_is_anonymous():
    """fix_symbolic with a callable names the edge 'anonymous' and computes it."""
    ours = Symbolic_KANLayer(1, 1)
    ours.fix_symbolic(0, 0, lambda t: t ** 3)
    ours.mask.data[:] = 1.0
    assert ours.funs_name == [["anonymous"]]
    x = _x(10, 1)
    torch.testing.assert_close(ours(x)[0], x ** 3)


def test_get_subset_matches_pykan():
    """get_subset keeps the chosen edges' functions, constants and mask."""
    theirs, ours = _pair()
    sub_theirs, sub_ours = theirs.get_subset([0, 2], [1]), ours.get_subset([0, 2], [1])
    assert (sub_ours.in_dim, sub_ours.out_dim) == (2, 1)
    assert sub_ours.funs_name == sub_theirs.funs_name
    x = _x()[:, [0, 2]]
    torch.testing.assert_close(sub_ours(x)[0], sub_theirs(x)[0], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("mode, i1, i2", [("in", 0, 2), ("out", 0, 1)])
def test_swap_exchanges_whole_edges(mode, i1, i2):
    """After swap the names and constants are pykan's, and the outputs those of a pykan layer
    built swapped (pykan's own swap leaves its torch functions in place: a bug)."""
    theirs, ours = _pair()
    theirs.swap(i1, i2, mode)
    ours.swap(i1, i2, mode)
    assert ours.funs_name == theirs.funs_name
    torch.testing.assert_close(ours.affine.data, theirs.affine.data)
    rebuilt = _pykan_layer()(3, 2)
    for j, row in enumerate(theirs.funs_name):
        for i, name in enumerate(row):
            if name != "0":
                rebuilt.fix_symbolic(i, j, name, verbose=False)
    rebuilt.affine.data = theirs.affine.data.clone()
    rebuilt.mask.data = theirs.mask.data.clone()
    _assert_same(rebuilt, ours, _x())


def test_pickle_deepcopy_and_training():
    """torch.save / deepcopy round trips; affine gets gradients and trains."""
    _, ours = _pair()
    x = _x()
    buf = io.BytesIO()
    torch.save(ours, buf)
    buf.seek(0)
    for other in (torch.load(buf, weights_only=False), copy.deepcopy(ours)):
        assert other.funs_name == ours.funs_name
        torch.testing.assert_close(other(x)[0], ours(x)[0], atol=0, rtol=0)
    opt = torch.optim.Adam(ours.parameters(), lr=1e-2)
    start = (ours(x)[0] ** 2).mean().item()
    for _ in range(50):
        opt.zero_grad()
        (ours(x)[0] ** 2).mean().backward()
        opt.step()
    assert (ours(x)[0] ** 2).mean().item() < start


def test_pykan_tables_of_functions():
    """funs, funs_sympy and funs_avoid_singularity evaluate each edge's function."""
    import sympy
    ours = Symbolic_KANLayer(2, 1)
    ours.fix_symbolic(0, 0, "sin")
    t = torch.tensor([0.3])
    torch.testing.assert_close(ours.funs[0][0](t), torch.sin(t))
    assert ours.funs[0][1](t).item() == 0.0
    assert ours.funs_sympy[0][0](sympy.Symbol("u")) == sympy.sin(sympy.Symbol("u"))
    torch.testing.assert_close(ours.funs_avoid_singularity[0][0](t, 10.0)[1], torch.sin(t))


def test_bad_arguments_are_refused():
    """Bad sizes, indices, names, modes and inputs raise ValueError/TypeError."""
    with pytest.raises(ValueError, match="in_dim"):
        Symbolic_KANLayer(0, 2)
    ours = Symbolic_KANLayer(3, 2)
    with pytest.raises(ValueError, match="i must be"):
        ours.fix_symbolic(3, 0, "sin")
    with pytest.raises(ValueError, match="unknown symbolic function"):
        ours.fix_symbolic(0, 0, "sine")
    with pytest.raises(TypeError, match="fun_name"):
        ours.fix_symbolic(0, 0, 3.0)
    with pytest.raises(ValueError, match="mode"):
        ours.swap(0, 1, mode="up")
    with pytest.raises(ValueError, match=r"\(batch, 3\)"):
        ours(torch.zeros(4, 2))

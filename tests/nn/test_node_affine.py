"""``KAN(node_affine=True)``: the optional affine maps of every level (kanlab.nn._node_affine)."""
import pytest
import torch

from kanlab.nn import KAN, prune
from kanlab.nn._fused_forward import fused_reason
from kanlab.nn._node_affine import NodeAffine


def _model(width=(2, [3, 2], 1), seed=0):
    model = KAN(list(width), grid=4, k=3, seed=seed, node_affine=True)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.affines.parameters():
            p.add_(0.5 * torch.randn(p.shape, generator=g))
    return model


def _x(n_in=2):
    return torch.rand(64, n_in, generator=torch.Generator().manual_seed(1)) * 2 - 1


def test_forward_applies_subnode_map_products_then_node_map():
    """Output and gradients equal the maps written out by hand around the layers."""
    model = _model()
    x = _x()
    a0, a1 = model.affines
    h = a0.subnode_scale * model.layer_output(0, x) + a0.subnode_bias  # (B, 7)
    h = torch.cat([h[:, :3], h[:, 3::2] * h[:, 4::2]], 1)  # (B, 5): 3 sums, 2 products
    h = a0.node_scale * h + a0.node_bias
    want = a1.node_scale * (a1.subnode_scale * model.layer_output(1, h) + a1.subnode_bias) \
        + a1.node_bias
    got = model(x)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    g_got = torch.autograd.grad(got.sum(), a0.subnode_bias)[0]
    g_want = torch.autograd.grad(want.sum(), a0.subnode_bias)[0]
    torch.testing.assert_close(g_got, g_want)


def test_default_model_has_no_maps_and_keeps_its_fused_path():
    """Off by default: no parameters, no config key; with maps the fused pass falls back."""
    plain = KAN([2, 3, 1], grid=4, seed=0)
    maps = KAN([2, 3, 1], grid=4, seed=0, node_affine=True)
    assert plain.affines is None and not plain.node_affine
    assert "node_affine" not in plain.get_config()
    extra = sum(p.numel() for p in maps.parameters()) - sum(p.numel() for p in plain.parameters())
    assert extra == 2 * (3 + 3) + 2 * (1 + 1)
    reason = fused_reason(maps, _x())
    assert reason is not None  # never fused
    if fused_reason(plain, _x()) is None:  # kernels on: the maps are what stops it
        assert "node affine" in reason
    assert torch.equal(maps(_x()), plain(_x()))  # identity maps: the same function


def test_config_and_kanlab_checkpoint_round_trip(tmp_path):
    """``get_config`` rebuilds a model with maps; kanlab.io's file keeps their values."""
    from kanlab.io import load, save
    model = _model()
    config = model.get_config()
    config.pop("dtype")  # a string there (the file's)
    assert KAN(**config).node_affine
    save(model, tmp_path / "m.kan")
    back = load(tmp_path / "m.kan")
    assert torch.equal(back(_x()), model(_x()))


def test_prune_slices_the_maps():
    """Pruned nodes take their map entries with them; the kept function is unchanged when the
    dropped nodes carried nothing."""
    model = _model(width=(2, 4, 1))
    with torch.no_grad():
        model.layers[1].mask[:, [1, 3]] = 0.0  # (out, in): nodes 1 and 3 feed nothing
        model.layers[0].scale_sp[[1, 3]] = 0.0
        model.layers[0].scale_base[[1, 3]] = 0.0
    x = _x()
    small = prune(model, x, node_th=1e-3, edge_th=0.0)
    assert small.n_nodes == [2, 2, 1]
    assert torch.equal(small.affines[0].node_bias, model.affines[0].node_bias[[0, 2]])
    torch.testing.assert_close(small(x), model(x))


def test_taken_inserts_identity_entries_and_checks_indices():
    affine = NodeAffine(3, 2)
    with torch.no_grad():
        affine.node_bias.copy_(torch.tensor([5.0, 6.0]))
    new = affine.inserted([0], [1])
    assert new.subnode_scale.shape == (4,)
    assert new.node_bias.tolist() == [5.0, 0.0, 6.0]
    with pytest.raises(ValueError, match="indices must lie in"):
        affine.taken([0, 3], [0])


def test_old_pickles_without_maps_load():
    """A model pickled before the maps existed reads ``affines`` as None."""
    model = KAN([2, 3, 1], grid=4, seed=0)
    state = model.__getstate__() if hasattr(model, "__getstate__") else dict(model.__dict__)
    state = dict(state)
    state.pop("affines", None)
    fresh = KAN.__new__(KAN)
    fresh.__setstate__(state)
    assert fresh.affines is None
    assert torch.equal(fresh(_x()), model(_x()))


def test_label_scale_folds_into_the_output_maps():
    """A fit's label map ``scale·y + shift`` goes into the output nodes' maps (any last level)."""
    from kanlab.train._label_scale import LabelScale
    model = _model(width=(2, 3, [0, 1]))  # the output is a product: no edge weight to scale
    x = _x()
    before = model(x).detach()
    label = LabelScale((2.0,), (3.0,))
    assert label.restricted_to(model) == label
    assert label.fold_into(model) == []
    torch.testing.assert_close(model(x).detach(), 3.0 * before + 2.0)

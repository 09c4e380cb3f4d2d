"""``model.symbolic_fun[l] = Symbolic_KANLayer(...)``: the model computes what the layer
computes, as pykan's model does: a mask other than 1 weighs its edge, and an edge switched
on without a function adds its ``d`` (pykan's ``c · 0 + d``).  Both were lost: the model's
symbolic branch skipped edges without a function and took any nonzero mask as 1."""
import pytest
import torch

from kanlab import pykan


def _layer(module):
    """A pykan-style symbolic layer ``2 -> 3``: a weighted sine, a blank edge with a
    constant, a full-weight x^2, and a function whose mask is 0."""
    sl = module.Symbolic_KANLayer(in_dim=2, out_dim=3)
    sl.fix_symbolic(0, 1, "sin", verbose=False)
    sl.fix_symbolic(1, 0, "x^2", verbose=False)
    sl.fix_symbolic(1, 2, "exp", verbose=False)  # its mask stays 0: off
    with torch.no_grad():
        sl.affine[1, 0] = torch.tensor([2.0, 0.5, 1.5, 0.25])
        sl.affine[2, 0, 3] = 0.7  # blank edge 0 -> 2: d only
        sl.mask[1, 0] = 0.5
        sl.mask[2, 0] = 1.0
        sl.mask[0, 1] = 1.0
    return sl


def _x(n=50):
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 2, generator=g) * 2 - 1


def test_model_computes_what_the_layer_computes():
    sl = _layer(pykan)
    model = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    model.symbolic_fun[0] = sl
    x = _x()
    with torch.no_grad():
        want = sl(x)[0]
        got = model.symbolic[0](x)
    assert torch.allclose(got, want, atol=1e-6), (got - want).abs().max()
    assert float(want[:, 2].sub(0.7).abs().max()) < 1e-6  # the blank edge's d is there
    assert model.symbolic_fun[0].funs_name[2] == ["0", "exp"]


def test_model_matches_pykans_model(tmp_path, monkeypatch):
    kan = pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    theirs = kan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    ours = pykan.KAN(width=[2, 3, 1], grid=3, k=3, auto_save=False)
    ours.load_state_dict(theirs.state_dict())
    theirs.symbolic_fun[0] = _layer(kan)
    ours.symbolic_fun[0] = _layer(pykan)
    x = _x()
    with torch.no_grad():
        want, got = theirs(x), ours(x)
    assert torch.allclose(got, want, atol=1e-5), (got - want).abs().max()

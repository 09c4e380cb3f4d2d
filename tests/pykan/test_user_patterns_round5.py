"""Patterns from the fifth round of public pykan code (``benchmarks/pykan_user_cases/round5_*.py``):
a layer's tensors replaced whole through ``model.act_fun[l]`` (``mask.data = structure``,
``coef.data = ...``), its ``base_fun`` for a forward rebuilt by hand, and pykan's forward
caches assigned (put back after an evaluation, or loaded from a checkpoint dict)."""
import copy
import io

import pytest
import torch
from _data import sin_square_dataset

from kanlab import pykan


def _fitted(width=(2, 3, 1), steps=3):
    model = pykan.KAN(width=list(width), grid=5, k=3, seed=0, auto_save=False)
    model.fit(sin_square_dataset(), opt="LBFGS", steps=steps, update_grid=False)
    return model


def test_mask_data_assigned_whole_switches_edges_off():
    """``model.act_fun[m].mask.data = structure[m]`` (pykan's (in, out) layout) takes effect
    (was a no-op: the view was a transposed copy's alias)."""
    model = pykan.KAN(width=[3, 2, 1], grid=5, k=3, seed=0, auto_save=False)
    structure = torch.tensor([[1., 0.], [0., 1.], [0., 0.]])
    model.act_fun[0].mask.data = structure
    assert torch.equal(model.act_fun[0].mask, structure)
    x = torch.rand(20, 3) * 2 - 1
    y0 = model(x)
    x[:, 2] = 0.5  # input 2 has no edge left
    assert torch.equal(model(x), y0)


def test_coef_grid_and_scales_assigned_whole_write_the_model():
    model = _fitted()
    x = torch.rand(30, 2) * 2 - 1
    layer = model.act_fun[0]
    new_coef = torch.randn_like(layer.coef)
    layer.coef.data = new_coef
    assert torch.equal(model.act_fun[0].coef, new_coef)
    layer.scale_base.data = torch.zeros_like(layer.scale_base)
    layer.scale_sp.data = 2 * torch.ones_like(layer.scale_sp)
    assert float(model.act_fun[0].scale_base.detach().abs().sum()) == 0
    assert torch.all(model.act_fun[0].scale_sp == 2)
    # the knots too, and the next forward pass uses them (tables rebuilt)
    wide = 2 * model.act_fun[0].grid
    model.act_fun[0].grid.data = wide
    assert torch.equal(model.act_fun[0].grid, wide)
    ref = pykan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    ref.load_state_dict(model.state_dict())
    assert torch.allclose(ref(x), model(x))
    with pytest.raises(ValueError, match="shape"):
        model.act_fun[0].coef.data = torch.zeros(3, 3, 3)


def test_coef_scaled_in_place_through_data_and_views_keep_gradients():
    """pykan's own docstring idiom ``coef.data *= 2``, and a penalty on ``act_fun[l].coef``
    reaching the parameter."""
    model = _fitted()
    before = model.act_fun[1].coef.clone()
    model.act_fun[1].coef.data *= 2
    assert torch.allclose(model.act_fun[1].coef, 2 * before)
    model.zero_grad()
    model.act_fun[0].coef.abs().sum().backward()
    assert all(p.grad is not None for n, p in model.named_parameters() if n == "layers.0.coef")
    # a view pickles and deep-copies as a plain tensor
    view = model.act_fun[0].coef
    buf = io.BytesIO()
    torch.save(view, buf)
    buf.seek(0)
    back = torch.load(buf)
    assert type(back) is torch.Tensor and torch.equal(back, view)
    assert type(copy.deepcopy(view)) is torch.Tensor


def test_forward_rebuilt_by_hand_from_layer_parts():
    """``base_fun`` on ``act_fun[l]`` (was AttributeError), with grid/coef/scales/mask and
    ``coef2curve``, gives the model's output inside the grid."""
    model = pykan.KAN(width=[3, 1], grid=5, k=3, seed=0, auto_save=False)
    layer = model.act_fun[0]
    x = torch.rand(40, 3) * 1.8 - 0.9
    with torch.no_grad():
        spline = pykan.spline.coef2curve(x, layer.grid, layer.coef, model.k)
        edges = layer.scale_base[None] * layer.base_fun(x)[:, :, None] + layer.scale_sp[None] * spline
        by_hand = (layer.mask[None] * edges).sum(1)
        assert torch.allclose(by_hand, model(x), atol=1e-5)


NAMES = ("cache_data", "acts", "acts_premult", "spline_preacts", "spline_postsplines",
         "spline_postacts", "acts_scale", "acts_scale_spline", "subnode_actscale", "edge_actscale")


def test_forward_caches_put_back_after_an_evaluation():
    """``setattr(model, name, saved)`` for pykan's caches (was AttributeError: no setter); the
    training inputs are the last seen again, so scores and ``prune`` use them."""
    model = _fitted()
    train = sin_square_dataset()["train_input"]
    saved = {n: getattr(model, n) for n in NAMES}
    model(torch.rand(7, 2))
    assert model.cache_data.shape[0] == 7
    for n, v in saved.items():
        setattr(model, n, v)
    assert model.cache_data.shape[0] == train.shape[0]
    assert model.spline_preacts[0] is saved["spline_preacts"][0]
    assert model.acts_scale[0] is saved["acts_scale"][0]


def test_assigned_caches_are_read_until_the_next_forward_pass():
    """A fresh model given caches from a checkpoint dict reads them back (pykan's plain
    attributes); the next forward pass replaces them, as pykan's does."""
    model = _fitted()
    model(sin_square_dataset()["train_input"])
    pre, post = model.spline_preacts, model.spline_postacts
    fresh = pykan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    fresh.load_state_dict(model.state_dict())
    fresh.spline_preacts, fresh.spline_postacts = pre, post
    fresh.eval()
    assert fresh.spline_preacts is pre and fresh.spline_postacts is post
    x = torch.rand(9, 2)
    fresh(x)
    assert fresh.spline_preacts[0].shape[0] == 9 and fresh.cache_data.shape[0] == 9
    with pytest.raises(TypeError, match="cache_data"):
        fresh.cache_data = [[0.0, 1.0]]


class _Deferred(pykan.KAN):
    """sklearn-style: pykan's names stored first, ``KAN.__init__`` called once data arrive."""

    def __init__(self, hidden, grid, k):
        self.width, self.grid, self.k = hidden, grid, k

    def build(self, n_in):
        pykan.KAN.__init__(self, width=[n_in] + list(self.width) + [1], grid=self.grid, k=self.k,
                           seed=0, auto_save=False)
        return self


def test_subclass_sets_width_grid_k_before_kan_init():
    """pykan's plain attributes (was AttributeError: the read-only properties needed layers)."""
    model = _Deferred(hidden=[4], grid=6, k=2)
    assert (model.width, model.grid, model.k) == ([4], 6, 2)
    model.build(3)
    assert model.width == [[3, 0], [4, 0], [1, 0]] and (model.grid, model.k) == (6, 2)
    assert model(torch.rand(5, 3)).shape == (5, 1)
    # once built, the same values are accepted again (a subclass setting them after
    # super().__init__), other values refused
    model.width, model.grid, model.k = [3, 4, 1], 6, 2
    with pytest.raises(ValueError, match="refine"):
        model.grid = 10
    with pytest.raises(ValueError, match="k follows"):
        model.k = 3


def test_symbolic_lib_copy_is_the_library_as_a_plain_dict():
    """``lib = SYMBOLIC_LIB.copy(); lib.pop('0')`` then ``auto_symbolic(lib=lib)`` (was an empty
    dict: "lib is empty"); ``get`` and ``values`` read the library too (were empty)."""
    lib = pykan.SYMBOLIC_LIB.copy()
    assert type(lib) is dict and len(lib) == len(pykan.SYMBOLIC_LIB) and "sin" in lib
    assert pykan.SYMBOLIC_LIB.get("sin") is not None and pykan.SYMBOLIC_LIB.get("nope") is None
    assert len(list(pykan.SYMBOLIC_LIB.values())) == len(lib)
    lib.pop("0")
    assert "0" in pykan.SYMBOLIC_LIB  # the copy is the user's
    model = pykan.KAN(width=[1, 1], grid=5, k=3, seed=0, auto_save=False)
    x = torch.linspace(-1, 1, 64)[:, None]
    model.fit({"train_input": x, "train_label": torch.exp(x), "test_input": x,
               "test_label": torch.exp(x)}, opt="LBFGS", steps=5, update_grid=False)
    model.auto_symbolic(lib=lib, verbose=0)
    assert model.symbolic_fun[0].funs_name[0][0] == "exp"


def test_state_dict_answers_pykans_key_names():
    """``state_dict()["act_fun.0.coef"].shape[1]`` is the hidden width, as in pykan (was a
    KeyError); kanlab's keys stay what is stored, saved and loaded."""
    model = pykan.KAN(width=[3, 4, 1], grid=6, k=3, seed=0, auto_save=False)
    sd = model.state_dict()
    assert sd["act_fun.0.coef"].shape == (3, 4, 9) and sd["act_fun.1.mask"].shape == (4, 1)
    assert torch.equal(sd["act_fun.0.coef"], model.act_fun[0].coef)
    assert sd["act_fun.0.grid"].shape == (3, 13) and sd["symbolic_fun.0.affine"].shape == (4, 3, 4)
    assert "act_fun.0.coef" not in sd and all(not k.startswith("act_fun") for k in sd)
    with pytest.raises(KeyError):
        sd["act_fun.2.coef"]
    buf = io.BytesIO()
    torch.save(sd, buf)
    buf.seek(0)
    back = torch.load(buf)  # weights_only: a plain OrderedDict
    assert type(back).__name__ == "OrderedDict" and type(copy.deepcopy(sd)).__name__ == "OrderedDict"
    other = pykan.KAN(width=[3, 4, 1], grid=6, k=3, seed=1, auto_save=False)
    other.load_state_dict(back)
    x = torch.rand(8, 3)
    assert torch.equal(other(x), model(x))


class _Doubled(pykan.KAN):
    """A subclass with a transform before the network: ``forward`` and
    ``update_grid_from_samples`` overridden (pykan's fit calls the latter for its grids)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid_calls = 0

    def forward(self, x, singularity_avoiding=False, y_th=10.0):
        return super().forward(2 * x, singularity_avoiding=singularity_avoiding, y_th=y_th)

    def update_grid_from_samples(self, x):
        self.grid_calls += 1
        super().update_grid_from_samples(2 * x)


def test_fit_grid_updates_go_through_a_subclass_override():
    """fit's grid updates call the override, so the grids cover the transformed inputs
    (were placed on the raw inputs: half the transformed ones beyond the grid)."""
    ds = sin_square_dataset(n=100)
    model = _Doubled(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=6, stop_grid_update_step=6, grid_update_num=3)
    assert model.grid_calls >= 2
    knots = model.act_fun[0].grid
    inner = knots[:, model.k], knots[:, -model.k - 1]  # the grid's own interval per input
    seen = 2 * ds["train_input"]
    assert torch.all(inner[0] <= seen.min(0).values + 1e-4)
    assert torch.all(inner[1] >= seen.max(0).values - 1e-4)
    # a plain model is unaffected: update_grid places the grid on what it is given
    plain = pykan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    plain.update_grid_from_samples(ds["train_input"])
    assert float(plain.act_fun[0].grid[:, model.k].min()) > -1.01


class _OneArgGridUpdate(pykan.KAN):
    """pykan's ``update_grid(self, x)`` overridden (pykan's fit calls it), the transform inside."""

    def forward(self, x, singularity_avoiding=False, y_th=10.0):
        return super().forward(2 * x, singularity_avoiding=singularity_avoiding, y_th=y_th)

    def update_grid(self, x):
        super().update_grid(2 * x)


def test_fit_takes_a_subclass_update_grid_with_pykans_signature():
    """kanlab's fit passes ``max_change``/``carry`` to ``update_grid`` (was TypeError with a
    one-argument override); the grids cover the transformed inputs."""
    ds = sin_square_dataset(n=100)
    model = _OneArgGridUpdate(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=4, stop_grid_update_step=4, grid_update_num=2)
    assert len(r["train_loss"]) == 4
    knots = model.act_fun[0].grid
    assert float(knots[:, model.k].max()) < -1.5 and float(knots[:, -model.k - 1].min()) > 1.5

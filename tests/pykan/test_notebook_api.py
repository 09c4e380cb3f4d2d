"""pykan API that more of pykan's tutorials need: kan.hypothesis, kan.MLP, fit(pred_fn=), reg."""
import pytest
import torch

F64 = torch.float64


def _x(n, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return 2 * torch.rand(n, d, generator=g, dtype=F64) - 1


# ---------------------------------------------------------------- kan.hypothesis
def test_separability_is_found_from_the_hessian(capsys):
    from kanlab.pykan.hypothesis import detect_separability, test_separability
    x = _x(100, 6)
    add = lambda z: z[:, [0]] * z[:, [1]] + z[:, [2]] * z[:, [3]] + z[:, [4]] * z[:, [5]]  # noqa: E731
    assert detect_separability(add, x, "add")["groups"] == [[0, 1], [2, 3], [4, 5]]
    mul = lambda z: (z[:, [0]] + z[:, [1]]) * (z[:, [2]] + z[:, [3]]) * (z[:, [4]] + z[:, [5]])  # noqa: E731
    found = detect_separability(mul, x, "mul")
    assert found["n_groups"] == 3 and found["labels"] == [0, 0, 1, 1, 2, 2]
    assert "mul separability detected" in capsys.readouterr().out
    assert bool(test_separability(mul, x, [[0, 1], [2, 3], [4, 5]], "mul"))
    assert not bool(test_separability(mul, x, [[0, 1], [2, 4], [3, 5]], "mul"))
    assert not bool(test_separability(mul, x, [[0, 1], [2, 3], [4, 5]], "add"))
    with pytest.raises(ValueError, match="mode"):
        test_separability(mul, x, [[0]], "sum")


def test_general_separability_and_symmetry():
    from kanlab.pykan.hypothesis import (get_molecule, test_general_separability, test_symmetry,
                                         test_symmetry_var)
    x = _x(100, 6, seed=1)
    mul = lambda z: (z[:, [0]] + z[:, [1]]) * (z[:, [2]] + z[:, [3]]) * (z[:, [4]] + z[:, [5]])  # noqa: E731
    wrapped = lambda z: torch.sin(mul(z))  # noqa: E731
    assert bool(test_general_separability(wrapped, x, [[0, 1], [2, 3], [4, 5]]))
    assert not bool(test_general_separability(wrapped, x, [[0, 2], [1, 3], [4, 5]]))
    assert bool(test_symmetry(mul, x, [0, 1])) and not bool(test_symmetry(mul, x, [0, 2]))
    import sympy
    a, b, c = sympy.symbols("a b c")
    ratio = lambda z: z[:, [0]] * torch.sqrt(1 + (z[:, [1]] / z[:, [2]]) ** 2)  # noqa: E731
    x3 = _x(100, 3, seed=2)
    assert float((test_symmetry_var(ratio, x3, [a, b, c], b / c) > 0.9).float().mean()) > 0.9
    assert float((test_symmetry_var(ratio, x3, [a, b, c], b * c) > 0.9).float().mean()) < 0.9
    nested = lambda z: ((z[:, [0]] ** 2 + z[:, [1]] ** 2) ** 2 + (z[:, [2]] ** 2 + z[:, [3]] ** 2) ** 2) ** 2 \
        + z[:, [4]] ** 2  # noqa: E731
    levels = get_molecule(nested, _x(100, 5, seed=3), verbose=False)
    assert levels[1] == [[0, 1], [2, 3], [4]] and levels[2] == [[0, 1, 2, 3], [4]]
    assert levels[-1] == [[0, 1, 2, 3, 4]]


# ---------------------------------------------------------------- kan.MLP
def test_mlp_trains_swaps_and_leaves_the_global_random_state():
    from kanlab.pykan.MLP import MLP
    state = torch.random.get_rng_state()
    model = MLP(width=[3, 8, 1], seed=5)
    assert torch.equal(state, torch.random.get_rng_state())
    again = MLP(width=[3, 8, 1], seed=5)
    assert torch.equal(model.linears[0].weight, again.linears[0].weight)
    x = _x(200, 3).float()
    y = x[:, [0]] * x[:, [1]] + x[:, [2]]
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    res = model.fit(data, steps=15, lamb=1e-3, reg_metric="w")
    assert len(res["train_loss"]) == len(res["test_loss"]) == len(res["reg"]) == 15
    assert float(res["train_loss"][-1]) < 0.5 * float(res["train_loss"][0])
    before = model(x).detach()
    cost = float(model.connection_cost)
    model.auto_swap()
    torch.testing.assert_close(model(x), before, rtol=1e-5, atol=1e-6)
    assert float(model.connection_cost) <= cost
    with pytest.raises(ValueError, match="reg_metric"):
        model.reg("weights", 1.0, 2.0)
    with pytest.raises(ValueError, match="width"):
        MLP(width=[3])


def test_mlp_penalty_is_l1_plus_row_and_column_entropy():
    from kanlab.pykan.MLP import MLP
    model = MLP(width=[2, 2], seed=0)
    with torch.no_grad():
        model.linears[0].weight.copy_(torch.tensor([[1.0, -1.0], [0.0, 2.0]]))
    a = torch.tensor([[1.0, 1.0], [0.0, 2.0]])

    def h(p):
        return -(p * torch.log2(p + 1e-4)).sum()
    rows = (h(a[0] / 3) + h(a[1] / 3)) / 2
    cols = (h(a[:, 0] / 2) + h(a[:, 1] / 4)) / 2
    torch.testing.assert_close(model.reg("w", 1.0, 2.0), a.sum() + 2.0 * (rows + cols))


# ---------------------------------------------------------------- utils, fit(pred_fn=), reg
def test_batch_jacobian_shapes_follow_pykan():
    from kanlab.pykan.utils import batch_hessian, batch_jacobian
    x = _x(5, 2)
    f = lambda z: torch.cat([z[:, [0]] ** 2 * z[:, [1]], z[:, [1]]], dim=1)  # noqa: E731
    g = batch_jacobian(f, x)  # the first output's gradient
    torch.testing.assert_close(g, torch.stack([2 * x[:, 0] * x[:, 1], x[:, 0] ** 2], dim=1))
    assert batch_jacobian(f, x, mode="vector").shape == (5, 2, 2)
    h = batch_hessian(f, x)
    torch.testing.assert_close(h[:, 0, 1], 2 * x[:, 0])
    torch.testing.assert_close(h[:, 1, 1], torch.zeros(5, dtype=F64))
    with pytest.raises(ValueError, match="mode"):
        batch_jacobian(f, x, mode="matrix")


def test_fit_with_pred_fn_learns_a_conserved_quantity(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from kanlab.pykan import KAN, create_dataset_from_data
    from kanlab.pykan.utils import batch_jacobian
    x = _x(300, 2).float()
    flow = torch.cat([x[:, [1]], -x[:, [0]]], dim=1)  # H = (x² + p²)/2 is conserved

    def pred_fn(model, z):
        g = batch_jacobian(model, z, create_graph=True)
        return g / torch.linalg.norm(g, dim=1, keepdim=True)

    loss_fn = lambda g, v: torch.mean(torch.sum(v * g, dim=1) ** 2)  # noqa: E731
    data = create_dataset_from_data(x, flow)
    model = KAN(width=[2, 1], seed=0, auto_save=False)  # (pykan's seed 42 is a trap for kanlab)
    before = float(loss_fn(pred_fn(model, data["train_input"]), data["train_label"]).detach())
    res = model.fit(data, steps=10, pred_fn=pred_fn, loss_fn=loss_fn)
    assert len(res["train_loss"]) == 10
    assert float(res["train_loss"][-1]) < 1e-2 < before ** 0.5  # RMSE-like, as res reports
    g = pred_fn(model, x).detach()  # the learnt H's gradient is orthogonal to the flow
    assert float((g * flow).sum(1).abs().median()) < 1e-2
    with pytest.raises(ValueError, match="batch=-1"):
        model.fit(data, steps=1, pred_fn=pred_fn, loss_fn=loss_fn, batch=10)


def test_reg_is_the_fit_penalty_on_the_last_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from kanlab.pykan import KAN
    from kanlab.pykan._fit import _pred_and_reg
    from kanlab.pykan._fit_settings import NATIVE_METRIC
    model = KAN(width=[2, 3, 1], seed=0, auto_save=False)
    x = _x(100, 2).float()
    model(x)
    value = model.reg("edge_forward_spline_n", 1.0, 2.0, 0.0, 0.0)
    assert value.requires_grad
    shown = _pred_and_reg(model, x, 1.0, 2.0, NATIVE_METRIC["edge_forward_spline_n"])[1]
    assert float(value) == pytest.approx(shown, rel=1e-5)
    value.backward()
    assert any(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in model.parameters())
    with_coef = model.reg(lamb_l1=1.0, entropy_offset=1e-4, lamb_coef=1.0)
    assert float(with_coef) > float(value)
    with pytest.raises(ValueError, match="reg_metric"):
        model.reg("l2")


def test_fit_takes_float64_data_and_grid_updates_keep_the_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from kanlab.pykan import KAN
    x = _x(50, 2)  # float64, as numpy-built datasets are; the model is float32
    y = x[:, :1] * x[:, 1:]
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    model = KAN(width=[2, 2, 1], seed=0, auto_save=False)
    res = model.fit(data, steps=2)
    assert len(res["train_loss"]) == 2 and all(float(v) == float(v) for v in res["train_loss"])
    fresh = KAN(width=[2, 2, 1], seed=0, auto_save=False)
    fresh.update_grid_from_samples(x.float())
    assert float(fresh.reg()) > 0  # pykan's custom loops call reg() right after it


# ---------------------------------------------------------------- kan.utils.augment_input
def test_augment_input_prepends_the_auxiliary_columns_without_warnings():
    import warnings

    import sympy
    from kanlab.pykan.utils import augment_input
    m, v, c = sympy.symbols("m v c")
    x = torch.rand(20, 3, dtype=F64) + torch.tensor([0.0, 0.0, 1.1], dtype=F64)
    data = {"train_input": x, "test_input": x[:5], "train_label": x[:, :1], "test_label": x[:5, :1]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns when wrapping a read-only numpy view
        out = augment_input((m, v, c), (v / c, sympy.Integer(2)), data)
    got = out["train_input"]
    assert got.shape == (20, 5) and out["test_input"].shape == (5, 5)
    torch.testing.assert_close(got[:, 0], x[:, 1] / x[:, 2])
    torch.testing.assert_close(got[:, 1], torch.full((20,), 2.0, dtype=F64))  # a constant, broadcast
    torch.testing.assert_close(got[:, 2:], x)
    got[0, 1] = 3.0  # the columns are the tensor's own memory, writable
    assert out["train_label"] is data["train_label"]


# ---------------------------------------------------------------- module, feature_interaction
@pytest.mark.parametrize("width, arity, start, chains", [
    ([4, [0, 1]], 4, 0, ["[0]->[0]", "[1,2,3]->[1,2,3]"]),
    ([4, [0, 1]], 4, 0, ["[0,1]->[2,3]", "[2,3]->[0,1]"]),
    ([4, 6, 2, 6, 1], 4, None, [(0, "[0,1]->[0,1,2]->[0,1,2]->[0]"),
                                (0, "[2,3]->[3,4,5]->[3,4,5]->[1]"),
                                (2, "[0]->[0,1,2]"), (2, "[1]->[3,4,5]")]),
])
def test_module_removes_the_edges_pykan_removes(width, arity, start, chains):
    kan = pytest.importorskip("kan")
    from kanlab.pykan import KAN
    ours = KAN(width=width, mult_arity=arity, grid=5, k=3, seed=0, auto_save=False)
    theirs = kan.KAN(width=width, mult_arity=arity, grid=5, k=3, seed=0, auto_save=False)
    for item in chains:
        l, chain = (start, item) if start is not None else item
        ours.module(l, chain)
        theirs.module(l, chain)
    for l, (layer, sym) in enumerate(zip(ours.layers, ours.symbolic)):
        expected = theirs.act_fun[l].mask.t()  # pykan's (in, out) -> kanlab's (out, in)
        assert torch.equal(layer.mask.cpu().to(expected.dtype), expected), l
        assert not bool((sym.mask != 0).any())  # nothing symbolic was switched on
    x = 2 * torch.rand(16, ours.width_in[0]) - 1
    y = ours(x.to(ours.layers[0].coef.dtype))
    assert torch.isfinite(y).all()


def test_module_rejects_bad_chains():
    from kanlab.pykan import KAN
    model = KAN(width=[4, [0, 1]], mult_arity=4, grid=3, k=3, seed=0, auto_save=False)
    with pytest.raises(ValueError, match="bracketed"):
        model.module(0, "0->1")
    with pytest.raises(ValueError, match="indices 0..3"):
        model.module(0, "[0,7]->[0]")
    with pytest.raises(ValueError, match="reaches layer 1"):
        model.module(0, "[0]->[0]->[0]->[0]")
    with pytest.raises(TypeError, match="string"):
        model.module(0, [0, 1])


def test_feature_interaction_groups_the_inputs_each_hidden_node_uses():
    from kanlab.pykan import KAN
    model = KAN(width=[3, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    model.module(0, "[0,1]->[0]")  # node 0 sees inputs 0 and 1 only
    model.module(0, "[2]->[1]")  # node 1 sees input 2 only
    x = 2 * torch.rand(200, 3, dtype=model.layers[0].coef.dtype) - 1
    model.get_act(x)
    assert model.feature_interaction(1) == {(0, 1): 1, (2,): 1}


def test_every_name_of_pykans_symbolic_table_can_be_fixed():
    kan = pytest.importorskip("kan.utils")
    from kanlab.pykan import KAN
    x = torch.linspace(0.1, 0.9, 64, dtype=F64)[:, None]  # inside every domain
    for name in kan.SYMBOLIC_LIB:
        model = KAN(width=[1, 1], grid=3, k=3, seed=0, auto_save=False)
        model.get_act(x.to(model.layers[0].coef.dtype))
        model.fix_symbolic(0, 0, 0, name, fit_params_bool=False, verbose=False)
        y = model(x.to(model.layers[0].coef.dtype))
        if name == "1/x^5":  # c·f(a·x + b) + d with (a, b, c, d) = (1, 0, 1, 0)
            torch.testing.assert_close(y.to(F64), x ** -5, rtol=1e-5, atol=1e-6)
        assert torch.isfinite(y).all(), name


# ---------------------------------------------------------------- activation caches
def test_activation_caches_equal_pykans_on_the_same_model():
    kan = pytest.importorskip("kan")
    from kanlab.pykan import KAN
    names = ("acts", "acts_premult", "spline_preacts", "spline_postacts", "edge_actscale",
             "acts_scale", "acts_scale_spline", "subnode_actscale")
    g = torch.Generator().manual_seed(0)
    x = 2 * torch.rand(50, 3, generator=g) - 1
    ours = KAN(width=[3, [2, 1], 1], grid=5, k=3, seed=0, auto_save=False)
    theirs = kan.KAN(width=[3, [2, 1], 1], grid=5, k=3, seed=0, auto_save=False)
    for m in (ours, theirs):  # a symbolic edge too: its output counts in acts_scale only
        m(x)
        m.fix_symbolic(0, 1, 2, "sin", fit_params_bool=False, verbose=False)
        m(x)
    torch.testing.assert_close(ours(x), theirs(x))
    for name in names:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert len(a) == len(b), name
        for u, v in zip(a, b):
            torch.testing.assert_close(u, v.to(u.dtype), rtol=1e-5, atol=1e-6, msg=name)
    assert not torch.equal(ours.acts_scale[0], ours.acts_scale_spline[0])
    assert ours.cache_data is not None and ours.cache_data.shape == (50, 3)
    before = ours.acts_scale[1].clone()
    with torch.no_grad():
        ours.layers[1].coef.mul_(2.0)  # a changed parameter rebuilds the caches
    assert not torch.allclose(ours.acts_scale[1], before)


# ---------------------------------------------------------------- auto-save of subclasses
def test_auto_save_of_an_unpicklable_subclass_warns_and_the_model_works(tmp_path, monkeypatch):
    from kanlab.pykan import KAN
    monkeypatch.chdir(tmp_path)

    class Bounded(KAN):  # a local class: pickle cannot find it
        def forward(self, x, singularity_avoiding=False, y_th=10.0):
            return super().forward(x) * x[:, :1] * (1 - x[:, :1])

    with pytest.warns(RuntimeWarning, match="cannot be pickled"):
        model = Bounded(width=[1, 1], grid=3, k=3, seed=1)
    x = torch.linspace(0, 1, 11, dtype=model.layers[0].coef.dtype)[:, None]
    y = model(x).detach()
    assert float(y[0].abs()) == 0.0 and float(y[-1].abs()) == 0.0  # the subclass's forward
    assert not (tmp_path / "model" / "0.0.pt").exists()
    plain = KAN(width=[1, 1], grid=3, k=3, seed=1)  # a module-level class is still saved
    assert plain.auto_save and (tmp_path / "model" / "0.0.pt").exists()


def test_runner_defines_notebook_classes_in_a_main_module(tmp_path, monkeypatch):
    import importlib.util
    import json
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("pykan_notebooks",
                                                  root / "benchmarks" / "pykan_notebooks.py")
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    cells = ["import pickle\nclass A:\n    pass", "print(len(pickle.dumps(A())) > 0)"]
    nb = {"cells": [{"cell_type": "code", "source": c, "outputs": []} for c in cells]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    monkeypatch.chdir(tmp_path)
    import sys
    before = sys.modules["__main__"]
    result = runner.run_notebook(path, budget=60)
    assert [c["ok"] for c in result["cells"]] == [True, True]
    assert result["cells"][1]["text"].strip() == "True"
    assert sys.modules["__main__"] is before  # restored

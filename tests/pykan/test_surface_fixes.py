"""What the surface audit of kanlab.pykan against pykan 0.2.8 fixed (each failed before).

pykan is the oracle where it can be: a model is compared with the pykan model it was
loaded from (``saveckpt``/``loadckpt``: the same function, knots and weights).
"""
import numpy as np
import pytest
import torch

import kanlab.pykan as pykan

kan = pytest.importorskip("kan")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # pykan writes ./model and ./figures


def _x(n=64, d=2, seed=0):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _pair(width=(2, 3, 1), seed=0):
    """A pykan model with moved weights and the kanlab.pykan model loaded from it."""
    pk = kan.KAN(width=list(width), grid=5, k=3, seed=seed, auto_save=False)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in pk.act_fun:
            layer.coef.add_(torch.randn(layer.coef.shape, generator=g) * 0.5)
    pk(_x(d=width[0]))
    pk.saveckpt("./ck")
    return pk, pykan.KAN.loadckpt("./ck")


def _model(**kw):
    return pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False, **kw)


def test_n_edge_and_connection_cost_are_properties():
    """``model.n_edge`` is an int and ``model.connection_cost`` a 0-d tensor, as pykan's
    properties (they were methods: ``model.n_edge`` gave a bound method)."""
    model = _model()
    model(_x())
    assert model.n_edge == 9 and isinstance(model.n_edge, int)
    model.remove_edge(0, 0, 0)
    assert model.n_edge == 8 and model.evaluate(
        {"test_input": _x(), "test_label": torch.zeros(64, 1)})["n_edge"] == 8
    cost = model.connection_cost
    assert isinstance(cost, torch.Tensor) and cost.dim() == 0 and float(cost) > 0


def test_suggest_symbolic_returns_the_library_row():
    """``(name, SYMBOLIC_LIB[name], r2, c)``: pykan's second entry is the row
    ``(fn, sympy_fn, complexity, fn_avoiding_singularity)``, not the bare function."""
    model = _model()
    x = _x(200)
    model.fit({"train_input": x, "train_label": torch.sin(2 * x[:, :1]) + x[:, 1:] ** 2,
               "test_input": x, "test_label": torch.sin(2 * x[:, :1]) + x[:, 1:] ** 2},
              steps=3, update_grid=False)
    name, row, r2, c = model.suggest_symbolic(0, 0, 0, verbose=False)
    assert isinstance(row, tuple) and len(row) == 4
    lib_row = pykan.SYMBOLIC_LIB[name]
    t = torch.linspace(0.1, 0.9, 7)
    torch.testing.assert_close(row[0](t), lib_row[0](t))
    assert row[1] == lib_row[1] and row[2] == lib_row[2] == c


def test_get_fun_and_get_range_give_pykans_numpy_values():
    """``get_fun`` returns numpy arrays sorted by input, ``get_range`` 0-d numpy arrays, with
    pykan's values on the same model (they were tensors)."""
    pk, ours = _pair()
    x = _x(50, seed=3)
    pk(x)
    ours(x)
    xa, ya = pk.get_fun(0, 1, 2)
    xb, yb = ours.get_fun(0, 1, 2)
    assert isinstance(xb, np.ndarray) and isinstance(yb, np.ndarray)
    np.testing.assert_allclose(xb, xa, rtol=0, atol=0)
    np.testing.assert_allclose(yb, ya, atol=2e-6, rtol=1e-5)
    ra, rb = pk.get_range(0, 1, 2, verbose=False), ours.get_range(0, 1, 2, verbose=False)
    assert all(isinstance(v, np.ndarray) and v.shape == () for v in rb)
    np.testing.assert_allclose(np.array(rb, dtype=float), np.array(ra, dtype=float), atol=2e-6)


@pytest.mark.parametrize("shape", [(9, 6), (6, 9), (12, 13), (3, 4), (10, 15)])
def test_sparse_mask_is_pykans(shape):
    """``sparse_mask(in, out)``: pykan's ``(in, out)`` layout and dtype, and its ties (an input
    midway between two outputs; 32 of the 576 shapes up to 24×24 differed, in float64)."""
    ours, theirs = pykan.sparse_mask(*shape), kan.utils.sparse_mask(*shape)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert torch.equal(ours, theirs)


def test_sparse_init_starts_on_pykans_pattern():
    """``KAN([9, 6, 1], sparse_init=True)``: the spline weights off pykan's pattern (pykan 0.2.8
    masks those edges) start at 0; on a tie shape the pattern was not pykan's."""
    ours = pykan.KAN(width=[9, 6, 1], grid=3, seed=0, auto_save=False, sparse_init=True)
    pk = kan.KAN(width=[9, 6, 1], grid=3, seed=0, auto_save=False, sparse_init=True)
    off = pk.act_fun[0].mask == 0  # (in, out)
    assert bool(off.any())
    assert torch.equal(ours.act_fun[0].scale_sp == 0, off)


def test_spline_postsplines_are_pykans():
    """``spline_postsplines[l]`` ``(B, out, in)``: every edge's bare spline (pykan's cache;
    it was missing)."""
    pk, ours = _pair()
    x = _x(40, seed=5)
    pk(x)
    ours(x)
    for a, b in zip(pk.spline_postsplines, ours.spline_postsplines):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, atol=2e-6, rtol=1e-5)


def test_acts_is_none_before_any_data():
    """pykan's ``model.acts`` is ``None`` until a forward pass (it raised)."""
    model = _model()
    assert model.acts is None
    model(_x())
    assert [a.shape for a in model.acts] == [(64, 2), (64, 3), (64, 1)]


def test_base_fun_input_id_and_mult_homo():
    """``base_fun`` is a module as pykan's (SiLU for 'silu'), ``input_id`` the kept inputs
    after ``prune_input``, ``mult_homo`` pykan's flag (all were missing)."""
    assert isinstance(_model().base_fun, torch.nn.SiLU)
    assert isinstance(_model(base_fun="identity").base_fun, torch.nn.Identity)
    assert torch.equal(_model(base_fun="zero").base_fun(torch.ones(3)), torch.zeros(3))
    model = pykan.KAN(width=[3, 2, 1], grid=3, seed=0, auto_save=False)
    model(_x(d=3))
    assert torch.equal(model.input_id, torch.arange(3))
    assert torch.equal(model.prune_input(active_inputs=[0, 2]).input_id, torch.tensor([0, 2]))
    assert model.mult_homo is True
    assert pykan.KAN(width=[2, [1, 2], 1], mult_arity=[[], [2, 3], []],
                     auto_save=False).mult_homo is False


def test_affine_trainable_reads_back():
    """``affine_trainable=True`` gives the model pykan's trainable node affine maps; without it
    there are none (tests/pykan/test_affine_trainable.py checks them against pykan)."""
    assert _model(affine_trainable=True).affine_trainable is True
    assert _model(affine_trainable=False).affine_trainable is False


def _ops(lib):
    """pykan's structure methods on a model of ``lib`` with auto_save: the state ids after each."""
    model = lib.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=True, ckpt_path="./m")
    model(_x())
    ids = [model.state_id]
    model.remove_edge(0, 0, 0)
    ids.append(model.state_id)
    model.remove_node(1, 2)
    ids.append(model.state_id)
    model.swap(1, 0, 1)
    ids.append(model.state_id)
    model.remove_edge(0, 1, 0, log_history=False)
    model.swap(1, 0, 1, log_history=False)
    ids.append(model.state_id)
    model = model.prune_node(threshold=0.0)
    ids.append(model.state_id)
    return ids


def test_structure_methods_save_a_version_as_pykans():
    """``remove_edge``, ``remove_node``, ``swap`` and ``prune_node`` save a version (with
    ``auto_save``) unless ``log_history=False``: the state ids follow pykan's, so a later
    ``rewind('0.k')`` finds the same model (they never saved)."""
    assert _ops(pykan) == _ops(kan)


def test_auto_swap_saves_a_version():
    """pykan's ``auto_swap`` ends with a saved version."""
    model = pykan.KAN(width=[2, 4, 1], grid=3, seed=0, auto_save=True, ckpt_path="./m")
    model(_x())
    before = model.state_id
    model.auto_swap()
    assert model.state_id == before + 1


def test_tree_is_plot_tree_and_returns_none():
    """``model.tree()`` draws :func:`plot_tree` of the model, as pykan's, and returns None
    (it returned a list of groups from another drawing)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.close("all")
    model = _model()
    model(_x(100))
    assert model.tree() is None
    assert len(plt.get_fignums()) == 1
    plt.close("all")


def test_set_mode_takes_mask_n_and_switches_an_unfixed_edge_to_zero():
    """``set_mode(l, i, j, 'ns', mask_n)`` sets the spline's mask to ``mask_n`` (it was ignored);
    ``'s'`` on an edge with no symbolic function yet switches the spline off and pykan's zero
    function on (wild6: it was refused)."""
    model = _model()
    model(_x())
    model.set_mode(0, 0, 0, "s")
    assert float(model.act_fun[0].mask[0, 0]) == 0.0
    assert model.symbolic_fun[0].funs_name[0][0] == "0"
    model.fix_symbolic(0, 0, 0, "x", fit_params_bool=False, verbose=False)
    model.set_mode(0, 0, 0, "ns", mask_n=0.5)
    assert float(model.act_fun[0].mask[0, 0]) == 0.5
    assert float(model.symbolic_fun[0].mask[0, 0]) == 1.0


def test_attribute_weighs_the_outputs_by_out_score():
    """``attribute(out_score=w)``: node and edge scores with the outputs weighed by ``w``, as
    pykan's (``out_score`` was ignored)."""
    pk, ours = _pair(width=(2, 3, 2))
    x = _x(80, seed=7)
    pk(x)
    ours(x)
    w = torch.tensor([1.0, 0.25])
    pk.attribute(out_score=w)
    ours.attribute(out_score=w)
    for a, b in zip(pk.node_scores, ours.node_scores):
        torch.testing.assert_close(b, a.detach(), atol=1e-3, rtol=1e-3)  # as attribute()
    ours.attribute()
    plain = [s.clone() for s in ours.node_scores]
    assert not torch.allclose(plain[0], pk.node_scores[0].detach(), atol=1e-5)
    with pytest.raises(ValueError, match="one weight per output"):
        ours.attribute(out_score=torch.ones(3))


def test_hypothesis_dependence_helpers_are_pykans():
    """``get_dependence`` and ``batch_grad_normgrad`` (pykan's public helpers of
    ``test_symmetry``) give pykan's values."""
    from kan import hypothesis as theirs

    from kanlab.pykan import hypothesis as ours

    def f(x):
        return (x[:, [0]] ** 2 + x[:, [1]] ** 2) ** 2 + x[:, [2]]

    x = _x(30, d=3, seed=2)
    torch.testing.assert_close(ours.batch_grad_normgrad(f, x, [0, 1]),
                               theirs.batch_grad_normgrad(f, x, [0, 1]))
    torch.testing.assert_close(ours.get_dependence(f, x, [0, 1]),
                               theirs.get_dependence(f, x, [0, 1]))


def test_pykans_module_names_import():
    """``from kan.<module> import <name>`` as pykan's modules offer them (were missing)."""
    from kanlab.pykan.compiler import MultKAN as compiler_multkan
    from kanlab.pykan.experiment import KAN, plot_tree
    from kanlab.pykan.KANLayer import B_batch
    from kanlab.pykan.MLP import LBFGS
    from kanlab.pykan.MultKAN import SYMBOLIC_LIB, KANLayer, curve2coef
    from kanlab.pykan.Symbolic_KANLayer import create_dataset, f_inv
    assert compiler_multkan is KAN is pykan.KAN and KANLayer is pykan.KANLayer
    assert B_batch is pykan.B_batch and curve2coef is pykan.curve2coef and LBFGS is pykan.LBFGS
    assert SYMBOLIC_LIB is pykan.SYMBOLIC_LIB and create_dataset is pykan.create_dataset
    assert callable(plot_tree) and callable(f_inv)
    ns = {}
    exec("from kanlab.pykan import *", ns)
    assert ns["glob"].__name__ == "glob"


@pytest.mark.parametrize("mode", ["up", "down", "all"])
def test_remove_node_modes_are_pykans(mode):
    """``remove_node(l, i, 'down')`` switches off the edges into the node, ``'up'`` those out
    of it, as pykan's (the two were swapped)."""
    ours, theirs = _model(), kan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    ours.remove_node(1, 1, mode=mode)
    theirs.remove_node(1, 1, mode=mode)
    for a, b in zip(theirs.act_fun, ours.act_fun):
        assert torch.equal(b.mask, a.mask.detach())


def test_symbolic_lib_complexities_are_pykans():
    """``SYMBOLIC_LIB[name][2]`` is pykan's complexity (``sin``, ``cos``: 2, not kanlab's 3),
    as ``suggest_symbolic`` ranks with."""
    for name, row in kan.utils.SYMBOLIC_LIB.items():
        assert pykan.SYMBOLIC_LIB[name][2] == row[2], name


def test_submodules_of_the_same_names_leave_the_classes():
    """``kanlab.pykan.MultKAN`` and ``.LBFGS`` stay the classes after ``import
    kanlab.pykan.MultKAN`` / ``.LBFGS`` (the submodules), as ``kan.MultKAN`` does."""
    import subprocess
    import sys
    code = ("import kanlab.pykan as p, kanlab.pykan.experiment, kanlab.pykan.LBFGS, "
            "kanlab.pykan.MultKAN, kanlab.pykan.KANLayer, kanlab.pykan.Symbolic_KANLayer\n"
            "assert isinstance(p.MultKAN, type) and isinstance(p.LBFGS, type), (p.MultKAN, p.LBFGS)\n"
            "assert isinstance(p.KANLayer, type) and isinstance(p.Symbolic_KANLayer, type)\n")
    import os

    import kanlab
    src = os.path.dirname(os.path.dirname(kanlab.__file__))  # this kanlab, not an installed one
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_initialize_grid_from_another_model_takes_its_splines():
    """pykan's ``initialize_grid_from_another_model(model, x)``: each layer's splines become
    ``model``'s on this model's finer grid, the scales stay this model's (``model`` was
    ignored: the grid was fitted to ``x`` instead); returns None."""
    x = _x(200, seed=4)
    # the quadratic (a fitted model's) carries beyond the coarse grid onto the finer one
    # exactly; pykan's own spline there (an unfitted default's) ends in a kink at its last knot
    coarse = _model(extrapolate="quadratic")
    with torch.no_grad():
        for layer in coarse.layers:
            layer.coef.add_(torch.randn(layer.coef.shape, generator=torch.Generator().manual_seed(1)))
    fine = pykan.KAN(width=[2, 3, 1], grid=6, seed=0, auto_save=False)
    with torch.no_grad():  # the same scales, so the splines alone decide the function
        for a, b in zip(fine.layers, coarse.layers):
            a.scale_base.copy_(b.scale_base)
            a.scale_sp.copy_(b.scale_sp)
    assert fine.initialize_grid_from_another_model(coarse, x) is None
    assert fine.act_fun[0].grid.shape == (2, 13)
    torch.testing.assert_close(fine(x), coarse(x), atol=1e-5, rtol=1e-5)


def test_unfix_symbolic_all_is_pykans():
    """Every edge becomes a spline again (a removed one too) and, with ``auto_save``, each
    edge saves a version, as pykan's (only the symbolic edges were unfixed, with no version)."""
    def run(lib):
        model = lib.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=True, ckpt_path="./u")
        model(_x())
        model.fix_symbolic(0, 0, 0, "x", fit_params_bool=False, log_history=False)
        model.remove_edge(0, 1, 2, log_history=False)
        before = model.state_id
        model.unfix_symbolic_all()
        masks = [torch.cat([f.mask.detach().flatten(), s.mask.detach().flatten()])
                 for f, s in zip(model.act_fun, model.symbolic_fun)]
        return model.state_id - before, masks
    (n_ours, ours), (n_theirs, theirs) = run(pykan), run(kan)
    assert n_ours == n_theirs == 9
    for a, b in zip(theirs, ours):
        assert torch.equal(b, a)

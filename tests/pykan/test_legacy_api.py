"""Older pykan habits kanlab.pykan accepts (kanlab/pykan/_legacy.py), expand_width's
multiplication nodes, perturb(mode='best'), MLP.refine, kan.feynman, scalar metrics."""
import math

import numpy as np
import pytest
import sympy
import torch

import kanlab.pykan as pykan

F64 = torch.float64


def _x(n, d, seed=0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    return (2 * torch.rand(n, d, generator=g, dtype=F64) - 1).to(dtype)


def _kan(width, **kw):
    return pykan.KAN(width=width, grid=3, k=3, seed=0, auto_save=False, **kw)


# ---------------------------------------------------------------- noise_scale_base
def test_noise_scale_base_sets_base_weights_around_one_over_sqrt_n_in():
    with pytest.warns(FutureWarning, match="noise_scale_base"):
        model = _kan([4, 3, 2], noise_scale_base=0.25)
    for layer in model.layers:
        centre = 1 / math.sqrt(layer.in_features)
        dev = layer.scale_base.detach().double() - centre
        assert float(dev.abs().max()) <= 0.25 + 1e-6
        assert float(dev.std()) > 0.01  # spread, not a constant
    with pytest.warns(FutureWarning):
        zero = _kan([4, 3, 2], noise_scale_base=0.0)
    torch.testing.assert_close(zero.layers[0].scale_base.double(),
                               torch.full((3, 4), 0.5, dtype=F64))
    with pytest.raises(ValueError, match="noise_scale_base"):
        _kan([2, 1], noise_scale_base=-1.0)


# ---------------------------------------------------------------- input dtype
def test_inputs_of_another_dtype_are_cast_to_the_models():
    model = _kan([3, 2, 1])
    x64 = _x(20, 3)
    torch.testing.assert_close(model(x64), model(x64.float()))
    assert model(x64).dtype == torch.float32
    ints = torch.randint(0, 2, (6, 3))
    torch.testing.assert_close(model(ints), model(ints.float()))
    xg = x64.clone().requires_grad_(True)  # the cast keeps the graph (PDE losses)
    model(xg).sum().backward()
    assert xg.grad is not None and xg.grad.dtype == F64 and float(xg.grad.abs().sum()) > 0
    with pytest.raises(TypeError, match="real inputs"):
        model(torch.zeros(2, 3, dtype=torch.complex64))


# ---------------------------------------------------------------- cuda without CUDA
@pytest.mark.skipif(torch.cuda.is_available(), reason="the fallback is for machines without CUDA")
def test_cuda_without_cuda_falls_back_to_the_cpu_with_a_warning():
    with pytest.warns(RuntimeWarning, match="CUDA is not available"):
        model = _kan([2, 1], device="cuda")
    with pytest.warns(RuntimeWarning, match="CUDA is not available"):
        assert model.to("cuda") is model
    with pytest.warns(RuntimeWarning, match="CUDA is not available"):
        model.to(torch.device("cuda:0"))
    with pytest.warns(RuntimeWarning, match="CUDA is not available"):
        data = pykan.create_dataset(lambda x: x[:, [0]], n_var=2, train_num=5, test_num=5,
                                    device="cuda")
    assert model.layers[0].coef.device.type == "cpu"
    assert data["train_input"].device.type == "cpu"
    with pytest.raises((ValueError, TypeError, RuntimeError)):
        _kan([2, 1], device="nope")


# ---------------------------------------------------------------- perturb / MLP.refine
def test_perturb_best_is_non_intrusive_with_a_warning():
    a, b = _kan([2, 3, 1]), _kan([2, 3, 1])
    a.fix_symbolic(0, 0, 1, "sin", fit_params_bool=False, verbose=False)
    b.fix_symbolic(0, 0, 1, "sin", fit_params_bool=False, verbose=False)
    a.perturb(mag=0.1, mode="non-intrusive")
    with pytest.warns(FutureWarning, match="best"):
        b.perturb(mag=0.1, mode="best")
    for la, lb in zip(a.layers, b.layers):
        torch.testing.assert_close(la.mask, lb.mask)
        torch.testing.assert_close(la.scale_sp, lb.scale_sp)
    with pytest.raises(ValueError, match="mode"):
        a.perturb(mode="worst")


@pytest.mark.parametrize("mode", ["all", "non-intrusive", "minimal"])
def test_perturb_switches_on_pykans_edges(mode):
    """Oracle: pykan 0.2.8's perturb on the same network, same symbolic edges."""
    kan = pytest.importorskip("kan")
    edges = [(0, 0, 1, "sin"), (0, 1, 1, "x^2"), (1, 1, 0, "exp")]
    mine = _kan([2, 3, 1])
    ref = kan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    ref.get_act(torch.rand(20, 2))
    for l, i, j, name in edges:
        mine.fix_symbolic(l, i, j, name, fit_params_bool=False, verbose=False)
        ref.fix_symbolic(l, i, j, name, fit_params_bool=False, verbose=False, log_history=False)
    mine.perturb(mag=0.1, mode=mode)
    ref.perturb(mag=0.1, mode=mode)
    for l in range(2):
        torch.testing.assert_close(mine.layers[l].mask.float(), ref.act_fun[l].mask.T.float())
        zero_sp = ref.act_fun[l].scale_sp.T == 0
        assert torch.equal(mine.layers[l].scale_sp == 0, zero_sp)


def test_perturb_makes_a_compiled_network_trainable():
    """A purely symbolic [2, 1] edge pair: after perturb the splines take gradients and the
    output is unchanged (last layer: zero-weighted splines)."""
    model = _kan([2, 1])
    for i in range(2):
        model.fix_symbolic(0, i, 0, "x^2", fit_params_bool=False, verbose=False)
    x = torch.rand(16, 2, dtype=model.layers[0].coef.dtype)
    before = model(x).detach()
    model.perturb(mag=0.1)
    torch.testing.assert_close(model(x), before)
    model(x).pow(2).sum().backward()
    assert float(model.layers[0].scale_sp.grad.abs().sum()) > 0


def test_mlp_refine_keeps_the_model_and_warns():
    from kanlab.pykan.MLP import MLP
    model = MLP(width=[1, 4, 1], seed=0)
    x = torch.rand(8, 1)
    before = model(x).detach()
    with pytest.warns(RuntimeWarning, match="no spline grid"):
        assert model.refine(20) is model
    torch.testing.assert_close(model(x), before)


# ---------------------------------------------------------------- expand_width
@pytest.mark.parametrize("sum_bool, arity", [(True, 2), (False, [2, 3]), (False, 2)])
def test_expand_width_keeps_the_function_and_the_new_edges_train(sum_bool, arity):
    model = _kan([2, [2, 1], 1], dtype=F64)
    x = _x(40, 2)
    before = model(x).detach()
    model.expand_width(1, 2, sum_bool=sum_bool, mult_arity=arity)
    n_add, n_mult = (4, 1) if sum_bool else (2, 3)
    assert model.width_spec == [2, [n_add, n_mult], 1]
    expected = [2] if sum_bool else [2] + ([2, 3] if isinstance(arity, list) else [2, 2])
    assert model.arities[1] == expected
    torch.testing.assert_close(model(x), before, rtol=1e-12, atol=1e-12)
    model(x).pow(2).sum().backward()
    new_cols = [2, 3] if sum_bool else [3, 4]  # inputs of the last layer from the new nodes
    assert float(model.layers[1].coef.grad[:, new_cols].abs().sum()) > 0
    with pytest.raises(ValueError, match="arities"):
        model.expand_width(1, 2, sum_bool=False, mult_arity=[2])
    with pytest.raises(ValueError, match="layer_id"):  # level 0 adds inputs (later pykan)
        model.expand_width(2, 1)


# ---------------------------------------------------------------- kan.feynman
def test_feynman_problems_follow_their_formulas_and_stay_finite():
    from kanlab.pykan.feynman import feynman_names, get_feynman_dataset
    names = feynman_names()
    assert len(names) == 100 and names[35] == "I.34.14"
    variables, expr, f, ranges = get_feynman_dataset(36)
    assert [str(v) for v in variables] == ["omega_0", "v", "c"]
    assert get_feynman_dataset("I.34.14")[1] == expr
    rng = np.random.default_rng(0)
    for number in range(1, 101):
        variables, expr, f, ranges = get_feynman_dataset(number)
        lo, hi = np.array(ranges, dtype=float).T
        pts = lo + (hi - lo) * rng.random((4, len(variables)))
        got = f(torch.tensor(pts, dtype=F64))
        assert got.shape == (4, 1) and bool(torch.isfinite(got).all()), names[number - 1]
        want = sympy.lambdify(variables, expr, "numpy")(*pts.T)  # oracle: sympy's printer
        np.testing.assert_allclose(got[:, 0].numpy(), np.broadcast_to(want, (4,)), rtol=1e-9,
                                   atol=1e-12)
    assert sympy.simplify(get_feynman_dataset("test")[1]
                          - (sympy.Symbol("x") + sympy.Symbol("y"))
                          * sympy.sin(sympy.exp(2 * sympy.Symbol("y")))) == 0
    with pytest.raises(ValueError, match="101-120"):
        get_feynman_dataset(117)
    with pytest.raises(ValueError, match="no Feynman equation"):
        get_feynman_dataset("I.0.0")


# ---------------------------------------------------------------- metrics
def test_scalar_metrics_are_recorded_as_floats():
    model = _kan([2, 1])
    data = pykan.create_dataset(lambda x: x[:, [0]], n_var=2, train_num=20, test_num=20)

    def acc():
        return torch.tensor(0.75)

    r = model.fit(data, steps=2, metrics=[acc], log=0)
    assert r["acc"] == [0.75, 0.75] and isinstance(r["acc"][0], float)


# ---------------------------------------------------------------- global seeding
def test_kan_and_create_dataset_seed_the_global_generators_as_pykan():
    import random
    pykan.KAN(width=[2, 1], seed=3, auto_save=False)
    drawn = (torch.rand(3), np.random.rand(2), random.random())
    torch.manual_seed(3), np.random.seed(3), random.seed(3)
    torch.rand(4, 2, 1), torch.rand(2, 1)  # pykan's initial draws: noise at 4 grid points, base scales
    assert torch.equal(drawn[0], torch.rand(3)) and np.array_equal(drawn[1], np.random.rand(2))
    assert drawn[2] == random.random()
    pykan.create_dataset(lambda x: x[:, [0]], n_var=1, train_num=4, test_num=4, seed=7)
    after = torch.rand(2)
    pykan.create_dataset(lambda x: x[:, [0]], n_var=1, train_num=4, test_num=4, seed=7)
    assert torch.equal(after, torch.rand(2))
    from kanlab.nn import KAN as NativeKAN
    state = torch.get_rng_state()
    NativeKAN([2, 1], seed=3)
    assert torch.equal(state, torch.get_rng_state())  # the native API does not seed


# ---------------------------------------------------------------- formulas with spline edges
def test_symbolic_formula_fits_remaining_splines_on_a_copy():
    model = _kan([2, 1], dtype=F64)
    x = _x(200, 2)
    target = torch.sin(torch.pi * x[:, [0]]) + x[:, [1]]  # learnt by two spline edges
    model.fit({"train_input": x, "train_label": target, "test_input": x,
               "test_label": target},
              steps=30, update_grid=False, log=0)
    model(x)
    before = [l.mask.clone() for l in model.layers]
    with pytest.warns(UserWarning, match="still splines"):
        (expr,), variables = model.symbolic_formula()
    assert all(torch.equal(a, l.mask) for a, l in zip(before, model.layers))  # model untouched
    got = sympy.lambdify(variables, expr, "numpy")(*x.numpy().T)
    np.testing.assert_allclose(got, model(x)[:, 0].detach().numpy(), atol=0.05)


def test_symbolic_formula_fixes_every_remaining_spline_whatever_its_fit():
    model = _kan([2, 1], dtype=F64)
    x = _x(100, 2)
    with torch.no_grad():  # a rough spline that no candidate fits to R² 0.99
        model.layers[0].coef.copy_(torch.randn(model.layers[0].coef.shape,
                                               generator=torch.Generator().manual_seed(1),
                                               dtype=F64))
    model(x)
    with pytest.warns(UserWarning, match="still splines"):
        (expr,), _ = model.symbolic_formula()
    assert isinstance(expr, sympy.Expr)  # before: a ValueError (edges at R² < 0.99 kept)
    value = sympy.lambdify(sympy.symbols("x_1 x_2"), expr, "numpy")(*x.numpy().T)
    assert np.isfinite(value).all()
    assert all(bool((layer.mask != 0).any()) for layer in model.layers)  # model untouched

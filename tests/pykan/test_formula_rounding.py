"""kanlab.pykan: formulas rounded as a whole, and the sparse stage at the notebooks' λ."""
import pytest
import sympy
import torch

from kanlab import pykan


def _product_of_two_lines():
    """x_1 · x_2 through one multiplication node, every edge fixed to a line ('x')."""
    model = pykan.KAN(width=[2, [0, 1], 1], grid=3, base_fun="identity", seed=0,
                      auto_save=False, dtype=torch.float64)
    model.remove_edge(0, 1, 0)
    model.remove_edge(0, 0, 1)
    for l, i, j in ((0, 0, 0), (0, 1, 1), (1, 0, 0)):
        model.fix_symbolic(l, i, j, "x", fit_params_bool=False, verbose=False)
    return model


def test_symbolic_formula_drops_fitted_zero_offsets_so_products_round_whole():
    """Interp_1: constants of 1e-18 kept the factors of x_1*x_2 apart, so pykan's ex_round
    rounded each factor and printed 1001*x_1*x_2/1000; the formula now merges them."""
    torch.manual_seed(0)
    x = torch.rand(200, 2, dtype=torch.float64) * 2 - 1
    model = _product_of_two_lines()
    with torch.no_grad():  # the constants Interp_1's fit gave (they multiply out to 1.0000)
        model.symbolic[0].affine[0, 0] = torch.tensor([-0.31139606765518746, -8.9e-18, 1.0, 0.0])
        model.symbolic[0].affine[1, 1] = torch.tensor([0.13565013096052709, 3.9e-19, 1.0, 0.0])
        model.symbolic[1].affine[0, 0] = torch.tensor([-23.673728283984642, 0.0, 1.0, 1.8e-18])
    model(x)
    sf = model.symbolic_formula()[0][0]
    x1, x2 = sympy.symbols("x_1 x_2")
    assert sympy.nsimplify(pykan.ex_round(pykan.ex_round(sf, 3), 3)) == x1 * x2
    # an offset that changes the values on the data stays
    with torch.no_grad():
        model.symbolic[1].affine[0, 0, 3] = 0.25
    model(x)
    sf = model.symbolic_formula()[0][0]
    assert sympy.nsimplify(pykan.ex_round(sf, 3)) == x1 * x2 + sympy.Rational(1, 4)


@pytest.mark.slow
def test_hellokan_sparse_stage_at_lambda_1e3_prunes_to_one_hidden_node():
    """hellokan's cells 17 and 21 with the notebook's λ = 0.001: the sparse stage prunes to
    [2, 1, 1] on at least two of seeds 0, 2 and 42.  (Which seeds do is decided by rounding-level
    differences in the path, so no single seed is asserted; on 2026-12-04's main 2–4 of the
    six seeds 0–4 and 42 pruned to one node: the stage is not yet robust over seeds.)"""
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    default = torch.get_default_dtype()
    widths = []
    torch.set_default_dtype(torch.float64)  # as the notebook
    try:
        dataset = pykan.create_dataset(f, n_var=2)
        for seed in (0, 2, 42):
            model = pykan.KAN(width=[2, 5, 1], grid=3, k=3, seed=seed, auto_save=False)
            model.fit(dataset, opt="LBFGS", steps=50, lamb=0.001, log=0)
            widths.append(model.prune().width_in)
    finally:
        torch.set_default_dtype(default)
    assert sum(w == [2, 1, 1] for w in widths) >= 2, widths


@pytest.mark.parametrize("phase", [3.2, -3.2, 1.0, 7.5, -11.0, 1.5707])
@pytest.mark.parametrize("fn", [sympy.sin, sympy.cos])
def test_principal_phases_fold_fitted_phases_and_keep_the_values(fn, phase):
    from kanlab.pykan._symbolic import principal_phases
    x, y = sympy.symbols("x y")
    expr = 0.5 * fn(2.0 * x - y + sympy.Float(phase)) + 1.0
    folded = principal_phases(expr)
    phases = [a.as_independent(x, y, as_Add=True)[0] for a in folded.atoms(fn)]
    assert phases and all(abs(float(b)) <= 3.1415927 / 2 for b in phases)
    f0, f1 = sympy.lambdify((x, y), expr), sympy.lambdify((x, y), folded)
    for xv, yv in ((0.3, -0.7), (-1.2, 0.4), (2.0, 2.5)):
        assert f1(xv, yv) == pytest.approx(f0(xv, yv), abs=1e-12)
    exact = fn(x + sympy.pi)  # exact constants are left as written
    assert principal_phases(exact) == exact


def test_symbolic_formula_prints_a_sine_fitted_half_a_turn_off_in_its_short_form():
    """hellokan printed exp(x_2**2 - sin(3.1416*x_1 - 3.1416)) for exp(x_2**2 + sin(pi*x_1))."""
    model = pykan.KAN(width=[1, 1], grid=3, seed=0, auto_save=False, dtype=torch.float64)
    model.fix_symbolic(0, 0, 0, "sin", fit_params_bool=False, verbose=False)
    with torch.no_grad():
        model.symbolic[0].affine[0, 0] = torch.tensor([3.14159265, -3.14159265, 1.0, 0.0],
                                                      dtype=torch.float64)
    model(torch.linspace(-1, 1, 50, dtype=torch.float64)[:, None])
    sf = pykan.ex_round(model.symbolic_formula()[0][0], 4)
    assert sf == -1.0 * sympy.sin(sympy.Float(3.1416) * sympy.Symbol("x_1"))


def test_symbolic_formula_puts_a_products_scale_in_front_so_ex_round_rounds_it_once():
    """Interp_8's multiplication node: the factors' fitted scales 0.9223 and 1.0842 multiply to
    1.00001, but ex_round rounded each (0.922 · 1.084 = 0.9994) and printed 999*x_1*x_2/1000;
    the formula now carries the product's scale in front."""
    torch.manual_seed(0)
    x = torch.rand(200, 2, dtype=torch.float64) + 1
    model = _product_of_two_lines()
    with torch.no_grad():  # offsets that change the values: they stay in the formula
        model.symbolic[0].affine[0, 0] = torch.tensor([-0.92234649695602955, 0.0, 1.0, 2.0e-5])
        model.symbolic[0].affine[1, 1] = torch.tensor([-1.0842049968999421, 0.0, 1.0, 1.4e-5])
        model.symbolic[1].affine[0, 0] = torch.tensor([1.0, 0.0, 1.0, 0.0])
    model(x)
    sf = model.symbolic_formula()[0][0]
    x1, x2 = sympy.symbols("x_1 x_2")
    f = sympy.lambdify((x1, x2), sf)
    with torch.no_grad():
        torch.testing.assert_close(torch.as_tensor(f(x[:, 0], x[:, 1])), model(x)[:, 0])
    ex_round = pykan.ex_round
    assert sympy.nsimplify(ex_round(ex_round(ex_round(sf, 6), 3), 3)) == x1 * x2


@pytest.mark.slow
def test_sparse_stage_keeps_one_of_two_dependent_inputs_into_a_product():
    """Interp_8's cells 3-7 (m0·γ with the auxiliary inputs β and γ = 1/sqrt(1 - β²), seed 1):
    the λ = 1e-5 stage leaves γ alone in its factor.  Measured as the RMS, a factor's level was
    charged to its edges and a β edge (score 0.16) stayed beside γ's; the formula then came out
    with cosh/sqrt terms."""
    import sympy as sp
    from kanlab.pykan.utils import augment_input
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        torch.manual_seed(1)
        m0, v, c = sp.symbols("m0 v c")
        beta = v / c
        f = lambda x: x[:, [0]] / torch.sqrt(1 - x[:, [1]] ** 2 / x[:, [2]] ** 2)  # noqa: E731
        dataset = pykan.create_dataset(f, n_var=3, ranges=[[0, 1], [0, 0.9], [1.1, 2]])
        dataset = augment_input((m0, v, c), (beta, 1 / sp.sqrt(1 - beta ** 2)), dataset)
        model = pykan.MultKAN(width=[5, [0, 1]], mult_arity=2, grid=3, k=3, seed=1,
                              auto_save=False)
        model.fit(dataset, steps=50, lamb=1e-5, lamb_coef=1.0, log=0)
        model = model.prune(edge_th=5e-2)
    finally:
        torch.set_default_dtype(default)
    kept = {(i, j) for i in range(5) for j in range(2) if bool(model.layers[0].mask[j, i])}
    assert kept == {(2, 0), (1, 1)}, kept  # m0 -> factor 0, γ -> factor 1

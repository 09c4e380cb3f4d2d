"""kanlab.pykan: formulas rounded as a whole, and the sparse stage at the notebooks' λ."""
import pytest
import sympy
import torch

from kanlab import pykan


def test_symbolic_formula_drops_fitted_zero_offsets_so_products_round_whole():
    """Interp_1: constants of 1e-18 kept the factors of x_1*x_2 apart, so pykan's ex_round
    rounded each factor and printed 1001*x_1*x_2/1000; the formula now merges them."""
    torch.manual_seed(0)
    x = torch.rand(200, 2, dtype=torch.float64) * 2 - 1
    model = pykan.KAN(width=[2, [0, 1], 1], grid=3, base_fun="identity", seed=0,
                      auto_save=False, dtype=torch.float64)
    model.remove_edge(0, 1, 0)
    model.remove_edge(0, 0, 1)
    for l, i, j in ((0, 0, 0), (0, 1, 1), (1, 0, 0)):
        model.fix_symbolic(l, i, j, "x", fit_params_bool=False, verbose=False)
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
    """hellokan's cells 17 and 21 with the notebook's λ = 0.001 on seed 3 (which kept
    [2, 4, 1] with edge_rms: remnants of 1.5–4 % above prune's threshold)."""
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # as the notebook
    try:
        dataset = pykan.create_dataset(f, n_var=2)
        model = pykan.KAN(width=[2, 5, 1], grid=3, k=3, seed=3, auto_save=False)
    finally:
        torch.set_default_dtype(default)
    model.fit(dataset, opt="LBFGS", steps=50, lamb=0.001)
    assert model.prune().width == [2, 1, 1]

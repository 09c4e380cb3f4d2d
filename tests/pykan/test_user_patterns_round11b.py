"""Patterns from the eleventh round of pykan code, the API in orders the tutorials do not use
(``benchmarks/pykan_user_cases/round11b_*.py``): a user's own singularity-avoiding function."""
import torch

import kanlab.pykan as K


def _model(width=(1, 1), **kw):
    return K.KAN(width=list(width), grid=3, k=3, seed=0, auto_save=False, **kw)


def _flat_seven(x, y_th):  # a protected 1/x of one's own: 7 within 1/y_th of the pole
    x_th = 1 / y_th
    return x_th, torch.where(torch.abs(x) < x_th, torch.full_like(x, 7.0), 1 / x)


X = torch.tensor([[-1.0], [-1e-4], [0.0], [1e-4], [0.5]])


def test_add_symbolic_fun_singularity_is_what_an_avoiding_forward_computes(restore_library):
    """``add_symbolic(name, f, fun_singularity=g)`` then ``forward(singularity_avoiding=True)``
    evaluates ``g`` (was: kanlab's own cap, ±y_th, with ``g`` ignored); without avoidance
    the function itself; the tables hand ``g`` back as pykan's."""
    K.add_symbolic("r11b_inv", lambda x: 1 / x, c=2, fun_singularity=_flat_seven)
    model = _model()
    model.fix_symbolic(0, 0, 0, "r11b_inv", fit_params_bool=False)
    assert model(X, singularity_avoiding=True, y_th=100.0).flatten().tolist() == \
        [-1.0, 7.0, 7.0, 7.0, 2.0]
    assert model(X).flatten()[[0, 1, 4]].tolist() == [-1.0, -10000.0, 2.0]
    assert K.SYMBOLIC_LIB["r11b_inv"][3] is _flat_seven
    assert model.symbolic_fun[0].funs_avoid_singularity[0][0] is _flat_seven


def test_symbolic_lib_fourth_entry_and_a_written_row_are_used(restore_library):
    """``SYMBOLIC_LIB[name] = (f, sympy_f, c, g)`` and
    ``symbolic_fun[l].funs_avoid_singularity[j][i] = g`` are used the same way (were:
    accepted and ignored)."""
    K.SYMBOLIC_LIB["r11b_inv2"] = (lambda x: 1 / x, lambda x: 1 / x, 2, _flat_seven)
    model = _model()
    model.fix_symbolic(0, 0, 0, "r11b_inv2", fit_params_bool=False)
    assert model(X, singularity_avoiding=True, y_th=100.0).flatten()[1:4].tolist() == [7.0] * 3
    other = _model()
    other.fix_symbolic(0, 0, 0, "1/x", fit_params_bool=False)
    capped = other(X, singularity_avoiding=True, y_th=100.0).flatten()[1].item()
    assert capped == -100.0  # kanlab's rule for the library's 1/x
    other.symbolic_fun[0].funs_avoid_singularity[0][0] = _flat_seven
    assert other(X, singularity_avoiding=True, y_th=100.0).flatten()[1:4].tolist() == [7.0] * 3
    assert other.symbolic_fun[0].funs_name[0][0] == "1/x"


def test_fit_with_singularity_avoiding_uses_the_users_function(restore_library):
    """``fit(singularity_avoiding=True, y_th=)`` trains through the user's protected form: a
    form whose value is 0 near the pole gives the same loss as pykan's bookkeeping says."""
    seen = []

    def zero_near_pole(x, y_th):
        seen.append(float(y_th))
        return (), torch.where(torch.abs(x) < 1 / y_th, torch.zeros_like(x), 1 / x)

    K.add_symbolic("r11b_inv3", lambda x: 1 / x, fun_singularity=zero_near_pole)
    model = _model()
    model.fix_symbolic(0, 0, 0, "r11b_inv3", fit_params_bool=False)
    x = torch.linspace(-1, 1, 41)[:, None]
    ds = {"train_input": x, "train_label": x, "test_input": x, "test_label": x}
    model.fit(ds, steps=2, singularity_avoiding=True, y_th=5.0, log=10)
    assert seen and set(seen) == {5.0}


def test_a_standalone_symbolic_layer_uses_the_users_function_too(restore_library):
    """pykan's ``Symbolic_KANLayer`` with an added function fixed by name evaluates the
    user's protected form in ``forward(x, singularity_avoiding=True)`` (was: ±y_th)."""
    from kanlab.pykan.Symbolic_KANLayer import Symbolic_KANLayer
    K.add_symbolic("r11b_inv4", lambda x: 1 / x, fun_singularity=_flat_seven)
    layer = Symbolic_KANLayer(in_dim=1, out_dim=1)
    layer.fix_symbolic(0, 0, "r11b_inv4", verbose=False)
    layer.mask.data[:] = 1.0
    y = layer(torch.tensor([[0.0], [0.5]]), singularity_avoiding=True, y_th=10.0)[0]
    assert y.flatten().tolist() == [7.0, 2.0]


def test_refine_to_a_coarser_grid_keeps_the_function_roughly():
    """A grid-10 model trained, then ``refine(4)``: the coarse model is the least-squares
    projection, 0.054 from 0.034 (pykan 0.2.8, refitting on the data: 0.031 from 0.025; was
    1.04: the ends' value, slope and curvature held left one of seven coefficients free)."""
    import warnings
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    ds = K.create_dataset(f, n_var=2, train_num=200, test_num=200, seed=0)
    model = K.KAN(width=[2, 3, 1], grid=10, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    with torch.no_grad():
        fine = torch.sqrt(torch.mean((model(ds["test_input"]) - ds["test_label"]) ** 2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            coarse_model = model.refine(4)
        coarse = torch.sqrt(torch.mean((coarse_model(ds["test_input"]) - ds["test_label"]) ** 2))
    assert float(coarse) < 3 * float(fine)

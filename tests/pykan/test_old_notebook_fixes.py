"""Fixes found running pykan's 0.1-era notebooks (docs/pykan_notebook_runs.md, section old2)."""
import math

import numpy as np
import pytest
import sympy
import torch

import kanlab.pykan as pykan
from kanlab.symbolic import to_numpy, to_torch
from kanlab.symbolic._library import LIBRARY

F64 = torch.float64


# ------------------------------------------- Example_5: exp of a cancelling sum
def test_a_coefficient_beyond_float64_next_to_exp_evaluates_finite():
    """sympy takes the number out of exp(10000 - 10000·x): 8.8e4342·exp(-10000·x); the
    formula is finite near x = 1 and evaluates so (it raised 'not a finite real float')."""
    x = sympy.Symbol("x")
    expr = sympy.Float(3.0) * sympy.exp(sympy.Float(-10000.0) * (x - sympy.Float(1.0)))
    assert not math.isfinite(float(expr.as_coeff_Mul()[0]))  # sympy split it
    xs = np.linspace(0.999, 1.001, 11)
    want = 3.0 * np.exp(-10000.0 * (xs - 1.0))
    np.testing.assert_allclose(to_numpy(expr, [x])(xs[:, None]), want, rtol=1e-8)
    got = to_torch(expr, [x])(torch.tensor(xs[:, None]))[:, 0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-8)
    # the sign is kept, and an underflowing coefficient is folded the same way
    np.testing.assert_allclose(to_numpy(-expr, [x])(xs[:, None]), -want, rtol=1e-8)
    tiny = sympy.Float(2.0) * sympy.exp(sympy.Float(-10000.0) - sympy.Float(10000.0) * x)
    np.testing.assert_allclose(to_numpy(tiny, [x])(np.array([[-1.0005]])),
                               [2.0 * math.exp(5.0)], rtol=1e-8)
    exact = sympy.Integer(10) ** 4000 * sympy.exp(-x)  # e^(4000·ln 10 - x)
    np.testing.assert_allclose(to_numpy(exact, [x])(np.array([[9200.0]])),
                               [math.exp(4000 * math.log(10) - 9200.0)], rtol=1e-8)


def test_a_function_added_with_add_symbolic_evaluates_in_the_formula():
    """Example_5: add_symbolic('J0', torch.special.bessel_j0), J0 on an edge whose
    nearly-constant output is scaled up and cancelled (c = 952, d = -952) under an exp: the
    formula is built and checked against the network (it raised 'unsupported sympy function'
    and, past that, 'constant 5.7e+4657 is not a finite real float64 number')."""
    name = "J0_old2"
    pykan.add_symbolic(name, torch.special.bessel_j0)
    try:
        model = pykan.KAN(width=[1, 1, 1], grid=3, k=3, seed=0, auto_save=False)
        model.fix_symbolic(0, 0, 0, name, fit_params_bool=False, verbose=False)
        model.fix_symbolic(1, 0, 0, "exp", fit_params_bool=False, verbose=False)
        with torch.no_grad():
            model.symbolic_fun[0].affine[0, 0] = torch.tensor([0.0193, 0.0, 952.28, -952.16])
            model.symbolic_fun[1].affine[0, 0] = torch.tensor([-11.26, 0.0, 8.17, 0.0])
        x = torch.linspace(-1, 1, 41)[:, None]
        model(x)
        formula = model.symbolic_formula()[0][0]
        assert sympy.Function(name) in {f.func for f in formula.atoms(sympy.Function)}
        (symbol,) = formula.free_symbols
        got = to_numpy(formula, [symbol])(x.double().numpy())
        (a0, _, c0, d0), (a1, _, c1, _) = (model.symbolic_fun[l].affine[0, 0].detach().double()
                                           for l in (0, 1))
        want = c1 * torch.exp(a1 * (c0 * torch.special.bessel_j0(a0 * x.double()[:, 0]) + d0))
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)
        # the float32 network cancels 952·J0 - 952 to ~6e-5: 7e-4 in the exponent
        np.testing.assert_allclose(got, model(x)[:, 0].detach().double().numpy(), rtol=5e-3)
    finally:
        LIBRARY.pop(name, None)


def test_unknown_functions_still_name_themselves():
    x = sympy.Symbol("x")
    with pytest.raises(ValueError, match="unsupported sympy function 'nowhere_fn'"):
        to_numpy(sympy.Function("nowhere_fn")(x), [x])


# ------------------------------------------- Example_4: labels, and the [1, 1] fits
def _line(n=101, noise=None):
    x = torch.linspace(-1, 1, n)[:, None]
    y = 0.4 * torch.sin(x) + 0.3 * x ** 2 + 0.3 * torch.exp(x)
    if noise is not None:
        y = y + noise
    return {"train_input": x, "test_input": x, "train_label": y, "test_label": y}


def test_a_one_dimensional_label_is_the_column():
    """Labels (N,) for a one-output model train as (N, 1) (pykan's loss broadcast them to
    (N, N): every prediction against every label); they raised a shape ValueError."""
    data = _line()
    flat = {**data, "train_label": data["train_label"][:, 0], "test_label": data["test_label"][:, 0]}
    runs = []
    for d in (data, flat):
        model = pykan.KAN(width=[1, 1], grid=5, k=3, seed=0, auto_save=False)
        runs.append(model.fit(d, opt="LBFGS", steps=3)["train_loss"])
    assert runs[0] == runs[1]


def test_labels_broadcast_to_n_by_n_say_so():
    """pykan 0.1's Example_4 adds torch.normal(size=(N,)) to (N, 1) labels: (N, N)."""
    data = _line(noise=0.1 * torch.normal(0, 1, size=(101,), generator=torch.Generator()))
    assert data["train_label"].shape == (101, 101)
    model = pykan.KAN(width=[1, 1], grid=5, k=3, seed=0, auto_save=False)
    with pytest.raises(ValueError, match=r"\(101, 101\).*broadcasts to \(N, N\).*\(N, 1\)"):
        model.fit(data, opt="LBFGS", steps=1)


@pytest.mark.parametrize("width, trials", [([1, 1], 0), ([1, 2, 1], 3)])
def test_the_continuation_is_tried_only_where_a_layer_input_can_move(monkeypatch, width, trials):
    """The continuation choice trains the interval once per branch; layer 0's inputs are the
    samples (inside its grid throughout), so a [1, 1] fit has nothing to choose: no trials
    (there were two, a fifth of each of Example_4's 242 fits); a hidden layer still gets them
    (three: the two-way choice and kanlab.pykan's decisive third candidate)."""
    import kanlab.train._fit as fit_module
    calls = []
    real = fit_module._trial

    def spy(*args, **kwargs):
        calls.append(args[4])
        return real(*args, **kwargs)

    monkeypatch.setattr(fit_module, "_trial", spy)
    model = pykan.KAN(width=width, grid=10, k=3, seed=0, grid_range=(-1, 1), auto_save=False)
    results = model.fit(_line(), opt="LBFGS", steps=20)
    assert len(calls) == trials
    assert len(results["train_loss"]) == 20 and results["train_loss"][-1] < 1e-3

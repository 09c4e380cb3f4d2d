"""Patterns from the ninth round of pykan code, scientists' repositories
(``benchmarks/pykan_user_cases/round9a_*.py``): ``SYMBOLIC_LIB`` edited as pykan's dict
(``del SYMBOLIC_LIB[name]``, ``SYMBOLIC_LIB[name] = (fn, sympy_fn, c, fn_sing)``), and PINNs
trained through ``fit(loss_fn=...)`` whose loss differentiates with ``torch.autograd.grad``."""
import contextlib
import io

import pytest
import sympy
import torch

import kanlab.pykan as K
from kanlab.pykan import _symbolic_names


def _fitted(f, steps=10):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=g) * 2 - 1
    ds = {"train_input": x[:150], "train_label": f(x[:150]), "test_input": x[150:],
          "test_label": f(x[150:])}
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    with contextlib.redirect_stdout(io.StringIO()):
        model.fit(ds, opt="LBFGS", steps=steps, update_grid=False)
    model(ds["train_input"])
    return model, ds


def test_del_takes_names_out_of_the_table_and_the_default_search(restore_library):
    """``del SYMBOLIC_LIB['arcsin']`` (was: KeyError, the table a read-only view) leaves the
    name out of ``keys()`` and ``in``, and ``auto_symbolic()`` searches what is left."""
    keep = ("x", "x^2", "sin", "tanh")
    n = len(K.SYMBOLIC_LIB)
    del K.SYMBOLIC_LIB["arcsin"]
    assert "arcsin" not in K.SYMBOLIC_LIB and "arcsin" not in list(K.SYMBOLIC_LIB.keys())
    assert len(K.SYMBOLIC_LIB) == n - 1
    with pytest.raises(KeyError):
        K.SYMBOLIC_LIB["arcsin"]
    with pytest.raises(KeyError):
        del K.SYMBOLIC_LIB["arcsin"]
    assert K.SYMBOLIC_LIB.pop("arcsin", None) is None
    fn, _, _, _ = K.SYMBOLIC_LIB.pop("exp")
    assert torch.allclose(fn(torch.ones(1)), torch.exp(torch.ones(1)))
    for name in list(K.SYMBOLIC_LIB.keys()):
        if name not in keep:
            del K.SYMBOLIC_LIB[name]
    assert list(K.SYMBOLIC_LIB.keys()) == list(keep)
    model, _ = _fitted(lambda x: torch.exp(x[:, [0]]) + torch.sin(torch.pi * x[:, [1]]))
    with contextlib.redirect_stdout(io.StringIO()):
        model.auto_symbolic()
    names = [str(n) for n in model.symbolic_fun[0].funs_name[0]]
    assert all(n in keep for n in names), names  # exp is gone: x^2 or tanh stands in
    assert names[1] == "sin"


def test_item_assignment_adds_a_function_as_add_symbolic(restore_library):
    """``SYMBOLIC_LIB['softplus'] = (torch fn, sympy fn, c, fn_sing)`` (was: stored nowhere;
    ``fix_symbolic(..., 'softplus')`` raised ValueError) is listed, fixed by name, searched
    with ``lib=None``, and its sympy form is the formula's."""
    softplus = torch.nn.functional.softplus
    K.SYMBOLIC_LIB["softplus"] = (softplus, lambda x: sympy.log(1 + sympy.exp(x)), 3,
                                  lambda x, y_th: ((), softplus(x)))
    assert "softplus" in K.SYMBOLIC_LIB and list(K.SYMBOLIC_LIB.keys())[-1] == "softplus"
    assert K.SYMBOLIC_LIB["softplus"][2] == 3
    model, ds = _fitted(lambda x: softplus(2 * x[:, [0]]) + x[:, [1]], steps=20)
    with contextlib.redirect_stdout(io.StringIO()):
        r2 = model.fix_symbolic(0, 0, 0, "softplus")
        model.fix_symbolic(0, 1, 0, "x")
    assert float(r2) > 0.999
    assert model.symbolic_formula()[0][0].atoms(sympy.log)
    with torch.no_grad():
        assert float(torch.sqrt(torch.mean((model(ds["test_input"]) - ds["test_label"]) ** 2))) < 1e-3
    # kanlab's own sigmoid, assigned as pykan users do, joins the default search
    K.SYMBOLIC_LIB["sigmoid"] = (torch.sigmoid, lambda x: 1 / (1 + sympy.exp(-x)))
    assert "sigmoid" in list(K.SYMBOLIC_LIB.keys())
    assert "sigmoid" in _symbolic_names._lib(None)
    with pytest.raises(TypeError):
        K.SYMBOLIC_LIB["bad"] = torch.sigmoid  # not a tuple
    with pytest.raises(TypeError):
        K.SYMBOLIC_LIB["bad"] = (torch.sigmoid, "1/(1+exp(-x))")  # a str, not a function
    assert "bad" not in K.SYMBOLIC_LIB


def test_table_edits_match_pykan(restore_library):
    """The same edits on pykan 0.2.8's dict (two names deleted, one added): the same keys."""
    kan_utils = pytest.importorskip("kan.utils")
    saved = dict(kan_utils.SYMBOLIC_LIB)
    try:
        for table in (K.SYMBOLIC_LIB, kan_utils.SYMBOLIC_LIB):
            del table["arcsin"]
            table.pop("x^5")
            table["softplus"] = (torch.nn.functional.softplus, lambda x: sympy.log(1 + sympy.exp(x)),
                                 3, lambda x, y_th: ((), torch.nn.functional.softplus(x)))
        assert list(K.SYMBOLIC_LIB.keys()) == list(kan_utils.SYMBOLIC_LIB.keys())
        assert len(K.SYMBOLIC_LIB) == len(kan_utils.SYMBOLIC_LIB)
    finally:
        kan_utils.SYMBOLIC_LIB.clear()
        kan_utils.SYMBOLIC_LIB.update(saved)


def test_fit_loss_fn_with_autograd_residual():
    """A PINN through ``fit``: ``loss_fn`` ignores the labels and differentiates the model on
    collocation points with ``torch.autograd.grad`` (was: RuntimeError, the losses were
    recorded under ``torch.no_grad``); the solution of ``u'' = -pi^2 sin(pi x)`` comes out
    as pykan's does (pykan 0.2.8: train loss 0.046, RMSE to sin(pi x) 0.0022)."""
    g = torch.Generator().manual_seed(0)
    xc = (torch.rand(100, 1, generator=g) * 2 - 1).requires_grad_(True)
    xb = torch.tensor([[-1.0], [1.0]])
    model = K.KAN(width=[1, 4, 1], grid=5, k=3, seed=0, auto_save=False)

    def loss_fn(pred, label):
        u = model(xc)
        du = torch.autograd.grad(u.sum(), xc, create_graph=True)[0]
        d2u = torch.autograd.grad(du.sum(), xc, create_graph=True)[0]
        res = d2u + torch.pi ** 2 * torch.sin(torch.pi * xc)
        return torch.mean(res ** 2) + torch.mean(model(xb) ** 2) + 0 * pred.sum()
    dummy = torch.zeros(20, 1)
    ds = {"train_input": dummy, "train_label": dummy, "test_input": dummy, "test_label": dummy}
    r = model.fit(ds, opt="LBFGS", steps=10, loss_fn=loss_fn, update_grid=False)
    assert len(r["train_loss"]) == 10 and float(r["train_loss"][-1]) < 0.07
    with torch.no_grad():
        err = torch.sqrt(torch.mean((model(xc.detach()) - torch.sin(torch.pi * xc.detach())) ** 2))
    assert float(err) < 0.005


def test_fit_loss_fn_differentiating_the_prediction_by_the_inputs():
    """``u' = -u`` with ``dataset['train_input']`` requiring grad and ``loss_fn`` taking
    ``autograd.grad(pred, t)`` (was: RuntimeError in the recorded losses); pykan 0.2.8 trains
    it too (its final train loss 0.071)."""
    g = torch.Generator().manual_seed(0)
    t = (torch.rand(120, 1, generator=g) * 2).requires_grad_(True)
    model = K.KAN(width=[1, 3, 1], grid=5, k=3, seed=0, auto_save=False, grid_range=[0, 2])

    def loss_fn(pred, label):
        du = torch.autograd.grad(pred.sum(), t, create_graph=True)[0]
        return (torch.mean((du + model(t)) ** 2) + (model(torch.zeros(1, 1)) - 1).pow(2).sum()
                + 0 * label.sum())
    zeros = torch.zeros(120, 1)
    ds = {"train_input": t, "train_label": zeros, "test_input": t, "test_label": zeros}
    r = model.fit(ds, opt="Adam", lr=0.02, steps=30, loss_fn=loss_fn, update_grid=False)
    assert float(r["train_loss"][-1]) < 0.071
    assert float(r["test_loss"][-1]) == pytest.approx(float(r["train_loss"][-1]), rel=1e-4)
    with torch.no_grad():
        err = torch.sqrt(torch.mean((model(t.detach()) - torch.exp(-t.detach())) ** 2))
    assert float(err) < 0.05

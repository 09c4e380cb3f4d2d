"""The symbolic candidate library: torch, numpy and sympy agree; derivatives; extension; lazy sympy."""
import subprocess
import sys

import numpy as np
import pytest
import sympy
import torch

from kanlab.symbolic import LIBRARY, Candidate, Interval, Poles, register, resolve_library

# an argument range inside every candidate's domain, away from its singularities
SAFE = {"1/x": (0.3, 2.0), "1/x^2": (0.3, 2.0), "1/x^3": (0.3, 2.0), "1/x^4": (0.3, 2.0),
        "sqrt": (0.1, 3.0), "x^1.5": (0.1, 3.0), "1/sqrt": (0.1, 3.0), "log": (0.1, 3.0),
        "tan": (-1.2, 1.2), "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctanh": (-0.9, 0.9)}


def _points(name, n=41):
    lo, hi = SAFE.get(name, (-2.0, 2.0))
    u = torch.linspace(lo, hi, n, dtype=torch.float64)
    return u[u != 0] if name in ("sgn", "abs") else u  # the kink itself: no derivative


def test_library_size_and_required_names():
    required = {"x", "x^2", "x^3", "x^4", "x^5", "1/x", "1/x^2", "sqrt", "1/sqrt", "exp", "log",
                "sin", "cos", "tan", "tanh", "sigmoid", "arcsin", "arctan", "arctanh", "abs",
                "sgn", "gaussian", "sinh", "cosh", "0"}
    assert required <= set(LIBRARY) and len(LIBRARY) >= 25
    assert LIBRARY["0"].complexity == 0 and LIBRARY["x"].complexity == 1
    assert all(name == c.name for name, c in LIBRARY.items())


@pytest.mark.parametrize("name", list(LIBRARY))
def test_torch_numpy_sympy_agree(name):
    cand = LIBRARY[name]
    u = _points(name)
    ref = cand.fn(u)
    assert torch.isfinite(ref).all()
    np.testing.assert_allclose(cand.numpy_fn(u.numpy()), ref.numpy(), rtol=1e-12, atol=1e-12)
    s = sympy.Symbol("u", real=True)
    expr = cand.sympy_fn(s)
    lam = sympy.lambdify(s, expr, modules="numpy")
    got = np.broadcast_to(np.asarray(lam(u.numpy()), dtype=float), u.shape)
    np.testing.assert_allclose(got, ref.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(LIBRARY))
def test_derivative_matches_autograd(name):
    cand = LIBRARY[name]
    u = _points(name).requires_grad_(True)
    value = cand.fn(u)
    auto = torch.autograd.grad(value.sum(), u)[0] if value.requires_grad else torch.zeros_like(u)
    torch.testing.assert_close(cand.derivative(u.detach()), auto, rtol=1e-12, atol=1e-12)


def test_domains():
    lo = torch.tensor([0.5, -2.0, -0.5, 1.0])
    hi = torch.tensor([2.0, -1.0, 0.5, 2.0])
    assert Poles(0.0)(lo, hi).tolist() == [True, True, False, True]
    assert Interval(-1.0, 1.0)(lo, hi).tolist() == [False, False, True, False]
    tan = LIBRARY["tan"].domain
    # poles at π/2 + kπ: [2, 4] lies inside one branch, [1, 2] straddles π/2
    assert tan(torch.tensor([2.0, 1.0, -1.5]), torch.tensor([4.0, 2.0, 1.5])).tolist() == \
        [True, False, True]
    assert not LIBRARY["log"].admissible(torch.tensor([0.0]), torch.tensor([1.0])).item()


def test_resolve_library():
    assert resolve_library(None).keys() == LIBRARY.keys()
    assert list(resolve_library(["sin", "x"])) == ["sin", "x"]
    assert list(resolve_library("exp")) == ["exp"]
    mine = Candidate("cube_root", lambda u: torch.sign(u) * u.abs() ** (1 / 3),
                     lambda u: sympy.cbrt(u), 3)
    assert resolve_library({"cr": mine})["cr"] is mine
    assert resolve_library(["x", mine])["cube_root"] is mine
    with pytest.raises(ValueError, match="valid names"):
        resolve_library(["sin", "sine"])
    with pytest.raises(ValueError, match="empty"):
        resolve_library([])
    with pytest.raises(TypeError):
        resolve_library([3])
    with pytest.raises(TypeError):
        resolve_library({"x": "x"})


def test_candidate_validation():
    with pytest.raises(ValueError, match="complexity"):
        Candidate("f", torch.sin, lambda u: u, -1)
    with pytest.raises(TypeError, match="fn"):
        Candidate("f", "sin", lambda u: u, 1)
    with pytest.raises(ValueError, match="period"):
        Candidate("f", torch.sin, lambda u: u, 1, period=0.0)


def test_register_adds_and_refuses_duplicates():
    try:
        cand = register("softplus_test", torch.nn.functional.softplus,
                        lambda u: sympy.log(1 + sympy.exp(u)), 4)
        assert LIBRARY["softplus_test"] is cand
        with pytest.raises(ValueError, match="exists"):
            register("softplus_test", torch.sin, lambda u: u, 1)
        # no deriv given: autograd through fn
        u = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64)
        torch.testing.assert_close(cand.derivative(u), torch.sigmoid(u))
    finally:
        LIBRARY.pop("softplus_test", None)


def test_import_kanlab_does_not_import_sympy():
    code = ("import sys, kanlab, kanlab.symbolic._library, kanlab.symbolic._fit; "
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

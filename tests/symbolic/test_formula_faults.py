"""Formulas under hostile input: no code runs, no hang, constants rounded honestly."""
import time

import pytest
import sympy
import torch

from kanlab import KAN
from kanlab.symbolic._evaluation import to_torch
from kanlab.symbolic._expressions import parse_formula
from kanlab.symbolic._formula import round_formula


@pytest.mark.parametrize("text", ["__import__('os').system('touch PWNED')+x",
                                  "x.__class__", "eval('1')+x", "lambda: 1"])
def test_round_formula_never_evaluates_strings(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError):
        round_formula(text)
    assert not (tmp_path / "PWNED").exists()


def test_round_formula_parses_printed_formulas():
    assert round_formula("1.0000001*x_1 + 2.9999*sin(x_2)") == \
        sympy.Symbol("x_1") + 3 * sympy.sin(sympy.Symbol("x_2"))


@pytest.mark.parametrize("text", ["x+exp(10**25000)", "x+exp(10**3000)",
                                  "x*exp(exp(exp(exp(10))))", "x*sqrt(-1)"])
def test_huge_or_complex_constants_are_refused_at_once(text):
    start = time.perf_counter()
    with pytest.raises(ValueError, match="constant|number"):
        expr, symbols = parse_formula(text)
        to_torch(expr, symbols)
    assert time.perf_counter() - start < 2.0


def test_constants_still_evaluate_exactly_enough():
    expr, symbols = parse_formula("x + sqrt(2)*pi + log(3)")
    y = to_torch(expr, symbols)(torch.zeros(1, 1, dtype=torch.float64))
    assert float(y) == pytest.approx(2 ** 0.5 * 3.141592653589793 + 1.0986122886681098, rel=1e-14)


def test_small_constants_are_not_rounded_to_zero():
    x, y = sympy.symbols("x y")
    out = round_formula(sympy.Float(1.5e-5) * sympy.sin(x) + sympy.Float(2.3e-5) * y)
    assert out.free_symbols == {x, y}
    assert float(out.subs({x: sympy.pi / 2, y: 1})) == pytest.approx(3.8e-5, rel=1e-3)
    # a negligible constant beside ones of order 1 still goes
    assert round_formula(sympy.Float(1.0000001) * x + sympy.Float(1e-6)) == x


def test_huge_constants_keep_digits_not_300_digit_integers():
    x = sympy.Symbol("x")
    out = round_formula(sympy.Float(1e300) * x)
    assert len(str(out)) < 20 and float(out.subs(x, 1)) == pytest.approx(1e300, rel=1e-3)
    beyond = round_formula(sympy.Float("1e400") * sympy.exp(x))
    assert float(sympy.log(beyond.subs(x, 0)).evalf()) == pytest.approx(921.03, rel=1e-3)


def test_symbolic_formula_refuses_repeated_or_invalid_names():
    model = KAN([2, 1], grid=3, seed=0, dtype=torch.float64)
    model.fix_symbolic(0, 0, 0, "x", fit_params=False)
    model.fix_symbolic(0, 1, 0, "sin", fit_params=False)
    for names in (["x", "x"], ["1+2", "y"], ["a b", "y"]):
        with pytest.raises(ValueError, match="distinct identifiers"):
            model.symbolic_formula(names, check=False)
    with pytest.raises(TypeError):
        model.symbolic_formula("xy", check=False)
    assert model.symbolic_formula(["u", "v"], check=False)[0].free_symbols == \
        set(sympy.symbols("u v"))


def test_fix_symbolic_refuses_non_finite_params():
    model = KAN([2, 1], grid=3, seed=0, dtype=torch.float64)
    with pytest.raises(ValueError, match="finite"):
        model.fix_symbolic(0, 0, 0, "sin", fit_params=False, params=(float("nan"), 0, 1, 0))
    assert not bool(model.symbolic[0].mask.any())


@pytest.mark.parametrize("names", [["lambda", "y"], ["x", "class"]])
def test_symbolic_formula_refuses_keywords(names):
    """A keyword cannot be a symbol of a printed formula (it could not be parsed back)."""
    model = KAN([2, 1], grid=3, seed=0, dtype=torch.float64)
    model.fix_symbolic(0, 0, 0, "sin", fit_params=False)
    model.fix_symbolic(0, 1, 0, "x", fit_params=False)
    with pytest.raises(ValueError, match="keywords"):
        model.symbolic_formula(var_names=names, check=False)
    assert "pi" in str(model.symbolic_formula(var_names=["pi", "y"], check=False)[0])

"""Pareto tables show constants to 4 significant digits; names holding digits are untouched."""
import sympy

from kanlab.cli._data_job import pareto_lines
from kanlab.discover._report import short_constants


def test_long_constants_are_shortened_and_the_value_kept():
    text = "atan(0.28317146587251069*x1*exp(a2) + 0.014117915085715332)"
    short = short_constants(text)
    assert short == "atan(0.2832*x1*exp(a2) + 0.01412)"
    x1, a2 = sympy.symbols("x1 a2")
    diff = sympy.sympify(short).subs({x1: 1.5, a2: 0.3}) - sympy.sympify(text).subs(
        {x1: 1.5, a2: 0.3})
    assert abs(float(diff)) < 1e-4


def test_short_constants_and_exponents_are_left_alone():
    for text in ("6.674e-11*m1*m2/r**2", "2*E*beta/lambda_", "0.5*m*v**2", "x_1st**1.5"):
        assert short_constants(text) == text
    assert short_constants("1.23456789e-22*x2") == "1.235e-22*x2"


def test_console_pareto_rows_are_short_and_the_chosen_row_points_below():
    pareto = [{"formula": "0.123456789*a + 1.5", "complexity": 5, "val_rmse": 0.1,
               "chosen": False},
              {"formula": "2.718281828*a", "complexity": 3, "val_rmse": 0.01, "chosen": True}]
    lines = pareto_lines(pareto)
    assert "0.1235*a + 1.5" in lines[1] and "0.123456789" not in lines[1]
    assert "(the formula below)" in lines[2] and "2.718" not in lines[2]

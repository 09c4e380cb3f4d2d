"""Column names become the formula's symbols verbatim; others are mapped and reported."""
import sympy

from kanlab.discover._names import parse_locals, symbol_names, symbols_for

SPECIAL = ["E", "I", "N", "S", "Q", "beta", "gamma", "pi", "zeta", "O"]


def test_special_names_stay_plain_symbols():
    idents, mapping = symbol_names(SPECIAL)
    assert idents == SPECIAL and mapping == {}
    syms = symbols_for(idents, [True] * len(idents))
    assert all(isinstance(s, sympy.Symbol) for s in syms)
    expr = sum(syms)
    # the printed formula parses back to the same plain symbols
    back = sympy.sympify(str(expr), locals=parse_locals(idents))
    assert {str(s) for s in back.free_symbols} == set(SPECIAL)
    assert back.free_symbols <= set(parse_locals(idents).values())
    assert sympy.E not in back.atoms() and sympy.pi not in back.atoms()


def test_non_identifiers_are_mapped_and_reported():
    idents, mapping = symbol_names(["T (K)", "lambda", "1st", "a-b", "a_b", "x"])
    assert idents == ["T_K", "lambda_", "x_1st", "a_b_2", "a_b", "x"]
    assert mapping == {"T (K)": "T_K", "lambda": "lambda_", "1st": "x_1st", "a-b": "a_b_2"}
    assert all(i.isidentifier() for i in idents)

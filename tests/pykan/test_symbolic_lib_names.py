"""``SYMBOLIC_LIB`` answers every name of pykan 0.2.8's table (aliases and ``1/x^5`` too)."""
import pytest
import torch

from kanlab.pykan import SYMBOLIC_LIB

PYKAN_NAMES = ['x', 'x^2', 'x^3', 'x^4', 'x^5', '1/x', '1/x^2', '1/x^3', '1/x^4', '1/x^5',
               'sqrt', 'x^0.5', 'x^1.5', '1/sqrt(x)', '1/x^0.5', 'exp', 'log', 'abs', 'sin',
               'cos', 'tan', 'tanh', 'sgn', 'arcsin', 'arccos', 'arctan', 'arctanh', '0',
               'gaussian']


def test_every_pykan_name_is_in_the_table_with_its_function():
    x = torch.linspace(0.1, 0.9, 9)
    for name in PYKAN_NAMES:
        assert name in SYMBOLIC_LIB, name
        fn, sympy_fn, complexity, avoiding = SYMBOLIC_LIB[name]
        assert fn(x).shape == x.shape and callable(sympy_fn) and complexity >= 0
    torch.testing.assert_close(SYMBOLIC_LIB['x^0.5'][0](x), torch.sqrt(x))
    torch.testing.assert_close(SYMBOLIC_LIB['1/sqrt(x)'][0](x), 1 / torch.sqrt(x))
    torch.testing.assert_close(SYMBOLIC_LIB['1/x^5'][0](x), x ** -5.0)
    assert 'no_such_function' not in SYMBOLIC_LIB
    with pytest.raises(KeyError):
        SYMBOLIC_LIB['no_such_function']


def test_the_functions_agree_with_pykans():
    kan_utils = pytest.importorskip("kan.utils")
    x = torch.linspace(0.1, 0.9, 9)
    for name in PYKAN_NAMES:
        torch.testing.assert_close(SYMBOLIC_LIB[name][0](x).float(),
                                   kan_utils.SYMBOLIC_LIB[name][0](x).float(), msg=name)

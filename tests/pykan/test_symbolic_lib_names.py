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


def test_the_table_lists_pykans_names_in_pykans_order_then_added_ones(monkeypatch):
    """Example_5 prints ``SYMBOLIC_LIB.keys()``: pykan's 29 names in its order (kanlab listed its
    own library: no ``x^0.5``, ``1/sqrt(x)``, ``1/x^5``, but ``sigmoid``, ``sinh``, ``cosh``)."""
    from kanlab.pykan import add_symbolic
    from kanlab.symbolic import LIBRARY
    assert list(SYMBOLIC_LIB.keys()) == PYKAN_NAMES == list(SYMBOLIC_LIB)
    assert len(SYMBOLIC_LIB) == len(PYKAN_NAMES) == len(SYMBOLIC_LIB.copy())
    monkeypatch.setitem(LIBRARY, "J0_names", None)  # removed again after the test
    add_symbolic("J0_names", torch.special.bessel_j0, c=1)
    assert list(SYMBOLIC_LIB)[-1] == "J0_names" and list(SYMBOLIC_LIB)[:-1] == PYKAN_NAMES
    assert [k for k, _ in SYMBOLIC_LIB.items()] == list(SYMBOLIC_LIB)
    assert "sinh" in SYMBOLIC_LIB  # kanlab's other names still answer


def test_pykans_table_is_the_same_list():
    kan_utils = pytest.importorskip("kan.utils")
    assert list(kan_utils.SYMBOLIC_LIB) == PYKAN_NAMES


def test_searches_offer_pykans_table_only():
    """A cosh-shaped edge: kanlab's own library would rank ``cosh`` first; pykan's table has
    no ``cosh``, so neither suggest_symbolic nor auto_symbolic offers it."""
    from kanlab.pykan import KAN
    x = torch.linspace(-1, 1, 200)[:, None]
    model = KAN(width=[1, 1], grid=10, k=3, seed=0, auto_save=False)
    y = torch.cosh(1.3 * x)
    model.fit({"train_input": x, "train_label": y, "test_input": x, "test_label": y},
              opt="LBFGS", steps=20, log=0)
    from kanlab import symbolic
    native = symbolic.suggest_symbolic(model, 0, 0, 0, topk=1, x=x)[0].name
    assert native == "cosh"  # the premise: kanlab's library would pick it
    name, _, r2, _ = model.suggest_symbolic(0, 0, 0, verbose=False, weight_simple=0.0)
    assert name not in ("cosh", "sinh", "sigmoid") and name in SYMBOLIC_LIB and r2 > 0.99
    model.auto_symbolic(verbose=0, weight_simple=0.0)
    assert model.symbolic_fun[0].funs_name[0][0] not in ("cosh", "sinh", "sigmoid")

"""``kanlab.pykan.utils.f_inv`` ... ``f_exp``: pykan's singularity-avoiding helpers on kanlab's
capping, against pykan 0.2.8's values (equal away from the singularities; near them equal where
both choose the same stand-in, and bounded by ``y_th`` everywhere)."""
import pytest
import torch

import kanlab.pykan.utils as utils
from kanlab.nn._symbolic_edges import capped
from kanlab.symbolic import LIBRARY

NAMES = ["f_inv", "f_inv2", "f_inv3", "f_inv4", "f_inv5", "f_sqrt", "f_power1d5", "f_invsqrt",
         "f_log", "f_tan", "f_arctanh", "f_arcsin", "f_arccos", "f_exp"]
Y_TH = 10.0
# points near every singularity: 0, ±1, ±π/2, log(y_th) and just around them
NEAR = torch.tensor([0.0, 1e-4, -1e-4, 0.05, -0.05, 0.2, -0.2, 0.99999, -0.99999, 1.0, -1.0,
                     1.5707964, -1.5707964, 2.31, 2.2])
X = torch.cat([torch.linspace(-3, 3, 601), NEAR])[:, None]


def _pykan_value(name, x):
    ku = pytest.importorskip("kan.utils")
    out = getattr(ku, name)(x, torch.tensor(Y_TH))
    return out[-1] if isinstance(out, tuple) else out  # pykan's f_power1d5 returns the tensor


def _where_fine(name, x):
    """Where pykan's plain function is finite and within y_th, away from its stand-ins."""
    plain = {"f_inv": 1 / x, "f_inv2": x ** -2, "f_inv3": x ** -3, "f_inv4": x ** -4,
             "f_inv5": x ** -5, "f_sqrt": torch.sqrt(x), "f_power1d5": x ** 1.5,
             "f_invsqrt": 1 / torch.sqrt(x), "f_log": torch.log(x), "f_tan": torch.tan(x),
             "f_arctanh": torch.arctanh(x), "f_arcsin": torch.arcsin(x),
             "f_arccos": torch.arccos(x), "f_exp": torch.exp(x)}[name]
    # pykan switches to its stand-in a little inside y_th for tan (its clip)
    margin = {"f_tan": 0.9}.get(name, 1.0)
    far = torch.ones_like(x, dtype=torch.bool)
    if name == "f_sqrt":  # pykan's sqrt line sits within 1/y_th^2 of 0
        far = x.abs() > Y_TH ** -2
    if name == "f_arctanh":  # pykan's ±y_th from |x| > tanh(y_th) - 1e-4 on
        far = x.abs() <= torch.tanh(torch.tensor(Y_TH)) - 1e-4
    return torch.isfinite(plain) & (plain.abs() <= margin * Y_TH) & far


@pytest.mark.parametrize("name", NAMES)
def test_helpers_equal_pykans_where_the_function_is_fine(name):
    """Where f is finite and within y_th, value = pykan's value = f."""
    ours = getattr(utils, name)(X, Y_TH)
    assert isinstance(ours, tuple) and len(ours) == 2
    fine = _where_fine(name, X)
    assert int(fine.sum()) > 100
    torch.testing.assert_close(ours[1][fine], _pykan_value(name, X)[fine], atol=1e-5,
                               rtol=1e-5)


@pytest.mark.parametrize("name", ["f_inv2", "f_inv4", "f_exp", "f_arcsin", "f_arccos"])
def test_helpers_equal_pykans_near_the_singularities_too(name):
    """For these pykan's stand-in is kanlab's (cap at y_th, an interval's end value)."""
    torch.testing.assert_close(getattr(utils, name)(X, Y_TH)[1], _pykan_value(name, X),
                               atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_helpers_are_finite_and_bounded_everywhere(name):
    """The value is finite and at most y_th in magnitude at every point, poles included."""
    value = getattr(utils, name)(X, Y_TH)[1]
    assert torch.isfinite(value).all()
    assert value.abs().max() <= Y_TH * (1 + 1e-6)


def test_helpers_are_kanlabs_capping():
    """One rule: each helper is kanlab.nn._symbolic_edges.capped on the library function."""
    for name, lib in [("f_inv", "1/x"), ("f_log", "log"), ("f_sqrt", "sqrt"), ("f_tan", "tan")]:
        c = LIBRARY[lib]
        torch.testing.assert_close(getattr(utils, name)(X, Y_TH)[1],
                                   capped(c.fn, X, Y_TH, c.domain))


def test_documented_differences_from_pykan():
    """Where pykan chose another stand-in (module docs): 1/x is ±y_th near 0, not pykan's line;
    log at negative x is -y_th, not log|x|; sqrt at negative x is -sqrt(-x), as pykan's."""
    x = torch.tensor([[0.05], [-0.5], [-4.0]])
    assert utils.f_inv(x, Y_TH)[1][0].item() == Y_TH  # pykan: y_th²·x = 5
    assert utils.f_log(x, Y_TH)[1][1].item() == -Y_TH  # pykan: log 0.5
    torch.testing.assert_close(utils.f_sqrt(x, Y_TH)[1][2], torch.tensor([-2.0]))


def test_thresholds_are_pykans():
    """The first entry is pykan's threshold x_th where it has one."""
    assert utils.f_inv(X, 4.0)[0] == pytest.approx(0.25)
    assert utils.f_inv2(X, 4.0)[0] == pytest.approx(0.5)
    assert utils.f_exp(X, 4.0)[0] == pytest.approx(torch.log(torch.tensor(4.0)).item())
    assert utils.f_arcsin(X, 4.0)[0] == ()


def test_symbolic_lib_has_pykans_four_entries():
    """SYMBOLIC_LIB[name] is (fn, sympy_fn, complexity, fn_avoiding_singularity), as pykan's."""
    fn, sympy_fn, c, avoid = utils.SYMBOLIC_LIB["1/x"]
    assert avoid is utils.f_inv
    x = torch.tensor([[0.0], [0.5]])
    torch.testing.assert_close(avoid(x, Y_TH)[1], torch.tensor([[Y_TH], [2.0]]))
    _, _, _, plain = utils.SYMBOLIC_LIB["sin"]
    torch.testing.assert_close(plain(x, Y_TH)[1], torch.sin(x))


def test_a_bad_threshold_is_refused():
    with pytest.raises(ValueError, match="y_th"):
        utils.f_inv(X, 0.0)


def test_star_import_gives_pykans_names():
    """from kanlab.pykan import * gives KANLayer, Symbolic_KANLayer and the helpers."""
    names = {}
    exec("from kanlab.pykan import *", names)
    for name in ("KANLayer", "Symbolic_KANLayer", "f_inv", "f_exp", "KAN"):
        assert name in names
    assert names["KANLayer"].__module__ == "kanlab.pykan.KANLayer"

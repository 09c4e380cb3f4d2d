"""Tests for kanlab.symbolic._api: suggest/fix/unfix/auto_symbolic and symbolic_formula on models."""
from __future__ import annotations

import math
import warnings

import pytest
import sympy
import torch

import kanlab
from kanlab import KAN
from kanlab.symbolic import round_formula
from kanlab.splines import fit_coefficients
from kanlab.splines import uniform_knots

F64 = torch.float64


def _x(n=400, d=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g, dtype=F64) * 2 - 1


@torch.no_grad()
def _set_edge(model, l, i, j, fn, x):
    """Make edge (l, i, j) equal ``fn`` on its inputs: least-squares spline, no base part."""
    layer = model.layers[l]
    _, inputs = model.forward_with_inputs(x)
    xi = inputs[l][:, i]
    coef = fit_coefficients(xi.unsqueeze(1), fn(xi).reshape(-1, 1, 1), layer.knots[i:i + 1], layer.k)
    layer.coef[j, i] = coef.reshape(-1) / layer.scale_sp[j, i]
    layer.scale_base[j, i] = 0.0


def _sine_model():
    model = KAN([1, 1], grid=20, k=3, seed=0, dtype=F64)
    x = _x()
    _set_edge(model, 0, 0, 0, lambda t: 0.5 * torch.sin(math.pi * t) + 0.2, x)
    model.reference_input = x
    return model, x


def test_suggest_finds_the_edge_function():
    """An edge fitted to 0.5·sin(πx)+0.2 gets sin (or its cos twin) first, with R² ≈ 1."""
    model, _ = _sine_model()
    best = model.suggest_symbolic(0, 0, 0, topk=3)
    assert len(best) == 3 and best[0].name in ("sin", "cos") and best[0].r2 > 0.99999


def test_fix_and_unfix_switch_the_branch():
    """fix_symbolic computes c·f(a·x+b)+d; unfix_symbolic restores the spline exactly."""
    model, x = _sine_model()
    spline_out = model(x)
    model.fix_symbolic(0, 0, 0, "sin", fit_params=False, params=(2.0, 0.5, 3.0, -1.0))
    torch.testing.assert_close(model(x), 3.0 * torch.sin(2.0 * x + 0.5) - 1.0, rtol=0, atol=1e-14)
    assert model.layers[0].mask[0, 0] == 0 and model.symbolic[0].mask[0, 0] == 1
    model.unfix_symbolic(0, 0, 0)
    assert torch.equal(model(x), spline_out)


def test_fit_polishes_symbolic_constants():
    """Constants of a symbolic edge are trained by fit: a bad start converges to the truth."""
    model = KAN([1, 1], grid=5, k=3, seed=0, dtype=F64)
    f = lambda t: 0.5 * torch.sin(math.pi * t) + 0.2  # noqa: E731
    data = kanlab.create_dataset(f, 1, train_num=200, test_num=200, seed=0, dtype=F64)
    model.fix_symbolic(0, 0, 0, "sin", fit_params=False, params=(3.0, 0.05, 0.45, 0.25))
    history = model.fit(data, steps=20, update_grid=False, progress=False)
    assert history.test_rmse[-1] < 1e-10
    a, b, c, d = model.symbolic[0].affine[0, 0].tolist()
    assert a * c == pytest.approx(math.pi * 0.5, rel=1e-8)


def test_auto_symbolic_and_formula_of_a_composition():
    """Edges set to sin(πx), y² and exp become those functions; the rounded formula is exact."""
    model = KAN([2, 1, 1], grid=20, k=3, seed=0, dtype=F64)
    x = _x(d=2)
    _set_edge(model, 0, 0, 0, lambda t: torch.sin(math.pi * t), x)
    _set_edge(model, 0, 1, 0, lambda t: t ** 2, x)
    hidden = uniform_knots(20, 3, (-1.2, 2.2), dtype=F64)[None]  # sin(πx) + y² spans [-1, 2]
    model.layers[1].set_grid(hidden, model.layers[1].coef.detach())
    _set_edge(model, 1, 0, 0, torch.exp, x)
    model.reference_input = x
    records = model.auto_symbolic()
    assert sorted(r["name"] for r in records) == ["exp", "sin", "x^2"] or \
        sorted(r["name"] for r in records) == ["cos", "exp", "x^2"]
    data = {"train_input": x, "train_label": torch.exp(torch.sin(math.pi * x[:, :1]) + x[:, 1:] ** 2)}
    data |= {"test_input": data["train_input"], "test_label": data["train_label"]}
    model.fit(data, steps=20, update_grid=False, progress=False)
    u, v = sympy.symbols("u v")
    formula = round_formula(model.symbolic_formula([u, v])[0])
    assert sympy.simplify(formula - sympy.exp(sympy.sin(sympy.pi * u) + v ** 2)) == 0


def test_formula_requires_symbolic_edges():
    model, _ = _sine_model()
    with pytest.raises(ValueError, match="splines"):
        model.symbolic_formula()


def test_formula_check_warns_on_mismatch():
    """A formula that does not reproduce the network (here: a candidate whose sympy form
    disagrees with its torch function) is reported with a warning."""
    from kanlab.symbolic import LIBRARY, Candidate
    model, x = _sine_model()
    sin = LIBRARY["sin"]
    liar = Candidate("liar", sin.fn, lambda t: sympy.cos(t), sin.complexity)
    model.fix_symbolic(0, 0, 0, liar, fit_params=False, params=(1.0, 0.0, 1.0, 0.0))
    with pytest.warns(UserWarning, match="differs from the network"):
        model.symbolic_formula()
    model.fix_symbolic(0, 0, 0, "sin", fit_params=False, params=(1.0, 0.0, 1.0, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert round_formula(model.symbolic_formula(["t"])[0]) == sympy.sin(sympy.Symbol("t"))


def test_state_dict_and_checkpoint_keep_symbolic_edges(tmp_path):
    """state_dict and save/load carry names and constants: same outputs, same formula."""
    model, x = _sine_model()
    model.auto_symbolic()
    fresh = KAN([1, 1], grid=20, k=3, seed=1, dtype=F64)
    fresh.load_state_dict(model.state_dict())
    assert torch.equal(fresh(x), model(x))
    model.save(tmp_path / "m.safetensors")
    loaded = kanlab.load(tmp_path / "m.safetensors")
    assert torch.equal(loaded(x), model(x))
    assert loaded.symbolic[0].names == model.symbolic[0].names
    loaded.reference_input = x
    assert loaded.symbolic_formula() == model.symbolic_formula()


def test_custom_candidate_cannot_be_saved(tmp_path):
    from kanlab.symbolic import LIBRARY, Candidate
    model, _ = _sine_model()
    mine = Candidate("mysin", LIBRARY["sin"].fn, LIBRARY["sin"].sympy_fn, 2)
    model.fix_symbolic(0, 0, 0, mine)
    with pytest.raises(ValueError, match="mysin"):
        model.save(tmp_path / "m.safetensors")


def test_bad_edge_indices():
    model, _ = _sine_model()
    with pytest.raises(ValueError, match="layer index"):
        model.fix_symbolic(1, 0, 0, "sin")
    with pytest.raises(ValueError, match="edges"):
        model.suggest_symbolic(0, 1, 0)
    with pytest.raises(ValueError, match="unknown|valid|expected"):
        model.fix_symbolic(0, 0, 0, "no-such-function")



def test_auto_symbolic_fixes_an_edge_with_a_constant_input_to_its_constant():
    """After pruning a hidden node can lose every input edge; its outgoing edge then sees one
    value, which auto_symbolic used to refuse (ValueError from the candidate fit)."""
    from kanlab.nn import remove_edge
    from kanlab.symbolic import edge_samples
    model = KAN([2, 2, 1], grid=5, k=3, seed=0, dtype=F64)
    x = _x(d=2)
    remove_edge(model, 0, 0, 1)
    remove_edge(model, 0, 1, 1)  # hidden node 1 is now constant (0)
    model.reference_input = x
    _, y_edge = edge_samples(model, 1, 1, 0, x)
    assert float(y_edge.std()) < 1e-15 and float(y_edge.abs().max()) > 0  # a nonzero constant
    records = model.auto_symbolic(r2_threshold=0.0)
    (const,) = [r for r in records if (r["l"], r["i"], r["j"]) == (1, 1, 0)]
    assert const["name"] == "0" and const["params"][3] == pytest.approx(float(y_edge[0]))
    assert model.layers[1].mask[0, 1] == 0 and model.symbolic[1].mask[0, 1] != 0
    u, v = sympy.symbols("u v")
    formula = model.symbolic_formula([u, v], check=False)[0]  # the constant is in the formula
    with torch.no_grad():
        net = float(model(torch.tensor([[0.3, -0.2]], dtype=F64)))
    assert abs(float(formula.subs({u: 0.3, v: -0.2})) - net) < 1e-6 * max(1.0, abs(net))

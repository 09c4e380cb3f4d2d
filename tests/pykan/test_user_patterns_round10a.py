"""Patterns from the tenth round of pykan code, courses', blog posts' and papers' code
(``benchmarks/pykan_user_cases/round10a_*.py``): ``auto_symbolic``'s printout parsed with a
regex for each edge's name, r2 and complexity ``c``; a fresh model's first grid update
placed whole on data wider than ``[-1, 1]``."""
import contextlib
import io
import re

import torch

import kanlab.pykan as K
from _data import sin_square_dataset

LINE = re.compile(r"fixing \((\d+),(\d+),(\d+)\) with (\S+), r2=([-\d.e]+), c=(\d+)")


def _fitted():
    ds = sin_square_dataset(n=100)
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    with contextlib.redirect_stdout(io.StringIO()):
        model.fit(ds, opt="LBFGS", steps=10, update_grid=False)
    model(ds["train_input"])
    return model


def _printed(model, **kw):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.auto_symbolic(lib=["x", "x^2", "sin"], **kw)
    return out.getvalue()


def test_auto_symbolic_lines_carry_complexity():
    rows = LINE.findall(_printed(_fitted()))
    by_edge = {(int(l), int(i), int(j)): (name, float(r2), int(c)) for l, i, j, name, r2, c in rows}
    assert set(by_edge) == {(0, 0, 0), (0, 1, 0)}
    assert by_edge[(0, 0, 0)][0] == "sin" and by_edge[(0, 1, 0)][0] == "x^2"
    # the complexity is the library's, as SYMBOLIC_LIB[name][2] gives it
    for name, _, c in by_edge.values():
        assert c == K.SYMBOLIC_LIB[name][2]


def test_auto_symbolic_verbose2_prints_r2_before_each_fix():
    text = _printed(_fitted(), verbose=2)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    fixing = [n for n, ln in enumerate(lines) if ln.startswith("fixing")]
    assert len(fixing) == 2
    assert all(lines[n - 1].startswith("r2 is ") for n in fixing)


def test_auto_symbolic_verbose0_prints_nothing():
    assert _printed(_fitted(), verbose=0) == ""


def test_fresh_model_first_grid_update_spans_wider_data():
    # the Lorentzian on [-2, 2] through [1, 1, 1]: the guard against a grid update that moves
    # the outputs kept seed 0's input grid on [-1, 1] for the whole fit (RMSE 0.057; pykan 3e-4)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(400, 1, generator=g) * 4 - 2
    y = 1 / (1 + x ** 2)
    ds = {"train_input": x[:300], "train_label": y[:300], "test_input": x[300:],
          "test_label": y[300:]}
    model = K.KAN(width=[1, 1, 1], grid=5, k=3, seed=0, auto_save=False)
    with contextlib.redirect_stdout(io.StringIO()):
        model.fit(ds, opt="LBFGS", steps=30)
    grid = model.act_fun[0].grid[0]
    assert float(grid[3]) < -1.8 and float(grid[-4]) > 1.8
    with torch.no_grad():
        rmse = torch.sqrt(torch.mean((model(ds["test_input"]) - ds["test_label"]) ** 2))
    assert rmse < 5e-3

"""Bounds on a fit's inner ``a, b`` (``a_range``/``b_range``, kanlab.symbolic._box)."""
import math

import pytest
import torch

from kanlab.symbolic import LIBRARY, fit_candidate, suggest
from kanlab.symbolic._box import make_box

F64 = torch.float64
BOX = {"a_range": (-10, 10), "b_range": (-10, 10)}


def _inside(fit, lo=-10, hi=10):
    a, b = fit.params[:2]
    return lo - 1e-9 <= a <= hi + 1e-9 and lo - 1e-9 <= b <= hi + 1e-9


def test_a_beyond_the_range_is_clamped_and_the_fit_is_the_best_inside():
    """tanh(30x) needs a = 30: with a ≤ 10 the fit sits on the bound, below R² = 1."""
    x = torch.linspace(-0.1, 0.1, 400, dtype=F64)
    y = 2 * torch.tanh(30 * x + 0.5)
    free = fit_candidate(x, y, "tanh")
    boxed = fit_candidate(x, y, "tanh", **BOX)
    assert free.params[0] == pytest.approx(30, rel=1e-6) and free.r2 > 1 - 1e-12
    assert _inside(boxed) and abs(boxed.params[0]) == pytest.approx(10)
    assert 0.9 < boxed.r2 < 0.99
    # no other a in the box does better (a sweep over a, b with c, d by least squares)
    best = 0.0
    for a in torch.linspace(-10, 10, 81).tolist():
        for b in torch.linspace(-3, 3, 61).tolist():
            v = torch.tanh(a * x + b)
            vc, yc = v - v.mean(), y - y.mean()
            if float(vc @ vc) > 0:
                best = max(best, float((vc @ yc) ** 2 / ((vc @ vc) * (yc @ yc))))
    assert boxed.r2 >= best - 1e-6


@pytest.mark.parametrize("name, fn, expect_r2", [
    ("sin", lambda x: torch.sin(3 * x + 14.0), 1.0),  # the phase moves by whole periods
    ("x^2", lambda x: (x + 30) ** 2, 1.0),  # a power's (a, b) scale together
    ("exp", lambda x: torch.exp(3 * x + 20), 1.0),  # exp's b goes into c
    ("cos", lambda x: torch.cos(-4 * x + 12.5), 1.0),  # (-a, -b) of an even function
])
def test_invariances_keep_the_exact_fit_inside_the_box(name, fn, expect_r2):
    x = torch.linspace(-1, 1, 300, dtype=F64)
    y = fn(x)
    fit = fit_candidate(x, y, name, **BOX)
    assert _inside(fit)
    assert fit.r2 == pytest.approx(expect_r2, abs=1e-9)
    torch.testing.assert_close(fit(x), y, rtol=1e-6, atol=1e-6 * float(y.abs().max()))


def test_without_a_range_nothing_changes():
    x = torch.linspace(-1, 1, 300, dtype=F64)
    y = torch.sin(3 * x + 14.0)
    assert fit_candidate(x, y, "sin").params == fit_candidate(x, y, "sin", a_range=None,
                                                                 b_range=None).params


def test_box_on_a_only_and_one_sided_b():
    x = torch.linspace(-1, 1, 300, dtype=F64)
    fit = fit_candidate(x, torch.exp(3 * x), "exp", a_range=(0, 5), b_range=(1, 2))
    assert 0 <= fit.params[0] <= 5 and 1 <= fit.params[1] <= 2 and fit.r2 > 1 - 1e-12
    fit = fit_candidate(x, torch.tanh(20 * x), "tanh", a_range=(0, 5))
    assert fit.params[0] == pytest.approx(5)


def test_suggest_honours_the_box_for_every_candidate():
    x = torch.linspace(-1, 1, 200, dtype=F64)
    fits = suggest(x, torch.tanh(25 * x), topk=None, **BOX)
    assert all(_inside(f) for f in fits)
    free = {f.name: f.r2 for f in suggest(x, torch.tanh(25 * x), topk=None)}
    assert free["tanh"] > 1 - 1e-12
    assert {f.name: f.r2 for f in fits}["tanh"] < 0.9999


@pytest.mark.parametrize("bad, err", [((1, 1), ValueError), ((2, 1), ValueError),
                                      ((0, math.inf), ValueError), ("ab", TypeError),
                                      (3, TypeError)])
def test_bad_ranges_are_rejected(bad, err):
    with pytest.raises(err, match="a_range"):
        make_box(a_range=bad)


def test_project_uses_the_ray_of_a_scale_free_candidate():
    box = make_box((-10, 10), (-10, 10))
    a, b, same = box.project(LIBRARY["x^2"], torch.tensor([1.0, -2.0], dtype=F64),
                             torch.tensor([30.0, 5.0], dtype=F64))
    assert same.all()
    torch.testing.assert_close(b / a, torch.tensor([30.0, -2.5], dtype=F64))
    assert float(b.abs().max()) <= 10 + 1e-12


def test_native_model_methods_take_the_box():
    import kanlab
    x = torch.linspace(-1, 1, 201, dtype=F64)[:, None]
    y = torch.tanh(25 * x)
    model = kanlab.KAN([1, 1], grid=40, seed=0, dtype=F64)
    model.fit({"train_input": x, "train_label": y, "test_input": x, "test_label": y},
              steps=20, progress=False)
    best = model.suggest_symbolic(0, 0, 0, lib=["tanh"], x=x, a_range=(-5, 5))[0]
    assert abs(best.params[0]) == pytest.approx(5)
    fit = model.fix_symbolic(0, 0, 0, "tanh", x=x, a_range=(-5, 5), b_range=(-1, 1))
    assert abs(fit.params[0]) == pytest.approx(5) and abs(fit.params[1]) <= 1

"""kanlab.pykan's ``auto_symbolic`` ranks by pykan's rule with its ``weight_simple``: each edge
gets the candidate ``suggest_symbolic`` ranks first, and ``r2_threshold`` keeps the spline."""
import pytest
import torch

from kanlab import pykan

F64 = torch.float64


@pytest.fixture(scope="module")
def bent():
    """A [1, 1] model whose edge is a line with a slight bend, ``x + 0.012·x²`` on [-1, 1]:
    ``x`` leaves 1 − R² ≈ 4e-5, ``x^2`` (shifted) and others fit it to ~1e-9."""
    g = torch.Generator().manual_seed(0)
    x = (2 * torch.rand(400, 1, generator=g, dtype=F64) - 1)
    y = x + 0.012 * x ** 2
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    model = pykan.KAN(width=[1, 1], grid=10, k=3, seed=0, auto_save=False, dtype=F64)
    model.fit(data, opt="LBFGS", steps=20, update_grid=False)
    return model


def _fixed(model, **kw):
    m = model.copy()
    m.auto_symbolic(verbose=0, **kw)
    return m.symbolic[0].names[0][0] if m.layers[0].mask[0, 0] == 0 else None


def test_auto_symbolic_fixes_what_suggest_symbolic_ranks_first_for_each_weight(bent):
    """The edge gets suggest_symbolic's first choice, for the default weight and for 0."""
    simple = bent.copy().suggest_symbolic(0, 0, 0, verbose=False)
    by_r2 = bent.copy().suggest_symbolic(0, 0, 0, verbose=False, weight_simple=0.0)
    assert simple[0] == "x"  # pykan's weight 0.8: the line, its gain is under 4 bits a unit
    assert by_r2[0] != "x" and by_r2[2] > simple[2]
    assert _fixed(bent) == "x"
    assert _fixed(bent, weight_simple=0.0) == by_r2[0]


def test_auto_symbolic_keeps_the_spline_below_r2_threshold(bent):
    """r2_threshold compares the chosen fit's R²: 'x' (1 − R² ≈ 4e-5) is refused at 0.99999."""
    assert _fixed(bent, r2_threshold=0.999) == "x"
    assert _fixed(bent, r2_threshold=0.99999) is None


def test_sin_counts_pykans_complexity_2_so_a_gentle_sine_is_not_taken_for_a_line():
    """sin(0.8x) on [-1, 1] (a line leaves 1 − R² ≈ 8e-4): sin, complexity 2 as pykan's table."""
    x = torch.linspace(-1, 1, 401, dtype=F64)[:, None]
    y = torch.sin(0.8 * x)
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    model = pykan.KAN(width=[1, 1], grid=10, k=3, seed=0, auto_save=False, dtype=F64)
    model.fit(data, opt="LBFGS", steps=20, update_grid=False)
    name, _, r2, c = model.copy().suggest_symbolic(0, 0, 0, verbose=False)
    assert (name, c) == ("sin", 2) and r2 > 0.99999
    assert _fixed(model) == "sin"


def test_a_parabola_is_not_taken_for_a_cosine_lookalike():
    """x² − 0.003·x⁴: c·cos(εx) + d fits it closer than x^2 (1 − R² 1e-13 against 6e-7), but
    both are near-exact for pykan's rule (a tie, within TIE), and kanlab's ranking takes x^2."""
    x = torch.linspace(-1, 1, 401, dtype=F64)[:, None]
    y = x ** 2 - 0.003 * x ** 4
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    model = pykan.KAN(width=[1, 1], grid=10, k=3, seed=0, auto_save=False, dtype=F64)
    model.fit(data, opt="LBFGS", steps=20, update_grid=False)
    assert model.copy().suggest_symbolic(0, 0, 0, verbose=False)[0] == "x^2"
    assert _fixed(model) == "x^2"

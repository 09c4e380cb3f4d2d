"""The choice among candidate formulas: 1 % slack, and the validation rows' own noise."""
import numpy as np
import pytest

from kanlab.discover._select import choose, pareto_front, within_noise


def _front(errors):
    """Front members of growing complexity with the given validation residuals."""
    return pareto_front([{"complexity": 5 + 4 * i, "val_rmse": float(np.sqrt(np.mean(e ** 2)))}
                         for i, e in enumerate(errors)])


def test_a_lead_within_the_noise_of_40_rows_buys_no_terms():
    """Two formulas equally far from the law (each off by its own 0.3 σ pattern); on these
    40 rows the richer one is 3 % better by luck: the simpler one is chosen with residuals
    given, the richer one by the 1 % slack alone."""
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(40)
    simple = noise + 0.3 * rng.standard_normal(40)
    rich = noise + 0.3 * rng.standard_normal(40)
    assert np.sqrt(np.mean(rich ** 2)) < 0.97 * np.sqrt(np.mean(simple ** 2))
    front = _front([simple, rich])
    assert len(front) == 2
    assert choose(front, floor=0.0) is front[1]
    assert choose(front, floor=0.0, errors=[simple, rich]) is front[0]


def test_a_real_lead_on_many_rows_is_kept():
    """4000 rows, the simpler formula off by 0.21 σ (RMS): 2 % over the best, 7 standard errors."""
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(4000)
    simple, rich = noise + 0.3 * np.sin(np.arange(4000)), noise
    front = _front([simple, rich])
    assert choose(front, floor=0.0, errors=[simple, rich]) is front[1]


def test_noise_free_data_ignore_the_paired_test():
    """Below the floor the best is exact: the paired test is not used."""
    simple = np.r_[np.zeros(39), 1e-3]  # one row off: a tiny mean against a large spread
    rich = np.zeros(40)
    front = _front([simple, rich + 1e-15])
    assert choose(front, floor=1e-9, errors=[simple, rich + 1e-15]) is front[1]


def test_within_noise_checks_its_input():
    with pytest.raises(ValueError, match="same length"):
        within_noise(np.zeros(3), np.zeros(4))
    assert not within_noise(np.r_[np.nan, 1.0, 2.0], np.ones(3))
    assert within_noise(np.ones(5), np.ones(5))

"""A geometric-series factor: a base with a scale, to an input's power, less one."""
import numpy as np
import pytest

from kanlab.discover._geometric import geometric_formulas

from _discover_support import best_found


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_loan_payment_with_a_scale_inside_the_base(noise):
    """L·(r/k)/(1 − (1 + r/k)^(−n)) with k = 4 payments a year: the scale is fitted."""
    law = lambda L, r, n: L * (r / 4) / (1 - (1 + r / 4) ** (-n))  # noqa: E731
    expr, err, _ = best_found(geometric_formulas, law, [(1e4, 5e4), (0.03, 0.12), (8, 80)],
                              "L r n", noise)
    assert err < (1e-8 if noise == 0 else 0.1 * noise), (expr, err)


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_annuity_future_value(noise):
    """P·((1 + r)^n − 1)/r: the factor multiplies, no scale, and a power law divides."""
    law = lambda P, r, n: P * ((1 + r) ** n - 1) / r  # noqa: E731
    expr, err, _ = best_found(geometric_formulas, law, [(100, 1000), (0.01, 0.1), (1, 30)],
                              "P r n", noise)
    assert err < (1e-8 if noise == 0 else 0.1 * noise), (expr, err)


def test_no_candidate_for_a_target_of_both_signs_or_one_input():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (100, 2))
    y = X[:, 0] - 1.5
    assert geometric_formulas(X[:60], y[:60], X[60:], y[60:], list("ab")) == []
    assert geometric_formulas(X[:60, :1], X[:60, 0], X[60:, :1], X[60:, 0], ["a"]) == []

"""Logs of differences of inputs in a sum, times an input or over one."""
import numpy as np
import pytest
import sympy

from kanlab.discover._log_sums import log_sum_formulas

from _discover_support import best_found


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_time_to_approach_a_level_over_a_rate(noise):
    """log((C0 − Cs)/(C − Cs))/k: the time a first-order process takes from C0 to C."""
    law = lambda k, C0, C, Cs: np.log((C0 - Cs) / (C - Cs)) / k  # noqa: E731
    expr, err, syms = best_found(log_sum_formulas, law,
                                 [(0.05, 0.5), (8, 10), (4, 7), (1, 3)], "k C0 C Cs", noise)
    assert err < (1e-8 if noise == 0 else 0.1 * noise), (expr, err)
    assert expr.has(sympy.log(syms[1] - syms[3])), expr


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_a_temperature_times_a_log_of_a_ratio_of_differences(noise):
    """0.0431·T·log((c1 − x)/(c2 − x)) (a concentration cell with a common offset)."""
    law = lambda T, c1, c2, x: 0.0431 * T * np.log((c1 - x) / (c2 - x))  # noqa: E731
    expr, err, _ = best_found(log_sum_formulas, law,
                              [(280, 320), (2, 4), (1, 1.5), (0.3, 0.8)], "T c1 c2 x", noise)
    assert err < (1e-8 if noise == 0 else 0.1 * noise), (expr, err)


def test_no_candidate_without_a_pair_of_like_inputs():
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(1, 2, 100), rng.uniform(1e3, 2e3, 100)]
    y = np.log(X[:, 0]) * X[:, 1]
    assert log_sum_formulas(X[:60], y[:60], X[60:], y[60:], sympy.symbols("a b")) == []

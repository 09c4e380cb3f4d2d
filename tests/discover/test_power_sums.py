"""A sum in which one input appears to a fitted power (empirical indices)."""
import pytest

from kanlab.discover._power_sums import power_sum_formulas

from _discover_support import best_found


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_index_with_a_fitted_power_and_a_product(noise):
    """5.2 + 1.3·P − 2.1·v^0.37 + 0.45·P·v^0.37: a power no term list holds."""
    law = lambda P, v: 5.2 + 1.3 * P - 2.1 * v ** 0.37 + 0.45 * P * v ** 0.37  # noqa: E731
    expr, err, _ = best_found(power_sum_formulas, law, [(0, 10), (1, 100)], "P v", noise)
    assert err < (1e-8 if noise == 0 else 0.1 * noise), (expr, err)


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_offset_power_law_of_three_inputs(noise):
    """0.3 + 0.8·a·b^(-0.72) + c: the power's input beside two others."""
    law = lambda a, b, c: 0.3 + 0.8 * a * b ** -0.72 + c  # noqa: E731
    expr, err, _ = best_found(power_sum_formulas, law, [(1, 3), (0.5, 20), (0, 2)], "a b c",
                              noise)
    assert err < (1e-8 if noise == 0 else 0.1 * noise), (expr, err)

"""Noise near 0: transforms of a positive target, and residuals that only look like noise."""
import numpy as np
import sympy

from kanlab.discover._constants import evaluate
from kanlab.discover._noise import looks_like_noise, neighbour_mean_z, neighbour_ratio
from kanlab.discover._sparse import structure_formulas


def test_a_few_values_flipped_below_zero_by_noise_still_allow_the_inverse_square():
    """``1/sqrt(1 + 39.5·u²)`` falls to 0.002 with noise 0.002 (1 % of std(y)): a few
    values are negative.  Every row of one sign was required before; the inverse square's
    weights (|y|³) leave those rows next to no say, and the law is found."""
    u = sympy.Symbol("u", positive=True)
    rng = np.random.default_rng(0)
    x = rng.uniform(10, 1e4, 1000) * rng.uniform(100, 1e4, 1000) * rng.uniform(1e-8, 1e-6, 1000)
    y = 1 / np.sqrt(1 + 39.5 * x ** 2)
    y = y + 0.01 * np.std(y) * rng.standard_normal(len(x))
    assert np.any(y < 0) and np.mean(y > 0) > 0.99
    X = x[:, None]
    out = structure_formulas(X[:700], y[:700], X[700:], y[700:], [u], transforms=("inv_square",))
    noise = 0.01 * np.std(y)
    errors = [np.sqrt(np.mean((evaluate(e, [u], X[700:]) - y[700:]) ** 2)) for e in out]
    assert errors and min(errors) < 1.2 * noise


def test_a_smooth_residual_of_six_inputs_is_not_noise():
    """Far neighbours in six dimensions: the nearest-neighbour ratio passes a smooth part of
    the residual (0.03 against noise 0.1); the mean of ten neighbours' residuals does not."""
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, (1600, 6))
    smooth = X[:, 0] * X[:, 1] + X[:, 2] - X[:, 3] * X[:, 4] * X[:, 5]
    r = 0.03 * (smooth - smooth.mean()) / smooth.std() + 0.1 * rng.standard_normal(1600)
    assert neighbour_ratio(X, r) >= 0.85  # the ratio test alone: "noise"
    assert neighbour_mean_z(X, r) > 4.0
    assert not looks_like_noise(X, r, z_limit=4.0)
    noise = rng.standard_normal(1600)
    assert abs(neighbour_mean_z(X, noise)) < 4.0
    assert looks_like_noise(X, noise, z_limit=4.0) == (neighbour_ratio(X, noise) >= 0.85)

"""The Padé search skips forms whose least squares are not finite instead of raising."""
import numpy as np

from kanlab.discover import _pade


def test_a_form_beyond_float64_is_skipped_not_raised():
    """r**k overflows for large r (an input offset by 300, squared and raised to the 4th):
    numpy's lstsq raised LinAlgError ('SVD did not converge') out of discover on the robust
    set's ideal_gas 'offset' case; the form is now simply not a candidate."""
    rng = np.random.default_rng(0)
    r = rng.uniform(1e80, 1e90, 200)
    t = rng.uniform(1, 2, 200)
    with np.errstate(all="ignore"):
        assert _pade._fit(t, r, (0, 1, 2, 3, 4), (1, 2)) is None


def test_a_finite_form_is_still_fitted():
    r = np.linspace(0.5, 3, 200)
    t = (1 + 2 * r) / (1 + 0.5 * r)
    p, q = _pade._fit(t, r, (0, 1), (1,))
    assert np.allclose(p, [1, 2], atol=1e-8) and np.allclose(q, [0.5], atol=1e-8)


def test_the_prefactor_of_non_finite_data_is_none():
    rng = np.random.default_rng(1)
    X = rng.uniform(1, 2, (100, 2))
    y = rng.uniform(1, 2, 100)
    y[0] = np.inf  # log|y| is not finite
    r = rng.uniform(1, 2, 100)
    with np.errstate(all="ignore"):
        assert _pade._prefactor(X, y, r, [0]) is None

"""``dominant_sign``: the one share-of-one-sign test of the log-space searches."""
import numpy as np
import pytest

from kanlab.discover._signs import dominant_sign


def _oracle(v, share):
    """Count the values of each sign by hand."""
    pos, neg = sum(x > 0 for x in v), sum(x < 0 for x in v)
    med = sorted(v)[len(v) // 2] if len(v) % 2 else 0.5 * sum(sorted(v)[len(v) // 2 - 1:][:2])
    if med > 0 and pos >= share * len(v):
        return 1.0
    if med < 0 and neg >= share * len(v):
        return -1.0
    return 0.0


@pytest.mark.parametrize("share", [0.8, 0.9, 1.0])
def test_matches_a_count_by_hand(share):
    """Random vectors with a varying share of negative values, against the hand count."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 30))
        v = rng.uniform(0.1, 1, n) * np.where(rng.uniform(size=n) < rng.uniform(), -1.0, 1.0)
        assert dominant_sign(v, share) == _oracle(list(v), share), (v, share)


def test_thresholds_and_edge_cases():
    """85 % positive passes 0.8 but not 0.9; zeros count against; a zero median is no sign."""
    v = np.r_[np.ones(85), -np.ones(15)]
    assert dominant_sign(v, 0.8) == 1.0 and dominant_sign(v, 0.9) == 0.0
    assert dominant_sign(-v, 0.8) == -1.0
    assert dominant_sign(np.r_[np.ones(9), 0.0], 0.9) == 1.0
    assert dominant_sign(np.r_[np.ones(9), 0.0]) == 0.0  # share 1: every value
    assert dominant_sign([0.0, 0.0, 1.0], 0.3) == 0.0

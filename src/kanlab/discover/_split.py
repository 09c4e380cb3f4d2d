"""The seeded train/validation/test split (60/20/20 unless a test file is given)."""
from __future__ import annotations

import numpy as np

__all__ = ["split_rows"]


def split_rows(n: int, seed: int, fractions=(0.6, 0.2, 0.2), has_test: bool = False):
    """``(train, validation, test)`` row indices of a seeded random permutation.

    With ``has_test`` the test rows come from elsewhere: the rows are split
    into training and validation only (in the ratio of the first two
    fractions) and ``test`` is empty.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    f_train, f_val, f_test = fractions
    if has_test:
        f_train, f_val, f_test = f_train / (f_train + f_val), f_val / (f_train + f_val), 0.0
    n_val = max(1, int(round(f_val * n)))
    n_test = 0 if has_test else max(1, int(round(f_test * n)))
    n_train = n - n_val - n_test
    if n_train < 2:
        raise ValueError(f"{n} rows are too few to split into training, validation and test")
    return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]

"""Seeded row selection: the split and the search subsample."""
import numpy as np
import pytest

from kanlab.discover._split import split_rows, subsample_rows


def test_split_rows_partitions_every_row_once():
    """Train, validation and test rows are disjoint and cover 0..n-1."""
    tr, va, te = split_rows(100, seed=3)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(100))
    assert (len(tr), len(va), len(te)) == (60, 20, 20)


def test_subsample_rows_keeps_all_rows_up_to_the_limit():
    """With no more rows than the limit, all come back in their order."""
    rows = np.array([9, 2, 5])
    assert subsample_rows(rows, 3, 0).tolist() == [9, 2, 5]
    assert subsample_rows(4, 10, 0).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("seed", [0, [7, 1000]])
def test_subsample_rows_is_a_sorted_seeded_draw_without_replacement(seed):
    """Beyond the limit: distinct members of ``rows``, sorted, the same for the same seed."""
    rows = np.arange(1000) * 3 + 1
    a, b = subsample_rows(rows, 50, seed), subsample_rows(rows, 50, seed)
    assert a.tolist() == b.tolist() and len(set(a.tolist())) == 50
    assert np.all(np.diff(a) > 0) and np.isin(a, rows).all()
    assert subsample_rows(rows, 50, 12345).tolist() != a.tolist()


def test_subsample_rows_of_a_count_draws_indices():
    """An int ``n`` stands for ``0..n-1``: the same draw as from ``np.arange(n)``."""
    assert subsample_rows(1000, 20, [1, 1000]).tolist() == \
        subsample_rows(np.arange(1000), 20, [1, 1000]).tolist()

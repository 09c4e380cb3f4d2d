"""The spline solvers give the same bits on any thread count, and leave the caller's count.

LAPACK's blocked QR and torch's batched products split their sums by thread: before, a
``refine`` from 10 to 20 intervals of a ``[4, 9, 1]`` model moved its coefficients by
~1e-7 between one and four threads, enough to send a chaotic fit → refine → fit loop
elsewhere (pykan's Example_3, G = 50 train RMSE 3 % apart on one and two threads).
"""
import torch

from kanlab import KAN
from kanlab.splines import solve_least_squares


def _on(threads, make):
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        out = make()
        return out, torch.get_num_threads()
    finally:
        torch.set_num_threads(previous)


def _refined(new_grid):
    def make():
        model = KAN([4, 9, 1], grid=10, seed=0)
        with torch.no_grad():  # splines far from the start's near-zero noise
            for layer in model.layers:
                layer.coef.copy_(torch.randn(layer.coef.shape, generator=torch.Generator().manual_seed(3)))
        return model.refine(new_grid).state_dict()
    return make


def test_refine_is_the_same_on_one_and_four_threads():
    for new_grid in (20, 50):
        one, after_one = _on(1, _refined(new_grid))
        four, after_four = _on(4, _refined(new_grid))
        assert (after_one, after_four) == (1, 4)  # the caller's setting is kept
        for name, value in one.items():
            assert torch.equal(value, four[name]), name


def test_least_squares_is_the_same_on_one_and_four_threads():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(8, 3000, 53, generator=g)
    y = torch.randn(8, 3000, 9, generator=g)
    one, _ = _on(1, lambda: solve_least_squares(a, y))
    four, after = _on(4, lambda: solve_least_squares(a, y))
    assert after == 4
    assert torch.equal(one, four)

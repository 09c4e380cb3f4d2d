"""Patterns from the seventh round of pykan code (``benchmarks/pykan_user_cases/round7_api.py``,
``round7_state.py``): ``kan.hypothesis.test_symmetry_var`` returns pykan's per-row cosines."""
import contextlib
import io

import sympy
import torch

from kanlab.pykan import hypothesis


def test_symmetry_var_returns_per_row_cosines():
    """pykan returns each row's ``|cos|`` (shape ``(N,)``) and prints the share above 0.9
    (was: the share, a 0-d tensor, so ``cossim.mean()`` or a histogram of it was wrong)."""
    f = lambda x: x[:, [0]] * (x[:, [1]] + x[:, [2]])  # noqa: E731
    x = torch.normal(0, 1, size=(100, 3), generator=torch.Generator().manual_seed(0))
    a, b, c = sympy.symbols("a b c")
    with contextlib.redirect_stdout(io.StringIO()) as out:
        same = hypothesis.test_symmetry_var(f, x, [a, b, c], b + c)
        other = hypothesis.test_symmetry_var(f, x, [a, b, c], b * c)
    assert same.shape == (100,) and other.shape == (100,)
    assert torch.allclose(same, torch.ones(100), atol=1e-5)
    assert float(other.min()) >= 0.0 and float(other.max()) <= 1.0 + 1e-6
    assert float((other > 0.9).float().mean()) < 0.9
    assert "suggesting symmetry" in out.getvalue()

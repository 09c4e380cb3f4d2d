"""kanlab.pykan's helpers that evaluate user formulas (``augment_input``, ``test_symmetry_var``)
take an exact integer beyond Python's int-to-text limit (4300 digits by default): sympy's
``lambdify`` prints the formula as code and fails there; kanlab's tree walk prints nothing."""
import sympy
import torch

from kanlab.pykan import hypothesis
from kanlab.pykan.utils import augment_input

BIG = sympy.Integer(10) ** 5000
a, b, c = sympy.symbols("a b c")


def _x(n, d, seed):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_augment_input_with_a_huge_exact_rational():
    x = _x(16, 2, seed=0) + 2
    scale = sympy.Rational(BIG + 1, BIG)  # 1 + 1e-5000: 1.0 in float64
    out = augment_input([a, b], [scale * a / b, a + b], x)
    assert out.shape == (16, 4)
    torch.testing.assert_close(out[:, 0], x[:, 0] / x[:, 1])
    torch.testing.assert_close(out[:, 1], x[:, 0] + x[:, 1])
    torch.testing.assert_close(out[:, 2:], x)
    data = augment_input([a, b], [scale * a], {"train_input": x, "test_input": x[:4]})
    torch.testing.assert_close(data["test_input"][:, 0], x[:4, 0])


def test_symmetry_var_with_a_huge_exact_rational():
    ratio = lambda z: z[:, [0]] * torch.sqrt(1 + (z[:, [1]] / z[:, [2]]) ** 2)  # noqa: E731
    x3 = _x(100, 3, seed=2)
    scale = sympy.Rational(BIG + 1, BIG)
    assert float((hypothesis.test_symmetry_var(ratio, x3, [a, b, c], scale * b / c) > 0.9)
                 .float().mean()) > 0.9
    assert float((hypothesis.test_symmetry_var(ratio, x3, [a, b, c], scale * b * c) > 0.9)
                 .float().mean()) < 0.9

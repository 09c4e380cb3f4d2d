"""The sparsity penalty's entropy as one autograd node agrees with the recorded operations."""
import pytest
import torch

from kanlab.train._entropy import _EntropyFunction, entropy, reference_entropy

F64 = torch.float64


def _magnitudes(seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    m = torch.rand(4, 3, generator=g, dtype=F64) * 2
    m[0, 1] = 0.0  # a pruned edge
    m[:, 2] = 0.0  # an input whose edges all vanished: p = 0 along dim 0 for it
    m[3] = 0.0  # a node whose edges all vanished: sum 0 along dim 1
    return m


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("mass", [0.0, 1.0])
def test_value_and_gradient_match_the_reference(dim, mass):
    for seed in range(3):
        m = _magnitudes(seed)
        a, b = m.clone().requires_grad_(), m.clone().requires_grad_()
        fused, ref = entropy(a, dim, mass), reference_entropy(b, dim, mass)
        assert fused.grad_fn is not None and "Entropy" in type(fused.grad_fn).__name__
        assert torch.equal(fused, ref)  # the same operations: equal to the bit
        weight = torch.tensor(0.7, dtype=F64)
        (fused * weight).backward()
        (ref * weight).backward()
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-12, atol=1e-15)


def test_gradcheck_and_second_derivative():
    m = (torch.rand(3, 5, dtype=F64, generator=torch.Generator().manual_seed(1)) + 0.1)
    m.requires_grad_()
    for dim, mass in ((0, 0.0), (1, 1.0)):
        assert torch.autograd.gradcheck(lambda t: _EntropyFunction.apply(t, dim, mass), (m,))
        assert torch.autograd.gradgradcheck(lambda t: _EntropyFunction.apply(t, dim, mass), (m,))


def test_negative_or_constant_input_takes_the_recorded_route():
    m = torch.tensor([[0.5, -0.2], [0.3, 0.1]], dtype=F64, requires_grad=True)
    out = entropy(m, 1)
    assert "Entropy" not in type(out.grad_fn).__name__
    assert torch.equal(out, reference_entropy(m, 1))
    plain = torch.rand(2, 3, dtype=F64)
    assert entropy(plain, 0).grad_fn is None
    assert torch.equal(entropy(plain, 0), reference_entropy(plain, 0))

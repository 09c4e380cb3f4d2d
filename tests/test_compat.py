"""kanlab._compat.Function: torch's Function semantics, without its per-call binding."""
import inspect

import pytest
import torch

from kanlab._compat import Function


class Cube(Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x, scale):
        return scale * x ** 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, scale = inputs
        ctx.save_for_backward(x)
        ctx.scale = scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * ctx.scale * x ** 2, None


def test_apply_skips_signature_binding(monkeypatch):
    """Outside torch.func transforms, apply runs forward, setup_context and backward
    without binding the arguments (inspect's bind made to fail would break torch's)."""
    def no_bind(*args, **kwargs):
        raise AssertionError("Signature.bind called")

    monkeypatch.setattr(inspect.Signature, "bind", no_bind)
    x = torch.linspace(-1, 1, 5, dtype=torch.float64, requires_grad=True)
    y = Cube.apply(x, 2.0)
    torch.testing.assert_close(y, 2 * x.detach() ** 3)
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, 6 * x.detach() ** 2)
    with pytest.raises(AssertionError, match="bind"):  # torch's own apply binds
        torch.autograd.Function.apply.__func__(Cube, x, 2.0)


def test_apply_under_transforms():
    """Under torch.func transforms apply defers to torch's (custom_function_call)."""
    x = torch.linspace(-1, 1, 5, dtype=torch.float64)
    g = torch.func.vmap(torch.func.grad(lambda t: Cube.apply(t, 2.0)))(x)
    torch.testing.assert_close(g, 6 * x ** 2)

"""``torch.func`` over stacked layers (``stack_module_state`` + ``vmap(functional_call)``,
the ensembling recipe): the knots are batched too, so the continuations beyond the grid may
neither branch on them nor keep tables made from them."""
from __future__ import annotations

import copy

import pytest
import torch
from torch.func import functional_call, stack_module_state, vmap

from _continued_layers import continued_layer


@pytest.mark.parametrize("extrapolate", ["linear", "quadratic", "extended", "extended_quadratic",
                                         "tapered", "bounded"])
def test_vmap_over_stacked_layers_matches_each_layer(extrapolate):
    layers = [continued_layer(extrapolate, seed=s) for s in range(3)]
    params, buffers = stack_module_state(layers)
    base = copy.deepcopy(layers[0])
    x = torch.linspace(-2.5, 2.5, 21, dtype=torch.float64)[:, None].repeat(1, 3)

    def one(p, b, xx):
        return functional_call(base, (p, b), (xx,))
    out = vmap(one, in_dims=(0, 0, None))(params, buffers, x)
    with torch.no_grad():
        ref = torch.stack([layer(x) for layer in layers])
    torch.testing.assert_close(out.detach(), ref)
    # eagerly afterwards: no batched knot table was kept on the base layer
    with torch.no_grad():
        torch.testing.assert_close(base(x), layers[0](x))

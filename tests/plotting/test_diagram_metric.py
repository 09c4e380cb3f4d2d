"""pykan's plot metrics in the KAN diagram (edge shading by forward spread or attribution)."""
import pytest
import torch

import kanlab
from kanlab.plotting._diagram import _edge_curves


def test_forward_metrics_shade_by_edge_spread():
    model = kanlab.KAN([2, 3, 1], grid=4, seed=0, dtype=torch.float64)
    x = torch.rand(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1
    _, inputs = model.forward_with_inputs(x)
    for metric in ("forward_u", "forward_n"):
        curves = _edge_curves(model, x, 3.0, metric)
        for layer, xl, (_, _, alpha, _) in zip(model.layers, inputs, curves):
            std = layer.edge_values(xl).std(0, unbiased=False)
            if metric == "forward_n":
                std = std / (xl.std(0, unbiased=False) + 0.1)
            expected = torch.tanh(3.0 * std / std.max())
            torch.testing.assert_close(torch.as_tensor(alpha), expected)
    backward = _edge_curves(model, x, 3.0, "backward")[0][2]
    assert not torch.allclose(torch.as_tensor(backward), torch.as_tensor(
        _edge_curves(model, x, 3.0, "forward_u")[0][2]))
    with pytest.raises(ValueError, match="metric"):
        _edge_curves(model, x, 3.0, "sideways")

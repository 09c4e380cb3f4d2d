"""kanlab.pykan's fit goes on in float64 where float32 L-BFGS stalls (a flat valley whose
float32 gradient is a few per cent off), and hands the model back in float32
(``FitConfig.float64_when_stalled``, :mod:`kanlab.train._precision`)."""
from __future__ import annotations

import torch

from kanlab import pykan
from kanlab.pykan.utils import batch_jacobian


def _normalised_gradient(model, x):
    grad = batch_jacobian(model, x, create_graph=True)
    return grad / torch.linalg.norm(grad, dim=1, keepdim=True)


def test_a_float32_fit_that_stalls_goes_lower_and_stays_float32():
    """[2, 1] whose input gradient must be orthogonal to a rotation (a conserved quantity):
    in float32 the loss stops moving from step 1 (train loss 2.71e-4 at every later step
    before this change); in float64 from the stall it goes on down (1.3e-5 after 10 steps)."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(300, 2, generator=g) * 2 - 1
    flow = torch.cat([x[:, [1]], -x[:, [0]]], dim=1)
    data = {"train_input": x[:240], "train_label": flow[:240], "test_input": x[240:],
            "test_label": flow[240:]}
    model = pykan.KAN(width=[2, 1], seed=0, auto_save=False)

    def loss_fn(pred, f):
        return torch.mean(torch.sum(f * pred, dim=1) ** 2)

    results = model.fit(data, steps=10, log=0, pred_fn=_normalised_gradient, loss_fn=loss_fn)
    losses = results["train_loss"]
    assert losses[-1] < losses[2] / 5, losses  # the float32 stall is at steps 1-9
    assert model.dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in model.parameters())
    # the reported loss is the float32 model's own
    again = float(torch.sqrt(loss_fn(_normalised_gradient(model, data["train_input"]),
                                     data["train_label"])).detach())
    assert abs(again / losses[-1] - 1) < 1e-3, (again, losses[-1])

"""Grid updates that carry the network's function (``update_grid(carry=True)``).

:func:`kanlab.nn.update_grid` refits every layer on its new knots.  Each layer
keeping its own function is not enough for a deep network: the refit error of a
layer changes the next layer's inputs, and the layers above amplify it (a
``[1, 1, 1, 1]`` chain's training RMSE rose from 1.8e-3 to 1.9e-2 at one update).
With carry, the layers above the first aim at what they gave the samples'
*old* inputs, so each absorbs the error of the layers below.
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["carry_targets"]


def carry_targets(layer, coef: Tensor, x: Tensor, x_before: Tensor, lo: Tensor, hi: Tensor,
                  values: Tensor) -> Tensor:
    """Refit targets that carry the network's function, not only the layer's.

    ``coef`` ``(in, n_basis, out)`` are the layer's spline coefficients per input, ``x``
    ``(n, in)`` the layer's inputs after the layers below were updated,
    ``x_before`` the same samples' inputs before; ``values`` ``(n + S, in, out)`` the
    spline's old values at the refit's samples (``n`` data rows first).  On the data rows
    whose new input lies in the new base interval, the target is what the edge gave the
    old input, less the change of its base term: the refit then absorbs the refit error
    of the layers below, which a deep chain would otherwise amplify.  ``lo``, ``hi`` ``(in, 1)``
    bound the new base interval; rows outside it keep ``values``.
    """
    n = x.shape[0]
    target = layer.edge_basis.sample(x_before, layer.knots, coef, layer.k, layer.extrapolate)
    if layer.base_fun is not None:
        sp = layer.scale_sp.t()  # (in, out)
        ok = sp.abs() > torch.finfo(sp.dtype).tiny
        ratio = torch.where(ok, layer.scale_base.t() / torch.where(ok, sp, 1.0), 0.0)
        target = target + (layer.base_fun(x_before) - layer.base_fun(x))[..., None] * ratio
    inside = ((x >= lo.t()) & (x <= hi.t()))[..., None]  # (n, in, 1)
    rows = torch.where(inside & torch.isfinite(target), target, values[:n])
    return torch.cat([rows, values[n:]])

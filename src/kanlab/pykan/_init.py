"""pykan's initialisation, drawn from torch's global generator in pykan's order.

pykan's ``KAN(seed=s)`` seeds the global generators and then, layer by layer,
draws ``(G + 1, in, out)`` uniform values (noise of width ``noise_scale / G``
at the ``G + 1`` grid points), takes as coefficients the least-squares
spline through them (the minimum-norm one: there are ``G + k`` coefficients
for ``G + 1`` points), and draws ``(in, out)`` uniform base scales.  Drawing
the same numbers in the same order gives, for a seed, pykan's very starting
point, and leaves the global generator where pykan leaves it, so data a
notebook draws after building its model are pykan's data too.  The native
:class:`kanlab.nn.KAN` keeps its own initialisation from a private generator.
"""
from __future__ import annotations

import math

import torch

from kanlab.pykan._views import sparse_mask
from kanlab.splines import bspline_basis

__all__ = ["initialise_like_pykan"]


def _min_norm_coefficients(knots, k: int, noise):
    """Coefficients ``(in, out, G + k)`` of the minimum-norm splines through ``noise``
    ``(G + 1, in, out)`` at the grid points ``knots[:, k:-k]``."""
    knots = knots.to(torch.float64)
    points = knots[:, k:knots.shape[1] - k]  # (in, G + 1)
    basis = bspline_basis(points, knots.unsqueeze(1), k)  # (in, G + 1, G + k)
    rhs = noise.to(torch.float64).permute(1, 0, 2)  # (in, G + 1, out)
    return torch.linalg.pinv(basis) @ rhs  # (in, G + k, out)


@torch.no_grad()
def initialise_like_pykan(model, noise_scale: float, scale_base_mu: float,
                          scale_base_sigma: float, sparse_init: bool) -> None:
    """Redraw every B-spline layer's ``coef``, ``scale_base``, ``scale_sp`` (and, with
    ``sparse_init``, ``mask``) from the global generator as pykan 0.2.8 does (module doc).

    The draws are made in the default dtype (pykan's) and cast to the model's.
    """
    dtype = torch.get_default_dtype()
    for layer in model.layers:
        knots = getattr(layer, "knots", None)
        if knots is None or getattr(layer, "basis_name", "bspline") != "bspline":
            continue
        n_in, n_out, grid, k = layer.in_features, layer.out_features, layer.grid, layer.k
        noise = (torch.rand(grid + 1, n_in, n_out, dtype=dtype) - 0.5) * noise_scale / grid
        coef = _min_norm_coefficients(knots, k, noise)
        if coef.shape[1] != layer.coef.shape[-1]:
            continue  # not a plain B-spline coefficient layout
        layer.coef.copy_(coef.permute(2, 0, 1).to(layer.coef))
        if sparse_init:
            layer.mask.copy_(sparse_mask(n_in, n_out).to(layer.mask))
        spread = torch.rand(n_in, n_out, dtype=dtype) * 2 - 1
        base = (scale_base_mu + scale_base_sigma * spread) / math.sqrt(n_in)
        layer.scale_base.copy_(base.T.to(layer.scale_base) * layer.mask)
        layer.scale_sp.fill_(1.0 / math.sqrt(n_in)).mul_(layer.mask)

"""``kan.KANLayer``: pykan's standalone spline layer on :class:`kanlab.nn.KANLayer`.

Users build their own networks from it (``from kan.KANLayer import KANLayer``) and call it
as pykan does: ``y, preacts, postacts, postspline = layer(x)``.  The layer holds a
kanlab layer (``layer.native``) and shows it under pykan's names and shapes: ``grid``
(the knots, ``(in, G + 2k + 1)``), ``coef`` ``(in, out, G + k)``, ``scale_base``,
``scale_sp`` and ``mask`` ``(in, out)`` (views: writing into them writes the layer).

Differences from pykan: the initial coefficients are kanlab's draw (uniform noise of the
same size, not a least-squares fit of it); beyond the grid the spline continues as
``extrapolate`` says (kanlab.pykan's default ``"quadratic"``; ``"extended"`` is pykan's).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from kanlab.nn import KANLayer as _NativeLayer
from kanlab.nn import update_layer_grid
from kanlab.pykan import _legacy
from kanlab.pykan._views import sparse_mask

__all__ = ["KANLayer"]

# pykan passes its base function as a module; kanlab's kernels know these by name
_BASE_BY_TYPE = {nn.SiLU: "silu", nn.GELU: "gelu", nn.Tanh: "tanh", nn.Identity: "identity"}


def _base_fun(base_fun):
    return _BASE_BY_TYPE.get(type(base_fun), base_fun)


class KANLayer(nn.Module):
    """pykan's ``KANLayer(in_dim, out_dim, num, k, ...)``; ``forward`` returns
    ``(y, preacts, postacts, postspline)``: ``y`` ``(B, out)``, the others ``(B, out, in)``.

    ``num`` is the number of grid intervals, ``k`` the spline degree.  ``save_plot_data`` is
    accepted (the per-edge tensors are always returned, as pykan's).
    """

    def __init__(self, in_dim=3, out_dim=2, num=5, k=3, noise_scale=0.5, scale_base_mu=0.0,
                 scale_base_sigma=1.0, scale_sp=1.0, base_fun=torch.nn.SiLU(), grid_eps=0.02,
                 grid_range=(-1, 1), sp_trainable=True, sb_trainable=True,
                 save_plot_data=True, device="cpu", sparse_init=False,
                 extrapolate="quadratic", dtype=None):
        super().__init__()
        self.native = _NativeLayer(
            int(in_dim), int(out_dim), int(num), int(k), grid_range=tuple(grid_range),
            base_fun=_base_fun(base_fun), noise_scale=float(noise_scale),
            scale_base_mu=float(scale_base_mu), scale_base_sigma=float(scale_base_sigma),
            scale_sp=float(scale_sp), extrapolate=extrapolate,
            device=_legacy.available_device(device), dtype=dtype)
        self.grid_eps = float(grid_eps)
        self.save_plot_data = bool(save_plot_data)
        if sparse_init:
            with torch.no_grad():
                mask = sparse_mask(self.in_dim, self.out_dim).to(self.native.mask)
                self.native.mask.copy_(mask)
                self.native.scale_base.mul_(mask)
                self.native.scale_sp.mul_(mask)
        self.native.scale_sp.requires_grad_(bool(sp_trainable))
        self.native.scale_base.requires_grad_(bool(sb_trainable))

    in_dim = property(lambda self: self.native.in_features)
    out_dim = property(lambda self: self.native.out_features)
    num = property(lambda self: self.native.grid, doc="grid intervals ``G``")
    k = property(lambda self: self.native.k)
    grid = property(lambda self: self.native.knots, doc="knots ``(in, G + 2k + 1)``")
    coef = property(lambda self: self.native.coef.permute(1, 0, 2), doc="``(in, out, G + k)``")
    scale_base = property(lambda self: self.native.scale_base.t(), doc="``(in, out)``")
    scale_sp = property(lambda self: self.native.scale_sp.t(), doc="``(in, out)``")
    mask = property(lambda self: self.native.mask.t(), doc="``(in, out)``")

    def forward(self, x: Tensor):
        """``x`` ``(B, in)`` -> ``(y, preacts, postacts, postspline)`` as pykan's."""
        layer = self.native
        x = x.to(layer.coef.dtype) if x.is_floating_point() else x
        feats = layer.features(x)  # (B, in, S): the base function first when there is one
        weight = layer.feature_weight()  # (out, in, S), masked
        postacts = torch.einsum("bif,oif->boi", feats, weight)  # every edge's output
        y = postacts.sum(-1)
        spline = feats[..., feats.shape[-1] - layer.n_basis:]  # (B, in, G + k)
        postspline = torch.einsum("bif,oif->boi", spline, layer.coef)  # before scale_sp
        preacts = x[:, None, :].expand(x.shape[0], self.out_dim, self.in_dim)
        return y, preacts, postacts, postspline

    @torch.no_grad()
    def update_grid_from_samples(self, x: Tensor, mode: str = "sample") -> None:
        """Move the knots to the samples ``x`` ``(B, in)`` and refit the splines to keep them."""
        update_layer_grid(self.native, x.to(self.native.coef.dtype), grid_eps=self.grid_eps)

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, out_dim={self.out_dim}, num={self.num}, k={self.k}"

"""pykan's ``model.act_fun[l] = KANLayer(...)``, ``model.symbolic_fun[l] = Symbolic_KANLayer(...)``.

pykan's model keeps its layers in ``nn.ModuleList`` s, so pykan code swaps a layer by
assigning into them.  :class:`kanlab.pykan.KAN` computes with kanlab's own layers, so an
assignment copies the new layer's state into layer ``l`` in place: for a spline layer its
knots, coefficients (``num`` may differ), ``scale_base``, ``scale_sp``, ``mask`` and whether
each trains; for a symbolic layer its mask, functions and constants.  What the model's levels
fix must match (the numbers of inputs and outputs, and for splines the degree ``k`` and the
base function) or a ``ValueError`` says what layer ``l`` takes.  The layer keeps the model's
continuation beyond its grid (``extrapolate``).  A symbolic layer's mask weighs its edges and
an edge switched on without a function adds its ``d`` (pykan's layer computes so): the model
then computes what the layer does (:mod:`kanlab.pykan._symbolic_front`).  The source is a :class:`kanlab.pykan.KANLayer`
/ :class:`kanlab.pykan.Symbolic_KANLayer`, or another model's ``act_fun[l]`` /
``symbolic_fun[l]``; it is copied, not shared.
"""
from __future__ import annotations

import torch

from kanlab.nn import KANLayer as _EngineLayer
from kanlab.nn._symbolic_edges import SymbolicEdges
from kanlab.pykan._args import engine_base
from kanlab.pykan._symbolic_front import as_selecting_mask
from kanlab.pykan._views import SplineView, SymbolicView

__all__ = ["assign_spline", "assign_symbolic"]


def _spline_state(new) -> dict:
    """``new``'s state in kanlab's layout: knots ``(in, G + 2k + 1)``, coef ``(out, in, G + k)``,
    scales and mask ``(out, in)``."""
    from kanlab.pykan.KANLayer import KANLayer
    eps = getattr(new, "grid_eps", None)  # pykan's per-layer grid_eps travels with the layer
    if isinstance(new, SplineView):
        new = new._layer
    if isinstance(new, KANLayer):
        return {"eps": eps, "in": new.in_dim, "out": new.out_dim, "k": new.k, "base": engine_base(new.base_fun),
                "basis": "bspline", "knots": new.grid, "coef": new.coef.permute(1, 0, 2),
                "scale_base": new.scale_base.t(), "scale_sp": new.scale_sp.t(),
                "mask": new.mask.t()}
    if isinstance(new, _EngineLayer):
        return {"eps": eps, "in": new.in_features, "out": new.out_features, "k": new.k,
                "base": new.base_fun if new.base_fun_name == "custom" else new.base_fun_name,
                "basis": new.basis_name, "knots": new.knots, "coef": new.coef,
                "scale_base": new.scale_base, "scale_sp": new.scale_sp, "mask": new.mask}
    raise TypeError(f"act_fun[l] takes a kanlab.pykan.KANLayer (or another model's act_fun[l]), "
                    f"got {type(new).__name__}")


@torch.no_grad()
def assign_spline(layer: _EngineLayer, new, l: int) -> None:
    """Copy ``new`` into the model's spline layer ``l`` (``model.act_fun[l] = new``)."""
    s = _spline_state(new)
    base = layer.base_fun if layer.base_fun_name == "custom" else layer.base_fun_name
    if (s["in"], s["out"]) != (layer.in_features, layer.out_features):
        raise ValueError(f"act_fun[{l}] maps {layer.in_features} inputs to {layer.out_features} "
                         f"outputs (subnodes): assign KANLayer(in_dim={layer.in_features}, "
                         f"out_dim={layer.out_features}, ...), got in_dim={s['in']}, "
                         f"out_dim={s['out']}")
    if s["k"] != layer.k or s["basis"] != layer.basis_name:
        raise ValueError(f"act_fun[{l}] has {layer.basis_name} splines of degree k={layer.k}: "
                         f"assign a layer with k={layer.k}, got {s['basis']} k={s['k']}")
    if s["base"] is not base and s["base"] != base:
        raise ValueError(f"act_fun[{l}]'s base function is {layer.base_fun_name!r}: assign a "
                         f"layer with the same base_fun, got {s['base']!r}")
    layer.set_grid(s["knots"].detach().to(layer.knots), s["coef"].detach().to(layer.coef))
    layer.coef.requires_grad_(s["coef"].requires_grad)
    for name in ("scale_base", "scale_sp"):
        getattr(layer, name).copy_(s[name])
        getattr(layer, name).requires_grad_(s[name].requires_grad)
    layer.mask.copy_(s["mask"])
    if s["eps"] is not None:
        layer.grid_eps = float(s["eps"])


@torch.no_grad()
def assign_symbolic(sym: SymbolicEdges, new, l: int) -> None:
    """Copy ``new`` into the model's symbolic layer ``l`` (``model.symbolic_fun[l] = new``)."""
    if isinstance(new, SymbolicView):
        new = new._sym
    if not isinstance(new, SymbolicEdges):
        raise TypeError(f"symbolic_fun[l] takes a kanlab.pykan.Symbolic_KANLayer (or another "
                        f"model's symbolic_fun[l]), got {type(new).__name__}")
    if (new.in_features, new.out_features) != (sym.in_features, sym.out_features):
        raise ValueError(f"symbolic_fun[{l}] maps {sym.in_features} inputs to "
                         f"{sym.out_features} outputs (subnodes): assign Symbolic_KANLayer("
                         f"in_dim={sym.in_features}, out_dim={sym.out_features}), got "
                         f"in_dim={new.in_features}, out_dim={new.out_features}")
    sym.mask.copy_(new.mask)
    sym.code.copy_(new.code)
    sym.affine.copy_(new.affine)
    sym.custom = dict(new.custom)
    as_selecting_mask(sym)  # the layer's mask weighs its edges (pykan's); the model's selects

"""pykan's activation caches (``acts``, ``spline_preacts``, ``acts_scale``, ...), on demand.

pykan's forward pass stores, for the last batch it saw, every level's values and
every edge's input and output; tutorials read them to plot or rank edges.  kanlab
keeps only the last input (``reference_input``) and rebuilds the caches from it
when one is read, so training never pays for them.  Shapes follow pykan:

* ``acts[l]``: ``(B, width_in[l])``, the node values of level ``l`` (``acts[0]`` the input);
* ``acts_premult[l]``: ``(B, width_out[l + 1])``, layer ``l``'s subnode values;
* ``spline_preacts[l]``, ``spline_postacts[l]``: ``(B, out, in)``, every edge's input and
  output (spline, base and symbolic parts, masked);
* ``spline_postsplines[l]``: ``(B, out, in)``, every edge's bare spline ``Σ c·B(x)`` (before
  ``scale_sp`` and the mask);
* ``edge_actscale[l]``: ``(out, in)``, the std of each edge's output over the batch;
* ``acts_scale[l]``: that std over ``std(input) + 0.1`` (pykan's edge scale), and
  ``acts_scale_spline[l]`` the same for the spline part alone;
* ``subnode_actscale[l]``: ``(width_out[l + 1],)``, the std of each subnode.

They can be assigned, as pykan's plain attributes (users put back caches they saved
around an evaluation, or load them from a checkpoint dict): an assigned value is what is
read until the model sees another input or a parameter changes, as pykan's next forward
pass overwrites it.  ``cache_data = x`` makes ``x`` the last input seen.
"""
from __future__ import annotations

import weakref

import torch
from torch import Tensor

__all__ = ["activations", "ACT_NAMES", "ActivationCaches", "assigned_input"]

ACT_NAMES = ("acts", "acts_premult", "spline_preacts", "spline_postacts", "spline_postsplines",
             "edge_actscale", "acts_scale", "acts_scale_spline", "subnode_actscale")


@torch.no_grad()
def _edge_outputs(model, l: int, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Layer ``l``'s edge outputs on ``x``, ``(B, out, in)``: all parts, the spline part, and
    the bare splines."""
    from kanlab.pykan._views import edge_parts
    layer, symbolic = model.layers[l], model.symbolic[l]
    spline, bare = edge_parts(layer, x)
    return spline + symbolic.dense_outputs(x), spline, bare


@torch.no_grad()
def activations(model, x: Tensor) -> dict[str, list[Tensor]]:
    """Every cache of :data:`ACT_NAMES` for the batch ``x`` ``(B, width_in[0])``."""
    out: dict[str, list[Tensor]] = {name: [] for name in ACT_NAMES}
    out["acts"].append(x)

    def run(l: int, h: Tensor) -> Tensor:
        sub = model.layer_output(l, h)
        total, spline, bare = _edge_outputs(model, l, h)
        spread = h.std(0) + 0.1  # (in,): pykan's divisor
        # after the subnode affine map (affine_trainable), as pykan's; the spread before it
        out["acts_premult"].append(sub if model.affines is None else model.affines[l].subnodes(sub))
        out["subnode_actscale"].append(sub.std(0))
        out["spline_preacts"].append(h.unsqueeze(1).expand(-1, total.shape[1], -1))
        out["spline_postacts"].append(total)
        out["spline_postsplines"].append(bare)
        out["edge_actscale"].append(total.std(0))
        out["acts_scale"].append(total.std(0) / spread)
        out["acts_scale_spline"].append(spline.std(0) / spread)
        return sub

    y = x
    for l in range(model.depth):
        y = model.multiply(l + 1, run(l, y))
        out["acts"].append(y)
    return out


# model -> (key, caches); kept off the model, so copies and checkpoints never carry them
_HELD: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


# model -> (last input, versions, {name: value}): caches assigned by the user
_ASSIGNED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _versions(model) -> tuple:
    return (tuple(p._version for p in model.parameters()), tuple(b._version for b in model.buffers()))


def _cached(model) -> dict[str, list[Tensor]]:
    """The caches for the last input the model saw, rebuilt when it or a parameter changed."""
    x = model._data(None)
    key = (id(x), *_versions(model))
    held = _HELD.get(model)
    if held is None or held[0] != key:
        held = (key, activations(model, x))
        _HELD[model] = held
    return held[1]


def _assigned(model) -> dict:
    """The caches assigned since the model last saw an input or changed (else empty)."""
    held = _ASSIGNED.get(model)
    fresh = held is not None and held[0] is getattr(model, "reference_input", None) \
        and held[1] == _versions(model)
    return held[2] if fresh else {}


def _assign(model, name: str, value) -> None:
    _ASSIGNED[model] = (getattr(model, "reference_input", None), _versions(model),
                        {**_assigned(model), name: value})


def _read(model, name: str):
    assigned = _assigned(model)
    if name in assigned:
        return assigned[name]
    if name == "acts" and getattr(model, "reference_input", None) is None:
        return None  # pykan's ``acts`` before any forward pass
    return _cached(model)[name]


def assigned_input(model):
    """The batch behind caches assigned to a model that has seen no input itself (a fresh
    model given a checkpoint's ``acts`` or ``spline_preacts``, as pykan's plain attributes
    are), or ``None``: ``acts[0]`` is that batch, and every row of ``spline_preacts[0]``."""
    assigned = _assigned(model)
    acts, pre = assigned.get("acts"), assigned.get("spline_preacts")
    if isinstance(acts, (list, tuple)) and acts and isinstance(acts[0], Tensor) and acts[0].dim() == 2:
        return acts[0].detach()
    if isinstance(pre, (list, tuple)) and pre and isinstance(pre[0], Tensor) and pre[0].dim() == 3:
        return pre[0][:, 0, :].detach()
    return None


def _reader(name: str):
    return property(lambda self: _read(self, name), lambda self, value: _assign(self, name, value),
                    doc=f"pykan's ``{name}`` for the last input seen (see :mod:`kanlab.pykan._acts`)")


class ActivationCaches:
    """Mixin: pykan's activation caches as properties, and ``cache_data``."""

    @property
    def cache_data(self):
        """The last input the model saw (pykan's ``cache_data``).  Right after ``prune_input``
        it is the data the pruned model was made from, with all its columns, as pykan's
        (``model.cache_data[:, model.input_id]`` are the kept ones); after the next forward
        pass, the kept columns of what it saw, as pykan's."""
        x = getattr(self, "reference_input", None)
        wide = getattr(self, "wide_input", None)  # (all columns, the kept ones): prune_input
        return wide[0] if wide is not None and wide[1] is x else x

    @cache_data.setter
    def cache_data(self, x) -> None:
        """``model.cache_data = x``: ``x`` becomes the last input seen (pykan's ``prune`` and
        ``attribute`` run on it)."""
        if x is not None and not isinstance(x, Tensor):
            raise TypeError(f"cache_data is a tensor (batch, inputs) or None, got {type(x).__name__}")
        self.reference_input = None if x is None else x.detach()
        self.wide_input = None


for _name in ACT_NAMES:
    setattr(ActivationCaches, _name, _reader(_name))

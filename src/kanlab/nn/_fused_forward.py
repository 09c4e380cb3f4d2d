"""Which KAN forward passes run as one fused node, and running them.

:meth:`kanlab.nn.KAN.forward` first asks :func:`fused_forward`; when it returns
``None`` the model runs layer by layer (:meth:`~kanlab.nn.KAN.forward_layers`).
The fused path (:mod:`kanlab.ops._small_network`) computes exactly what the
layer-by-layer path computes with the C++ kernels, the same rows kernels, so it
is used exactly where that path would run them on every layer and nothing else
of the layer-by-layer pass would be skipped.  :func:`fused_reason` names the
first condition that fails:

* the C++ kernels are on (``config`` ``kernels``, the extension loaded), the
  strategy is ``"auto"`` or ``"rows"``, and nothing is being traced or
  transformed (``torch.compile``, ``torch.jit``, ``torch.func``, forward-mode AD,
  fake tensors);
* ``x`` is a dense ``(B, in)`` CPU tensor of the model's dtype (float32 or
  float64) with ``B > 0`` (other shapes, and bad inputs, go the per-layer way,
  which raises the usual errors);
* the model is a plain stack: no multiplication nodes, no active symbolic
  edges, no forward hooks on its layers, and neither the model's class nor the
  layers' override the methods of the per-layer pass;
* every layer is a B-spline layer with a kernel base function, degree at most
  3, ``extrapolate`` other than ``"quadratic"``, and at most
  :data:`~kanlab.ops._strategies.ROWS_MAX_OUT` outputs: the layers on which the
  cost model picks the rows kernels anyway, so the fused path runs the same
  arithmetic with one node and one call per pass instead of one per layer.

The value checks (``config`` ``checks``) run inside the kernels' call, on every
layer's input; a failure is re-checked by
:func:`~kanlab.nn._value_checks.check_layer_values`, which raises the per-layer
path's error (or, for an input large but within the exact overflow bound, the
pass falls back to the per-layer path).
"""
from __future__ import annotations

import weakref
from functools import partial
from operator import attrgetter, itemgetter

import torch
from torch import Tensor

from kanlab import config
from kanlab._compat import forward_ad_active, is_fake, transforms_active
from kanlab.nn._layer import KANLayer
from kanlab.nn._value_checks import OVERFLOW_HEADROOM, check_layer_values
from kanlab.ops import _extension as extension
from kanlab.ops._kan_linear import _spec_fits_kernels
from kanlab.ops._small_network import NetworkSpec, ValuesOutOfRange, network_output
from kanlab.ops._strategies import ROWS_MAX_OUT

__all__ = ["fused_reason", "fused_forward"]

_DTYPES = (torch.float32, torch.float64)
_LIMITS: dict = {}  # dtype -> the value check's bound (as in kanlab.nn._value_checks)
# id(model) -> (weak reference to the model, fingerprint, plan, tensors whose ids the
# fingerprint holds): outside the model, so pickles, checkpoints and deep copies of it
# never carry the cache; an entry goes with its model (the reference's callback).
_PLANS: dict[int, tuple] = {}


def _forget(ref: weakref.ref, key: int = 0) -> None:
    entry = _PLANS.get(key)
    if entry is not None and entry[0] is ref:
        del _PLANS[key]


def _plan(model, x: Tensor) -> tuple[NetworkSpec | None, str | list[Tensor]]:
    """``(net, params)`` when ``model(x)`` may run fused (``params``: every layer's
    ``coef, scale_base, scale_sp`` in turn), else ``(None, reason)``.

    What depends on the model and the settings is kept for the model with a
    fingerprint of everything it was found from (:func:`_fingerprint`), so a
    training loop pays for building one list and comparing it per call.
    """
    if not isinstance(x, Tensor) or x.dim() != 2:
        return None, "the input is not a 2-D tensor"
    if torch.compiler.is_compiling() or torch.jit.is_tracing() or torch.jit.is_scripting():
        return None, "traced or compiled"
    if transforms_active() or forward_ad_active() or is_fake(x):
        return None, "a torch.func transform, forward-mode AD or a fake tensor"
    if (not x.is_cpu or x.dtype not in _DTYPES or x.layout != torch.strided
            or x.shape[0] == 0):
        return None, "the input is not a non-empty dense float CPU tensor"
    settings = config.get()
    key = _fingerprint(model, x, settings)
    if key is None:
        return None, "a layer is not a KANLayer"
    cached = _PLANS.get(id(model))
    if cached is not None and cached[1] == key and cached[0]() is model:
        plan = cached[2]
    else:
        plan = _model_plan(model, x, settings)
        # The tensors whose ids key holds stay alive (their ids valid) while the plan is kept.
        held = [(*_BUFFERS(layer._buffers), *_PARAMETERS(layer._parameters))
                for layer in model.layers]
        _PLANS[id(model)] = (weakref.ref(model, partial(_forget, key=id(model))), key, plan,
                             held)
    if plan[0] is not None and extension.ops() is None:  # reads the environment each call
        return None, "the C++ kernels are off or unavailable"
    return plan


# What _model_plan reads of a layer, fetched in one call each (C-level look-ups).
_LAYER_STATE = attrgetter("_uniform", "k", "extrapolate", "base_fun_name", "base_fun",
                          "edge_basis", "out_features")
_BUFFERS = itemgetter("knots", "mask", "_span_table")
_PARAMETERS = itemgetter("coef", "scale_base", "scale_sp")


def _fingerprint(model, x: Tensor, settings) -> list | None:
    """Everything :func:`_model_plan` reads, as one list (tensors by ``id``), or ``None``
    when a layer is not a KANLayer.

    What changes in place is read separately: the knots' version, whether a layer has
    forward hooks, whether symbolic edges are in use and whether the model has
    multiplication nodes.  Modules, parameters and buffers come straight from their
    dicts: nn.Module's attribute look-up would cost more than the kernels' call.
    """
    modules = model.__dict__["_modules"]
    key = [type(model), settings, x.dtype, x.shape[1], any(model.arities)]
    for layer, sym in zip(modules["layers"].__dict__["_modules"].values(),
                          modules["symbolic"].__dict__["_modules"].values()):
        if not isinstance(layer, KANLayer):
            return None
        state = layer.__dict__
        tensors = (*_BUFFERS(state["_buffers"]), *_PARAMETERS(state["_parameters"]))
        key += map(id, tensors)
        key += _LAYER_STATE(layer)
        key += (layer, type(layer), tensors[0]._version, bool(state["_forward_hooks"]),
                bool(state["_forward_pre_hooks"]), sym, bool(sym.__dict__["_groups"]))
    return key


def _model_plan(model, x: Tensor, settings) -> tuple[NetworkSpec | None, str | list[Tensor]]:
    """:func:`_plan`'s conditions on the model and the settings."""
    if settings.strategy not in ("auto", "rows"):
        return None, f"config strategy {settings.strategy!r}"
    cls = type(model)
    from kanlab.nn._network import KAN  # the model's module imports this one
    if any(getattr(cls, name) is not getattr(KAN, name)
           for name in ("forward_layers", "layer_output", "multiply")):
        return None, "the model's class overrides the per-layer pass"
    if any(model.arities):
        return None, "multiplication nodes"
    if any(s.active for s in model.symbolic):
        return None, "symbolic edges"
    specs, masks, params = [], [], []
    for l, layer in enumerate(model.layers):
        if type(layer).forward is not KANLayer.forward or layer._forward_hooks \
                or layer._forward_pre_hooks:
            return None, f"layer {l} has forward hooks or its own forward"
        if layer.out_features > ROWS_MAX_OUT or layer.k > 3:
            return None, f"layer {l} is wider than {ROWS_MAX_OUT} outputs or of degree > 3"
        if layer.extrapolate == "quadratic":
            return None, f"layer {l} continues quadratically"
        knots = layer.knots
        if knots.dtype != x.dtype or knots.device != x.device or \
                (l == 0 and x.shape[1] != layer.in_features):
            return None, f"the input does not match layer {l}"  # the per-layer path says how
        spec = layer.spline_spec()
        if not _spec_fits_kernels(spec):
            return None, f"layer {l} has another edge basis or base function"
        specs.append(spec)
        masks.append(layer.mask)
        params.extend((layer.coef, layer.scale_base, layer.scale_sp))
    limit = _limit(x.dtype) if settings.checks else 0.0
    return NetworkSpec(specs, masks, limit), params


def _limit(dtype: torch.dtype) -> float:
    limit = _LIMITS.get(dtype)
    if limit is None:
        limit = _LIMITS[dtype] = torch.finfo(dtype).max / OVERFLOW_HEADROOM
    return limit


def fused_reason(model, x: Tensor) -> str | None:
    """Why ``model(x)`` runs layer by layer (``None``: it runs fused)."""
    net, reason = _plan(model, x)
    return None if net is not None else reason


def fused_forward(model, x: Tensor) -> Tensor | None:
    """``model(x)`` as one fused node, or ``None`` when it must run layer by layer.

    Raises
    ------
    kanlab.NonFiniteError
        a layer's input holds NaN or inf, or would overflow (value checks on).
    """
    net, params = _plan(model, x)
    if net is None:
        return None
    try:
        return network_output(x.contiguous(), net, params)
    except ValuesOutOfRange as failure:
        check_layer_values(model.layers[failure.layer], failure.values)  # raises its error
        return None  # large but within the exact bound: the per-layer path, checked

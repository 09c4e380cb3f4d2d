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
  edges, no node affine maps, no forward hooks on its layers, and neither the model's class nor the
  layers' override the methods of the per-layer pass;
* every layer is a B-spline layer with a kernel base function, degree at most
  3, ``extrapolate`` ``"linear"`` or ``"constant"`` (the others add a term beyond the
  grid: :mod:`kanlab.nn._extrapolation`), and at most
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
from itertools import chain
from operator import attrgetter

import torch
from torch import Tensor

from kanlab import config
from kanlab._compat import forward_ad_active, is_fake, transforms_active
from kanlab.nn._extrapolation import CORRECTED
from kanlab.nn._layer import KANLayer
from kanlab.nn._stamp import stamp, track
from kanlab.nn._value_checks import OVERFLOW_HEADROOM, check_layer_values
from kanlab.ops import _extension as extension
from kanlab.ops._kan_linear import _spec_fits_kernels
from kanlab.ops._small_network import NetworkSpec, ValuesOutOfRange, network_output
from kanlab.ops._strategies import ROWS_MAX_OUT

__all__ = ["fused_reason", "fused_forward"]

_DTYPES = (torch.float32, torch.float64)
_LIMITS: dict = {}  # dtype -> the value check's bound (as in kanlab.nn._value_checks)
# id(model) -> _Cached: outside the model, so pickles, checkpoints and deep copies of it
# never carry the cache; an entry goes with its model (the weak reference's callback).
_PLANS: dict[int, "_Cached"] = {}

_VERSION = attrgetter("_version")
_HOOKS = attrgetter("_forward_hooks", "_forward_pre_hooks")


def _forget(ref: weakref.ref, key: int = 0) -> None:
    entry = _PLANS.get(key)
    if entry is not None and entry.model is ref:
        del _PLANS[key]


class _Cached:
    """A model's plan, and what tells whether it is still the model's.

    The plan stays valid while (checked per call, in :meth:`valid`): the stamp has not
    moved (:mod:`kanlab.nn._stamp`: no attribute of the model, its layers or their
    symbolic edges was set or deleted, no parameter or buffer of a layer was replaced,
    even through ``_parameters`` as ``torch.func.functional_call`` does, and no layer was
    replaced in its ``ModuleList``); the settings object, the input's dtype and width are
    those it was made for; the knots were not changed in place (their ``_version``); and
    no layer gained or lost a forward hook.  A parameter changed in place needs no
    check: the kernels read the tensors the plan passes them, as they are now.
    """

    __slots__ = ("model", "stamp", "settings", "dtype", "width", "plan", "knots", "versions",
                 "hook_dicts", "hooked")

    def __init__(self, model, x: Tensor, settings) -> None:
        self.stamp = stamp()  # first: a change while the plan is made misses next time
        self.model = weakref.ref(model, partial(_forget, key=id(model)))
        self.settings, self.dtype, self.width = settings, x.dtype, x.shape[1]
        layers, symbolic = model.layers, model.symbolic
        # a layer replaced in its ModuleList (or a ModuleList in the model) moves the stamp
        track(model, "_modules")
        track(layers, "_modules")
        track(symbolic, "_modules")
        for layer in layers:
            track(layer, "_parameters", "_buffers")
        self.knots = [layer.knots for layer in layers]
        self.versions = list(map(_VERSION, self.knots))
        self.hook_dicts = list(chain.from_iterable(map(_HOOKS, layers)))
        self.hooked = any(self.hook_dicts)
        self.plan = _model_plan(model, x, settings)

    def valid(self, model, x: Tensor, settings) -> bool:
        return (self.stamp == stamp() and self.settings is settings and self.dtype is x.dtype
                and self.width == x.shape[1] and self.model() is model
                and list(map(_VERSION, self.knots)) == self.versions
                and any(self.hook_dicts) == self.hooked)


def _plan(model, x: Tensor) -> tuple[NetworkSpec | None, str | list[Tensor]]:
    """``(net, params)`` when ``model(x)`` may run fused (``params``: every layer's
    ``coef, scale_base, scale_sp`` in turn), else ``(None, reason)``.

    What depends on the model and the settings is kept for the model (:class:`_Cached`),
    so a training loop pays for a few comparisons per call (:meth:`_Cached.valid`).
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
    cached = _PLANS.get(id(model))
    if cached is None or not cached.valid(model, x, settings):
        if not all(isinstance(layer, KANLayer) for layer in model.layers):
            return None, "a layer is not a KANLayer"
        cached = _PLANS[id(model)] = _Cached(model, x, settings)
    plan = cached.plan
    if plan[0] is not None and extension.ops() is None:  # reads the environment each call
        return None, "the C++ kernels are off or unavailable"
    return plan


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
    if model.affines is not None:
        return None, "node affine maps (node_affine=True)"
    if any(s.active for s in model.symbolic):
        return None, "symbolic edges"
    specs, masks, params = [], [], []
    for l, layer in enumerate(model.layers):
        if type(layer).forward is not KANLayer.forward or layer._forward_hooks \
                or layer._forward_pre_hooks:
            return None, f"layer {l} has forward hooks or its own forward"
        if layer.out_features > ROWS_MAX_OUT or layer.k > 3:
            return None, f"layer {l} is wider than {ROWS_MAX_OUT} outputs or of degree > 3"
        if layer.extrapolate in CORRECTED:
            how = {"quadratic": "quadratically", "tapered": "with a tapered curvature",
                   "bounded": "with a bounded continuation"}.get(
                layer.extrapolate, "on its extended knots")
            return None, f"layer {l} continues {how}"
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

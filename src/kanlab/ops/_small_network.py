"""A whole small KAN as one autograd node and one C++ call per pass.

At [2, 5, 1] on 1000 points the arithmetic is a few hundred microseconds;
run layer by layer, each layer adds its input checks, its spec and kernel
look-ups, an autograd node and several operator dispatches, which together
cost as much again.  :func:`network_output` runs every layer's rows kernels
(``csrc/rows.cpp``) from one operator, ``network`` (``csrc/network.cpp``), which
makes one C++ autograd node for the whole network (``csrc/network_node.cpp``):
no Python runs between the call and the gradients.  The per-layer constants
(masks, knots, span tables, flags) travel as one object built once per plan
(:meth:`NetworkSpec.plan`, the C++ class ``NetworkPlan``), so the dispatcher
parses three arguments per call instead of fourteen; the operators take the plan's
key, an int, not the object (a script object among the arguments costs two C++
exceptions per call, in the look-up of ``__torch_function__``).  The node saves the
network's input, the parameters and the inputs of the later layers; its backward
pass runs the layers' rows backward kernels from the last to the first.  With
``create_graph`` (double backward) it calls back into Python
(:func:`_reference_grads`, the operator ``network_reference_grads``), which
differentiates :func:`network_reference`, the per-layer pure-PyTorch
composition, so gradients of gradients stay exact.

Which models may take this path is decided in :mod:`kanlab.nn._fused_forward`
(:func:`~kanlab.nn._fused_forward.fused_reason`); this module only computes.
"""
from __future__ import annotations

import itertools
import threading
import weakref
from typing import Sequence

import torch
from torch import Tensor

from kanlab.ops import _extension as extension
from kanlab.ops._kan_linear import SplineSpec, reference, reference_grads

__all__ = ["NetworkSpec", "ValuesOutOfRange", "network_output", "network_reference"]


class ValuesOutOfRange(Exception):
    """The input of layer ``layer`` (0: the network's input) failed the kernels' value
    check: some value beyond the limit, or NaN.  ``values`` is that input."""

    def __init__(self, layer: int, values: Tensor) -> None:
        super().__init__(f"the input of layer {layer} has values beyond the check's limit")
        self.layer = layer
        self.values = values


# key -> NetworkSpec, for the double backward's call back into Python: the C++ plan, which
# the autograd nodes hold, names its spec by key.  A spec stays here while anything holds
# it (the model's plan cache) or while a node may still need it: the latter are pinned
# until a later plan finds no node holding theirs (_unpin_unused).
_SPECS: "weakref.WeakValueDictionary[int, NetworkSpec]" = weakref.WeakValueDictionary()
_PINNED: dict = {}  # key -> NetworkSpec
_KEYS = itertools.count()
_LOCK = threading.Lock()
_LIBRARY: list = []  # the torch.library registration of network_reference_grads, kept alive


class NetworkSpec:
    """The layers' specs and masks, and the C++ plan the network kernels take.

    Parameters
    ----------
    specs
        every layer's :class:`~kanlab.ops.SplineSpec`, B-splines on which the kernels run.
    masks
        every layer's ``(out, in)`` edge mask (no gradient).
    limit
        the value check's bound: the kernels stop when a layer's input has a value
        beyond ``±limit`` (or NaN) and :func:`network_output` raises
        :class:`ValuesOutOfRange`; 0 checks nothing.
    """

    __slots__ = ("specs", "masks", "limit", "_plan", "_key", "__weakref__")

    def __init__(self, specs: Sequence[SplineSpec], masks: Sequence[Tensor], limit: float) -> None:
        self.specs = tuple(specs)
        self.masks = tuple(masks)
        self.limit = float(limit)
        self._plan = None  # the C++ NetworkPlan, once built
        self._key = -1

    def __repr__(self) -> str:
        return f"NetworkSpec(layers={len(self.specs)}, limit={self.limit:g})"

    def plan(self) -> int:
        """The key of the C++ ``NetworkPlan`` of these layers, which the network operators
        take (built and published on first use; needs the kernels).  The plan lives while
        this spec does, or an autograd node that holds it."""
        if self._plan is not None:
            return self._key
        _register_reference_grads()
        # (knots, table, origin, last, k, uniform, linear, base), each a list over the layers
        columns = [list(c) for c in zip(*(spec.kernel_args() for spec in self.specs))]
        with _LOCK:
            _unpin_unused()
            key = next(_KEYS)
            plan = torch.classes.kanlab_cpu.NetworkPlan(list(self.masks), *columns, self.limit, key)
            plan.publish()
            self._plan, self._key = plan, key
            _SPECS[key] = _PINNED[key] = self
        return key


def _unpin_unused() -> None:
    """Unpin the specs whose C++ plan no autograd node holds (only its Python object
    does), so they live on only as long as their model's plan cache keeps them."""
    for key, spec in list(_PINNED.items()):
        plan = spec._plan
        if plan is None or plan.holders() <= _OWN_HOLDERS:
            del _PINNED[key]


# The plan's reference count seen from its ``holders`` method with no node holding it:
# the Python object's reference and the method call's own.
_OWN_HOLDERS = 2


def network_output(x: Tensor, net: NetworkSpec, params: Sequence[Tensor]) -> Tensor:
    """The network's output ``(B, out)`` for ``x`` ``(B, in)``, contiguous, by the kernels.

    ``params`` is ``(coef, scale_base, scale_sp)`` of every layer in turn.  One C++
    autograd node when a gradient may be wanted, else none.  The caller has checked
    that the kernels apply (:mod:`kanlab.nn._fused_forward`).

    Raises
    ------
    ValuesOutOfRange
        a layer's input failed the value check of ``net.limit``.
    """
    outs, failed = _network_op()(x, params, net.plan())
    if failed >= 0:
        raise ValuesOutOfRange(failed, x if failed == 0 else outs[failed])
    return outs[0]


def _network_op():
    """The operator ``network`` as its C++ builtin, skipping ``torch.ops``'s Python-level
    ``__call__`` (the fused path never runs traced)."""
    op = _OP.get("network")
    if op is None:
        op = _OP["network"] = extension.loaded().network._op
    return op


_OP: dict = {}


def network_reference(x: Tensor, net: NetworkSpec, params: Sequence[Tensor]) -> Tensor:
    """The same output from differentiable tensor operations only, layer by layer."""
    for l, spec in enumerate(net.specs):
        x = reference(x, *params[3 * l:3 * l + 3], net.masks[l], spec)
    return x


def _reference_grads(gy: Tensor, x: Tensor, params: list[Tensor], key: int,
                     wanted: list[int]) -> list[Tensor]:
    """``network_reference_grads``: the gradients of ``x`` and ``params`` through
    :func:`network_reference`, with a graph; empty tensors where not ``wanted``."""
    net = _SPECS[key]  # pinned while the node calling this holds its plan
    grads = reference_grads(lambda x, *p: network_reference(x, net, p), (x, *params),
                            [bool(w) for w in wanted], gy)
    return [gy.new_empty(0) if g is None else g for g in grads]


def _register_reference_grads() -> None:
    """Implement the operator ``network_reference_grads`` (declared by the kernels) in
    Python, above autograd, so what it computes is differentiated again."""
    with _LOCK:
        if not _LIBRARY:
            library = torch.library.Library("kanlab_cpu", "IMPL")
            library.impl("network_reference_grads", _reference_grads, "CompositeImplicitAutograd")
            _LIBRARY.append(library)

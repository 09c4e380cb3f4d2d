"""The fused KAN layer: spline features and their contraction with the weights in one node.

``y[b, o] = Σ_i mask_oi (scale_base_oi b(x_bi) + scale_sp_oi Σ_s coef_ois B_s(x_bi))``

:class:`SplineLinear` computes this with the C++ kernels of
:mod:`kanlab.extension` and saves only ``x`` and the parameters for the
backward pass (the local strategy also its packed weights, parameter-sized),
which recomputes what it needs.  Two strategies, chosen per
layer by a cost model (:func:`_local_pays`):

* *dense* (wide layers on small grids): the features ``[b(x), B_0(x), ...,
  B_{n-1}(x)]`` of a block of inputs are written densely for the whole batch
  and multiplied by the combined weights ``[scale_base | scale_sp · coef]`` of
  those inputs, one GEMM per block; blocks are sized so no transient is bigger
  than a few MiB whatever the batch and layer size.
* *local* (narrow layers, or any layer on a large grid): only the ``k + 1``
  non-zero bases of a point (and the base function) are touched; per input,
  a block of points is sorted by span so the weight rows of a span stay in
  registers (``csrc/local_support.cpp``).  The cost no longer grows with ``G``.

The pure-PyTorch composition (:func:`reference`) is the fallback and the
oracle; it is used instead of the kernels when they are unavailable, on
other devices, under ``torch.compile``/``torch.export``/tracing and under
``torch.func`` transforms.  The backward pass, when a graph is being built
(double backward, e.g. PDE losses), differentiates :func:`reference`, so
gradients of gradients are exact to every order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from . import extension
from .basis import dense_basis
from .spline_tables import SpanTables

__all__ = ["SplineSpec", "SplineLinear", "spline_linear", "Features", "reference", "BASE_CODES", "kernels_usable"]

# Base functions the kernels know (codes match csrc/spline_eval.h).
BASE_CODES = {"zero": -1, "identity": 0, "silu": 1, "gelu": 2, "tanh": 3}

# Inputs per block are chosen so each transient buffer (features, their
# gradient, combined weights and theirs) stays under this size.
FEATURE_BLOCK_BYTES = 4 << 20
# "auto" (the cheaper by _local_pays), "dense" or "local" (tests and benchmarks).
STRATEGY = "auto"
# Rows per block of evaluated points in the local kernels (0: the kernels choose).
LOCAL_BLOCK_ROWS = 0


@dataclass
class SplineSpec:
    """Everything the kernels need to know about a layer's spline, besides ``x`` and weights.

    Attributes:
        knots: ``(F, m)``.
        table: uniform knots: the ``(k + 1, k + 1)`` cardinal matrix; otherwise the span
            polynomials ``(F, G, k + 1 powers, k + 1 bases)``.
        tables: the :class:`SpanTables` (None for uniform knots), for :func:`reference`.
        k, uniform, extrapolate: as in :func:`kanlab.splines.local_basis`.
        base_name, base_fun: the base function ``b`` (``base_fun`` None for ``"zero"``).
    """

    knots: Tensor
    table: Tensor
    tables: SpanTables | None
    k: int
    uniform: bool
    extrapolate: str
    base_name: str
    base_fun: Callable[[Tensor], Tensor] | None

    @property
    def n_basis(self) -> int:
        return self.knots.shape[-1] - self.k - 1

    @property
    def n_features(self) -> int:
        """Features per input ``S``: ``G + k``, plus one with a base function."""
        return self.n_basis + (self.base_fun is not None)

    def kernel_args(self) -> tuple:
        empty = self.knots.new_empty(0)
        origin = empty if self.uniform else self.tables.origin.contiguous()
        last = empty.long() if self.uniform else self.tables.last.contiguous()
        return (self.knots.contiguous(), self.table.contiguous(), origin, last, self.k, self.uniform,
                self.extrapolate == "linear", BASE_CODES[self.base_name])


def features(x: Tensor, spec: SplineSpec) -> Tensor:
    """Pure-PyTorch features ``(B, F, S)``: base function first (if any), then the bases."""
    basis = dense_basis(x, spec.knots, spec.k, uniform=spec.uniform,
                        extrapolate=spec.extrapolate, tables=spec.tables)
    if spec.base_fun is None:
        return basis
    return torch.cat([spec.base_fun(x).unsqueeze(-1), basis], dim=-1)


def combined_weight(coef: Tensor, scale_base: Tensor, scale_sp: Tensor, mask: Tensor,
                    spec: SplineSpec) -> Tensor:
    """``(O, F, S)`` weights of the features: ``[scale_base·mask | scale_sp·mask·coef]``."""
    spline = coef * (scale_sp * mask).unsqueeze(-1)
    if spec.base_fun is None:
        return spline
    return torch.cat([(scale_base * mask).unsqueeze(-1), spline], dim=-1)


def reference(x: Tensor, coef: Tensor, scale_base: Tensor, scale_sp: Tensor, mask: Tensor,
              spec: SplineSpec) -> Tensor:
    """The layer's output ``(B, O)`` from differentiable tensor operations only."""
    w = combined_weight(coef, scale_base, scale_sp, mask, spec)
    return features(x, spec).flatten(1) @ w.flatten(1).t()


def kernels_usable(x: Tensor, spec: SplineSpec, *params: Tensor) -> bool:
    """Whether :class:`SplineLinear` may run its C++ kernels on these tensors."""
    if torch.compiler.is_compiling() or torch.jit.is_tracing() or torch.jit.is_scripting():
        return False
    if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return False
    if spec.base_name not in BASE_CODES or x.numel() == 0:
        return False
    from torch._C._functorch import is_functorch_wrapped_tensor
    from torch._subclasses.fake_tensor import FakeTensor
    for t in (x, spec.knots, *params):
        if isinstance(t, FakeTensor) or is_functorch_wrapped_tensor(t):
            return False
    return extension.ops() is not None


class _Plan:
    """Shapes of one call, its strategy (``local``) and, for the dense one, its input blocks.

    The dense strategy works on blocks of input columns: the features of a
    block ``(B, f, S)`` meet the weights of the same block ``(O, f, S)``, so
    every GEMM spans the whole batch, each gradient block is written once and
    the features are computed once in forward and once in backward.
    """

    def __init__(self, x: Tensor, coef: Tensor, spec: SplineSpec) -> None:
        self.B, self.F = x.shape
        self.O = coef.shape[0]
        self.S = spec.n_features
        per_input = max(self.B, self.O) * self.S * x.element_size()
        self.width = max(1, min(self.F, FEATURE_BLOCK_BYTES // per_input))
        self.local = STRATEGY == "local" or (STRATEGY == "auto" and _local_pays(
            self.O, self.S, spec.k, spec.base_fun is not None, x.element_size()))

    def blocks(self):
        return [(f, min(f + self.width, self.F)) for f in range(0, self.F, self.width)]


def _base_values(xb: Tensor, spec: SplineSpec) -> Tensor:
    """``b(x)`` of a block ``(B, f)`` with torch's vectorised function (empty without base)."""
    if spec.base_fun is None:
        return xb.new_empty(0)
    return spec.base_fun(xb).contiguous()


def _base_derivative(xb: Tensor, spec: SplineSpec) -> Tensor:
    """``b'(x)`` of a block ``(B, f)`` from vectorised tensor ops (empty without base)."""
    name = spec.base_name
    if spec.base_fun is None:
        return xb.new_empty(0)
    if name == "identity":
        return torch.ones_like(xb)
    if name == "silu":  # s (1 + x (1 - s)), s = sigmoid(x)
        s = torch.sigmoid(xb)
        return (1 - s).mul_(xb).add_(1).mul_(s)
    if name == "tanh":
        t = torch.tanh(xb)
        return t.mul_(t).neg_().add_(1)
    if name == "gelu":  # Φ(x) + x φ(x)
        return torch.ops.aten.gelu_backward(torch.ones_like(xb), xb)
    raise ValueError(f"no kernel derivative for base function {name!r}")


def _block_args(spec: SplineSpec, args: tuple, f0: int, f1: int) -> tuple:
    """Kernel arguments restricted to inputs ``[f0, f1)``."""
    knots, table, origin, last, *rest = args
    if not spec.uniform:
        table, origin, last = table[f0:f1], origin[f0:f1], last[f0:f1]
    return (knots[f0:f1], table, origin, last, *rest)


def _contiguous(*tensors: Tensor) -> tuple:
    return tuple(t.detach().contiguous() for t in tensors)


def _pack(ops, params: tuple, spec: SplineSpec, padded: int, f0: int, f1: int) -> Tensor:
    """Combined weights ``[scale_base·mask | scale_sp·mask·coef]`` of inputs ``[f0, f1)``,
    packed ``(f1 - f0, S, padded)`` with the outputs last (zero padding)."""
    return ops.pack_weights(*params, spec.base_fun is not None, padded, f0, f1)


def _combine(ops, params: tuple, spec: SplineSpec, f0: int, f1: int) -> Tensor:
    """The same weights with the outputs first, ``(O, f1 - f0, S)``, for the dense GEMMs."""
    return ops.combine_weights(*params, spec.base_fun is not None, f0, f1)


def _grads(params: tuple) -> list[Tensor]:
    """Gradient buffers of coef, scale_base and scale_sp (filled by the kernels)."""
    return [torch.empty_like(t) for t in params[:3]]


def _chosen(grads, needs) -> tuple:
    return tuple(g if need else None for g, need in zip(grads, needs))


def _dense_forward(x, params, spec, plan: _Plan, ops) -> Tensor:
    args = spec.kernel_args()
    blocks = plan.blocks()
    feats = x.new_empty(plan.B * plan.width * plan.S)
    y = None
    for f0, f1 in blocks:
        nf = f1 - f0
        f = feats[:plan.B * nf * plan.S].view(plan.B, nf * plan.S)
        xb = x if len(blocks) == 1 else x[:, f0:f1].contiguous()
        ops.features_out(xb, f, _base_values(xb, spec), *_block_args(spec, args, f0, f1))
        w = _combine(ops, params, spec, f0, f1).view(plan.O, nf * plan.S).t()
        y = torch.mm(f, w) if y is None else y.addmm_(f, w)
    return y


def _dense_backward(gy, x, params, spec, plan, ops, needs):
    args = spec.kernel_args()
    need_x, need_w = needs[0], any(needs[1:])
    grads = _grads(params) if need_w else [None] * 3
    gx = x.new_empty(plan.B, plan.F) if need_x else None
    gy = gy.contiguous()
    blocks = plan.blocks()
    feats = x.new_empty(plan.B * plan.width * plan.S)
    gbuf = x.new_empty(max(plan.B, plan.O) * plan.width * plan.S)
    for f0, f1 in blocks:
        nf = f1 - f0
        xb = x if len(blocks) == 1 else x[:, f0:f1].contiguous()
        bargs = _block_args(spec, args, f0, f1)
        if need_w:
            f = feats[:plan.B * nf * plan.S].view(plan.B, nf * plan.S)
            ops.features_out(xb, f, _base_values(xb, spec), *bargs)
            gw = torch.mm(gy.t(), f, out=gbuf[:plan.O * nf * plan.S].view(plan.O, nf * plan.S))
            ops.split_grads(gw.view(plan.O, nf, plan.S), *params, spec.base_fun is not None,
                            f0, *grads)
        if need_x:
            w = _combine(ops, params, spec, f0, f1).view(plan.O, nf * plan.S)
            gf = torch.mm(gy, w, out=gbuf[:plan.B * nf * plan.S].view(plan.B, -1))
            gx[:, f0:f1] = ops.contract_dx(xb, gf, _base_derivative(xb, spec), *bargs)
    return (gx, *_chosen(grads, needs[1:]))


def _local_pays(out: int, n_features: int, k: int, has_base: bool, itemsize: int) -> bool:
    """Whether the local-support kernels beat the dense ones on a layer, by a cost model.

    Costs per point of a forward and backward pass, in multiply-adds of a GEMM
    (measured on an AVX-512 CPU, one thread, float32, medians over
    ``benchmarks/layer_ratio.py`` shapes): the dense strategy does three GEMMs
    over all ``S`` features plus writing and contracting the features (about
    143 multiply-adds per feature); the local kernels do ``k + 1`` (+ base)
    multiply-adds per padded output ``Op``, each worth about 5.2 GEMM
    multiply-adds, and ``Op / 4096`` more as the rows of wide outputs fall out
    of the cache.  Degrees above 3 have only scalar local kernels.
    """
    if k > 3:
        return False
    _, padded = _local_tiles(out, itemsize)
    local = 5.2 * (k + 1 + has_base) * padded * (1 + padded / 4096)
    dense = n_features * (3 * out + 143)
    return local < dense


def _local_tiles(out: int, itemsize: int) -> tuple[int, int]:
    """``(vectors, Op)``: 64-byte SIMD vectors per output tile of the local kernels (1, 2
    or 4: the weight rows of a span must fit the registers) and the outputs padded to
    whole tiles, the widest tile with the least padding."""
    lanes = 64 // itemsize
    best = None
    for vectors in (4, 2, 1):
        padded = -(-out // (vectors * lanes)) * vectors * lanes
        if best is None or padded < best[1]:
            best = (vectors, padded)
    return best


def _local_forward(x, params, spec, ops) -> tuple[Tensor, Tensor]:
    """``(y, w)``: the output and the packed weights, which the backward pass reuses."""
    O = params[0].shape[0]
    vectors, padded = _local_tiles(O, x.element_size())
    w = _pack(ops, params, spec, padded, 0, x.shape[1])
    y = ops.local_forward(x, w, *spec.kernel_args(), vectors, LOCAL_BLOCK_ROWS)
    return (y if padded == O else y[:, :O].contiguous()), w


def _local_backward(gy, x, params, spec, ops, needs, w):
    O = params[0].shape[0]
    vectors, padded = _local_tiles(O, x.element_size())
    gy = gy.contiguous() if padded == O else torch.nn.functional.pad(gy, (0, padded - O))
    need_x, need_w = needs[0], any(needs[1:])
    if not need_x:
        w = x.new_empty(0)
    grads = _grads(params) if need_w else [x.new_empty(0)] * 3
    gx = ops.local_backward(x, gy, w, *params, *grads, *spec.kernel_args(), vectors,
                            LOCAL_BLOCK_ROWS, need_x, need_w)
    return (gx if need_x else None, *_chosen(grads, needs[1:]))


def spline_linear(x: Tensor, coef: Tensor, scale_base: Tensor, scale_sp: Tensor, mask: Tensor,
                  spec: SplineSpec) -> Tensor:
    """The layer's output ``(B, O)`` from the kernels (:class:`SplineLinear`).

    Call only when :func:`kernels_usable` is true; ``x`` must be contiguous.
    """
    return SplineLinear.apply(x, coef, scale_base, scale_sp, mask, spec)[0]


class SplineLinear(torch.autograd.Function):
    """``(x (B, F), coef (O, F, n), scale_base, scale_sp, mask (O, F), spec) -> (y (B, O), w)``.

    ``w`` is what the backward pass reuses from the forward one (the packed
    weights of the local strategy, else empty); it is not differentiable.
    Call through :func:`spline_linear`.  ``mask`` receives no gradient (it is a buffer).
    """

    @staticmethod
    def forward(x, coef, scale_base, scale_sp, mask, spec):
        ops = extension.ops()
        plan = _Plan(x, coef, spec)
        params = _contiguous(coef, scale_base, scale_sp, mask)
        with torch.no_grad():
            if plan.local:
                return _local_forward(x, params, spec, ops)
            return _dense_forward(x, params, spec, plan, ops), x.new_empty(0)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        x, coef, scale_base, scale_sp, mask, spec = inputs
        ctx.save_for_backward(x, coef, scale_base, scale_sp, mask, output[1])
        ctx.mark_non_differentiable(output[1])
        ctx.spec = spec

    @staticmethod
    def backward(ctx, gy, _):
        x, coef, scale_base, scale_sp, mask, w = ctx.saved_tensors
        spec = ctx.spec
        needs = ctx.needs_input_grad[:4]
        if torch.is_grad_enabled():  # create_graph: differentiate the differentiable reference
            return (*_differentiable_backward(gy, x, coef, scale_base, scale_sp, mask, spec,
                                              needs), None, None)
        ops = extension.ops()
        plan = _Plan(x, coef, spec)
        params = _contiguous(coef, scale_base, scale_sp, mask)
        if plan.local:
            out = _local_backward(gy, x, params, spec, ops, needs, w)
        else:
            out = _dense_backward(gy, x, params, spec, plan, ops, needs)
        if spec.base_fun is None and out[2] is not None:
            out[2].zero_()  # scale_base does not enter the output without a base function
        return (*out, None, None)


class Features(torch.autograd.Function):
    """``(x (B, F), spec) -> (B, F, S)``: :func:`features` computed by the kernels.

    For a regularised fit, which needs the features themselves (edge RMS) and
    not only their product with the weights.  Backward is ``contract_dx``;
    with ``create_graph`` it differentiates :func:`features`.  Call only when
    :func:`kernels_usable` is true, with a base function, and ``x`` contiguous.
    """

    @staticmethod
    def forward(x, spec):
        out = x.new_empty(x.shape[0], x.shape[1] * spec.n_features)
        with torch.no_grad():
            extension.ops().features_out(x, out, _base_values(x, spec), *spec.kernel_args())
        return out.view(x.shape[0], x.shape[1], spec.n_features)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[0])
        ctx.spec = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: differentiate the reference
            with torch.enable_grad():
                (gx,) = torch.autograd.grad(features(x, ctx.spec), x, grad, create_graph=True)
            return gx, None
        flat = grad.reshape(x.shape[0], -1).contiguous()
        return extension.ops().contract_dx(x, flat, _base_derivative(x, ctx.spec),
                                           *ctx.spec.kernel_args()), None


def _differentiable_backward(gy, x, coef, scale_base, scale_sp, mask, spec, needs):
    inputs = (x, coef, scale_base, scale_sp)
    wanted = [t for t, need in zip(inputs, needs) if need]
    with torch.enable_grad():
        y = reference(x, coef, scale_base, scale_sp, mask, spec)
        grads = iter(torch.autograd.grad(y, wanted, gy, create_graph=True, allow_unused=True))
    out = []
    for t, need in zip(inputs, needs):
        g = next(grads) if need else None
        out.append(torch.zeros_like(t) if need and g is None else g)
    return out

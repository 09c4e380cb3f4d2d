"""The two strategies of :class:`kanlab.ops._kan_linear.KANLinearFunction`'s kernels, and the choice.

A :class:`Plan` holds the shapes of one call and picks, by a cost model
(:func:`_local_pays`), the *dense* strategy (features of a block of inputs
written for the whole batch, one GEMM per block) or the *local* one (only the
``k + 1`` non-zero B-splines of a point touched, ``csrc/local_support.cpp``).
Each has a forward and a backward function over the C++ kernels of
:mod:`kanlab.ops._extension`; ``params`` is ``(coef, scale_base, scale_sp, mask)``,
contiguous and detached.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from kanlab import config
from kanlab.ops import _scratch
from kanlab.ops._base_functions import BASE_FUNCTIONS

if TYPE_CHECKING:
    from kanlab.ops._kan_linear import SplineSpec

__all__ = ["Plan", "dense_forward", "dense_backward", "local_forward", "local_backward",
           "base_values", "base_derivative", "base_precomputation"]

# The switches (kanlab.config): ``strategy`` ("auto": the cheaper by _local_pays,
# "dense" or "local"); ``feature_block``, the bytes under which each transient
# buffer of a dense block (features, their gradient, combined weights and
# theirs) stays; ``local_rows``, rows per block of the local kernels (0: the
# kernels choose).
# Inputs per dense block are rounded down to a multiple of this.
_ALIGN_INPUTS = 16
# The dense strategy keeps a forward pass's features for its backward pass up to this
# many bytes: one feature evaluation and one weight combination per step instead of
# two, and the dense limit's three GEMMs instead of three per block, which matters most
# with several threads on a loaded machine ([1024,1024] b=1024, 32 MiB: 1.34-1.59x the
# dense limit at 2 threads kept, 2.22x recomputed).  Not beyond: kept features are 8x
# the input's size, activation memory (the target is 2x an MLP layer's at
# [1024,1024] b=4096, 128 MiB of features, which recomputes).
_SAVE_BYTES = 64 << 20
# Layers of at most this many outputs run the rows kernels (csrc/rows.cpp) under "auto".
ROWS_MAX_OUT = 16


class Plan:
    """Shapes of one call, its strategy (``local``) and, for the dense one, its input blocks.

    The dense strategy works on blocks of input columns: the features of a
    block ``(B, f, S)`` meet the weights of the same block ``(O, f, S)``, so
    every GEMM spans the whole batch, each gradient block is written once and
    the features are computed once in forward and once in backward.
    """

    def __init__(self, x: Tensor, coef: Tensor, spec: SplineSpec) -> None:
        self.B, self.F = x.shape
        self.O = coef.shape[0]
        settings = config.get()
        self.S = spec.n_features
        per_input = max(self.B, self.O) * self.S * x.element_size()
        width = max(1, min(self.F, settings.feature_block // per_input))
        if width < self.F and width >= _ALIGN_INPUTS:
            # Rows of the block's GEMM operands 64-byte aligned (a multiple of 16
            # features): an odd leading dimension costs MKL up to 10% in backward.
            width -= width % _ALIGN_INPUTS
        self.width = width
        # The dense strategy's forward pass and x's gradient leave out each input's last
        # spline (see dense_forward): S - 1 features per input, when there are two splines.
        self.drop = self.S - (spec.base_fun is not None) >= 2
        strategy = settings.strategy
        if strategy == "auto":
            strategy = _auto(self.O, self.S, spec.k, spec.base_fun is not None, x.element_size(),
                             self.drop, _bucket(self.B * self.F))
        elif strategy == "rows" and spec.k > 3:  # the rows kernels take degrees up to 3
            strategy = "local"
        self.rows = strategy == "rows"
        self.local = strategy == "local"

    def blocks(self):
        return [(f, min(f + self.width, self.F)) for f in range(0, self.F, self.width)]


def _bucket(points: int) -> int:
    """``points`` rounded down to a power of two: :func:`_local_pays`'s cache stays
    small, and the choice is the same for neighbouring batch sizes."""
    return 1 << (max(points, 1).bit_length() - 1)


def base_values(xb: Tensor, spec: SplineSpec) -> Tensor:
    """``b(x)`` of a block ``(B, f)`` with torch's vectorised function (empty without base)."""
    if spec.base_fun is None:
        return xb.new_empty(0)
    return spec.base_fun(xb).contiguous()


def base_derivative(xb: Tensor, spec: SplineSpec) -> Tensor:
    """``b'(x)`` of a block ``(B, f)`` from vectorised tensor ops (empty without base)."""
    if spec.base_fun is None:
        return xb.new_empty(0)
    entry = BASE_FUNCTIONS.get(spec.base_name)
    if entry is None:
        raise ValueError(f"no kernel derivative for base function {spec.base_name!r}")
    return entry.derivative(xb)


def _block_args(spec: SplineSpec, args: tuple, f0: int, f1: int) -> tuple:
    """Kernel arguments restricted to inputs ``[f0, f1)``."""
    knots, table, origin, last, *rest = args
    if not spec.uniform:
        table, origin, last = table[f0:f1], origin[f0:f1], last[f0:f1]
    return (knots[f0:f1], table, origin, last, *rest)


def _pack(ops, params: tuple, spec: SplineSpec, padded: int, f0: int, f1: int) -> Tensor:
    """Combined weights ``[scale_base·mask | scale_sp·mask·coef]`` of inputs ``[f0, f1)``,
    packed ``(f1 - f0, S, padded)`` with the outputs last (zero padding)."""
    return ops.pack_weights(*params, spec.base_fun is not None, padded, f0, f1)


def _combine(ops, params: tuple, spec: SplineSpec, f0: int, f1: int, buf: Tensor,
             drop: bool = False, bias: Tensor | None = None) -> Tensor:
    """The same weights with the outputs first, ``(O, f1 - f0, S)``, for the dense GEMMs,
    written into ``buf``: one buffer serves all the blocks of a call (fresh memory for
    each block would be faulted in page by page).  With ``drop``, ``S - 1`` per input:
    the last spline's weight subtracted from the others' and summed into ``bias``."""
    shape = (params[0].shape[0], f1 - f0, spec.n_features - drop)
    w = buf[:shape[0] * shape[1] * shape[2]].view(shape)
    ops.combine_weights(*params, spec.base_fun is not None, f0, f1, w, drop,
                        bias if bias is not None else buf.new_empty(0))
    return w


def _grads(params: tuple) -> list[Tensor]:
    """Gradient buffers of coef, scale_base and scale_sp (filled by the kernels)."""
    return [torch.empty_like(t) for t in params[:3]]


def _chosen(grads, needs) -> tuple:
    return tuple(g if need else None for g, need in zip(grads, needs))


def dense_forward(x, params, spec, plan: Plan, ops, save: bool = False
                  ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``(y, feats, w, pre)``: ``y = Σ_blocks features @ weightsᵀ``, each input's last spline
    left out.

    The splines of an input sum to one everywhere (inside the grid, and
    outside it with either extrapolation), so ``Σ_s w_s B_s(x) = Σ_{s<n-1}
    (w_s - w_{n-1}) B_s(x) + w_{n-1}``: the GEMMs run over ``S - 1`` features
    per input, the size of the dense limit's, and the last splines' weights
    add up to a bias per output.

    With ``save`` (a backward pass will follow) and the features of the whole
    batch within ``_SAVE_BYTES``, one block spans every input and its features
    ``(B, F·(S - drop))``, combined weights ``(O, F·(S - drop))`` and the base
    precomputation ``pre`` (:func:`base_precomputation`: ``sigmoid(x)`` for SiLU,
    from which the kernels form the base values here and their derivatives in
    the backward pass) are returned for :func:`dense_backward`, which then
    neither evaluates the splines nor combines the weights again; else they are
    empty.
    """
    args = spec.kernel_args()
    S = plan.S - plan.drop
    keep = save and plan.B * plan.F * S * x.element_size() <= _SAVE_BYTES
    blocks = [(0, plan.F)] if keep else plan.blocks()
    width = plan.F if keep else plan.width
    feats = x.new_empty(plan.B * width * S)
    wbuf = x.new_empty(plan.O * width * S)
    bias = x.new_zeros(plan.O) if plan.drop else None
    pre = base_precomputation(x, spec) if keep else x.new_empty(0)
    y = None
    for f0, f1 in blocks:
        nf = f1 - f0
        f = feats[:plan.B * nf * S].view(plan.B, nf * S)
        xb = x if len(blocks) == 1 else x[:, f0:f1].contiguous()
        bargs = _block_args(spec, args, f0, f1)
        if pre.numel():
            ops.features_out(xb, f, pre, *bargs, plan.drop, True)
        else:
            ops.features_out(xb, f, base_values(xb, spec), *bargs, plan.drop)
        w = _combine(ops, params, spec, f0, f1, wbuf, plan.drop, bias).view(plan.O, nf * S)
        y = torch.mm(f, w.t()) if y is None else y.addmm_(f, w.t())
    y = y if bias is None else y.add_(bias)
    if keep:
        return y, feats.view(plan.B, plan.F * S), wbuf.view(plan.O, plan.F * S), pre
    empty = x.new_empty(0)
    return y, empty, empty, empty


def _saved_backward(gy, x, params, spec, plan, ops, needs, feats, w, pre):
    """:func:`dense_backward` from the forward pass's features, combined weights and base
    precomputation: the dense limit's two GEMMs.  Each input's last spline, left out of
    ``feats``, gets the gradient ``Σ_b gy_bo · (1 - Σ_{other splines} B_s(x_bi))`` (the
    splines sum to one), formed while the gradient is split into the parameters'."""
    need_x, need_w = needs[0], any(needs[1:])
    grads = _grads(params) if need_w else [None] * 3
    Sx, has_base = plan.S - plan.drop, spec.base_fun is not None
    gx = None
    if need_w:
        part = torch.mm(gy.t(), feats).view(plan.O, plan.F, Sx)
        totals = gy.sum(0) if plan.drop else gy.new_empty(0)
        ops.split_grads(part, *params, has_base, 0, *grads, totals)
    if need_x:
        raw, buf = _scratch.take(plan.B * w.shape[1], gy)  # not fresh memory: see _scratch
        gf = torch.mm(gy, w, out=buf.view(plan.B, -1))
        if pre.numel():
            gx = ops.contract_dx(x, gf, pre, *spec.kernel_args(), plan.drop, True)
        else:
            gx = ops.contract_dx(x, gf, base_derivative(x, spec), *spec.kernel_args(), plan.drop)
        del gf, buf
        _scratch.give(raw, _SAVE_BYTES)
    return (gx, *_chosen(grads, needs[1:]))


def dense_backward(gy, x, params, spec, plan, ops, needs, feats=None, w=None, pre=None):
    """The weights' gradient from all ``S`` features per input (each weight's own,
    exactly); x's through the forward pass's ``S - 1`` (the last spline's derivative
    is minus the sum of the others').  With the forward pass's ``feats``, ``w`` and
    ``pre`` (:func:`dense_forward` with ``save``), from those (:func:`_saved_backward`)."""
    gy = gy.contiguous()
    if feats is not None and feats.numel():
        return _saved_backward(gy, x, params, spec, plan, ops, needs, feats, w, pre)
    args = spec.kernel_args()
    need_x, need_w = needs[0], any(needs[1:])
    grads = _grads(params) if need_w else [None] * 3
    gx = x.new_empty(plan.B, plan.F) if need_x else None
    blocks = plan.blocks()
    S, Sx = plan.S, plan.S - plan.drop
    feats = x.new_empty(plan.B * plan.width * S) if need_w else None
    gbuf = x.new_empty(max(plan.B, plan.O) * plan.width * S)
    wbuf = x.new_empty(plan.O * plan.width * Sx) if need_x else None
    for f0, f1 in blocks:
        nf = f1 - f0
        xb = x if len(blocks) == 1 else x[:, f0:f1].contiguous()
        bargs = _block_args(spec, args, f0, f1)
        if need_w:
            f = feats[:plan.B * nf * S].view(plan.B, nf * S)
            ops.features_out(xb, f, base_values(xb, spec), *bargs, False)
            gw = torch.mm(gy.t(), f, out=gbuf[:plan.O * nf * S].view(plan.O, nf * S))
            ops.split_grads(gw.view(plan.O, nf, S), *params, spec.base_fun is not None,
                            f0, *grads, gy.new_empty(0))
        if need_x:
            w = _combine(ops, params, spec, f0, f1, wbuf, plan.drop).view(plan.O, nf * Sx)
            gf = torch.mm(gy, w, out=gbuf[:plan.B * nf * Sx].view(plan.B, -1))
            gx[:, f0:f1] = ops.contract_dx(xb, gf, base_derivative(xb, spec), *bargs, plan.drop)
    return (gx, *_chosen(grads, needs[1:]))


@functools.lru_cache(maxsize=1024)
def _auto(out: int, n_features: int, k: int, has_base: bool, itemsize: int, drop: bool,
          points: int) -> str:
    """The strategy ``"auto"`` picks: ``"rows"`` for layers of at most
    :data:`ROWS_MAX_OUT` outputs and degree at most 3, else the cheaper of
    ``"local"`` and ``"dense"`` by :func:`_local_pays`."""
    if out <= ROWS_MAX_OUT and k <= 3:
        return "rows"
    return "local" if _local_pays(out, n_features, k, has_base, itemsize, drop, points) else "dense"


@functools.lru_cache(maxsize=1024)
def _local_pays(out: int, n_features: int, k: int, has_base: bool, itemsize: int,
                drop: bool, points: int = 1 << 30) -> bool:
    """Whether the local-support kernels beat the dense ones on a layer, by a cost model.

    Costs per point of a forward and backward pass, in multiply-adds of a GEMM,
    measured one thread, float32 (:func:`_simd_costs` has the constants per
    instruction set).  The dense strategy does three GEMMs over ``S - drop``
    features (the last spline folded into a bias, see :func:`dense_forward`;
    the weights' gradient of the left-out spline follows from the others'),
    plus writing and contracting the features, ``feature`` per feature, and a
    fixed cost per call, ``fixed / points`` per point (more kernels and
    operators than the local strategy's; ``points`` is batch × inputs).  The
    local kernels cost ``point`` per point, and ``mac`` per multiply-add of the ``k + 1`` (+ base) rows of
    a point over the padded outputs ``Op``, ``Op / rows`` more as the rows of
    wide outputs fall out of the cache.  Degrees above 3 have only scalar
    local kernels.
    """
    if k > 3:
        return False
    point, mac, rows, feature, fixed = _simd_costs()
    _, padded = _local_tiles(out, itemsize)
    local = point + mac * (k + 1 + has_base) * padded * (1 + padded / rows)
    dense = 3 * (n_features - drop) * out + feature * n_features + fixed / max(points, 1)
    return local < dense


@functools.lru_cache(maxsize=1)
def _simd_costs() -> tuple[float, float, float, float, float]:
    """``(point, mac, rows, feature, fixed)`` of :func:`_local_pays`, by the vector
    instructions torch found on this CPU (the kernels are built with ``-march=native``).

    * AVX-512 (an Intel CPU, ``benchmarks/layer_ratio.py`` shapes): a local
      multiply-add costs 5.2 GEMM ones, wide outputs lose ``Op / 4096``; the
      dense side as measured there before the features were kept for the
      backward pass (143 per feature, for two evaluations and a contraction).
    * Otherwise (AVX2: AMD EPYC Zen 3, 2026-12-03, shapes from [2,5] to
      [1024,1024], batches 128 to 2000): about 1200 per point plus 9.5 per
      local multiply-add, ``Op / 512`` for wide outputs; 132 per dense feature
      and a fixed cost worth 1e7 multiply-adds per call (the local kernels won
      only on layers of a few inputs and outputs, where that fixed cost rules).
    * AVX-512 on an AMD CPU (Zen 4, 2026-12-04, ``[1024,1024]`` b=1024 to ``[64,10]``
      b=512, 1 and 2 threads): the local kernels won on every shape measured, by 7 %
      at ``[1024,1024]`` and 35–50 % on the others; a local multiply-add costs 3.2 GEMM
      ones there.
    """
    if torch.backends.cpu.get_cpu_capability() == "AVX512":
        return 0.0, 3.2 if _cpu_vendor() == "AuthenticAMD" else 5.2, 4096.0, 143.0, 0.0
    return 1200.0, 9.5, 512.0, 132.0, 1e7


def _cpu_vendor() -> str:
    """The CPU's vendor string (``GenuineIntel``, ``AuthenticAMD``), or ``""`` where
    ``/proc/cpuinfo`` does not say."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("vendor_id"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


@functools.lru_cache(maxsize=256)
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


def base_precomputation(x: Tensor, spec: SplineSpec) -> Tensor:
    """What the local kernels form the base function and its derivative from (its
    table entry's ``precompute``: ``sigmoid(x)`` for SiLU, ``tanh(x)`` for tanh,
    elementwise, so of x's columns too), computed once for the forward and the
    backward pass; else empty."""
    entry = BASE_FUNCTIONS.get(spec.base_name)
    if entry is None or entry.precompute is None:
        return x.new_empty(0)
    return entry.precompute(x)


def local_forward(x, params, spec, ops) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``(y, w, xT, pre)``: the output, and what the backward pass reuses: the packed
    weights, x's columns ``(F, B)`` (the kernels read a column per input) and the base
    precomputation of those columns (:func:`base_precomputation`)."""
    O = params[0].shape[0]
    vectors, padded = _local_tiles(O, x.element_size())
    w = _pack(ops, params, spec, padded, 0, x.shape[1])
    xT = ops.columns(x)
    pre = base_precomputation(xT, spec)
    y = ops.local_forward(xT, w, pre, *spec.kernel_args(), vectors, config.get().local_rows)
    return (y if padded == O else y[:, :O].contiguous()), w, xT, pre


def rows_forward(x, params, spec, ops) -> Tensor:
    """``y`` by the rows kernels (``csrc/rows.cpp``): x as it is, nothing kept."""
    return ops.rows_forward(x, *params, *spec.kernel_args())


def rows_backward(gy, x, params, spec, ops, needs):
    """Gradients of :func:`rows_forward` from one kernel call."""
    need_x, need_w = needs[0], any(needs[1:])
    grads = _grads(params) if need_w else [x.new_empty(0)] * 3
    gx = ops.rows_backward(x, gy.contiguous(), *params, *grads, *spec.kernel_args(), need_x,
                           need_w)
    return (gx if need_x else None, *_chosen(grads, needs[1:]))


def local_backward(gy, params, spec, ops, needs, w, xT, pre):
    O = params[0].shape[0]
    vectors, padded = _local_tiles(O, xT.element_size())
    if padded == O:
        gy = gy.contiguous()
    else:  # zero padding to whole tiles (a new tensor and one copy: cheaper than F.pad)
        full = gy.new_zeros(gy.shape[0], padded)
        full.narrow(1, 0, O).copy_(gy)
        gy = full
    need_x, need_w = needs[0], any(needs[1:])
    if not need_x:
        w = xT.new_empty(0)
    grads = _grads(params) if need_w else [xT.new_empty(0)] * 3
    gx = ops.local_backward(xT, gy, w, pre, *params, *grads, *spec.kernel_args(), vectors,
                            config.get().local_rows, need_x, need_w)
    return (gx if need_x else None, *_chosen(grads, needs[1:]))

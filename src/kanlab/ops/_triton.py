"""The fused KAN layer on CUDA through Triton kernels (``pip install kanlab[gpu]``).

Triton is optional and imported lazily: without it, or for what the kernels do not
cover, :func:`usable` is false and :class:`kanlab.nn.KANLayer` runs the pure-PyTorch
reference, as before.  The kernels (:mod:`kanlab.ops._triton_kernels`) take ``x`` and the
combined weights ``W = [scale_base·mask | scale_sp·mask·coef]`` (``(O, F, S)``, formed by
differentiable tensor operations, so autograd carries ``gW`` to the parameters) and give
``y``, ``gx`` and ``gW``; only ``x`` and ``W`` are kept for the backward pass.

Two strategies (:func:`local_pays` chooses, or ``kanlab.config`` ``strategy``):

* *dense*: the feature rows of a tile are formed in registers and contracted with
  ``tl.dot``: ``2·B·O·F·SP`` flops per product (``SP``: ``S`` padded to a power of two,
  at least 16), on tensor cores with TF32 when torch allows it for matmuls;
* *local*: forward and ``gx`` touch only the ``k + 1`` (+ base) weights a point needs
  (gathered loads, ``2·(k + 1 + base)·B·O·F`` flops, CUDA cores); ``gW`` is the dense
  kernel's (a scatter would need atomics).

``TRITON_INTERPRET=1`` runs the same kernels on CPU tensors (how the tests check them).
Only equally spaced knots are covered (the default grid; after ``update_grid`` on data
the knots are not uniform and the reference runs).
"""
from __future__ import annotations

import importlib.util

import torch
from torch import Tensor

from kanlab import config
from kanlab._compat import Function, forward_ad_active, is_fake, is_functorch_wrapped
from kanlab.ops._base_functions import KERNEL_CODES
from kanlab.ops._kan_linear import SplineSpec, combined_weight, features
from kanlab.ops._strategies import base_derivative, base_values

__all__ = ["available", "usable", "kan_linear_triton", "local_pays", "TritonKANFunction"]

BLOCK_B, BLOCK_O = 32, 32
# Cost model constants (see docs/performance_gpu.md): a gathered multiply-add of the
# local kernels costs about LOCAL_COST dot multiply-adds of the dense ones (CUDA cores,
# ieee fp32), and tensor cores (TF32) do TF32_SPEEDUP of them in the time of one.
LOCAL_COST = 2.0
TF32_SPEEDUP = 8.0


def available() -> bool:
    """Whether triton can be imported (checked without importing it)."""
    return importlib.util.find_spec("triton") is not None


def usable(x: Tensor, spec: SplineSpec, *params: Tensor) -> bool:
    """Whether :func:`kan_linear_triton` may run on these tensors: CUDA tensors, float32/64,
    equally spaced knots, kernels on in ``kanlab.config``, triton importable, not traced,
    compiled or under a transform.  (Under ``TRITON_INTERPRET=1`` the kernels also run on
    CPU tensors, but only when called directly: the CPU has its own kernels.)"""
    if not x.is_cuda or x.dtype not in (torch.float32, torch.float64):
        return False
    if not spec.uniform or spec.base_name not in KERNEL_CODES or spec.edge_functions is not None or x.numel() == 0:
        return False
    if not config.get().kernels or not available():
        return False
    if torch.compiler.is_compiling() or torch.jit.is_tracing() or torch.jit.is_scripting():
        return False
    if forward_ad_active():
        return False
    return not any(is_fake(t) or is_functorch_wrapped(t) for t in (x, spec.knots, *params))


def _padded(S: int) -> int:
    return max(16, 1 << (S - 1).bit_length())


def local_pays(spec: SplineSpec, dtype: torch.dtype) -> bool:
    """Whether the local kernels beat the dense ones: per point and output, the dense
    strategy does ``SP`` multiply-adds per product (fewer in effect with TF32 tensor
    cores), the local one ``k + 1 + base`` gathered ones, each worth ``LOCAL_COST``."""
    setting = config.get().strategy
    if setting != "auto":  # "rows" (a CPU strategy: per point, k + 2 weight rows) is local here
        return setting in ("local", "rows")
    dense = _padded(spec.n_features)
    if dtype == torch.float32 and torch.backends.cuda.matmul.allow_tf32:
        dense /= TF32_SPEEDUP
    local = LOCAL_COST * (spec.k + 1 + (spec.base_fun is not None))
    return local < dense


def _precision(dtype: torch.dtype) -> str:
    return "tf32" if dtype == torch.float32 and torch.backends.cuda.matmul.allow_tf32 else "ieee"


def _knot_args(spec: SplineSpec) -> tuple:
    """Per input: base interval ``[lo, hi]`` and ``1 / h``, exactly as the reference forms
    them, and the cardinal matrix."""
    knots, k = spec.knots, spec.k
    n = knots.shape[-1] - k - 1
    inv = (knots.shape[-1] - 1) / (knots[:, -1] - knots[:, 0])
    return (knots[:, k].contiguous(), knots[:, n].contiguous(), inv.contiguous(),
            spec.table.contiguous())


def _meta(spec: SplineSpec, x: Tensor) -> dict:
    S = spec.n_features
    return dict(K=spec.k, NB=int(spec.base_fun is not None), S=S,
                LINEAR=spec.extrapolate == "linear", BLOCK_B=BLOCK_B, BLOCK_O=BLOCK_O)


def _kernels():
    from kanlab.ops import _triton_kernels
    return _triton_kernels


def _grid(spec: SplineSpec) -> int:
    return spec.knots.shape[-1] - 2 * spec.k - 1


def forward(x: Tensor, w: Tensor, spec: SplineSpec, local: bool) -> Tensor:
    """``y (B, O)`` of ``x (B, F)`` and combined weights ``w (O, F, S)`` (contiguous)."""
    kern, B, F, O = _kernels(), x.shape[0], x.shape[1], w.shape[0]
    y = x.new_empty(B, O)
    args = (x, base_values(x, spec), w, y, *_knot_args(spec), B, F, O, _grid(spec))
    grid = (triton_cdiv(B, BLOCK_B), triton_cdiv(O, BLOCK_O))
    meta = _meta(spec, x)
    if local:
        kern.local_forward[grid](*args, **meta)
    else:
        kern.dense_forward[grid](*args, **meta, SP=_padded(meta["S"]),
                                 PRECISION=_precision(x.dtype))
    return y


def backward(gy: Tensor, x: Tensor, w: Tensor, spec: SplineSpec, local: bool,
             need_x: bool, need_w: bool) -> tuple[Tensor | None, Tensor | None]:
    """``(gx, gW)`` of :func:`forward` for the output gradient ``gy`` (contiguous)."""
    kern, B, F, O = _kernels(), x.shape[0], x.shape[1], w.shape[0]
    meta = _meta(spec, x)
    knots = _knot_args(spec)
    SP, precision = _padded(meta["S"]), _precision(x.dtype)
    gx = gw = None
    if need_x:
        gx = x.new_empty(B, F)
        args = (x, base_derivative(x, spec), gy, w, gx, *knots, B, F, O, _grid(spec))
        if local:
            kern.local_grad_x[(triton_cdiv(B, BLOCK_B), F)](*args, **meta)
        else:
            kern.dense_grad_x[(triton_cdiv(B, BLOCK_B), F)](*args, **meta, SP=SP,
                                                             PRECISION=precision)
    if need_w:
        gw = torch.empty_like(w)
        kern.dense_grad_w[(triton_cdiv(O, BLOCK_O), F)](
            x, base_values(x, spec), gy, gw, *knots, B, F, O, _grid(spec), **meta, SP=SP,
            PRECISION=precision)
    return gx, gw


def triton_cdiv(a: int, b: int) -> int:
    return -(-a // b)


class TritonKANFunction(Function):
    """``(x (B, F), W (O, F, S), spec, local) -> y (B, O)`` by the Triton kernels.

    With ``create_graph`` the backward pass differentiates the pure-PyTorch
    ``features(x) @ W``, so higher derivatives stay exact.
    """

    @staticmethod
    def forward(x, w, spec, local):
        return forward(x, w, spec, local)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        x, w, spec, local = inputs
        ctx.save_for_backward(x, w)
        ctx.spec, ctx.local = spec, local

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad[:2]
        if torch.is_grad_enabled():  # create_graph: differentiate the reference
            wanted = [t for t, need in zip((x, w), (need_x, need_w)) if need]
            with torch.enable_grad():
                y = features(x, ctx.spec).flatten(1) @ w.flatten(1).t()
                grads = iter(torch.autograd.grad(y, wanted, gy, create_graph=True))
            return (next(grads) if need_x else None, next(grads) if need_w else None,
                    None, None)
        gx, gw = backward(gy.contiguous(), x, w, ctx.spec, ctx.local, need_x, need_w)
        return gx, gw, None, None


def kan_linear_triton(x: Tensor, coef: Tensor, scale_base: Tensor, scale_sp: Tensor,
                      mask: Tensor, spec: SplineSpec) -> Tensor:
    """The layer's output ``(B, O)``, as :func:`kanlab.ops._kan_linear.reference`, by the
    Triton kernels.  Call only when :func:`usable` is true; ``x`` must be contiguous."""
    w = combined_weight(coef, scale_base, scale_sp, mask, spec.base_fun is not None).contiguous()
    return TritonKANFunction.apply(x, w, spec, local_pays(spec, x.dtype))


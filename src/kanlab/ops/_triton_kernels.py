"""Triton kernels of the fused KAN layer (imported only by :mod:`kanlab.ops._triton`, which
imports this module lazily: ``import kanlab`` never needs triton).

Layout (as :func:`kanlab.ops._kan_linear.reference`): ``x (B, F)``, combined weights
``W (O, F, S)`` with ``S = [base] + G + k`` features per input (base function first when
the layer has one), ``y (B, O)``.  Knots are uniform per input: input ``i`` has the base
interval ``[lo_i, hi_i]`` and ``inv_i = 1 / h_i``; ``C`` is the ``(k + 1, k + 1)`` cardinal
matrix (powers × bases).  On span ``start`` with local coordinate ``s`` the ``k + 1``
non-zero bases are ``Σ_p C[p, r] s^p`` (basis ``start + r``), evaluated by Horner's rule.

Kernels (one program per tile; ``F`` loops inside):

* ``dense_forward``: ``y = Σ_i feats_i @ W_iᵀ``, features of a tile written in registers
  (``SP`` = ``S`` padded to a power of two ≥ 16) and contracted with ``tl.dot``;
* ``dense_grad_w``: ``gW[:, i, :] = gyᵀ @ feats_i``;
* ``dense_grad_x``: ``gx[:, i] = Σ_s (gy @ W_i)[:, s] · feats'_i[:, s]``;
* ``local_forward`` / ``local_grad_x``: the same products touching only the ``k + 1``
  (+ base) weights a point needs (gathered loads, no ``tl.dot``): cheaper on large grids.
"""
from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def _span(x_ptr, rb, i, F, B, lo_ptr, hi_ptr, inv_ptr, G):
    """x's column ``i`` on rows ``rb``: the point, its clamp, span and local coordinate."""
    x = tl.load(x_ptr + rb * F + i, mask=rb < B, other=0.0)
    lo = tl.load(lo_ptr + i)
    hi = tl.load(hi_ptr + i)
    inv = tl.load(inv_ptr + i)
    xc = tl.minimum(tl.maximum(x, lo), hi)
    u = (xc - lo) * inv
    start = tl.minimum(tl.maximum(tl.floor(u), 0.0), G - 1.0)
    return x, xc, inv, start, u - start


@triton.jit
def _horner(c_ptr, r, s, valid, K: tl.constexpr, DERIV: tl.constexpr):
    """``Σ_p C[p, r] s^p`` (DERIV 0) or ``Σ_p p C[p, r] s^(p-1)`` (DERIV 1); r, s broadcast."""
    acc = tl.zeros_like(s)
    if DERIV == 0:
        for q in tl.static_range(K + 1):
            p = K - q
            acc = acc * s + tl.load(c_ptr + p * (K + 1) + r, mask=valid, other=0.0)
    else:
        for q in tl.static_range(K):
            p = K - q
            acc = acc * s + p * tl.load(c_ptr + p * (K + 1) + r, mask=valid, other=0.0)
    return acc


@triton.jit
def _features(x_ptr, b_ptr, rb, i, F, B, lo_ptr, hi_ptr, inv_ptr, c_ptr, G,
              K: tl.constexpr, NB: tl.constexpr, S: tl.constexpr, SP: tl.constexpr,
              LINEAR: tl.constexpr, DERIV: tl.constexpr):
    """Dense feature rows ``(BLOCK_B, SP)`` of input ``i`` (DERIV 1: their x-derivatives);
    the base slot from ``b_ptr`` (b(x) or b'(x), computed by the caller)."""
    x, xc, inv, start, s = _span(x_ptr, rb, i, F, B, lo_ptr, hi_ptr, inv_ptr, G)
    cols = tl.arange(0, SP)
    r = cols[None, :] - NB - start.to(tl.int32)[:, None]
    valid = (r >= 0) & (r <= K) & (cols[None, :] >= NB) & (cols[None, :] < S)
    r = tl.where(valid, r, 0)
    s2 = tl.zeros_like(r).to(s.dtype) + s[:, None]
    if DERIV == 0:
        vals = _horner(c_ptr, r, s2, valid, K, 0)
        if LINEAR:  # continue along the end tangent outside [lo, hi]
            vals += ((x - xc) * inv)[:, None] * _horner(c_ptr, r, s2, valid, K, 1)
    else:
        vals = _horner(c_ptr, r, s2, valid, K, 1) * inv
        if not LINEAR:  # constant extrapolation: flat outside
            vals = tl.where((x != xc)[:, None], 0.0, vals)
    if NB:
        bv = tl.load(b_ptr + rb * F + i, mask=rb < B, other=0.0)
        vals = tl.where(cols[None, :] == 0, bv[:, None], vals)
    return vals


@triton.jit
def dense_forward(x_ptr, bx_ptr, w_ptr, y_ptr, lo_ptr, hi_ptr, inv_ptr, c_ptr, B, F, O, G,
                  K: tl.constexpr, NB: tl.constexpr, S: tl.constexpr, SP: tl.constexpr,
                  LINEAR: tl.constexpr, BLOCK_B: tl.constexpr, BLOCK_O: tl.constexpr,
                  PRECISION: tl.constexpr):
    rb = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)
    ro = tl.program_id(1) * BLOCK_O + tl.arange(0, BLOCK_O)
    cols = tl.arange(0, SP)
    wmask = (cols[:, None] < S) & (ro[None, :] < O)
    acc = tl.zeros((BLOCK_B, BLOCK_O), dtype=y_ptr.dtype.element_ty)
    for i in range(F):
        feats = _features(x_ptr, bx_ptr, rb, i, F, B, lo_ptr, hi_ptr, inv_ptr, c_ptr, G,
                          K, NB, S, SP, LINEAR, 0)
        w = tl.load(w_ptr + ro[None, :] * (F * S) + i * S + cols[:, None], mask=wmask, other=0.0)
        acc += tl.dot(feats, w, input_precision=PRECISION, out_dtype=acc.dtype)
    tl.store(y_ptr + rb[:, None] * O + ro[None, :], acc, mask=(rb[:, None] < B) & (ro[None, :] < O))


@triton.jit
def dense_grad_w(x_ptr, bx_ptr, gy_ptr, gw_ptr, lo_ptr, hi_ptr, inv_ptr, c_ptr, B, F, O, G,
                 K: tl.constexpr, NB: tl.constexpr, S: tl.constexpr, SP: tl.constexpr,
                 LINEAR: tl.constexpr, BLOCK_B: tl.constexpr, BLOCK_O: tl.constexpr,
                 PRECISION: tl.constexpr):
    ro = tl.program_id(0) * BLOCK_O + tl.arange(0, BLOCK_O)
    i = tl.program_id(1)
    cols = tl.arange(0, SP)
    acc = tl.zeros((BLOCK_O, SP), dtype=gw_ptr.dtype.element_ty)
    for b0 in range(0, B, BLOCK_B):
        rb = b0 + tl.arange(0, BLOCK_B)
        feats = _features(x_ptr, bx_ptr, rb, i, F, B, lo_ptr, hi_ptr, inv_ptr, c_ptr, G,
                          K, NB, S, SP, LINEAR, 0)
        gyT = tl.load(gy_ptr + rb[None, :] * O + ro[:, None],
                      mask=(rb[None, :] < B) & (ro[:, None] < O), other=0.0)
        acc += tl.dot(gyT, feats, input_precision=PRECISION, out_dtype=acc.dtype)
    tl.store(gw_ptr + ro[:, None] * (F * S) + i * S + cols[None, :], acc,
             mask=(ro[:, None] < O) & (cols[None, :] < S))


@triton.jit
def dense_grad_x(x_ptr, dbx_ptr, gy_ptr, w_ptr, gx_ptr, lo_ptr, hi_ptr, inv_ptr, c_ptr, B, F, O,
                 G, K: tl.constexpr, NB: tl.constexpr, S: tl.constexpr, SP: tl.constexpr,
                 LINEAR: tl.constexpr, BLOCK_B: tl.constexpr, BLOCK_O: tl.constexpr,
                 PRECISION: tl.constexpr):
    rb = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)
    i = tl.program_id(1)
    cols = tl.arange(0, SP)
    acc = tl.zeros((BLOCK_B, SP), dtype=gx_ptr.dtype.element_ty)
    for o0 in range(0, O, BLOCK_O):
        ro = o0 + tl.arange(0, BLOCK_O)
        gy = tl.load(gy_ptr + rb[:, None] * O + ro[None, :],
                     mask=(rb[:, None] < B) & (ro[None, :] < O), other=0.0)
        w = tl.load(w_ptr + ro[:, None] * (F * S) + i * S + cols[None, :],
                    mask=(ro[:, None] < O) & (cols[None, :] < S), other=0.0)
        acc += tl.dot(gy, w, input_precision=PRECISION, out_dtype=acc.dtype)
    dfeats = _features(x_ptr, dbx_ptr, rb, i, F, B, lo_ptr, hi_ptr, inv_ptr, c_ptr, G,
                       K, NB, S, SP, LINEAR, 1)
    tl.store(gx_ptr + rb * F + i, tl.sum(acc * dfeats, axis=1), mask=rb < B)


@triton.jit
def _local_value(c_ptr, s, xs, r: tl.constexpr, K: tl.constexpr, LINEAR: tl.constexpr,
                 DERIV: tl.constexpr, inv, outside):
    """Basis ``start + r`` at the points (scalar table entries, no gather)."""
    v = tl.zeros_like(s)
    if DERIV == 0:
        for q in tl.static_range(K + 1):
            v = v * s + tl.load(c_ptr + (K - q) * (K + 1) + r)
        if LINEAR:
            d = tl.zeros_like(s)
            for q in tl.static_range(K):
                d = d * s + (K - q) * tl.load(c_ptr + (K - q) * (K + 1) + r)
            v += xs * inv * d
    else:
        for q in tl.static_range(K):
            v = v * s + (K - q) * tl.load(c_ptr + (K - q) * (K + 1) + r)
        v = v * inv
        if not LINEAR:
            v = tl.where(outside, 0.0, v)
    return v


@triton.jit
def local_forward(x_ptr, bx_ptr, w_ptr, y_ptr, lo_ptr, hi_ptr, inv_ptr, c_ptr, B, F, O, G,
                  K: tl.constexpr, NB: tl.constexpr, S: tl.constexpr, LINEAR: tl.constexpr,
                  BLOCK_B: tl.constexpr, BLOCK_O: tl.constexpr):
    rb = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)
    ro = tl.program_id(1) * BLOCK_O + tl.arange(0, BLOCK_O)
    m2 = (rb[:, None] < B) & (ro[None, :] < O)
    acc = tl.zeros((BLOCK_B, BLOCK_O), dtype=y_ptr.dtype.element_ty)
    for i in range(F):
        x, xc, inv, start, s = _span(x_ptr, rb, i, F, B, lo_ptr, hi_ptr, inv_ptr, G)
        row = w_ptr + ro[None, :] * (F * S) + i * S + NB + start.to(tl.int32)[:, None]
        for r in tl.static_range(K + 1):
            v = _local_value(c_ptr, s, x - xc, r, K, LINEAR, 0, inv, x != xc)
            acc += v[:, None] * tl.load(row + r, mask=m2, other=0.0)
        if NB:
            bv = tl.load(bx_ptr + rb * F + i, mask=rb < B, other=0.0)
            wb = tl.load(w_ptr + ro * (F * S) + i * S, mask=ro < O, other=0.0)
            acc += bv[:, None] * wb[None, :]
    tl.store(y_ptr + rb[:, None] * O + ro[None, :], acc, mask=m2)


@triton.jit
def local_grad_x(x_ptr, dbx_ptr, gy_ptr, w_ptr, gx_ptr, lo_ptr, hi_ptr, inv_ptr, c_ptr, B, F,
                 O, G, K: tl.constexpr, NB: tl.constexpr, S: tl.constexpr,
                 LINEAR: tl.constexpr, BLOCK_B: tl.constexpr, BLOCK_O: tl.constexpr):
    rb = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)
    i = tl.program_id(1)
    x, xc, inv, start, s = _span(x_ptr, rb, i, F, B, lo_ptr, hi_ptr, inv_ptr, G)
    acc = tl.zeros_like(s)
    for o0 in range(0, O, BLOCK_O):
        ro = o0 + tl.arange(0, BLOCK_O)
        m2 = (rb[:, None] < B) & (ro[None, :] < O)
        gy = tl.load(gy_ptr + rb[:, None] * O + ro[None, :], mask=m2, other=0.0)
        row = w_ptr + ro[None, :] * (F * S) + i * S + NB + start.to(tl.int32)[:, None]
        for r in tl.static_range(K + 1):
            dv = _local_value(c_ptr, s, x - xc, r, K, LINEAR, 1, inv, x != xc)
            acc += dv * tl.sum(gy * tl.load(row + r, mask=m2, other=0.0), axis=1)
        if NB:
            wb = tl.load(w_ptr + ro * (F * S) + i * S, mask=ro < O, other=0.0)
            dbv = tl.load(dbx_ptr + rb * F + i, mask=rb < B, other=0.0)
            acc += dbv * tl.sum(gy * wb[None, :], axis=1)
    tl.store(gx_ptr + rb * F + i, acc, mask=rb < B)

"""Decaying envelopes of a phase: ``y = a·exp(-u)·sin(p + q)`` as a factor times a short sum.

A sine or cosine of a sum of two arguments is, by the angle-sum identities, a sum of
two products of a sine or cosine of one and one of the other
(:func:`kanlab.discover._terms.phase_terms`), so ``y`` and ``y/x`` are fitted as such
sums.  A damped oscillation with a phase, ``A·exp(-t/τ)·sin(ω·t + φ)``, is that sum
times an *envelope* ``A·exp(-t/τ)``: the products of three and four factors are beyond
the term lists, and ``log|y|`` does not exist where ``y`` crosses 0.

:func:`phase_envelopes` screens every envelope ``h = a·exp(-u)`` (``a`` 1 or an input
that is never 0; ``u ≥ 0`` an input, or a product or ratio of two) by one small
least-squares fit per pair of arguments ``(p, q)`` sharing no input (single inputs and
products of two, as in the phase terms): ``y ≈ h·Σ c_k·g_k`` over the four products
``sin p·cos q``, ``cos p·sin q``, ``cos p·cos q``, ``sin p·sin q``, which span the
sines and cosines of ``p ± q``.  The few envelopes whose best pair explains far more
than no envelope does are returned; the structure search then fits ``y/h`` over the
whole phase term list, like ``y/x``.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np

__all__ = ["phase_envelopes", "MOST_ENVELOPES", "GAIN"]

MOST_ENVELOPES = 2  # envelopes returned at most
GAIN = 0.5  # an envelope's best residual must be below this share of the best without one
_RIDGE = 1e-10  # relative to the Gram matrix's trace: four columns may be near-dependent


def _arguments(X, symbols, limit):
    """``[(inputs, values, expr)]``: single inputs and products of two, bounded by ``limit``."""
    n = X.shape[1]
    args = [((i,), X[:, i], symbols[i]) for i in range(n)]
    args += [((i, j), X[:, i] * X[:, j], symbols[i] * symbols[j])
             for i, j in combinations(range(n), 2)]
    return [(set(idx), v, e) for idx, v, e in args
            if np.all(np.isfinite(v)) and float(np.max(np.abs(v))) <= limit]


def _decays(X, symbols, limit):
    """``[(values, expr)]``: ``exp(-u)`` for ``u ≥ 0`` an input, or a product or ratio of two."""
    import sympy
    n = X.shape[1]
    out = []
    with np.errstate(all="ignore"):
        us = [(X[:, i], symbols[i]) for i in range(n)]
        for i, j in combinations(range(n), 2):
            us.append((X[:, i] * X[:, j], symbols[i] * symbols[j]))
            if np.all(X[:, j] != 0):
                us.append((X[:, i] / X[:, j], symbols[i] / symbols[j]))
            if np.all(X[:, i] != 0):
                us.append((X[:, j] / X[:, i], symbols[j] / symbols[i]))
    for u, e in us:
        if (np.all(np.isfinite(u)) and np.all(u >= 0) and float(np.ptp(u)) > 0
                and float(np.max(u)) <= limit):
            out.append((np.exp(-u), sympy.exp(-e)))
    return out


def _best_pair_residual(h, blocks, y) -> float:
    """The smallest RMS residual of ``y ≈ h·Σ c_k·g_k`` over the four columns of any block."""
    M = blocks * h[:, None, None]  # (rows, pairs, 4)
    G = np.einsum("nki,nkj->kij", M, M)
    r = np.einsum("nki,n->ki", M, y)
    ridge = _RIDGE * np.trace(G, axis1=1, axis2=2)[:, None, None] * np.eye(4)
    try:
        coef = np.linalg.solve(G + ridge, r[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return float("inf")
    explained = np.einsum("ki,ki->k", coef, r)
    rest = np.maximum(float(y @ y) - explained, 0.0)
    return float(np.sqrt(np.min(rest) / len(y)))


def phase_envelopes(X, symbols, y, limit: float = 40.0, most: int = MOST_ENVELOPES) -> list:
    """``[(values, expr)]``: envelopes ``h`` for which ``y/h`` is a short phase sum.

    Args:
        X: the rows, those of ``y`` first (more rows may follow; ``values`` cover all).
        symbols: one sympy symbol per column of ``X``.
        y: the target on the first rows; only one that takes both signs is considered
            (of one sign, ``log|y|`` fits the envelope already).
        limit: the largest argument of a sine, cosine or decay.
        most: the largest number of envelopes returned, best first.

    An envelope is returned when its best pair's residual is below :data:`GAIN` times the
    best residual without a decay (``h`` = 1 or an input), so a law without an envelope
    adds no fits.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m = len(y)
    if m < 20 or np.all(y >= 0) or np.all(y <= 0):
        return []
    args = _arguments(X, symbols, limit)
    pairs = [(a, b) for a, b in combinations(args, 2) if not (a[0] & b[0])]
    if not pairs:
        return []
    with np.errstate(all="ignore"):
        blocks = np.stack([np.column_stack([np.sin(a[1]) * np.cos(b[1]), np.cos(a[1]) * np.sin(b[1]),
                                            np.cos(a[1]) * np.cos(b[1]), np.sin(a[1]) * np.sin(b[1])])
                           for a, b in pairs], axis=1)  # (rows, pairs, 4)
    amplitudes = [(np.ones(len(X)), 1)] + [(X[:, i], symbols[i]) for i in range(X.shape[1])
                                            if np.all(X[:, i] != 0)]
    train = blocks[:m]
    plain = min(_best_pair_residual(a[:m], train, y) for a, _ in amplitudes)
    scored = []
    for d, d_expr in _decays(X, symbols, limit):
        for a, a_expr in amplitudes:
            h = a * d
            err = _best_pair_residual(h[:m], train, y)
            if err < GAIN * plain:
                scored.append((err, h, a_expr * d_expr))
    scored.sort(key=lambda s: s[0])
    return [(h, e) for _, h, e in scored[:most]]

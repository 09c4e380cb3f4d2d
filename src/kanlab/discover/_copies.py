"""Columns that are exact affine copies of another: the same quantity in two units.

A table may hold an angle in radians and in degrees, a temperature in kelvin and in
degrees Celsius.  A fit may then spread a power over both (``θ°³/θ²`` for ``θ``), and
the printed formula reads as nonsense though its values are right.
:func:`copy_substitutions` finds such pairs on the rows and gives the substitutions
that write one column in terms of the other; :func:`kanlab.discover._simplify.simplest`
tries them as rewritings (kept only when shorter and equal on the rows).
"""
from __future__ import annotations

import functools

import numpy as np

__all__ = ["copy_substitutions", "COPY_RTOL"]

COPY_RTOL = 1e-9  # largest |x_j − (a·x_i + b)| over the rows, relative to max |x_j|


def _affine_copy(u, v):
    """``(a, b)`` with ``v = a·u + b`` on every row to :data:`COPY_RTOL`, else None."""
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))) or np.ptp(u) == 0:
        return None
    A = np.column_stack([u, np.ones_like(u)])  # (rows, 2)
    (a, b), *_ = np.linalg.lstsq(A, v, rcond=None)
    size = float(np.max(np.abs(v)))
    if a == 0 or float(np.max(np.abs(v - (a * u + b)))) > COPY_RTOL * size:
        return None
    return float(a), (0.0 if abs(b) <= COPY_RTOL * size else float(b))


def copy_substitutions(expr, symbols, X) -> list[dict]:
    """``{s_j: a·s_i + b}`` and ``{s_i: (s_j − b)/a}`` for every pair of inputs of
    ``expr`` whose columns of ``X`` (shape ``(rows, len(symbols))``) are exact affine
    copies of each other.  Empty when there is none (the usual case)."""
    import sympy
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 3:
        return []
    used = {k for k, s in enumerate(symbols) if s in expr.free_symbols}
    if len(used) < 2:
        return []
    out = []
    for i, j, a, b in _copy_pairs(X.tobytes(), X.shape):
        if i in used and j in used:
            a, b = sympy.Float(a, 17), sympy.Float(b, 17)
            si, sj = symbols[i], symbols[j]
            out += [{sj: a * si + b}, {si: (sj - b) / a}]
    return out


@functools.lru_cache(maxsize=8)
def _copy_pairs(data: bytes, shape) -> tuple:
    """``((i, j, a, b), ...)``: columns ``j = a·i + b`` of the rows (the bytes of a float64
    array of ``shape``); cached, since every candidate formula is rewritten on the same rows."""
    X = np.frombuffer(data, dtype=np.float64).reshape(shape)
    finite = [k for k in range(shape[1]) if np.all(np.isfinite(X[:, k]))]
    if len(finite) < 2:
        return ()
    # a copy is a correlation of ±1: one product of the standardised columns finds the
    # pairs to check (an exact fit per pair of six inputs cost 3 ms per formula)
    Z = X[:, finite] - X[:, finite].mean(axis=0)
    norms = np.linalg.norm(Z, axis=0)
    Z = Z / np.where(norms > 0, norms, np.inf)  # (rows, finite): a constant column is all 0
    near = np.abs(Z.T @ Z) > 1 - 1e-6  # (finite, finite)
    out = []
    for n, i in enumerate(finite):
        for m in range(n + 1, len(finite)):
            j = finite[m]
            fit = _affine_copy(X[:, i], X[:, j]) if near[n, m] else None
            if fit is not None:
                out.append((i, j, *fit))
    return tuple(out)

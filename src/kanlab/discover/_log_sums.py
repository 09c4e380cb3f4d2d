"""Logs of differences in a sum: ``y = m·(c0 + Σ c·log g)``, ``g`` an input, a sum or a difference.

A time to cool from ``T0`` to ``T`` in surroundings at ``Ta``, ``τ·log((T0 − Ta)/(T − Ta))``,
is an input times a sum of logs of *differences* of inputs; so is a log-mean difference's
denominator, a concentration cell's voltage ``k·T·log((c1 − x)/(c2 − x))``.  The term lists of
:mod:`kanlab.discover._terms` hold logs of single inputs and of ratios of like inputs only,
and the log fits of :mod:`kanlab.discover._sparse` use ``log|x_i − x_j|`` as the logs of
*factors* (``y = (T0 − Ta)^a·…``), not as terms; an input that multiplies the sum is found
by :func:`kanlab.discover._factors.affine_factors` only where the rest is a short sum of
simple terms.

Here ``y/m`` (``m`` 1, a positive input or its reciprocal, rows weighted by ``|m|`` so errors count as in
``y``) is fitted by the beam search of :mod:`kanlab.discover._transformed` as a sum of at most
three columns among the logs of the positive inputs and
:func:`kanlab.discover._factors.difference_logs` (sums and differences of like inputs).
Proposals only: constants are refitted and chosen on the validation rows later.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["log_sum_formulas"]

MAX_INPUTS = 6
FIT_ROWS = 600  # training rows of the fits (all of them refit the constants later)
VAL_ROWS = 1000  # validation rows that score them
PER_SIZE = 2  # formulas returned per number of terms


def log_sum_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``) ``m·(c0 + Σ c·log g)`` (see above)."""
    import sympy
    from kanlab.discover._factors import difference_logs
    from kanlab.discover._split import sample_xy
    from kanlab.discover._transformed import _paths
    if not 1 <= len(symbols) <= MAX_INPUTS:
        return []
    X_train, y_train = sample_xy(np.asarray(X_train, dtype=np.float64), np.asarray(y_train),
                                 FIT_ROWS)
    X_val, y_val = sample_xy(np.asarray(X_val, dtype=np.float64), np.asarray(y_val), VAL_ROWS)
    X_all = np.vstack([X_train, X_val])
    n = len(y_train)
    diffs = difference_logs(X_all, symbols)
    if not diffs:  # logs of single inputs alone: the term lists hold them
        return []
    positive = [i for i in range(len(symbols)) if np.all(X_all[:, i] > 0)]
    with np.errstate(all="ignore"):
        cols = [(np.log(X_all[:, i]), symbols[i]) for i in positive] + diffs
    V = np.column_stack([v for v, _ in cols])
    multipliers = [(np.ones(len(X_all)), sympy.Integer(1))]
    multipliers += [(X_all[:, i] ** p, symbols[i] ** p) for i in positive for p in (1, -1)]
    scored = []
    for m, m_expr in multipliers:
        with np.errstate(all="ignore"):
            t = y_train / m[:n]
        for chosen, beta, c0 in _paths(V[:n], t, np.abs(m[:n])):
            if not any(c >= len(positive) for c in chosen):  # no difference: found elsewhere
                continue
            with np.errstate(all="ignore"):
                pred = m[n:] * (c0 + V[n:, chosen] @ beta)
                err = float(np.sqrt(np.mean((pred - y_val) ** 2)))
            if math.isfinite(err):
                scored.append((err, len(chosen), (chosen, beta, c0, m_expr)))
    out, best = [], math.inf
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    for k in sorted({s[1] for s in scored}):
        same = sorted((s for s in scored if s[1] == k and s[0] < best), key=lambda s: s[0])
        for _, _, (chosen, beta, c0, m_expr) in same[:PER_SIZE]:
            u = F(c0) + sum(F(b) * sympy.log(cols[c][1]) for b, c in zip(beta, chosen))
            out.append(m_expr * u)
        best = min([best] + [s[0] for s in same])
    return out

"""The structure search on a target times a difference: ``y = x_k·S(x)/(x_i − x_j)``.

A sum of functions scaled by a ratio that holds a difference,
``c·u/(u − v)·(exp(−v·t) − exp(−u·t))`` (two exponential rates and their difference), is
no short sum of library terms and no product (it changes sign inside), but
``y·(x_i − x_j)/x_k`` is the short sum ``S``.  The differences tried are those of
:func:`kanlab.discover._transformed.differences` (positive inputs of similar size, one
sign on every row); ``x_k`` is 1 or an input that is never 0.  ``S`` is fitted as a sum of
at most three terms of the full term list (functions of products of two inputs, times a
power) for up to :data:`MAX_INPUTS` inputs, of the short list beyond.  Proposals only:
their constants are refitted and they compete on the validation rows like every other
candidate.
"""
from __future__ import annotations

import numpy as np

__all__ = ["scaled_formulas", "MAX_INPUTS"]

MAX_INPUTS = 4  # inputs up to which the full term list is used
FIT_ROWS = 600  # training rows of the fits (all of them refit the constants later)
VAL_ROWS = 1000  # validation rows that score them
DECAY_LIMIT = 300.0  # exp(-u) kept up to this u (two rates: the faster decay dies out)


def scaled_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``) for ``y`` from fits of ``y·(x_i − x_j)/x_k``."""
    from kanlab.discover._split import sample_xy
    from kanlab.discover._terms import term_library
    from kanlab.discover._transformed import differences, fit_targets
    X_train, y_train = sample_xy(X_train, y_train, FIT_ROWS)
    X_val, y_val = sample_xy(X_val, y_val, VAL_ROWS)
    X_all = np.vstack([X_train, X_val])
    y_all = np.concatenate([y_train, y_val])
    diffs = differences(X_all, symbols)
    if not diffs:
        return []
    scales = [(np.ones(len(y_all)), 1)] + [(X_all[:, k], s) for k, s in enumerate(symbols)
                                           if np.all(X_all[:, k] != 0)]
    targets = []
    with np.errstate(all="ignore"):
        for d, d_expr in diffs:
            for x, x_expr in scales:
                g = x / d  # y = g·S
                t = y_all / g
                if np.all(np.isfinite(t)) and np.ptp(t) > 0:
                    targets.append((t, lambda u, n, g=g: g[n:] * u,
                                    lambda e, g=x_expr / d_expr: g * e))
    if not targets:
        return []
    terms = term_library(X_all, symbols, simple=X_all.shape[1] > MAX_INPUTS,
                         decay_limit=DECAY_LIMIT)
    return fit_targets(targets, terms, None, len(y_train), y_val)

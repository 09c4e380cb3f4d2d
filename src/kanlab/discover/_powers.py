"""The structure search with high integer powers: ``x^12``, ``(a/b)^6`` and such.

The term lists of :mod:`kanlab.discover._terms` stop at powers ±3 (more would multiply
every product of the full list).  A law may hold a higher whole power of one input or
of a ratio of two inputs of one kind (a length over a length, ``c·((a/b)^12 − (a/b)^6)``),
and then as a sum of such terms of both signs, which no log fit reaches.  Here the
bases are the single inputs and the ratios of two positive inputs of comparable size
(medians within a factor 10, as :func:`kanlab.discover._terms.term_library` pairs them
for ``log(V2/V1)``); each is raised to the powers :data:`HIGH_POWERS` (and their
negatives where the base is never 0), alone and times one other input to the power ±1.
These columns, with the short term list, are fitted to ``y`` as a sum of at most three
terms (:func:`kanlab.discover._transformed.fit_targets`).  Proposals only: their constants
are refitted and they compete on the validation rows like every other candidate.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np

__all__ = ["power_formulas", "high_power_terms", "HIGH_POWERS"]

HIGH_POWERS = (4, 5, 6, 8, 9, 10, 12)
MAX_VALUE = 1e100  # columns beyond this are left out (their squares overflow in the fits)


def high_power_terms(X, symbols):
    """``(values, factors)``: high powers of inputs and of ratios of like inputs (see above).

    Same format as :func:`kanlab.discover._terms.term_library`.
    """
    from kanlab.discover._terms import _alike, _usable
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[1]
    bases = [((i,), X[:, i], symbols[i]) for i in range(n)]
    bases += [((i, j), X[:, i] / X[:, j], symbols[i] / symbols[j])
              for i, j in combinations(range(n), 2) if _alike(X[:, i], X[:, j])]
    cols, exprs = [], []
    with np.errstate(all="ignore"):
        for used, b, e in bases:
            nonzero = bool(np.all(b != 0))
            for k in HIGH_POWERS + tuple(-p for p in HIGH_POWERS):
                if k < 0 and not nonzero:
                    continue
                v = b ** float(k)
                if not _usable(v) or float(np.max(np.abs(v))) > MAX_VALUE:
                    continue
                cols.append(v)
                exprs.append((e ** k,))
                for m in range(n):
                    if m in used:
                        continue
                    for p in (1, -1):
                        if p < 0 and np.any(X[:, m] == 0):
                            continue
                        w = v * X[:, m] ** float(p)
                        if _usable(w) and float(np.max(np.abs(w))) <= MAX_VALUE:
                            cols.append(w)
                            exprs.append((e ** k, symbols[m] ** p))
    if not cols:
        return np.empty((len(X), 0)), []
    return np.column_stack(cols), exprs


def power_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``): short sums with high powers (see above)."""
    from kanlab.discover._transformed import extra_term_formulas
    return extra_term_formulas(X_train, y_train, X_val, y_val, symbols, high_power_terms,
                               logs=False)

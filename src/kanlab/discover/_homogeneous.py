"""Laws homogeneous in a pair of inputs: ``y = x_i^a·f(x_j/x_i, the other inputs)``.

Many laws hold a dimensionless group: a free energy ``−T·ln(1 + e^(−E/T))`` is ``T``
times a function of ``E/T`` alone.  Where the group's input takes both signs (an energy
``E`` around 0), the group search of :mod:`kanlab.discover._groups` (positive inputs, a
product of powers) cannot see it, and the sparse fits of ``y`` need a product of a power
and a function of a ratio inside a logarithm.  One input fewer makes it a search the
structure search solves: ``v = y/x_i^a`` of ``u = x_j/x_i`` (or ``x_j·x_i``) and the other
inputs.

:func:`reductions` tests each such reduction without fitting a model: ``v`` is a function
of the reduced inputs when neighbours in the reduced space (columns standardised) have
values of ``v`` as close as neighbours in the full space do.  The mean squared
difference of ``v`` between each row and its nearest neighbour is compared in the two
spaces; a reduction that leaves ``v`` depending on the input it drops has far larger
differences (neighbours in ``u`` differ in ``x_i``), and a true one smaller ones (one
dimension fewer: neighbours are nearer; 0.12 for a free energy of two inputs at noise 0
and at 1 %).  The :data:`MOST` best reductions within :data:`MAX_RATIO` are searched
(:func:`homogeneous_formulas`: the structure search, with ``exp(−v)`` among its
transforms, a log of a sum; not the group search, which holds the groups of positive
inputs already) and the formulas mapped back
(``u → x_j/x_i``, times ``x_i^a``).  Proposals only: their constants are refitted and
they compete on the validation rows like every other candidate.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import permutations

import numpy as np

from kanlab.discover._relevance import nearest_rows, neighbour_spread

__all__ = ["homogeneous_formulas", "reductions", "POWERS", "MAX_RATIO"]

POWERS = (Fraction(1), Fraction(-1), Fraction(2), Fraction(-2), Fraction(1, 2),
          Fraction(-1, 2))  # a in y/x_i^a (halves need a positive x_i)
MAX_RATIO = 0.5  # neighbours' differences in the reduced space at most this share of the full's
MOST = 1  # reductions searched at most (each is a structure search: 0.3-3 s of CPU)
FIT_ROWS = 600  # rows of the neighbour test (its sampling error: about 6 % of the ratio)
MAX_INPUTS = 4  # tables of more inputs are not reduced (a reduced search of 5 inputs: 28 s)
FULL_INPUTS = 2  # reduced problems of more inputs get the short term list only (3: 15 s)
# exp(-v) = 1 + exp(-u): a log of a sum (a free energy, a softplus); besides the usual ones
REDUCED_TRANSFORMS = ("id", "inv", "square", "inv_square", "sqrt", "exp", "nexp")


def _neighbours(Z):
    """Each row's nearest other row in ``Z`` (columns scaled to unit spread)."""
    s = np.std(Z, axis=0)
    return nearest_rows(Z / np.where(s > 0, s, 1.0))


def _reduced(X, i, j, op):
    """The inputs with ``x_j`` replaced by ``x_j/x_i`` (``op`` -1) or ``x_j·x_i`` (1) and
    ``x_i`` dropped: ``(columns, kept)``, the group first, ``kept`` the other inputs' indices."""
    u = X[:, j] * X[:, i] ** float(op)
    kept = [k for k in range(X.shape[1]) if k not in (i, j)]
    return np.column_stack([u] + [X[:, k] for k in kept]), kept


def reductions(X, y, most: int = MOST) -> list:
    """``[(ratio, i, j, op, a)]``: the reductions ``y/x_i^a = f(x_j·x_i^op, rest)``, best first.

    ``ratio``: the neighbours' mean squared difference of ``v = y/x_i^a`` in the reduced
    space over that in the full space (see the module's notes); only those up to
    :data:`MAX_RATIO` are returned.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = X.shape[1]
    if n < 2 or n > MAX_INPUTS or len(y) < 20:
        return []
    scored = []
    near_full = _neighbours(X)
    with np.errstate(all="ignore"):
        for i, j in permutations(range(n), 2):
            xi = X[:, i]
            if not (np.all(xi > 0) or np.all(xi < 0)):
                continue
            for op in (-1, 1):
                Z, _ = _reduced(X, i, j, op)
                if not np.all(np.isfinite(Z)) or float(np.ptp(Z[:, 0])) == 0:
                    continue
                near = _neighbours(Z)
                for a in POWERS:
                    if a.denominator > 1 and not np.all(xi > 0):
                        continue
                    v = y / np.abs(xi) ** float(a)
                    if not np.all(np.isfinite(v)) or float(np.ptp(v)) == 0:
                        continue
                    full = neighbour_spread(near_full, v)
                    if full <= 0:
                        continue
                    ratio = neighbour_spread(near, v) / full
                    if ratio <= MAX_RATIO:
                        scored.append((ratio, i, j, op, a))
    scored.sort(key=lambda s: s[0])
    return scored[:most]


def homogeneous_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``) ``x_i^a·f(x_j/x_i, rest)`` (see above)."""
    import sympy
    from kanlab.discover._sparse import structure_formulas
    from kanlab.discover._split import sample_xy
    X_fit, y_fit = sample_xy(X_train, y_train, FIT_ROWS)
    X_val = np.asarray(X_val, dtype=np.float64)
    y_val = np.asarray(y_val, dtype=np.float64)
    out = []
    for _, i, j, op, a in reductions(X_fit, y_fit):
        Z_tr, kept = _reduced(np.asarray(X_train, dtype=np.float64), i, j, op)
        Z_va, _ = _reduced(X_val, i, j, op)
        scale_tr = np.abs(np.asarray(X_train, dtype=np.float64)[:, i]) ** float(a)
        scale_va = np.abs(X_val[:, i]) ** float(a)
        u = sympy.Dummy("u", positive=True) if np.all(Z_tr[:, 0] > 0) else sympy.Dummy(
            "u", real=True)
        sub = [u] + [symbols[k] for k in kept]
        v_tr, v_va = y_train / scale_tr, y_val / scale_va
        found = structure_formulas(Z_tr, v_tr, Z_va, v_va, sub, transforms=REDUCED_TRANSFORMS,
                                   full=len(sub) <= FULL_INPUTS)
        xi = symbols[i] if np.all(X_fit[:, i] > 0) else -symbols[i]  # |x_i|
        factor = xi ** sympy.Rational(a.numerator, a.denominator)
        group = symbols[j] * symbols[i] ** op
        out += [factor * e.xreplace({u: group}) for e in found]
    return out

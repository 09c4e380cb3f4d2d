"""Laws that are a polynomial after a transform: ``y = s·(P(x)/x_k^q)^(1/p)``, an angle
``acos(P(x)/m)``, a logistic ``h/(1 + exp(P(x)))``, with ``P`` a short sum of monomials.

A law may be a power of a polynomial in its inputs: an amplitude over the root of a sum
of squares, ``F/sqrt((a² − b²)² + (c·b)²)``, is ``(F/y)² = a⁴ − 2a²b² + b⁴ + c²b²``.
Neither a sparse sum of library terms (products of at most three factors, each power at
most 3) nor a log fit holds it: the polynomial has four terms of degree four, and its
root is no product.

Here every target of :func:`kanlab.discover._polynomial_targets.polynomial_targets`
(``t = y^p·m``, ``cos(y)·m``, ``log(h/y − 1)``, ...) is first fitted densely by all monomials of total
degree at most :data:`DEGREE` (rows weighted so that errors count as in ``y``); the
:data:`MOST_TARGETS` targets whose dense polynomial predicts the validation rows best (in
``y``'s units, and within :data:`GATE` of its spread), and the best :data:`LOW_TARGETS`
others that a quadratic holds as well, are then fitted as short sums of at
most :data:`MAX_TERMS` monomials by the beam search of :mod:`kanlab.discover._subsets`
(weighted alike), each subset then improved by exchanging
one monomial at a time (near copies abound).  The best fits per number of terms are
returned as formulas; their constants are refitted, rounded and chosen among on
validation rows later, like every other candidate.
"""
from __future__ import annotations

import math
from itertools import combinations_with_replacement

import numpy as np

__all__ = ["polynomial_root_formulas", "monomials", "DEGREE"]

DEGREE = 4  # total degree of a monomial at most
MAX_TERMS = 5  # monomials of a sparse fit at most
BEAM = 8  # subsets kept per size by the beam search
MOST_TARGETS = 4  # targets passed from the dense screen to the sparse fits
GATE = 0.05  # ... whose dense fit's validation RMSE is at most this share of std(y)
LOW_DEGREE = 2  # targets whose dense fit of this degree is ...
LOW_ENOUGH = 1.1  # ... within this factor of the full degree's: the best ...
LOW_TARGETS = 2  # ... this many of them join the sparse fits too
PER_SIZE = 2  # formulas returned per number of terms
FIT_ROWS = 600  # training rows of the fits (all of them refit the constants later)
VAL_ROWS = 1000  # validation rows that score them
CLEAR_WIN = 0.5  # a richer fit under this share of the smaller one's RMSE earns its terms
MAX_INPUTS = 6  # 6 inputs: 209 monomials of degree up to 4
MAX_VALUE = 1e150  # columns beyond this are left out (their squares overflow)


def monomials(X, symbols, degree: int = DEGREE):
    """``(values, factors)``: every monomial of total degree 1 to ``degree`` (rows × terms).

    Same format as :func:`kanlab.discover._terms.term_library`: ``factors[k]`` is a tuple
    of sympy factors whose product is monomial ``k``.
    """
    X = np.asarray(X, dtype=np.float64)
    cols, exprs = [], []
    with np.errstate(all="ignore"):
        for d in range(1, degree + 1):
            for idx in combinations_with_replacement(range(X.shape[1]), d):
                v = np.prod(X[:, list(idx)], axis=1)
                if np.all(np.isfinite(v)) and float(np.max(np.abs(v))) <= MAX_VALUE \
                        and float(np.ptp(v)) > 0:
                    cols.append(v)
                    exprs.append(tuple(symbols[i] for i in idx))
    if not cols:
        return np.empty((len(X), 0)), []
    return np.column_stack(cols), exprs


def polynomial_root_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``) ``y = s·(P/m)^(1/p)`` (see above)."""
    from kanlab.discover._polynomial_targets import polynomial_targets
    from kanlab.discover._split import sample_xy
    from kanlab.discover._subsets import _pruned, _stepwise, swapped, weighted_design
    if len(symbols) > MAX_INPUTS:
        return []
    X_train, y_train = sample_xy(X_train, y_train, FIT_ROWS)
    X_val, y_val = sample_xy(X_val, y_val, VAL_ROWS)
    X_all = np.vstack([X_train, X_val])
    y_all = np.concatenate([y_train, y_val])
    n = len(y_train)
    val = np.arange(n, len(y_all))
    V, exprs = monomials(X_all, symbols)
    targets = polynomial_targets(X_all, y_all, symbols)
    if V.shape[1] == 0 or not targets:
        return []
    A = np.column_stack([np.ones(len(X_all)), V])
    A = A / np.sqrt(np.mean(A[:n] ** 2, axis=0))  # column scales: a better-posed fit
    low = 1 + sum(len(f) <= LOW_DEGREE for f in exprs)  # the constant and low monomials
    floor = 1e-9 * (float(np.std(y_val)) or 1.0)
    screened = []
    for target in targets:
        # rows weighted by |dy/dt|, errors in t as in y: unweighted, the right target of a
        # root under 1 % noise ranked fifth (1/y² magnifies the noise where y is small)
        errs = [_dense_error(A[:, :cols], target, n, val, y_val) for cols in (low, A.shape[1])]
        low_ok = errs[0] <= LOW_ENOUGH * errs[1] + floor  # noise-free: both exact to rounding
        if math.isfinite(errs[1]) and (low_ok or not target.low_only):
            screened.append((low_ok, errs[1], target))
    screened = sorted((s for s in screened if s[1] <= GATE * float(np.std(y_val))),
                      key=lambda s: s[1])
    # on narrow ranges a dense quartic fits many targets to the noise; a law's polynomial is
    # often of low degree (the law of cosines: 2), so the best targets a quadratic holds
    # join the best ones
    chosen = screened[:MOST_TARGETS]
    chosen += [s for s in screened[MOST_TARGETS:] if s[0]][:LOW_TARGETS]
    scored = []
    for *_, target in chosen:
        D, tc, mean, std, t_mean = weighted_design(V[:n], target.t[:n], target.w[:n])
        paths = [cols for cols, _ in _stepwise(D, tc, MAX_TERMS, BEAM)]
        # monomials are near copies of each other (a³c of a²c² where c is near 1): a narrow
        # beam loses the law's subset, exchanging one column at a time finds it
        paths += [swapped(D, tc, cols) for cols in paths if len(cols) > 1]
        found = {}
        for cols in paths:
            for c, b in _pruned(D, tc, cols):
                found[tuple(c)] = (list(c), b)
        for cols, coef in found.values():
            beta = coef / std[cols]
            c0 = t_mean - float(beta @ mean[cols])
            with np.errstate(all="ignore"):
                pred = target.back(c0 + V[n:, cols] @ beta, val)
                err = float(np.sqrt(np.mean((pred - y_val) ** 2)))
            if math.isfinite(err):
                scored.append((err, len(cols), (cols, beta, c0, target), pred - y_val))
    return [_to_sympy(item, exprs) for item in _per_size(scored, y_val)]


def _dense_error(A, target, n, val, y_val) -> float:
    """Validation RMSE (in ``y``) of ``target`` fitted by all columns of ``A`` on rows ``:n``."""
    w = target.w[:n]
    with np.errstate(all="ignore"):
        coef, *_ = np.linalg.lstsq(A[:n] * w[:, None], target.t[:n] * w, rcond=None)
        pred = target.back(A[n:] @ coef, val)
        return float(np.sqrt(np.mean((pred - y_val) ** 2)))


def _per_size(scored, y_val) -> list:
    """The best :data:`PER_SIZE` fits of each number of monomials that earn their terms over
    every smaller fit (:func:`kanlab.discover._select.earns_terms`: on noisy data by
    :data:`kanlab.discover._select.EARN_SE` paired standard errors of the validation rows).
    Without that test, hundreds of sparse fits scored on the validation rows held a lucky
    richer one: ``250·sqrt(T²n²/908 + n)/V`` beat ``8.3·T·n/V`` on 500 rows at 1 % noise.
    A fit exact to ``floor``, or one that cuts the RMSE below :data:`CLEAR_WIN` of the best
    smaller one, needs no test: its gain is no luck, but where it sits on a few rows (a
    resonance peak: ``F/sqrt((w0² − w²)² + g²w²)``), the squared differences are so
    skewed that the paired test cannot tell it."""
    from kanlab.discover._select import earns_terms
    floor = 1e-9 * (float(np.std(y_val)) or 1.0)  # noise-free data: exact to within this
    out, best, best_resid = [], math.inf, None
    for k in sorted({s[1] for s in scored}):
        same = sorted((s for s in scored if s[1] == k and s[0] < best), key=lambda s: s[0])
        same = [s for s in same if s[0] <= floor or s[0] < CLEAR_WIN * best
                or earns_terms(s[0], s[3], best, best_resid, floor)]
        out += [s[2] for s in same[:PER_SIZE]]
        if same:
            best, best_resid = same[0][0], same[0][3]
    return out


def _to_sympy(item, exprs):
    import sympy
    cols, beta, c0, target = item
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    return target.formula(F(c0) + sum(F(b) * sympy.Mul(*exprs[c]) for b, c in zip(beta, cols)))

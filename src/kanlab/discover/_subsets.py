"""Subset selection for the structure search: which few columns explain a target.

:func:`_stepwise` is a beam search over subsets of standardised columns (each
extension scored by its exact drop of the residual sum of squares);
:func:`_pruned` drops terms one at a time; :func:`swapped` improves a subset by
exchanging one column at a time for the best other column (sequential
replacement), which finds subsets that a narrow beam loses at its first steps:
``-(x - mu)^2/(2 sigma^2)`` is three terms of three inputs each, none of which
stands out alone among thousands of near copies.
"""
from __future__ import annotations

import numpy as np

__all__ = ["_stepwise", "_pruned", "swapped", "weighted_design", "projected_off",
           "quadratic_monomial", "over_quadratic"]

BEAM = 24  # subsets kept per size by the beam search (short term list)
MAX_PAIRED = 1200  # columns up to which every pair is tried


def weighted_design(V, t, w):
    """Columns ``V`` ``(n, m)`` standardised under row weights ``w`` (scaled to unit norm), and
    the centred target: ``(D, tc, mean, std, t_mean)``, so that a least-squares ``b`` of
    ``D, tc`` gives the coefficients ``b / std`` and the intercept ``t_mean - (b / std) @ mean``.
    """
    w = w / np.sqrt(np.sum(w * w))
    w2 = w * w / np.sum(w * w)
    mean = w2 @ V
    std = np.sqrt(w2 @ (V - mean) ** 2)
    std[std == 0] = 1.0
    t_mean = float(w2 @ t)
    return (V - mean) / std * w[:, None], (t - t_mean) * w, mean, std, t_mean


def projected_off(D, Q, drop=()):
    """The columns of ``D`` with the span of orthonormal ``Q`` projected off, scaled to unit
    norm; a column left with under ``1e-9`` of its norm, or listed in ``drop``, becomes 0
    (nothing new beside what ``Q`` gives)."""
    R = D - Q @ (Q.T @ D)
    norm = np.sqrt(np.einsum("ij,ij->j", R, R))
    usable = norm > 1e-9 * (np.sqrt(np.einsum("ij,ij->j", D, D)) + 1e-300)
    usable[list(drop)] = False
    return np.where(usable, R / np.where(usable, norm, 1.0), 0.0)


def _stepwise(D, t, max_terms, beam: int = BEAM, wide: int = 0):
    """Beam search over subsets of standardised columns; yields ``(columns, coefficients)``.

    ``D`` and ``t`` are centred.  Each step extends every subset of the beam
    by every column, scoring each extension by its exact drop of the residual
    sum of squares (``(d·r)² / |d - QQᵀd|²`` with ``Q`` an orthonormal basis
    of the subset), and keeps the ``beam`` best subsets; the best subset of
    each size is yielded, with those that fit as well to within :data:`TIED` (see
    :func:`_leaders`).  A beam rather than plain forward selection: the
    term that explains most at first (``sqrt(h)·p^1.5`` for ``p + ρgh``) is
    often not one of the law's.  With ``wide``, every pair of columns is
    tried and the ``wide`` best pairs (and then triples) are kept.
    """
    sq = np.einsum("ij,ij->j", D, D)
    total = float(t @ t)
    states = [(total, ())]
    for size in range(1, max_terms + 1):
        if size == 2 and wide and D.shape[1] <= MAX_PAIRED:
            states = _best_pairs(D, t, wide)
            if not states:  # no pair adds to a single column (two columns, one of them 0)
                return
            yield from _leaders(D, t, states)
            keep = wide
            continue
        keep = wide if wide and size == 3 else beam
        grown = {}
        for rss, cols in states:
            if cols:
                Q, _ = np.linalg.qr(D[:, list(cols)])
                residual = t - Q @ (Q.T @ t)
                left = sq - np.einsum("ij,ij->j", Q.T @ D, Q.T @ D)
            else:
                residual, left = t, sq
            with np.errstate(all="ignore"):
                gain = np.where(left > 1e-10 * sq, (D.T @ residual) ** 2 / left, -1.0)
            gain[list(cols)] = -1.0
            gain = np.nan_to_num(gain, nan=-1.0)
            top = min(beam, len(gain))  # a table of one input has fewer terms than the beam
            for c in np.argpartition(gain, -top)[-top:]:
                key = tuple(sorted(cols + (int(c),)))
                if gain[c] > 0 and key not in grown:
                    grown[key] = float(residual @ residual) - float(gain[c])
        if not grown:
            return
        states = sorted(((v, k) for k, v in grown.items()), key=lambda s: s[0])[:keep]
        yield from _leaders(D, t, states)
        if states[0][0] <= 1e-24 * total:
            return


TIED = 1.02  # residual sums of squares within this factor of the best are a tie (1 % in RMS)
MOST_TIED = 4  # tied subsets yielded per size besides the best
EXACT_RSS = 1e-18  # residual sum of squares, relative to the target's, that counts as exact


def _leaders(D, t, states):
    """The best subset of ``states`` (``[(rss, cols)]``, best first) and up to
    :data:`MOST_TIED` others that fit as well to within :data:`TIED`.

    Two subsets can fit equally well on these rows: ``sin(t/R)`` and ``t/R`` where
    ``t/R`` stays below 1e-5, ``sin d`` and ``d`` within the noise.  Which one
    comes first is then a matter of rounding or noise; every tied one is passed on, so
    that the choice among them is made by complexity
    (:func:`kanlab.discover._select.choose`).
    """
    yield _coefficients(D, t, states[0][1])
    others = [cols for rss, cols in states[1:1 + MOST_TIED] if rss <= TIED * states[0][0]
              + 1e-12 * float(t @ t)]  # the updates' rounding: recomputed below
    if not others:
        return
    top = _rss(D, t, states[0][1])
    for cols in others:
        # within TIED, or both exact to 1e-9 of t in RMS (noise-free data)
        if _rss(D, t, cols) <= TIED * top + EXACT_RSS * float(t @ t):
            yield _coefficients(D, t, cols)


def _coefficients(D, t, cols):
    cols = list(cols)
    coef, *_ = np.linalg.lstsq(D[:, cols], t, rcond=None)
    return cols, coef


def _best_pairs(D, t, wide):
    """The ``wide`` best pairs of columns, every pair tried (2×2 normal equations, vectorised)."""
    G = D.T @ D
    b = D.T @ t
    i, j = np.triu_indices(len(b), 1)
    gii, gjj, gij = G[i, i], G[j, j], G[i, j]
    det = gii * gjj - gij * gij
    with np.errstate(all="ignore"):
        explained = (gjj * b[i] ** 2 - 2 * gij * b[i] * b[j] + gii * b[j] ** 2) / det
    explained = np.where(det > 1e-9 * gii * gjj, explained, -np.inf)
    top = np.argpartition(explained, -wide)[-wide:] if len(explained) > wide else np.arange(
        len(explained))
    total = float(t @ t)
    return sorted(((total - float(explained[k]), (int(i[k]), int(j[k]))) for k in top),
                  key=lambda s: s[0])


def _pruned(D, t, cols):
    """``cols`` and the subsets left by dropping, one at a time, the term that matters least."""
    cols = list(cols)
    while cols:
        coef, *_ = np.linalg.lstsq(D[:, cols], t, rcond=None)
        yield list(cols), coef
        if len(cols) == 1:
            return
        rss = []
        for k in range(len(cols)):
            rest = cols[:k] + cols[k + 1:]
            c, *_ = np.linalg.lstsq(D[:, rest], t, rcond=None)
            r = t - D[:, rest] @ c
            rss.append(float(r @ r))
        cols.pop(int(np.argmin(rss)))


def _rss(D, t, cols) -> float:
    coef, *_ = np.linalg.lstsq(D[:, list(cols)], t, rcond=None)
    r = t - D[:, list(cols)] @ coef
    return float(r @ r)


def swapped(D, t, cols, max_rounds: int = 4):
    """``cols`` improved by sequential replacement: each column in turn exchanged for the best.

    For each position, the other columns are held and every column of ``D`` is
    scored by its exact drop of the residual sum of squares (as in
    :func:`_stepwise`); the position takes the best column when that lowers
    the residual.  Rounds repeat until none changes (at most ``max_rounds``).
    Returns the (sorted) columns, or ``cols`` unchanged.
    """
    cols = list(cols)
    if len(cols) < 2:
        return cols
    sq = np.einsum("ij,ij->j", D, D)
    current = _rss(D, t, cols)
    for _ in range(max_rounds):
        changed = False
        for k in range(len(cols)):
            rest = cols[:k] + cols[k + 1:]
            Q, _ = np.linalg.qr(D[:, rest])
            residual = t - Q @ (Q.T @ t)
            P = Q.T @ D
            left = sq - np.einsum("ij,ij->j", P, P)
            with np.errstate(all="ignore"):
                gain = np.where(left > 1e-10 * sq, (D.T @ residual) ** 2 / left, -1.0)
            gain = np.nan_to_num(gain, nan=-1.0)
            gain[rest] = -1.0
            c = int(np.argmax(gain))
            value = float(residual @ residual) - float(gain[c])
            if c != cols[k] and value < current * (1 - 1e-9):
                cols[k], current, changed = c, value, True
        if not changed:
            break
    return sorted(cols)


MAX_BASE = 30  # quadratic monomials given at once at most (six inputs have 27)


def quadratic_monomial(expr) -> bool:
    """Whether a column is a monomial of degree 1 or 2 (``x``, ``x²``, ``x·z``)."""
    if expr.is_Symbol:
        return True
    if expr.is_Pow:
        return expr.base.is_Symbol and expr.exp == 2
    return expr.is_Mul and len(expr.args) == 2 and all(a.is_Symbol for a in expr.args)


def over_quadratic(D, t, base, extra: int, beam: int = BEAM, wide: int = 0) -> list:
    """Subsets: every column of ``base`` (a quadratic polynomial) and up to ``extra``
    others, chosen by the beam search after the base is projected off.

    ``a² + b² − 2·a·b·cos C`` (a sum) or a Lorentzian's ``(x − x0)² + γ²`` (a denominator):
    no pair of the polynomial's terms stands out among thousands of columns, so a beam
    that grows subsets one term at a time loses it; with the polynomial part given, the
    rest is a column or two to find.  The pruning that follows (:func:`_pruned`) drops the
    base's columns that the law does not hold.
    """
    if not base or len(base) > MAX_BASE or len(base) >= D.shape[0] // 4:
        return []
    Q, _ = np.linalg.qr(D[:, base])
    R = projected_off(D, Q, drop=base)
    r = t - Q @ (Q.T @ t)
    return [sorted(base + list(c)) for c, _ in _stepwise(R, r, extra, beam, wide)]

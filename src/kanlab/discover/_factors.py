"""Extra building blocks for the structure search: factors, sums and differences of inputs.

Three kinds of law fall outside a sparse sum of library terms after a transform of ``y``:

- a *product* ``h(x)·P(x)`` where ``h`` changes sign on the rows (``cos(ω·t)``) and
  ``P`` does not (``A·exp(-b·t)``): ``log|y|`` does not exist where ``y`` crosses 0,
  but ``log|y/h|`` is a short sum.  :func:`signed_factors` picks the few library
  sines and cosines (:func:`oscillating`) whose sign follows the target's on (nearly)
  every row: for the right ``h`` the ratio ``y/h`` keeps one sign, for an unrelated one
  it does not;
- a product with a *shifted* input, ``(n - 1)·(1/R1 - 1/R2)`` or ``(Tc + 273.15)·n/V``:
  :func:`affine_factors` finds inputs in which ``y`` is affine, ``y = A + x·B``, with
  ``A/B`` the same constant ``c`` on every row; then ``y/(x + c)`` is a short sum;
- a product with a *sum or difference* of two inputs, ``k·A·(T1 - T2)/d``: its expansion
  has terms of five factors, but ``log|T1 - T2|`` is one column of a log fit.
  :func:`difference_logs` adds ``log(x_i + x_j)`` and ``log|x_i - x_j|`` for pairs of
  positive inputs of similar size.

- an *exponent over a power*, ``exp(P/g)`` with ``P`` a short sum of products of two inputs
  and ``g`` a power of a third: ``exp(-(x - mu)^2/(2 sigma^2))`` holds ``x·mu/sigma^2``, a
  term of three inputs among thousands that a log fit over the full term list rarely
  picks; ``g·log|y|`` is a sum of three terms of the short list.
  :func:`exponent_divisors` offers the ``g``.

All return plain numpy columns with sympy expressions; :mod:`kanlab.discover._sparse`
fits them like the other columns.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np

__all__ = ["oscillating", "signed_factors", "affine_factors", "difference_logs",
           "exponent_divisors", "MIN_AGREEMENT"]

MIN_AGREEMENT = 0.95  # |t|-weighted share of rows where sign(t) = ±sign(h)
MOST_FACTORS = 3


def oscillating(values, exprs) -> list:
    """``[(column, expr)]``: the library's single sines and cosines that change sign on the rows."""
    import sympy
    out = []
    for k, factors in enumerate(exprs):
        if len(factors) == 1 and isinstance(factors[0], (sympy.sin, sympy.cos)):
            h = values[:, k]
            if np.any(h > 0) and np.any(h < 0):
                out.append((h, factors[0]))
    return out


def signed_factors(candidates, t, most: int = MOST_FACTORS) -> list:
    """``[(column, expr, agreement)]``: the candidate factors whose sign tracks ``t``.

    Args:
        candidates: ``[(column, expr)]`` (see :func:`oscillating`), the columns on the
            rows of ``t`` first (more rows may follow).
        t: the (transformed) target; only a target that changes sign is considered (one
            of one sign is a log fit already).
        most: the largest number of factors returned, best agreement first.

    The factor is returned with the sign that makes ``h·t >= 0`` on most rows;
    ``agreement`` is the share of ``Σ|t|`` on rows where it holds, so rows near
    ``t = 0`` (where noise flips the sign) count little.
    """
    t = np.asarray(t, dtype=np.float64)
    n = len(t)
    if n == 0 or np.all(t >= 0) or np.all(t <= 0):
        return []
    weight = np.abs(t) / float(np.sum(np.abs(t)))
    found = []
    for h, expr in candidates:
        score = float(weight @ np.sign(h[:n] * t))
        if abs(score) >= MIN_AGREEMENT:
            found.append((h, expr, score) if score > 0 else (-h, -expr, -score))
    found.sort(key=lambda f: -f[2])
    return found[:most]


def difference_logs(X, symbols) -> list:
    """``[(values, base)]``: ``log(x_i + x_j)`` and ``log|x_i - x_j|`` for positive inputs.

    A pair qualifies when both inputs are positive and of comparable size (medians
    within a factor 10); the difference enters when it keeps one sign on every row and
    is not negligible next to the inputs (at least 1 % of the larger one).  ``base`` is
    the sympy expression whose power the log fit's coefficient becomes (``(T1 - T2)**a``).
    """
    X = np.asarray(X, dtype=np.float64)
    out = []
    with np.errstate(all="ignore"):
        for i, j in combinations(range(X.shape[1]), 2):
            a, b = X[:, i], X[:, j]
            if not (np.all(a > 0) and np.all(b > 0)):
                continue
            d = a - b
            s = 1.0 if np.all(d > 0) else -1.0 if np.all(d < 0) else 0.0
            ratio = float(np.median(a) / np.median(b))
            if not 0.1 <= ratio <= 10.0:  # quantities of different scales are rarely added
                continue
            out.append((np.log(a + b), symbols[i] + symbols[j]))
            if s != 0.0 and np.min(np.abs(d) / np.maximum(a, b)) >= 0.01:
                first, second = (i, j) if s > 0 else (j, i)
                out.append((np.log(s * d), symbols[first] - symbols[second]))
    return out


AFFINE_MAX_INPUTS = 6  # inputs of a table searched for factors at most
AFFINE_COLUMNS = 150  # the simplest terms of the other inputs that A and B are built from
AFFINE_FIT = 0.05  # the affine fit's RMS residual, relative to std(t), at most
AFFINE_EXACT = 1e-6  # ... and below this, or else a residual that looks like noise
AFFINE_SPREAD = 0.05  # the spread of A/B over the rows, relative to |c|, at most
PURE_WIDTH = 0.02  # |A/B| relative to the input's size below which the factor is x_i itself


def affine_factors(X, symbols, t, most: int = 2) -> list:
    """``[(column, expr, spread)]``: factors ``x_i + c`` of ``t`` (``t = (x_i + c)·B(rest)``).

    The shifted factors (``c`` not near 0) come first, then up to ``most`` inputs that are
    factors themselves (``c = 0``, returned as ``x_i``, their spread the width of ``A/B``
    relative to the input's size).

    Args:
        X: the rows, those of ``t`` first (more rows may follow; the columns cover all).
        symbols: one sympy symbol per column.
        t: the (transformed) target on the first rows.
        most: the largest number of factors returned, smallest spread first.

    For each input, ``t`` is fitted (least squares, small singular values cut) as
    ``A + x_i·B`` with ``A`` and ``B`` linear in the simplest terms of the other
    inputs; where that fits (to
    rounding, or with a residual that :func:`~kanlab.discover._noise.looks_like_noise`) and
    ``c = A/B`` hardly varies (its ``|B|``-weighted median absolute deviation over
    ``|c|`` is the ``spread``), ``x_i + c`` is returned.  ``c`` is a float; the
    constants are refitted and rounded later.
    """
    import sympy
    from kanlab.discover._noise import looks_like_noise
    from kanlab.discover._terms import term_library
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    n_rows, n = len(t), X.shape[1]
    if not 2 <= n <= AFFINE_MAX_INPUTS or n_rows < 20 or np.std(t) == 0:
        return []
    found, pure = [], []
    for i in range(n):
        rest = [j for j in range(n) if j != i]
        V, _ = term_library(X[:n_rows, rest], [symbols[j] for j in rest], simple=True,
                            max_terms=AFFINE_COLUMNS)
        V = np.column_stack([np.ones(n_rows), (V - V.mean(0)) / V.std(0)])
        x = X[:n_rows, i]
        scale = float(np.std(x)) or 1.0
        M = np.hstack([V, V * (x / scale)[:, None]])
        coef, *_ = np.linalg.lstsq(M, t, rcond=1e-10)  # SVD: normal equations lose digits
        residual = t - M @ coef
        # affine up to noise, not merely nearly linear (1/T over 300..400 K is nearly linear)
        if float(np.std(residual)) > AFFINE_FIT * float(np.std(t)) or not (
                float(np.std(residual)) <= AFFINE_EXACT * float(np.std(t))
                or looks_like_noise(X[:n_rows], residual)):
            continue
        k = V.shape[1]
        A, B = V @ coef[:k], V @ coef[k:] / scale
        with np.errstate(all="ignore"):
            ratio = A / B
        ok = np.isfinite(ratio)
        if ok.sum() < n_rows // 2:
            continue
        c = _weighted_median(ratio[ok], np.abs(B[ok]))
        spread = _weighted_median(np.abs(ratio[ok] - c), np.abs(B[ok])) / (abs(c) + 1e-300)
        size = float(np.median(np.abs(x)))
        if spread <= AFFINE_SPREAD and abs(c) > 1e-3 * size:
            found.append((X[:, i] + c, symbols[i] + sympy.Float(c, 17), spread))
        # A = 0: t is x_i times the rest (c near 0 on every row); t/x_i may then be a short
        # sum (n·(a·log T + b·log V)) or change sign where x_i does
        width = _weighted_median(np.abs(ratio[ok]), np.abs(B[ok])) / (size + 1e-300)
        if width <= PURE_WIDTH and np.all(X[:, i] != 0):
            pure.append((X[:, i], symbols[i], width))
    found.sort(key=lambda f: f[2])
    pure.sort(key=lambda f: f[2])
    return found[:most] + pure[:most]


def _weighted_median(values, weights) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


DIVISOR_POWERS = (1, 2)  # g = x or x^2 (a P/x^-1 = P·x is a product the term list holds)


def exponent_divisors(X, symbols) -> list:
    """``[(values, expr)]``: ``x^p`` for every all-positive input, ``p`` in :data:`DIVISOR_POWERS`.

    The divisors ``g`` of an exponent ``log|y| = P/g``; only inputs of one sign
    away from 0 qualify, so ``g·log|y|`` keeps its rows' weights finite.
    """
    X = np.asarray(X, dtype=np.float64)
    out = []
    for i in range(X.shape[1]):
        col = X[:, i]
        if np.all(col > 0) and float(np.ptp(col)) > 1e-12 * float(np.max(col)):
            out += [(col ** p, symbols[i] ** p) for p in DIVISOR_POWERS]
    return out

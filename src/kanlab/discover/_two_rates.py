"""Two exponentials of one input with fitted rates: ``c0 + c1·exp(−k1·x) + c2·exp(−k2·x)``.

A quantity fed by one decay and drained by another (a chain of two first-order steps, a
response rising then falling) is a difference of two exponentials whose rates are
constants of the law, not inputs.  The term lists hold ``exp(±x)`` and exponentials of
products of inputs only, so rates such as 0.3 and 2.1 per unit of ``x`` are out of reach.
Here, for each input ``x``, the model is fitted by variable projection (separable
nonlinear least squares): for every pair of rates on a grid (:data:`RATES`, in units of
``1/range(x)``, both signs) the coefficients ``c`` are the linear least-squares solution,
and the best pair is refined by :func:`scipy.optimize.least_squares` on the rates alone
(``c`` projected out).  Proposals only: the pipeline refits every constant and the
validation rows judge them like every other candidate.
"""
from __future__ import annotations

import numpy as np

__all__ = ["two_rate_formulas", "two_rate_fit", "RATES"]

RATES = np.concatenate([-np.geomspace(0.1, 5.0, 12), np.geomspace(0.1, 50.0, 30)])
FIT_ROWS = 600  # training rows of the fits (the pipeline refits on all of them)
MAX_INPUTS = 6  # inputs tried, at most (each costs about 10 ms)
MAX_AMPLITUDE = 3  # candidates with an amplitude input passed on, the best on validation rows


def _project(E, y):
    """``(rss, coefficients)`` of the least-squares fit of ``y`` on ``[1, E]``."""
    A = np.column_stack([np.ones(len(y)), E])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    r = y - A @ coef
    return float(r @ r), coef


def two_rate_fit(u, y):
    """``(rss, (k1, k2), (c0, c1, c2))`` of ``y ≈ c0 + c1·exp(−k1·u) + c2·exp(−k2·u)``,
    ``u`` scaled to ``[0, 1]`` (the grid of :data:`RATES`, then a local refinement)."""
    from scipy.optimize import least_squares
    E = np.exp(-np.outer(u, RATES))  # rows × rates
    A = np.column_stack([np.ones(len(u)), E])
    G, b = A.T @ A, A.T @ y
    i, j = np.triu_indices(len(RATES), 1)
    idx = np.stack([np.zeros_like(i), i + 1, j + 1], axis=1)  # pairs of rates, with the 1
    Gs = G[idx[:, :, None], idx[:, None, :]]  # pairs × 3 × 3
    bs = b[idx]
    with np.errstate(all="ignore"):
        ok = np.abs(np.linalg.det(Gs)) > 1e-12 * np.prod(np.diagonal(Gs, axis1=1, axis2=2), axis=1)
        if not np.any(ok):
            return np.inf, None, None
        coef = np.linalg.solve(Gs[ok], bs[ok][:, :, None])[:, :, 0]
        explained = np.einsum("pk,pk->p", coef, bs[ok])  # b·c = y·A c at the normal equations
    k = int(np.argmax(explained))
    start = RATES[[i[ok][k], j[ok][k]]]

    def residual(rates):
        E2 = np.exp(-np.outer(u, rates))
        A2 = np.column_stack([np.ones(len(u)), E2])
        c, *_ = np.linalg.lstsq(A2, y, rcond=None)
        return A2 @ c - y

    with np.errstate(all="ignore"):
        try:
            rates = least_squares(residual, start, x_scale=np.maximum(np.abs(start), 0.1),
                                  max_nfev=100).x
        except ValueError:
            rates = start
        if not np.all(np.isfinite(rates)) or np.max(np.abs(rates)) > 200:
            rates = start
        rss, c = _project(np.exp(-np.outer(u, rates)), y)
    return rss, tuple(float(r) for r in rates), tuple(float(v) for v in c)


def two_rate_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``): two exponentials of one input (see above),
    alone or times another input that is never 0 (an amplitude: ``A·(e^(−t) − e^(−3t))``).

    Every input alone gives its candidate; of the ``n·(n − 1)`` with an amplitude only the
    :data:`MAX_AMPLITUDE` best on the validation rows are passed on (each costs a refit and
    the rewritings downstream, and six inputs give 30).
    """
    import sympy
    from kanlab.discover._split import sample_xy
    X_train, y_train = sample_xy(X_train, y_train, FIT_ROWS)
    X_val, y_val = np.asarray(X_val, dtype=np.float64), np.asarray(y_val, dtype=np.float64)
    n = min(len(symbols), MAX_INPUTS)
    amplitudes = [None] + [a for a in range(n) if np.all(np.isfinite(X_train[:, a]))
                           and np.all(X_train[:, a] != 0)]
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    out, scaled = [], []  # scaled: (validation RMSE, formula) of those with an amplitude
    for m, sym in enumerate(symbols[:n]):
        x = X_train[:, m]
        lo, width = float(np.min(x)), float(np.ptp(x))
        if not width > 0 or not np.all(np.isfinite(x)):
            continue
        for a in amplitudes:
            if a == m:
                continue
            amp = 1.0 if a is None else X_train[:, a]
            rss, rates, c = two_rate_fit((x - lo) / width, y_train / amp)
            if rates is None or not np.isfinite(rss):
                continue
            with np.errstate(all="ignore"):  # c·exp(-k·(x - lo)/width): the shift joins c
                coef = [ci * np.exp(k * lo / width) for ci, k in zip(c[1:], rates)]
            if not np.all(np.isfinite(coef)):
                continue
            expr = F(c[0]) + sum(F(ci) * sympy.exp(-F(k / width) * sym)
                                 for ci, k in zip(coef, rates))
            if a is None:
                out.append(expr)
                continue
            with np.errstate(all="ignore"):
                pred = X_val[:, a] * (c[0] + sum(ci * np.exp(-k / width * X_val[:, m])
                                                 for ci, k in zip(coef, rates)))
                err = float(np.sqrt(np.mean((pred - y_val) ** 2)))
            if np.isfinite(err):
                scaled.append((err, symbols[a] * expr))
    scaled.sort(key=lambda t: t[0])
    return out + [expr for _, expr in scaled[:MAX_AMPLITUDE]]

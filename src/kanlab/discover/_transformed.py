"""The structure search on transformed targets: an offset taken off, a reciprocal times a factor.

Two kinds of law are no short sum of library terms after a transform of ``y`` alone
(see :mod:`kanlab.discover._sparse`), but become one after a transform that uses an input:

- an *offset* around a function, ``y = x_a + P(x)``: a quantity relaxing from one value to
  another, ``x_a + (x_b - x_a)·exp(-u·v)``; ``y - x_a`` is then a product the log fits
  find (``log|x_b - x_a|`` is one of their columns).  The offsets tried are the inputs of
  the target's own size (medians within a factor :data:`OFFSET_RANGE`), with coefficient 1
  (a quantity plus a change of it);
- both, ``y = x_a + h/S(x)``: a weighted mean of two inputs,
  ``(w1·x_a + w2·x_b)/(w1 + w2) = x_a + (x_b - x_a)/(1 + w1/w2)``;
- a *reciprocal of a sum* times a factor, ``y = h/S(x)``: a difference over a sum of ratios
  ``(x_1 - x_2)/(x_3/x_4 + x_5/x_6)``; ``h/y`` is then the short sum ``S``.  The factors
  ``h`` tried are 1, the inputs, and the differences of two positive inputs of similar
  size (:func:`kanlab.discover._factors.difference_logs` chooses the same pairs), kept when
  ``h/y`` is finite on every row.

Each transformed target goes through :func:`kanlab.discover._sparse.structure_formulas`
(the transform ``id`` and the short term list only: the other transforms of ``y`` were
tried already) and every
formula is mapped back to ``y``.  Proposals only: their constants are refitted on the raw
training rows and they compete on the validation rows in ``y``'s own units like every
other candidate.
"""
from __future__ import annotations

import numpy as np

__all__ = ["transformed_formulas", "difference_formulas", "fit_targets", "differences", "OFFSET_RANGE", "MAX_TERMS"]

OFFSET_RANGE = 10.0  # an offset input's median within this factor of the target's
MIN_CHANGE = 1e-3  # y - x_a at least this share of |y| somewhere (else x_a alone is y)
MAX_TERMS = 3  # terms of a fitted sum at most
BEAM = 8  # subsets kept per size by the beam search
WIDE = 120  # pairs and triples kept where every pair is tried (a difference over a sum)
WIDE_MAX_TERMS = 500  # ... and only with up to this many terms (four inputs give about 440)
FIT_ROWS = 600  # training rows of the fits (all of them refit the constants later)
VAL_ROWS = 1000  # validation rows that score them (in y's units)
PER_SIZE = 2  # formulas returned per number of terms
MIN_SIGNED = 0.8  # log fits need this share of rows of one sign (the others are left out)


def transformed_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas (sympy, in ``symbols``) for ``y`` from fits of transformed targets."""
    from kanlab.discover._factors import difference_logs
    from kanlab.discover._sparse import _log_features
    from kanlab.discover._split import sample_xy
    from kanlab.discover._terms import term_library, unit_products
    X_train, y_train = sample_xy(X_train, y_train, FIT_ROWS)
    X_val, y_val = sample_xy(X_val, y_val, VAL_ROWS)
    X_all = np.vstack([X_train, X_val])
    y_all = np.concatenate([y_train, y_val])
    n_tr = len(y_train)
    offsets = _offsets(X_all, y_all, symbols)
    both = []
    for t, back_np, back in offsets:  # both: y = x_a + h/S (a weighted mean of two inputs)
        both += [(r, lambda u, n, f=back_np, g=r_np: f(g(u, n), n),
                     lambda e, f=back, g=r_back: f(g(e)))
                    for r, r_np, r_back in _reciprocals(X_all, t, symbols, inputs=False)]
    targets = offsets + _reciprocals(X_all, y_all, symbols) + both
    if not targets:
        return []
    values, exprs = term_library(X_all, symbols, simple=True)
    logs = _log_features(X_all, symbols) + difference_logs(X_all, symbols)
    log_values = np.column_stack([v for v, _ in logs] + [values]) if logs else values
    log_exprs = [("log", b) for _, b in logs] + list(exprs)
    found = fit_targets(targets, (values, exprs), (log_values, log_exprs), n_tr, y_val)
    if both:  # the weights of a mean may be products: w1·w2/(w3·w4) (sums only: cheaper)
        more, more_exprs = unit_products(X_all, symbols)
        found += fit_targets(both, (np.column_stack([values, more]), list(exprs) + more_exprs),
                             None, n_tr, y_val)
    return found


def difference_formulas(X_train, y_train, X_val, y_val, symbols) -> list:
    """Candidate formulas ``(x_i - x_j)/S(x)`` only: a difference over a short sum.

    The cheap part of :func:`transformed_formulas` (one target per difference of two like
    inputs), tried even where a look-alike's residuals pass for noise:
    ``(T1 - T2)/log(T1/T2)`` under 1 % noise has look-alikes of sums of roots within it.
    """
    from kanlab.discover._sparse import _log_features
    from kanlab.discover._split import sample_xy
    from kanlab.discover._terms import term_library
    X_train, y_train = sample_xy(X_train, y_train, FIT_ROWS)
    X_val, y_val = sample_xy(X_val, y_val, VAL_ROWS)
    X_all = np.vstack([X_train, X_val])
    y_all = np.concatenate([y_train, y_val])
    targets = _reciprocals(X_all, y_all, symbols, inputs=False, unit=False)
    if not targets:
        return []
    values, exprs = term_library(X_all, symbols, simple=True)
    logs = _log_features(X_all, symbols)
    log_values = np.column_stack([v for v, _ in logs] + [values]) if logs else values
    log_exprs = [("log", b) for _, b in logs] + list(exprs)
    # every pair of terms for a short list only: six inputs' thousand terms cost 8 s of CPU
    wide = WIDE if values.shape[1] <= WIDE_MAX_TERMS else 0
    return fit_targets(targets, (values, exprs), (log_values, log_exprs), len(y_train), y_val,
                       wide=wide)


def extra_term_formulas(X_train, y_train, X_val, y_val, symbols, extra_terms,
                        logs: bool = False) -> list:
    """Short sums of the simple term list plus ``extra_terms(X, symbols)`` (values, exprs),
    fitted to ``y`` itself (and, with ``logs``, to log|y| with the inputs' logs too).

    The rows are subsampled as in every search here; no extra term: no candidate.
    """
    from kanlab.discover._split import sample_xy
    from kanlab.discover._terms import term_library
    X_train, y_train = sample_xy(X_train, y_train, FIT_ROWS)
    X_val, y_val = sample_xy(X_val, y_val, VAL_ROWS)
    X_all = np.vstack([X_train, X_val])
    y_all = np.concatenate([y_train, y_val])
    extra, extra_exprs = extra_terms(X_all, symbols)
    if not extra_exprs:
        return []
    values, exprs = term_library(X_all, symbols, simple=True)
    values, exprs = np.column_stack([values, extra]), list(exprs) + extra_exprs
    log_terms = None
    if logs:
        from kanlab.discover._sparse import _log_features
        log_cols = _log_features(X_all, symbols)
        log_values = (np.column_stack([v for v, _ in log_cols] + [values]) if log_cols
                      else values)
        log_terms = (log_values, [("log", b) for _, b in log_cols] + exprs)
    target = (y_all, lambda u, n: u, lambda e: e)
    return fit_targets([target], (values, exprs), log_terms, len(y_train), y_val)


def fit_targets(targets, terms, log_terms, n_tr, y_val, wide: int = 0) -> list:
    """Formulas for ``y`` from short sums fitted to transformed targets.

    ``targets``: ``[(t, back_np, back)]`` with ``t`` on the training rows (the first ``n_tr``)
    and the validation rows; ``back_np(u, n_tr)`` maps a fitted ``t`` on the validation rows
    back to ``y`` and ``back(expr)`` does the same in sympy.  ``terms`` and ``log_terms``:
    ``(values, exprs)`` of the additive fits and of the log fits (``None``: no log fits).
    Each target is fitted as a sum of at most :data:`MAX_TERMS` terms and, where it keeps
    one sign, as an exponential of one; the best :data:`PER_SIZE` per size are returned.
    With ``wide``, the additive fits try every pair of terms first (see
    :func:`kanlab.discover._subsets._stepwise`).
    """
    from kanlab.discover._signs import dominant_sign
    values, exprs = terms
    scored = []
    for t, back_np, back in targets:
        kinds = [("add", t, values, exprs, 1.0)]
        sign = dominant_sign(t, MIN_SIGNED)  # noise may flip the sign of t where it is small
        if sign and log_terms is not None:
            log_values, log_exprs = log_terms
            with np.errstate(all="ignore"):
                kinds.append(("mul", np.where(sign * t > 0, np.log(np.abs(t)), 0.0), log_values,
                              log_exprs, sign))
        for kind, target, V, E, sign in kinds:
            # log fits weighted by |t| (an error e in log|t| is |t|·e in y: rows where t is
            # near 0, noise the size of t, count little), rows of the other sign not at all
            w = np.ones(n_tr) if kind == "add" else np.where(sign * t[:n_tr] > 0,
                                                              np.abs(t[:n_tr]), 0.0)
            for cols, beta, c0 in _paths(V[:n_tr], target[:n_tr], w,
                                         wide if kind == "add" else 0):
                with np.errstate(all="ignore"):
                    u = c0 + V[n_tr:, cols] @ beta
                    u = u if kind == "add" else sign * np.exp(u)
                    err = float(np.sqrt(np.mean((back_np(u, n_tr) - y_val) ** 2)))
                if np.isfinite(err):
                    scored.append((err, len(cols), (kind, cols, beta, c0, sign, E, back)))
    return [_to_sympy(item) for item in _best(scored)]


def _paths(V, t, w, wide: int = 0):
    """``[(columns, coefficients, intercept)]`` of the beam search, rows weighted by ``w``."""
    from kanlab.discover._subsets import _pruned, _stepwise, weighted_design
    if not np.all(np.isfinite(t)) or np.ptp(t) == 0:
        return []
    D, tc, mean, std, t_mean = weighted_design(V, t, w)
    out = {}
    for cols, _ in _stepwise(D, tc, MAX_TERMS, BEAM, wide):
        for c, b in _pruned(D, tc, cols):
            out[tuple(c)] = (list(c), b)
    found = []
    for cols, coef in out.values():
        beta = coef / std[cols]
        found.append((cols, beta, t_mean - float(beta @ mean[cols])))
    return found


def _best(scored):
    """The best :data:`PER_SIZE` fits per number of terms, each better than every smaller one."""
    out, best = [], np.inf
    for k in sorted({s[1] for s in scored}):
        same = sorted((s for s in scored if s[1] == k and s[0] < best), key=lambda s: s[0])
        out += [s[2] for s in same[:PER_SIZE]]
        best = min([best] + [s[0] for s in same])
    return out


def _to_sympy(item):
    import sympy
    kind, cols, beta, c0, sign, E, back = item
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    if kind == "add":
        u = F(c0) + sum(F(b) * sympy.Mul(*E[c]) for b, c in zip(beta, cols))
    else:
        u = sign * sympy.exp(F(c0))
        for b, c in zip(beta, cols):
            e = E[c]
            u = u * (e[1] ** F(b) if e[0] == "log" else sympy.exp(F(b) * sympy.Mul(*e)))
    return back(u)


def _offsets(X, y, symbols) -> list:
    """``[(t, back)]``: ``t = y - x_a`` for inputs ``x_a`` of the target's size."""
    out = []
    size = float(np.median(np.abs(y)))
    if size == 0:
        return out
    for i, sym in enumerate(symbols):
        col = X[:, i]
        ratio = float(np.median(np.abs(col))) / size
        if not 1 / OFFSET_RANGE <= ratio <= OFFSET_RANGE:
            continue
        t = y - col
        if float(np.max(np.abs(t))) < MIN_CHANGE * size or np.ptp(t) == 0:
            continue
        out.append((t, lambda u, n, c=col: c[n:] + u, lambda e, s=sym: s + e))
    return out


def _reciprocals(X, y, symbols, inputs: bool = True, unit: bool = True) -> list:
    """``[(t, back)]``: ``t = h/y`` for ``h`` 1 (``unit``), an input (``inputs``) or a
    difference of two."""
    if not (np.all(y > 0) or np.all(y < 0)):
        return []
    factors = [(np.ones(len(y)), 1)] if unit else []
    factors += [(X[:, i], s) for i, s in enumerate(symbols) if inputs]
    factors += differences(X, symbols)
    out = []
    with np.errstate(all="ignore"):
        for h, h_expr in factors:
            t = h / y
            if np.all(np.isfinite(t)) and np.ptp(t) > 0:
                out.append((t, lambda u, n, h=h: h[n:] / u, lambda e, h=h_expr: h / e))
    return out


def differences(X, symbols) -> list:
    """``[(values, expr)]``: ``x_i - x_j`` for positive inputs of similar size (medians within
    a factor 10) whose difference keeps one sign and is at least 1 % of the larger one."""
    from itertools import combinations
    out = []
    for i, j in combinations(range(X.shape[1]), 2):
        a, b = X[:, i], X[:, j]
        if not (np.all(a > 0) and np.all(b > 0)):
            continue
        if not 0.1 <= float(np.median(a) / np.median(b)) <= 10.0:
            continue
        d = a - b
        if np.all(d != 0) and (np.all(d > 0) or np.all(d < 0)) and \
                float(np.min(np.abs(d) / np.maximum(a, b))) >= 0.01:
            out.append((d, symbols[i] - symbols[j]))
    return out

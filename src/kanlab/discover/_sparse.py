"""Structure search without a network: sparse sums of library terms, after a transform of y.

Many laws are, after an invertible transform ``T`` of the target, a short
sum of terms from :func:`kanlab.discover._terms.term_library`:

- ``T(y) = c0 + Σ c_k·term_k`` (*additive*): Bernoulli's ``p + ρv²/2 + ρgh``,
  ``1/p² = 1/(m²v²) - 1/(m²c²)``;
- ``log|T(y)| = c0 + Σ c_k·term_k`` (*multiplicative*, for a ``T(y)`` of one
  sign), where the terms also include ``log x``, ``log|sin x|``,
  ``log|cos x|``: a product of powers ``C·Π x^a``, ``n0·exp(-E/(k·T))``, a
  Gaussian density;
- ``log|T(y)| = c0 + Σ a_i·log|g_i(x_i)|`` with ``g`` one of ``x``, ``sin x``,
  ``cos x`` (*pow*, every such column at once, then pruned):
  ``sin y = n1·sin θ / n2`` (Snell's law);
- the same after dividing by a factor ``h`` from :mod:`kanlab.discover._factors`: a
  sine or cosine whose sign follows ``T(y)``'s (``A·exp(-b·t)·cos(ω·t)``) or a shifted
  input ``x + c`` (``(n - 1)·(1/R1 - 1/R2)``) or an input itself (``y = x·B``: ``y/x`` is
  a short sum); sums and differences of two inputs of similar size enter the log fits as
  columns (``k·(T1 - T2)``);
- a sine or cosine of a sum or difference (a phase): ``y`` and ``y/x`` as short sums of
  products of two sines and cosines (:func:`kanlab.discover._terms.phase_terms`), and
  ``y/h`` with ``h = a·exp(-u)`` a decaying envelope
  (:func:`kanlab.discover._envelopes.phase_envelopes`: ``A·exp(-t/τ)·sin(ω·t + φ)``).

For every transform and kind, a beam search over subsets selects up to
:data:`MAX_TERMS` terms on the training
rows; every step of every path is scored on the validation rows in the
target's own units, and the best few per number of terms are returned as
sympy formulas.  Their constants are refitted and chosen among later (see
:mod:`kanlab.discover._pipeline`), so this search only has to propose the
right structure.
"""
from __future__ import annotations

import math

import numpy as np

from kanlab.discover._signs import dominant_sign
from kanlab.discover._split import sample_xy
from kanlab.discover._subsets import BEAM, _pruned, _stepwise, swapped

__all__ = ["structure_formulas", "TRANSFORMS", "MAX_TERMS"]

MAX_TERMS = 5
FULL = (4, 3)  # beam and most terms with the full term list
WIDE = 120  # pairs and triples kept by the additive fits of the short term list
# y of one sign but for this share of rows: noise flips a few values near 0 of a positive law
# (a gain falling to 0.0016 under noise 0.0019); the transforms' weights (|dy/dT|) leave those
# rows next to no say in the fits
ONE_SIGN = 0.99
MIN_SIGNED = 0.8  # log fits need this share of rows of one sign (the others are left out)
FIT_ROWS = 600  # training rows the subset search uses (all of them refit the constants later)
VAL_ROWS = 2000  # validation rows that score its candidates
PER_SIZE = 2  # formulas returned per number of terms (and the simplest tied one)
TIED_ERROR = 1.01  # validation RMSE within this factor of the best of its size: a tie
PHASE_TERMS = 4  # products of sines and cosines in a sum at most (a shifted phase has four)
MAX_SIZE = 8  # terms (or powers) of a returned formula at most: a law rarely has more, and
# every constant of a candidate is refitted later


def _log(v):
    """``log v`` where ``v > 0``, NaN elsewhere (those rows get no weight)."""
    with np.errstate(all="ignore"):
        return np.where(v > 0, np.log(np.where(v > 0, v, 1.0)), np.nan)


# name: (applies(y) -> bool, forward(y) -> t, inverse_numpy(u, s), inverse_sympy(u, s))
def _transforms():
    import sympy
    pi2 = math.pi / 2
    return {
        "id": (lambda y: True, lambda y: y, lambda u, s: u, lambda u, s: u),
        "inv": (lambda y: dominant_sign(y, ONE_SIGN) != 0, lambda y: 1 / y, lambda u, s: 1 / u,
                lambda u, s: 1 / u),
        "square": (lambda y: dominant_sign(y, ONE_SIGN) != 0, lambda y: y * y,
                   lambda u, s: s * np.sqrt(u), lambda u, s: s * sympy.sqrt(u)),
        "inv_square": (lambda y: dominant_sign(y, ONE_SIGN) != 0, lambda y: 1 / (y * y),
                       lambda u, s: s / np.sqrt(u), lambda u, s: s / sympy.sqrt(u)),
        "sqrt": (lambda y: dominant_sign(y, ONE_SIGN) != 0, lambda y: np.sqrt(np.abs(y)),
                 lambda u, s: s * u * u, lambda u, s: s * u ** 2),
        "sin": (lambda y: bool(np.all(np.abs(y) < pi2)), np.sin, lambda u, s: np.arcsin(u),
                lambda u, s: sympy.asin(u)),
        "cos": (lambda y: bool(np.all((y > 0) & (y < math.pi))), np.cos,
                lambda u, s: np.arccos(u), lambda u, s: sympy.acos(u)),
        "tan": (lambda y: bool(np.all(np.abs(y) < pi2)), np.tan, lambda u, s: np.arctan(u),
                lambda u, s: sympy.atan(u)),
        "exp": (lambda y: bool(np.all(np.abs(y) < 30)), np.exp, lambda u, s: np.log(u),
                lambda u, s: sympy.log(u)),
        # exp(-y) = 1 + exp(-u): minus a log of a sum (a softplus); not among TRANSFORMS, the
        # default (see kanlab.discover._homogeneous)
        "nexp": (lambda y: bool(np.all(np.abs(y) < 30)), lambda y: np.exp(-y),
                 lambda u, s: -np.log(u), lambda u, s: -sympy.log(u)),
    }


TRANSFORMS = ("id", "inv", "square", "inv_square", "sqrt", "sin", "cos", "tan", "exp")


def _log_features(X, symbols):
    """``(values, base)``: ``log|g(x)|`` columns whose ``exp(c·…)`` is ``base^c``
    (``g``: ``x``, ``sin x``, ``cos x``, ``1 - cos x``)."""
    import sympy
    out = []
    with np.errstate(all="ignore"):
        for i, sym in enumerate(symbols):
            col = X[:, i]
            if np.all(col > 0):
                out.append((np.log(col), sym))
            if float(np.max(np.abs(col))) <= 40:
                for fn, sfn in ((np.sin, sympy.sin), (np.cos, sympy.cos)):
                    s = dominant_sign(fn(col))
                    if s and np.ptp(fn(col)) > 1e-9:
                        out.append((np.log(s * fn(col)), s * sfn(sym)))
            # an angle within a half turn: 1 - cos x (a height m·g·L·(1 - cos θ)), 0 only at 0
            if float(np.max(np.abs(col))) <= math.pi and float(np.ptp(col)) >= 0.5 \
                    and np.all(col != 0):
                out.append((np.log(1 - np.cos(col)), 1 - sympy.cos(sym)))
    return out


def structure_formulas(X_train, y_train, X_val, y_val, symbols, transforms=TRANSFORMS,
                       max_terms: int = MAX_TERMS, full: bool = True) -> list:
    """Candidate formulas (sympy, in ``symbols``) for ``y`` from sparse fits over library terms
    (``full``: the full term list too, not only the short one; most of the cost)."""
    from kanlab.discover._envelopes import phase_envelopes
    from kanlab.discover._factors import difference_logs, oscillating
    from kanlab.discover._terms import phase_terms, spherical_terms, term_library
    # a seeded sample of the rows: the library stays small in memory (terms × rows) whatever
    # the table's size
    X_train, y_train = sample_xy(X_train, y_train, FIT_ROWS)
    X_val, y_val = sample_xy(X_val, y_val, VAL_ROWS)
    X_all = np.vstack([X_train, X_val])
    n_tr = len(X_train)
    logs = _log_features(X_all, symbols) + difference_logs(X_all, symbols)
    table = _transforms()
    scored, extra = [], {"X": X_all, "symbols": symbols, "oscillating": []}
    for simple in (False, True) if full else (True,):  # the full list first: its sines and
        # cosines of products
        values, exprs = term_library(X_all, symbols, simple=simple)
        beam, most = (BEAM, max_terms) if simple else (FULL[0], min(FULL[1], max_terms))
        _search(scored, values, exprs, logs, table, transforms, n_tr, y_train, y_val, most, beam,
                extra if simple else None)
        if not simple:  # candidate factors h of y = h·P for the short list's fits
            extra["oscillating"] = oscillating(values, exprs)
        del values, exprs
    # a sine or cosine of a sum or difference (a phase): a short sum of products of two
    # sines and cosines (see phase_terms); additive fits of y itself, of y over an input and
    # of y over a decaying envelope a·exp(-u) (see phase_envelopes)
    values, exprs = phase_terms(X_all, symbols)
    if values.shape[1]:
        envelopes = phase_envelopes(X_all, symbols, y_train)
        _search(scored, values, exprs, [], table, ("id",), n_tr, y_train, y_val, PHASE_TERMS,
                BEAM, extra | {"additive": True, "envelopes": envelopes})
    # angles of spherical triangles: sin y, cos y (and y) as short sums of products of sines
    # and cosines of up to three inputs (see spherical_terms), without factors
    values, exprs = spherical_terms(X_all, symbols)
    if len(symbols) > 1 and values.shape[1]:  # one input's sine and cosine: terms already
        _search(scored, values, exprs, [], table, ("id", "sin", "cos"), n_tr, y_train, y_val,
                PHASE_TERMS, BEAM, extra | {"additive": True, "factors": False})
    floor = 1e-9 * (float(np.std(y_val)) or 1.0)  # noise-free data: exact to within this
    return [_to_sympy(item, table) for item in _best(scored, floor)]


def _search(scored, values, exprs, logs, table, transforms, n_tr, y_train, y_val, max_terms,
            beam, extra) -> None:
    """Every transform and kind over one term library; appends ``(error, size, payload)``.

    ``extra`` (for the short list only; else None) holds the rows ``X``, the
    ``symbols`` and the ``oscillating`` factors, from which the factors ``h`` of
    ``T(y) = h·P`` are chosen (see :mod:`kanlab.discover._factors`).
    """
    from kanlab.discover._select import FEW_ROWS
    simple_pass = extra is not None
    few = len(y_val) < FEW_ROWS  # residuals kept: larger sums must earn their terms (_best)
    for name in transforms:
        applies, forward, inv_np, _ = table[name]
        if not applies(y_train):
            continue
        with np.errstate(all="ignore"):
            t = forward(y_train)
        if not np.all(np.isfinite(t)) or np.ptp(t) == 0:
            continue
        s_y = dominant_sign(y_train, ONE_SIGN) or 1.0
        for kind, target, V, E, factor in _kinds(t, values, exprs, logs, n_tr, extra,
                                                 divisors=name == "id"):
            if V.shape[1] == 0:
                continue
            over = kind == "over"  # log|t| = P/g: the factor divides the exponent
            with np.errstate(all="ignore"):
                ratio = t / factor[0][:n_tr] if factor is not None and not over else t
            s_k = dominant_sign(ratio, MIN_SIGNED) if kind != "add" else 1.0
            tr, target = V[:n_tr], target[:n_tr]
            # weighted by |dy/dfit|: errors count as they do in y itself, and rows where
            # the transform magnifies the noise (1/y² of small y, log of y near 0) count little
            w = _weights(forward, y_train, t, kind)
            if factor is not None and kind == "add":  # t/h: an error e in it is h·e in t
                w = w * np.abs(factor[0][:n_tr])
            if over:  # P = g·log|t|: an error e in P is e/g in log|t|
                w = w / np.abs(factor[0][:n_tr])
            w = np.where(np.isfinite(target) & np.isfinite(w), w, 0.0)
            target = np.where(w > 0, target, 0.0)
            w = w / np.sqrt(np.sum(w * w))
            mean = (w * w) @ tr / np.sum(w * w)
            std = np.sqrt((w * w) @ (tr - mean) ** 2 / np.sum(w * w))
            std[std == 0] = 1.0
            D = (tr - mean) / std * w[:, None]
            t_mean = float((w * w) @ target / np.sum(w * w))
            tc = (target - t_mean) * w
            wide = WIDE if simple_pass and kind in ("add", "over") else 0
            paths = ([(list(range(V.shape[1])), None)] if kind == "pow"
                     else _stepwise(D, tc, max_terms, beam, wide))
            paths = [cols for cols, _ in paths]
            if not simple_pass and kind != "pow":  # a narrow beam: exchange columns one by one
                paths += [swapped(D, tc, cols) for cols in paths if len(cols) > 1]
            found = {tuple(c): (c, b) for cols in paths for c, b in _pruned(D, tc, cols)}
            for cols, coef in found.values():
                beta = coef / std[cols]
                c0 = t_mean - float(beta @ mean[cols])
                with np.errstate(all="ignore"):
                    u = c0 + V[n_tr:, cols] @ beta
                    u = u / factor[0][n_tr:] if over else u
                    u = s_k * np.exp(u) if kind != "add" else u
                    u = u * factor[0][n_tr:] if factor is not None and not over else u
                    pred = inv_np(u, s_y)
                    err = float(np.sqrt(np.mean((pred - y_val) ** 2)))
                if math.isfinite(err):
                    scored.append((err, len(cols) + (factor is not None),
                                   (kind, name, cols, beta, c0, s_k, s_y, E,
                                    factor[1] if factor is not None else 1),
                                   pred - y_val if few else None))


def _kinds(t, values, exprs, logs, n_tr, extra, divisors: bool = True):
    """``[(kind, target, columns, exprs, factor)]``: the fits tried for one transformed ``t``.

    ``add``: ``t`` as a sum of terms; ``mul``: ``log|t|`` as one (with log columns);
    ``pow``: ``log|t|`` over every log column at once; and, with a factor ``h``
    (``factor = (values, expr)``), ``t/h`` as a sum or ``log|t/h|`` as one; ``over``
    (with ``divisors``): ``g·log|t|`` as a sum, ``g`` a power of one input.  Only ``y``
    itself needs ``over``: ``log|1/y|``, ``log y²`` and ``log √y`` are multiples of ``log|y|``.
    """
    kinds = [("add", t, values, exprs, None)]
    s_t = dominant_sign(t, MIN_SIGNED)
    log_vals = np.column_stack([v for v, _ in logs] + [values]) if logs else values
    log_exprs = [("log", b) for _, b in logs] + list(exprs)
    if s_t:
        kinds.append(("mul", _log(s_t * t), log_vals, log_exprs, None))
    if extra is None:
        return kinds
    if extra.get("additive"):  # t over each input that is never 0 (an amplitude), and over
        # each envelope a·exp(-u)
        X, syms = extra["X"], extra["symbols"]
        factors = [(X[:, i], syms[i]) for i in range(X.shape[1]) if np.all(X[:, i] != 0)]
        factors += extra.get("envelopes", [])
        if not extra.get("factors", True):
            factors = []
        with np.errstate(all="ignore"):
            return kinds[:1] + [("add", t / h[:n_tr], values, exprs, (h, h_expr))
                                for h, h_expr in factors]
    if s_t and logs:  # a product of powers of x, sin x, cos x
        kinds.append(("pow", _log(s_t * t), np.column_stack([v for v, _ in logs]),
                      [("log", b) for _, b in logs], None))
    from kanlab.discover._factors import affine_factors, exponent_divisors, signed_factors
    # exp(P/g) with g a power of one input: g·log|t| is a short sum (-(x - mu)^2/(2 sigma^2))
    # and x^c·exp(P/g) (a normalised density): g·log|t| = c·g·log x + P, so the columns
    # g·log x of the positive inputs join the sum
    if s_t and divisors:
        powers = [(v, b) for v, b in logs if b.is_Symbol]  # log x: x^c
        for g, g_expr in exponent_divisors(extra["X"], extra["symbols"]):
            V, E = values, exprs
            if powers:
                V = np.column_stack([values] + [g * v for v, _ in powers])
                E = list(exprs) + [("log", b) for _, b in powers]
            with np.errstate(all="ignore"):
                kinds.append(("over", _log(s_t * t) * g[:n_tr], V, E, (g, g_expr)))
    # h·P with h a sine or cosine whose sign follows t's: log|t/h| is a short sum
    for h, h_expr, _ in signed_factors(extra["oscillating"], t):
        with np.errstate(all="ignore"):
            kinds.append(("mul", _log(t / h[:n_tr]), log_vals, log_exprs, (h, h_expr)))
    # (x + c)·B: t/(x + c) is a sum or, of one sign, a product; x·B (y only): t/x is a sum
    for h, h_expr, _ in affine_factors(extra["X"], extra["symbols"], t):
        # x·B (y only; 1/y = x·B is rare): where t has one sign, log|t/x| is a log fit already
        pure = h_expr.is_Symbol
        if pure and not divisors:
            continue
        with np.errstate(all="ignore"):
            ratio = t / h[:n_tr]
        kinds.append(("add", ratio, values, exprs, (h, h_expr)))
        if pure and s_t:
            continue
        s_r = dominant_sign(ratio, MIN_SIGNED)
        if s_r:
            kinds.append(("mul", _log(s_r * ratio), log_vals, log_exprs, (h, h_expr)))
    return kinds


def _weights(forward, y, t, kind):
    """``|dy/dT|`` (additive fits) or ``|T·dy/dT|`` (log fits), by central differences."""
    h = 1e-6 * (np.abs(y) + 1e-3 * (float(np.std(y)) or 1.0))
    with np.errstate(all="ignore"):
        slope = np.abs((forward(y + h) - forward(y - h)) / (2 * h))
        w = 1.0 / slope if kind == "add" else np.abs(t) / slope
    w = np.where(np.isfinite(w), w, 0.0)
    top = float(np.max(w)) if len(w) else 0.0
    return w / top if top > 0 else np.ones_like(y)


def _best(scored, floor: float = 0.0):
    """The best :data:`PER_SIZE` per number of terms, as ``[payload]``, Pareto-pruned.

    A formula with more terms is returned only if it beats, on the validation rows,
    every formula with fewer terms: a dominated one could never be chosen, and every
    candidate costs a nonlinear refit later.  Where residuals are kept (fewer validation
    rows than :data:`kanlab.discover._select.FEW_ROWS`), it must beat the best of them by
    :data:`kanlab.discover._select.EARN_SE` paired standard errors on noisy data
    (:func:`kanlab.discover._select.earns_terms`): thousands of subsets are scored on
    those few rows, and the luckiest richer one beats the law (on 40 rows a root of
    ``n²T²/V² + c·V²·sin(T·V²)`` beat ``n·T/V`` by 3 %).
    """
    from kanlab.discover._select import earns_terms
    out, best, best_resid = [], math.inf, None
    for k in sorted({s[1] for s in scored if s[1] <= MAX_SIZE}):
        same = sorted((s for s in scored if s[1] == k and s[0] < best), key=lambda s: s[0])
        if best_resid is not None:
            same = [s for s in same if earns_terms(s[0], s[3], best, best_resid, floor)]
        out += [s[2] for s in same[:PER_SIZE]]
        # and the simplest of those tied with the best (within 1 %): t/(R·C) rather than
        # sin(t/R)/C where t/R stays below 1e-5
        tied = [s for s in same[PER_SIZE:] if s[0] <= TIED_ERROR * same[0][0]]
        if tied:
            simplest = min(tied, key=lambda s: _nodes(s[2]))
            if _nodes(simplest[2]) < min(_nodes(s[2]) for s in same[:PER_SIZE]):
                out.append(simplest[2])
        if same and same[0][0] < best:
            best, best_resid = same[0][0], same[0][3]
    return out


def _nodes(item) -> int:
    """Nodes of the terms a fit uses (the constants left out): a cheap complexity."""
    import sympy
    E, cols = item[7], item[2]
    return sum(sum(1 for _ in sympy.preorder_traversal(
        E[c][1] if E[c][0] == "log" else sympy.Mul(*E[c]))) for c in cols)


def _to_sympy(item, table):
    import sympy
    kind, name, cols, beta, c0, s_t, s_y, E, factor = item
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    if kind == "add":
        u = F(c0) + sum(F(b) * sympy.Mul(*E[c]) for b, c in zip(beta, cols))
    elif kind == "over":  # a column ("log", x) is g·log x: the factor x^b outside the exp
        u = s_t * sympy.exp((F(c0) + sum(F(b) * sympy.Mul(*E[c]) for b, c in zip(beta, cols)
                                         if E[c][0] != "log")) / factor)
        u *= sympy.Mul(*[E[c][1] ** F(b) for b, c in zip(beta, cols) if E[c][0] == "log"])
        factor = 1
    else:
        u = s_t * sympy.exp(F(c0))
        for b, c in zip(beta, cols):
            e = E[c]
            u = u * (e[1] ** F(b) if e[0] == "log" else sympy.exp(F(b) * sympy.Mul(*e)))
    return table[name][3](factor * u, s_y)

"""Laws of one dimensionless group: ``y = A·Π x^a · f(c·Π x^b)^k``.

Many laws are a product of powers times a library function of one *group*, a
product of powers of the inputs: ``n·R·T·log(V2/V1)``, ``Ms·tanh(μ·B/(k·T))``,
``ν³/(exp(h·ν/(k·T)) - 1)``, ``sqrt(g/k·tanh(k·h))``.  Neither a sparse sum of
library terms nor a one-layer KAN holds them: the function's argument is a
product of two or three inputs and the function is multiplied by another product.

For a target of one sign and the all-positive inputs ``x``, ``log|y|`` is then
``log A + a·log x + k·log|f(c·Q)|`` with ``Q = Π x^b``:

1. *which group*: for every direction ``b`` with small rational entries (at most
   three inputs), ``log|y|`` is fitted by ``a·log x`` plus a cubic spline of
   ``b·log x`` (a one-index model; weighted so that errors count as in ``y``).
   The directions whose spline explains most are kept (:func:`group_directions`);
2. *which function*: for each kept direction, its multiples and each function of
   :data:`FUNCTIONS`, the scale ``c`` is searched on a log grid and then refined; for a
   given ``c`` the rest (``log A``, ``a``, ``k``) is one linear least-squares fit
   (:func:`group_formulas`).

The best few are returned as sympy formulas; their constants are refitted on the raw
rows and rounded later (:mod:`kanlab.discover._pipeline`), so an exponent ``k`` of
0.9996 becomes 1 where the validation rows allow it.  No law is named here: the
functions are the library's, the groups are searched.
"""
from __future__ import annotations

import math
import warnings
from fractions import Fraction
from itertools import combinations, product

import numpy as np

from kanlab.discover._signs import dominant_sign
from kanlab.discover._split import sample_xy

__all__ = ["group_directions", "group_formulas", "FUNCTIONS"]

FIT_ROWS = 600  # training rows the search uses (every row refits the constants later)
KNOTS = 8  # intervals of the one-index spline
MAX_IN_GROUP = 3  # inputs in a group at most
STEPS = (Fraction(1, 2), Fraction(1), Fraction(3, 2), Fraction(2), Fraction(3))
STEPS_THREE = (Fraction(1, 2), Fraction(1), Fraction(2))  # in groups of three inputs
MOST_DIRECTIONS = 4  # directions passed on to the function search
MIN_GAIN = 0.5  # the spline must leave at most this share of the power law's residual
MULTIPLES = (Fraction(1), Fraction(2), Fraction(1, 2))  # Q, Q², √Q for a direction
C_GRID = np.concatenate([-np.logspace(-2, 2, 17), np.logspace(-2, 2, 17)])  # c·median(Q)
MOST_FORMULAS = 6  # functions returned (the best formula of each)
REFINE = 4.0  # the refinement searches the scale within this factor of the grid's best
POWERS = tuple(Fraction(s * p, 2) for p in (1, 2, 3, 4, 6) for s in (1, -1))  # of f
PER_FUNCTION = 2  # fits per function checked on validation rows
MIN_SIGNED = 0.9  # share of the target's rows that must have one sign


def _functions():
    """``name: (numpy f, sympy f)``; the fit uses ``log|f(u)|``, so ``f`` may be any sign."""
    import sympy
    return {
        "log": (np.log, sympy.log),
        "log1p": (np.log1p, lambda u: sympy.log(1 + u)),
        "tanh": (np.tanh, sympy.tanh),
        "atan": (np.arctan, sympy.atan),
        "sin": (np.sin, sympy.sin),
        "cos": (np.cos, sympy.cos),
        "asin": (np.arcsin, sympy.asin),
        "sinh": (np.sinh, sympy.sinh),
        "cosh": (np.cosh, sympy.cosh),
        "1p": (lambda u: 1 + u, lambda u: 1 + u),  # (1 + u)^k: 1/(1 + u), sqrt(1 - u), ...
        "expm1": (np.expm1, lambda u: sympy.exp(u) - 1),
        "exp1p": (lambda u: np.exp(u) + 1, lambda u: sympy.exp(u) + 1),
        # a root of 1 + u less its value at u = 0: m·(1/sqrt(1 - v²) - 1), sqrt(1 + u) - 1
        # (the energy above rest); (1 + u)^k alone leaves the -1 out
        "root1m": (lambda u: np.sqrt(1 + u) - 1, lambda u: sympy.sqrt(1 + u) - 1),
        "invroot1m": (lambda u: 1 / np.sqrt(1 + u) - 1, lambda u: 1 / sympy.sqrt(1 + u) - 1),
    }


FUNCTIONS = ("exp", "log", "log1p", "tanh", "atan", "sin", "cos", "asin", "sinh", "cosh", "1p", "expm1",
    "exp1p", "root1m", "invroot1m")  # "exp": exp(k·Q), the scale in k


def _bspline(s, knots: int = KNOTS):
    """Cubic B-spline basis (rows × knots + 3) of ``s`` scaled to [0, 1]."""
    lo, hi = float(np.min(s)), float(np.max(s))
    x = (s - lo) / (hi - lo) if hi > lo else np.zeros_like(s)
    t = np.concatenate([[0.0] * 3, np.linspace(0.0, 1.0, knots + 1), [1.0] * 3])
    from scipy.interpolate import BSpline
    return BSpline.design_matrix(np.clip(x, 0.0, 1.0), t, 3).toarray()


def _directions(n: int):
    """Rational directions ``b`` (tuples of Fractions), one per line through 0."""
    seen, out = set(), []
    for size in range(1, min(n, MAX_IN_GROUP) + 1):
        steps = STEPS if size < 3 else STEPS_THREE
        for idx in combinations(range(n), size):
            for mags in product(steps, repeat=size):
                for signs in product((1, -1), repeat=size - 1):
                    vals = [mags[0]] + [s * m for s, m in zip(signs, mags[1:])]
                    top = max(abs(v) for v in vals)
                    key = tuple((idx[vals.index(v)], v / top) for v in vals)
                    key = tuple(sorted(key))
                    if key in seen:
                        continue
                    seen.add(key)
                    b = [Fraction(0)] * n
                    low = min(abs(v) for v in vals)  # the smallest entry 1: x, not x^(1/2)
                    for i, v in zip(idx, vals):
                        b[i] = v / low
                    out.append(tuple(b))
    return out


def _weighted_basis(Z, w):
    """Orthonormal basis of ``[1, Z]`` weighted by ``w`` (rows)."""
    A = np.column_stack([np.ones(len(Z)), Z]) * w[:, None]
    Q, _ = np.linalg.qr(A)
    return Q


def group_directions(Z, L, w, most: int = MOST_DIRECTIONS):
    """``[(rss, b)]``: the directions whose one-index spline explains most of ``L``.

    Args:
        Z: ``log x`` of the positive inputs (rows × n).
        L: ``log|y|`` (rows).
        w: row weights (errors of ``L`` scaled as in ``y``).

    Returns the best ``most`` directions, best first, or ``[]`` when no spline of one
    group explains at least :data:`MIN_GAIN` of what a power law leaves.
    """
    Q1 = _weighted_basis(Z, w)
    Lw = L * w
    Lr = Lw - Q1 @ (Q1.T @ Lw)
    base = float(Lr @ Lr)
    if base <= 0.0:
        return []
    scored = []
    Zf = np.asarray(Z, dtype=np.float64)
    for b in _directions(Z.shape[1]):
        s = Zf @ np.array([float(v) for v in b])
        B = _bspline(s) * w[:, None]
        B = B - Q1 @ (Q1.T @ B)
        coef, *_ = np.linalg.lstsq(B, Lr, rcond=1e-10)
        r = Lr - B @ coef
        scored.append((float(r @ r), b))
    scored.sort(key=lambda item: item[0])
    if not scored or scored[0][0] > MIN_GAIN * base:
        return []
    return scored[:most]


def _columns(name, c, q, fns):
    """``log|f(c·q)|`` per row (NaN where undefined or 0), for one or many ``c``."""
    u = np.multiply.outer(q, np.atleast_1d(c))
    with np.errstate(all="ignore"):
        if name == "exp":
            return u
        v = fns[name][0](u)
        return np.where(np.isfinite(v) & (v != 0), np.log(np.abs(np.where(v != 0, v, 1.0))),
                        np.nan)


def _rss_all(G, Lr, Q1, w):
    """Residual sum of squares of ``Lr`` after adding each column of ``G`` (weighted)."""
    ok = np.all(np.isfinite(G), axis=0)
    G = np.where(np.isfinite(G), G, 0.0) * w[:, None]
    G = G - Q1 @ (Q1.T @ G)
    gg = np.einsum("ij,ij->j", G, G)
    gl = G.T @ Lr
    with np.errstate(all="ignore"):
        rss = float(Lr @ Lr) - np.where(gg > 1e-12 * max(float(np.max(gg)), 1e-300),
                                        gl * gl / gg, 0.0)
    return np.where(ok, rss, np.inf)


def group_formulas(X, y, X_val, y_val, symbols, most: int = MOST_FORMULAS) -> list:
    """Formulas ``A·Π x^a·f(c·Π x^b)^k`` (sympy, in ``symbols``), best on validation first.

    Only inputs that are positive on every row enter (as ``log x``); a target needs one
    sign on every training row, or else one input of both signs whose quotient has it
    (``y = x·…``, see :func:`_over_signed_input`).  Returns ``[]`` when the data hold no
    such group.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if not dominant_sign(y, MIN_SIGNED):
        return _over_signed_input(X, y, X_val, y_val, symbols, most)
    X, y = sample_xy(X, y, FIT_ROWS)
    pos = [i for i in range(X.shape[1]) if np.all(X[:, i] > 0) and np.all(X_val[:, i] > 0)
           and np.ptp(np.log(X[:, i])) > 1e-9]
    # noise may push a few small values of a positive law below 0: those rows are left out
    # (their weight |y| is small anyway)
    sign = dominant_sign(y, MIN_SIGNED)
    if not pos or not sign:
        return []
    X, y = X[sign * y > 0], y[sign * y > 0]
    if len(y) < 20:
        return []
    Z = np.log(X[:, pos])
    L = np.log(sign * y)
    w = np.abs(y) / float(np.max(np.abs(y)))  # log-space errors weighted as errors in y
    found = group_directions(Z, L, w)
    if not found:
        return []
    fns = _functions()
    Q1 = _weighted_basis(Z, w)
    Lr = L * w - Q1 @ (Q1.T @ (L * w))
    trials = []  # (rss, name, b, c)
    for _, b in found:
        for mult, s in product(MULTIPLES, (1, -1)):
            bb = tuple(s * mult * v for v in b)
            q = np.exp(Z @ np.array([float(v) for v in bb]))
            scale = float(np.median(q))
            if not (math.isfinite(scale) and scale > 0):
                continue
            for name in ("exp",) + tuple(fns):
                grid = np.array([1.0]) if name == "exp" else C_GRID / scale
                rss = _rss_all(_columns(name, grid, q, fns), Lr, Q1, w)
                bf = np.array([float(v) for v in bb])
                for k in _minima(rss):  # noise can make a second basin the better one
                    err, c = (_refine(name, grid[k], Z, bf, y, w, fns, sign) if name != "exp"
                              else (_y_error(name, 1.0, Z, bf, y, w, fns, sign), 1.0))
                    trials.append((err, name, bb, c))
    trials.sort(key=lambda t: t[0])
    # the best of each function: within the noise several functions of a group can fit
    # (log Q and Q^(1/4) - 1 over Q in 1..20); the choice among them is made later, on
    # validation error and complexity once the constants are rounded
    best = {}
    for _, name, bb, c in trials:
        if len(best.setdefault(name, [])) < PER_FUNCTION:
            formula = _fit_formula(name, bb, c, X, y, X_val, y_val, pos, symbols, fns, sign, w)
            if formula is not None:
                best[name].append(formula)
    out = sorted((min(f, key=lambda f: f[0]) for f in best.values() if f), key=lambda f: f[0])
    return [expr for _, _, expr in out[:most]]


def _over_signed_input(X, y, X_val, y_val, symbols, most) -> list:
    """A target of both signs whose sign is an input's: ``y = x·A·Π x^a·f(c·Π x^b)^k``.

    For each input ``x`` of both signs (never 0) such that ``y/x`` has one sign, the group
    search runs on ``y/x`` (a current ``I`` through 0 times a law of the rest).
    """
    out = []
    for i in range(X.shape[1]):
        x, xv = X[:, i], X_val[:, i]
        if not (np.any(x > 0) and np.any(x < 0)) or np.any(x == 0) or np.any(xv == 0):
            continue
        ratio = y / x
        if not dominant_sign(ratio, MIN_SIGNED):
            continue
        out += [symbols[i] * f for f in group_formulas(X, ratio, X_val, y_val / xv, symbols,
                                                        most)]
    return out


def _minima(rss, most: int = 2) -> list:
    """Indices of the ``most`` lowest finite local minima of ``rss`` (a grid, per sign half)."""
    rss = np.asarray(rss, dtype=np.float64)
    if len(rss) == 1:
        return [0] if math.isfinite(rss[0]) else []
    half = len(rss) // 2
    found = []
    for lo, hi in ((0, half), (half, len(rss))):
        for k in range(lo, hi):
            left = rss[k - 1] if k > lo else np.inf
            right = rss[k + 1] if k + 1 < hi else np.inf
            if math.isfinite(rss[k]) and rss[k] <= left and rss[k] <= right:
                found.append(k)
    return sorted(found, key=lambda k: rss[k])[:most]


def _y_error(name, c, Z, bf, y, w, fns, sign, power=None) -> float:
    """RMS error in ``y`` of the log fit with scale ``c`` (the constants by weighted least
    squares; ``power``: the function's power ``k`` held at this value)."""
    g = _columns(name, c, np.exp(Z @ bf), fns)[:, 0]
    if not np.all(np.isfinite(g)):
        return math.inf
    A = np.column_stack([np.ones(len(Z)), Z] + ([g] if power is None else []))
    held = 0.0 if power is None else power * g
    coef, *_ = np.linalg.lstsq(A * w[:, None], (np.log(sign * y) - held) * w, rcond=None)
    with np.errstate(all="ignore"):
        err = float(np.sqrt(np.mean((sign * np.exp(A @ coef + held) - y) ** 2)))
    return err if math.isfinite(err) else math.inf


def _snapped(k: float) -> Fraction:
    """The simple power nearest ``k`` (:data:`POWERS`)."""
    return min(POWERS, key=lambda p: abs(float(p) - k))


def _refine(name, c0, Z, bf, y, w, fns, sign, power=None) -> tuple:
    """``(error, c)``: the scale near ``c0`` (within a factor :data:`REFINE`) that fits ``y`` best.

    The grid is scored in log space (fast, all scales at once); with noise its best
    scale can sit beside the one that fits ``y`` best (small values of ``y`` weigh
    too much in ``log y``), so the refinement measures errors in ``y`` itself.
    """
    from scipy.optimize import minimize_scalar
    sign_c = 1.0 if c0 > 0 else -1.0
    mid = math.log(abs(c0))

    def f(v):
        return _y_error(name, sign_c * math.exp(v), Z, bf, y, w, fns, sign, power)
    start = f(mid)
    try:
        with warnings.catch_warnings():  # scipy's parabolic step on an infinite value
            warnings.simplefilter("ignore", RuntimeWarning)
            res = minimize_scalar(f, bounds=(mid - math.log(REFINE), mid + math.log(REFINE)),
                                  method="bounded", options={"xatol": 1e-9, "maxiter": 60})
    except (ValueError, FloatingPointError):
        return start, float(c0)
    if math.isfinite(res.fun) and res.fun < start:
        return float(res.fun), sign_c * math.exp(res.x)
    return start, float(c0)


def _fit_formula(name, b, c, X, y, X_val, y_val, pos, symbols, fns, sign, w):
    """``(validation RMSE, key, sympy formula)`` of one group and function, or None."""
    import sympy
    bf = np.array([float(v) for v in b])
    Z = np.log(X[:, pos])
    g = _columns(name, c, np.exp(Z @ bf), fns)[:, 0]
    if not np.all(np.isfinite(g)):
        return None
    A = np.column_stack([np.ones(len(Z)), Z, g]) * w[:, None]
    coef, *_ = np.linalg.lstsq(A, np.log(sign * y) * w, rcond=None)
    if not np.all(np.isfinite(coef)):
        return None
    k = None
    if name != "exp":
        # the function's power held at a simple value (k = 1, -1, 1/2, ...): with k free,
        # every function of the group is a look-alike (cos(c·v)^0.405 for (1 - a·v²)^(-1/2))
        k = _snapped(float(coef[-1]))
        _, c = _refine(name, c, Z, bf, y, w, fns, sign, float(k))
        g = _columns(name, c, np.exp(Z @ bf), fns)[:, 0]
        if not np.all(np.isfinite(g)):
            return None
        part, *_ = np.linalg.lstsq(A[:, :-1], (np.log(sign * y) - float(k) * g) * w, rcond=None)
        coef = np.concatenate([part, [float(k)]])
    with np.errstate(all="ignore"):
        Zv = np.log(X_val[:, pos])
        gv = _columns(name, c, np.exp(Zv @ bf), fns)[:, 0]
        pred = sign * np.exp(coef[0] + Zv @ coef[1:-1] + coef[-1] * gv)
        err = float(np.sqrt(np.mean((pred - y_val) ** 2)))
    if not math.isfinite(err):
        return None
    F = lambda v: sympy.Float(float(v), 17)  # noqa: E731
    syms = [symbols[i] for i in pos]
    group = sympy.Mul(*[s ** sympy.Rational(v.numerator, v.denominator)
                        for s, v in zip(syms, b) if v != 0])
    u = F(c) * group
    if name == "exp":
        inner = sympy.exp(F(coef[-1]) * group)
        power = 1
    else:
        # a whole sign: -1.0·(f - 1) would spread into -1.0·f + 1.0, a constant the refit
        # then moves (1/sqrt(1 - u) - 1.02 for the energy above rest)
        s_f = int(np.sign(np.median(fns[name][0](c * np.exp(Z @ bf)))))
        inner = s_f * fns[name][1](u)
        power = sympy.Rational(k.numerator, k.denominator)
    expr = sign * sympy.exp(F(coef[0])) * sympy.Mul(*[s ** F(a) for s, a in zip(syms, coef[1:-1])]) \
        * inner ** power
    return err, (name, b), expr

"""Fit ``y ≈ c·f(a·x + b) + d`` for symbolic candidates ``f`` and rank the fits.

Method, per candidate (everything float64 on the CPU; the samples are
normalised first: ``x̃ ∈ [-1, 1]``, ``ỹ`` centred with unit norm):

1. **Coarse start.** ``f(α·x̃ + β)`` is evaluated for a grid of ``(α, β)``
   pairs at once (one ``(pairs, M)`` tensor on ``M ≤ 256`` samples spread
   over the range). For each pair the best ``c, d`` are linear least
   squares, so the pair's quality is its squared correlation with ``ỹ``.
   Pairs whose argument range leaves the candidate's domain, or that give a
   non-finite value on any sample, are invalid. The grid follows the
   candidate's invariances (:class:`~kanlab.symbolic._library.Candidate`): phases
   and frequencies up to ``α = 25`` for periodic functions (``sin(πx)`` and
   ``sin(5x)`` are in reach), only the shift for scale-free ones (powers,
   ``log``: ``|α|`` is absorbed in ``c``), only the rate for ``exp``, log-spaced
   rates times shifts otherwise, and every gap between samples for kinks.
2. **Refinement.** From the best ``n_starts`` valid pairs, batched:
   Levenberg–Marquardt on ``(α, β)`` with ``(c, d)`` eliminated by variable
   projection (Kaufman's Jacobian). Directions an invariance makes redundant
   are frozen, the rest is damped, so the scale degeneracy of ``c·(αx + β)²``
   cannot stall the iteration. A step is taken only if it stays admissible
   (finite on every sample, inside the domain) and lowers the residual.
3. **Report** in the original units with a canonical form (``a > 0`` for
   symmetric ``f``, ``a = ±1`` for scale-free, ``b = 0`` for ``exp``, ``b``
   within half a period of 0 for periodic ones), ``c, d`` refitted by least
   squares and ``R² = 1 − SS_res/SS_tot`` computed from the residuals.

Ranking (lower :attr:`SymbolicFit.score` first, accepted fits before the
rest, ties by library order): a fit is *accepted* when ``R² ≥ r2_threshold``
(default 0.99999); accepted fits rank by complexity, ties by R² (``score =
complexity + r/(1 + r)`` with ``r = (1 − R²)/(1 − r2_threshold)``). The threshold is that high
because smooth candidates mimic each other on a finite range: on clean
samples ``sin`` fits ``u^1.5`` on ``[0, 2]`` to ``R² = 0.99998`` and ``tan`` fits
``arcsin`` to 0.99996, and a lower threshold would hand such data to the
simpler impostor. The others rank by ``score = complexity_weight·complexity
+ log10(1 − R²)``: with the default weight 0.5 one more unit of complexity
must divide the unexplained variance by √10.  The same price holds across the
threshold: a fit just short of it is accepted too when it is simpler than the
accepted fit that would rank first and leaves at most ``10^(complexity_weight·Δc)``
times that fit's ``1 − R²`` (``Δc`` the difference of complexities).  Without that, a near-linear
edge whose ``x`` misses the threshold by a hair (``1 − R² = 1.6e-5``) would go to
any two-parameter lookalike that models its slight curvature (``sqrt(10 − 0.2x)``,
``1 − R² = 8.4e-6``), though the gain is under the price of one unit.
If ``y`` is constant (to rounding), every candidate fits it with ``c = 0`` and
``R² = 1``, so the zero function ``"0"`` wins.

Limits of simpler forms: ``c·cos(εx + π) + d`` approaches ``x²`` as ``ε → 0``
(and ``tanh`` with a huge rate approaches ``sgn``), so such candidates reach
``R²`` near 1 on quadratic data with huge ``c``; the search box (``|α| ≥ 0.01``
in units of the half-range) keeps them measurably below the exact candidate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from kanlab._validation import check_float, check_int

from kanlab.symbolic._box import Box, Projector, make_box
from kanlab.symbolic._library import Candidate, resolve_library
from kanlab.symbolic._ranking import accept_simpler, rank_score
from kanlab.symbolic._search import search

__all__ = ["SymbolicFit", "fit_candidate", "suggest", "R2_THRESHOLD", "COMPLEXITY_WEIGHT"]

R2_THRESHOLD = 0.99999
COMPLEXITY_WEIGHT = 0.5
FIRST_BATCH = 8  # suggest(topk=1): candidates fitted together, at least (whole complexity levels)
_F64 = torch.float64


@dataclass
class SymbolicFit:
    """One candidate's best fit ``y ≈ c·f(a·x + b) + d``.

    Attributes
    ----------
    name
        the candidate's name.
    params
        ``(a, b, c, d)`` in the units of the data.
    r2
        coefficient of determination on the samples (1 for a constant ``y``).
    complexity
        the candidate's complexity.
    score
        rank key, lower is better (see the module docstring).
    accepted
        ``r2 >= r2_threshold`` (or just short of it and simpler than the first accepted fit,
        within the price of the complexity it saves); accepted fits rank before the others.
    candidate
        the :class:`~kanlab.symbolic._library.Candidate` itself.
    """

    name: str
    params: tuple[float, float, float, float]
    r2: float
    complexity: int
    score: float
    accepted: bool = False
    candidate: Candidate | None = field(default=None, repr=False, compare=False)

    def __call__(self, x: Tensor) -> Tensor:
        """Evaluate ``c·f(a·x + b) + d`` (elementwise, any shape)."""
        a, b, c, d = self.params
        if c == 0.0:  # f may be undefined where it was not fitted; 0·nan would be nan
            return torch.full_like(x, d)
        return c * self.candidate.fn(a * x + b) + d

    def sympy_expr(self, x: Any = "x"):
        """The sympy expression ``c·f(a·x + b) + d`` in the symbol (or name) ``x``."""
        import sympy
        a, b, c, d = (sympy.Float(p) for p in self.params)
        symbol = sympy.Symbol(x) if isinstance(x, str) else x
        if self.params[2] == 0.0:
            return d
        return c * self.candidate.sympy_fn(a * symbol + b) + d


@dataclass
class _Data:
    x: Tensor  # (N,) float64, the samples as given
    y: Tensor
    xt: Tensor  # normalised: xt = (x - xm)/xs in [-1, 1]
    yt: Tensor  # centred, unit norm (zeros when y is constant)
    xm: float
    xs: float
    constant: bool
    order: Tensor  # indices sorting x


def _as_vector(t: Any, name: str) -> Tensor:
    if isinstance(t, np.ndarray):
        t = torch.from_numpy(t)
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(t).__name__}")
    if t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype}")
    if t.dim() == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.dim() != 1:
        raise ValueError(f"{name} must have shape (N,) or (N, 1), got {tuple(t.shape)}")
    return t.detach().to(device="cpu", dtype=_F64)


def _prepare(x: Any, y: Any) -> _Data:
    x, y = _as_vector(x, "x"), _as_vector(y, "y")
    if x.numel() != y.numel():
        raise ValueError(f"x and y must have the same length, got {x.numel()} and {y.numel()}")
    if x.numel() < 4:
        raise ValueError(f"need at least 4 samples to fit 4 parameters, got {x.numel()}")
    for name, t in (("x", x), ("y", y)):
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} holds non-finite values (NaN or inf)")
    lo, hi = float(x.min()), float(x.max())
    if not hi > lo:
        raise ValueError(f"x must take at least two distinct values, got only {lo}")
    xm, xs = (hi + lo) / 2, (hi - lo) / 2
    yc = y - y.mean()
    ss_tot = float(yc @ yc)
    # constant to rounding: no variance a fit could explain
    constant = ss_tot <= y.numel() * (16 * 2.2e-16 * float(y.abs().max())) ** 2
    yt = torch.zeros_like(y) if constant else yc / math.sqrt(ss_tot)
    return _Data(x, y, (x - xm) / xs, yt, xm, xs, constant, torch.argsort(x))


def _canonical(cand: Candidate, a: float, b: float) -> tuple[float, float]:
    if cand.symmetric and a < 0:
        a, b = -a, -b
    if cand.scale_free:
        a, b = math.copysign(1.0, a), b / abs(a)
    if cand.shift_free:
        b = 0.0
    if cand.period is not None:
        p = float(cand.period)
        b = (b + p / 2) % p - p / 2
    return a, b


def _linear_fit(cand: Candidate, data: _Data, a: float, b: float):
    """Least-squares ``c, d`` and SS_res for fixed ``(a, b)``, or None if f is not finite there."""
    v = cand.fn(a * data.x + b).to(_F64)
    if not bool(torch.isfinite(v).all()):
        return None
    mean_y = float(data.y.mean())
    scale = float(v.abs().max())
    w = v / scale if scale > 0 else v  # scaled, so that squares cannot overflow
    wc = w - w.mean()
    nw = float(wc.norm())
    if data.constant or nw <= math.sqrt(w.numel()) * 4 * 2.2e-16:
        cw = 0.0  # f is constant on the samples (or y is: nothing to explain)
    else:
        cw = float(wc @ (data.y - mean_y)) / (nw * nw)
    c, d = (cw / scale if cw else 0.0), mean_y - cw * float(w.mean())
    if not (math.isfinite(c) and math.isfinite(d)):
        return None
    res = data.y - (cw * w + d)
    return c, d, float(res @ res)


def _check_options(r2_threshold, complexity_weight, n_starts, max_iter) -> None:
    check_float(r2_threshold, "r2_threshold", low=0.0, high=1.0)
    check_float(complexity_weight, "complexity_weight", low=0.0)
    check_int(n_starts, "n_starts", low=1)
    check_int(max_iter, "max_iter", low=1)


def _in_box(box: Box | None, cand: Candidate, a: float, b: float) -> tuple[float, float]:
    if box is None:
        return a, b
    pa, pb, _ = box.project(cand, torch.tensor([a], dtype=_F64, device="cpu"),
                            torch.tensor([b], dtype=_F64, device="cpu"))
    return float(pa), float(pb)


def _fit_all(cands: list[Candidate], data: _Data, r2_threshold: float, weight: float,
             n_starts: int, max_iter: int, box: Box | None = None) -> list[SymbolicFit | None]:
    """One :class:`SymbolicFit` per candidate (None where none is finite on the samples)."""
    project = None if box is None else Projector(box, data.xm, data.xs)
    found = search(cands, data.xt, data.yt, data.order, data.constant, n_starts, max_iter,
                   project)
    fits: list[SymbolicFit | None] = []
    yc = data.y - data.y.mean()
    ss_tot = float(yc @ yc)
    for cand, ab in zip(cands, found):
        if ab is None:
            fits.append(None)
            continue
        # back to the data's units: α·x̃ + β = a·x + b
        a = ab[0] / data.xs
        b = ab[1] - ab[0] * data.xm / data.xs
        linear = None
        for a_, b_ in (_canonical(cand, a, b), (a, b)):  # the raw form if rounding breaks the other
            a_, b_ = _in_box(box, cand, a_, b_)
            linear = _linear_fit(cand, data, a_, b_)
            if linear is not None:
                a, b = a_, b_
                break
        if linear is None:
            fits.append(None)
            continue
        c, d, ss_res = linear
        r2 = 1.0 if data.constant else 1.0 - ss_res / ss_tot
        score, accepted = rank_score(r2, cand.complexity, r2_threshold, weight)
        fits.append(SymbolicFit(cand.name, (a, b, c, d), r2, cand.complexity, score, accepted, cand))
    return fits


def _fit_first(cands: list[Candidate], data: _Data, r2_threshold: float, weight: float,
               n_starts: int, max_iter: int, box: Box | None = None) -> list[SymbolicFit | None]:
    """:func:`_fit_all` for the best fit only: first the simplest candidates (whole
    complexity levels, lowest first, at least :data:`FIRST_BATCH` of them), then, unless
    one of them is accepted, all the others (None stays for those not fitted).  An accepted
    fit ranks before every fit of higher complexity, accepted or not: its score is below
    its complexity + 1; a fit that :func:`kanlab.symbolic._ranking.accept_simpler` may still
    accept is simpler than the first accepted one, so it is in the same batch or an earlier
    one."""
    order = sorted(range(len(cands)), key=lambda i: cands[i].complexity)
    end = min(FIRST_BATCH, len(order))
    while end < len(order) and cands[order[end]].complexity == cands[order[end - 1]].complexity:
        end += 1
    fits: list[SymbolicFit | None] = [None] * len(cands)
    for batch in (order[:end], order[end:]):
        found = _fit_all([cands[i] for i in batch], data, r2_threshold, weight, n_starts,
                         max_iter, box) if batch else []
        for i, f in zip(batch, found):
            fits[i] = f
        if any(f is not None and f.accepted for f in found):
            break
    return fits


def fit_candidate(x: Any, y: Any, candidate: Candidate | str, *,
                  r2_threshold: float = R2_THRESHOLD, complexity_weight: float = COMPLEXITY_WEIGHT,
                  n_starts: int = 4, max_iter: int = 20, a_range=None,
                  b_range=None) -> SymbolicFit:
    """Best ``c·f(a·x + b) + d`` for one candidate ``f``.

    Parameters
    ----------
    x, y
        samples, ``(N,)`` or ``(N, 1)`` tensors (or numpy arrays), finite,
        ``N >= 4``; any real dtype or device (the fit runs in float64 on the CPU).
    candidate
        a :class:`~kanlab.symbolic._library.Candidate` or a name in the library.
    r2_threshold, complexity_weight
        ranking rule, see the module docstring.
    n_starts
        best coarse-grid starts refined by Levenberg–Marquardt.
    max_iter
        Levenberg–Marquardt iterations at most.
    a_range, b_range
        None (no bound), or ``(low, high)``: the fit keeps ``a`` (``b``) in that
        interval, in the data's units (:mod:`kanlab.symbolic._box`: an equivalent
        ``(a, b)`` of the same function is used where the candidate has one, e.g.
        ``(−a, −b)`` for ``sin``'s phase or any scale for powers; otherwise the best
        fit inside the bounds); ``a_range`` may be a :class:`~kanlab.symbolic.ScaledRange`,
        a bound for inputs on ``[-1, 1]`` that widens on narrower ones.

    Returns
    -------
    SymbolicFit
        :class:`SymbolicFit`.

    Raises
    ------
    ValueError
        bad samples, or no ``(a, b)`` keeps ``f`` finite on the samples.
    """
    _check_options(r2_threshold, complexity_weight, n_starts, max_iter)
    if isinstance(candidate, str):
        candidate = resolve_library([candidate])[candidate]
    if not isinstance(candidate, Candidate):
        raise TypeError(f"candidate must be a Candidate or a name, got {type(candidate).__name__}")
    data = _prepare(x, y)
    box = make_box(a_range, b_range, data.x)
    fit = _fit_all([candidate], data, r2_threshold, complexity_weight, n_starts, max_iter,
                   box)[0]
    if fit is None:
        raise ValueError(f"candidate {candidate.name!r} is not finite on x's range "
                         f"[{float(data.x.min())}, {float(data.x.max())}] for any tried (a, b)")
    return fit


def suggest(x: Any, y: Any, lib=None, topk: int | None = 5, *,
            r2_threshold: float = R2_THRESHOLD, complexity_weight: float = COMPLEXITY_WEIGHT,
            n_starts: int = 4, max_iter: int = 20, a_range=None,
            b_range=None) -> list[SymbolicFit]:
    """Fit every candidate of ``lib`` to the samples and rank them, best first.

    Parameters
    ----------
    x, y
        samples of the edge function ``y = φ(x)``, ``(N,)`` or ``(N, 1)``.
    lib
        None (all of :data:`~kanlab.symbolic._library.LIBRARY`), names, Candidates,
        or a dict ``name -> Candidate`` (see :func:`~kanlab.symbolic._library.resolve_library`).
    topk
        how many fits to return (None: all).  With 1, candidates are fitted by complexity,
        lowest first, until one is accepted: those of higher complexity could not rank
        first, so they are not fitted.
    r2_threshold, complexity_weight, n_starts, max_iter, a_range, b_range
        as in :func:`fit_candidate`.

    Returns
    -------
    list[SymbolicFit]
        Up to ``topk`` :class:`SymbolicFit`, ranked: accepted fits (``R² >=
        r2_threshold``, or simpler than the first accepted fit and within the price of the
        complexity they save, see the module docstring) by complexity then R², then the
        rest by their score.
        Candidates that cannot be evaluated finitely on x's range are left out.

    Examples
    --------
    >>> x = torch.linspace(-1, 1, 200, dtype=torch.float64)
    >>> best = suggest(x, 2 * torch.sin(torch.pi * x) + 1, lib=["x", "x^2", "sin"])[0]
    >>> best.name, round(best.params[0], 6), round(best.params[2], 6), round(best.params[3], 6)
    ('sin', 3.141593, 2.0, 1.0)
    """
    _check_options(r2_threshold, complexity_weight, n_starts, max_iter)
    if topk is not None:
        topk = check_int(topk, "topk", low=1)
    candidates = resolve_library(lib)
    data = _prepare(x, y)
    box = make_box(a_range, b_range, data.x)
    fit = _fit_first if topk == 1 else _fit_all
    fits = fit(list(candidates.values()), data, r2_threshold, complexity_weight, n_starts,
               max_iter, box)
    accept_simpler(fits, r2_threshold, complexity_weight)
    fits = [(order, f) for order, f in enumerate(fits) if f is not None]
    if not fits:
        raise ValueError(f"no candidate of {list(candidates)} is finite on x's range "
                         f"[{float(data.x.min())}, {float(data.x.max())}]")
    fits.sort(key=lambda item: (not item[1].accepted, item[1].score, item[0]))  # ties: lib order
    ranked = [f for _, f in fits]
    return ranked if topk is None else ranked[:topk]

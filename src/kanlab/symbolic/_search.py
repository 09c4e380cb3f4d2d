"""The numerical core of :mod:`kanlab.symbolic._fit`: coarse grids and batched Levenberg–Marquardt.

Everything here works on normalised samples (``x̃ ∈ [-1, 1]``, ``ỹ`` centred
with unit norm, so the residual sum of squares is ``1 − R²``) and fits
``c·f(α·x̃ + β) + d`` with ``c, d`` eliminated by variable projection.

Shapes: ``C`` candidates, ``K`` starts each, ``N`` samples.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from kanlab.symbolic._library import Candidate

__all__ = ["search"]

_F64 = torch.float64
_GRID_SAMPLES = 128  # samples the coarse grid uses
_LM_SAMPLES = 256  # samples the multi-start refinement uses; the best start then sees all
# The coarse grids (normalised coordinates).
# the search runs on the host in float64, whatever torch's default device
_HOST = dict(dtype=_F64, device="cpu")
_RATES = torch.logspace(-1, math.log10(30.0), 16, **_HOST)
_EDGE_GAPS = torch.logspace(-3, 1.5, 16, **_HOST)  # singularities just outside the data
_SHIFTS = torch.cat([torch.linspace(-2, 2, 17, **_HOST),  # |s| < 5: f(α(x̃ - s)) with a
                     1 + _EDGE_GAPS[:13:3], -1 - _EDGE_GAPS[:13:3]])  # far s only mimics exp
_FINE_SHIFTS = torch.cat([torch.linspace(-3, 3, 49, **_HOST), 1 + _EDGE_GAPS, -1 - _EDGE_GAPS])
_EXP_RATES = torch.logspace(-2, math.log10(30.0), 24, **_HOST)
_FREQUENCIES = torch.arange(0.25, 25.01, 0.5, **_HOST)  # sin(πx), sin(5x), ... ~8 periods
_PHASES = 8
# The search box: a rate below _MIN_RATE only approaches a simpler function (cos(εx) -> x²),
# and far beyond the box values overflow.
_MIN_RATE, _MAX_RATE, _MAX_SHIFT = 1e-2, 1e3, 1e3


def _kink_shifts(xt: Tensor) -> Tensor:
    s = torch.sort(xt).values
    mids = (s[1:] + s[:-1]) / 2
    return mids


def _start_grid(cand: Candidate, xt: Tensor) -> tuple[Tensor, Tensor]:
    """The coarse ``(α, β)`` pairs for ``cand``, two ``(P,)`` tensors."""
    signs = torch.tensor([1.0] if cand.symmetric else [1.0, -1.0], **_HOST)
    if cand.scale_free and cand.shift_free:
        return torch.ones(1, **_HOST), torch.zeros(1, **_HOST)
    if cand.shift_free:
        alpha = torch.cat([sg * _EXP_RATES for sg in signs])
        return alpha, torch.zeros_like(alpha)
    if cand.period is not None and not cand.scale_free:
        rates = torch.cat([sg * _FREQUENCIES for sg in signs])
        phases = cand.period * torch.arange(_PHASES, **_HOST) / _PHASES
        return rates.repeat_interleave(_PHASES), phases.repeat(rates.numel())
    # u = α·(x̃ - s): rates times shifts; scale-free candidates need only the sign of α
    rates = signs if cand.scale_free else torch.cat([sg * _RATES for sg in signs])
    shifts = _FINE_SHIFTS if cand.scale_free else _SHIFTS
    if cand.kink:
        shifts = torch.cat([shifts, _kink_shifts(xt)])
    alpha = rates.repeat_interleave(shifts.numel())
    return alpha, -alpha * shifts.repeat(rates.numel())


def _admissible(cand: Candidate, alpha: Tensor, beta: Tensor) -> Tensor:
    """Is ``α·x̃ + β`` inside the box and the domain for all ``x̃ ∈ [-1, 1]`` (any shape)."""
    ok = torch.isfinite(alpha) & torch.isfinite(beta)
    if not cand.scale_free:
        ok = ok & (alpha.abs() >= _MIN_RATE) & (alpha.abs() <= _MAX_RATE)
    if not cand.shift_free:
        ok = ok & (beta.abs() <= _MAX_SHIFT)
    if cand.domain is not None:
        # a margin for the rounding of the conversion back to the data's units
        margin = 1e-12 * (alpha.abs() + beta.abs()) + 1e-300
        ok = ok & cand.domain(beta - alpha.abs() - margin, beta + alpha.abs() + margin)
    return ok


def _values(cand: Candidate, u: Tensor) -> Tensor:
    v = cand.fn(u)
    if not isinstance(v, Tensor) or v.shape != u.shape:
        raise TypeError(f"candidate {cand.name!r}: fn must map a tensor elementwise to a "
                        f"tensor of the same shape")
    return v.to(_F64)


def _finite_rows(t: Tensor) -> Tensor:
    """Rows of ``t`` without nan/inf (a row sum is finite exactly then, barring overflow)."""
    return torch.isfinite(t.sum(-1))


def _best_pairs(cand: Candidate, alpha: Tensor, beta: Tensor, xt: Tensor, yt: Tensor,
                n: int) -> Tensor | None:
    """Indices of the ``n`` best valid ``(α, β)`` pairs by least squares on ``(xt, yt)``."""
    v = _values(cand, alpha[:, None] * xt + beta[:, None])
    ok = _admissible(cand, alpha, beta) & _finite_rows(v)
    if not bool(ok.any()):
        return None
    # the best c, d of each pair leave 1 - corr² of the variance: rank by corr²
    vc = v - v.mean(1, keepdim=True)
    vc = vc / vc.abs().amax(1, keepdim=True).clamp_min(1e-300)  # squares cannot overflow
    num = vc @ (yt - yt.mean())
    corr2 = torch.where(ok, num * num / (vc * vc).sum(1).clamp_min(1e-300), -1.0)
    corr2 = torch.nan_to_num(corr2, nan=-1.0)
    return torch.topk(corr2, min(n, int(ok.sum()))).indices


def _coarse_starts(cand: Candidate, xt: Tensor, yt: Tensor, n_starts: int, project=None):
    """The ``n_starts`` best valid grid pairs (repeated if fewer), or None if none is valid;
    with ``project`` (a :class:`~kanlab.symbolic._box.Projector`), moved into its box first."""
    alpha, beta = _start_grid(cand, xt)
    if project is not None:
        alpha, beta = project(cand, alpha, beta)
    best = _best_pairs(cand, alpha, beta, xt, yt, n_starts)
    if best is None:
        return None
    best = torch.cat([best, best[:1].expand(n_starts - best.numel())])
    return alpha[best], beta[best]


def _place_kink(cand: Candidate, alpha: float, beta: float, xt: Tensor, yt: Tensor,
                sorted_xt: Tensor, width: int) -> tuple[float, float]:
    """Move a kink to the best gap between samples near where it is (all samples)."""
    mids = (sorted_xt[1:] + sorted_xt[:-1]) / 2
    p = int(torch.searchsorted(sorted_xt, torch.tensor([-beta / alpha], **_HOST)))
    window = mids[max(0, p - width):p + width]
    a = torch.full((window.numel() + 1,), alpha, **_HOST)
    b = torch.cat([torch.tensor([beta], **_HOST), -alpha * window])
    best = _best_pairs(cand, a, b, xt, yt, 1)
    return (alpha, beta) if best is None else (alpha, float(b[best[0]]))


class _Rows:
    """Flat ``(R,)`` rows of ``(α, β)``; candidate ``i`` owns rows ``i·K … i·K + K − 1``."""

    def __init__(self, cands: list[Candidate], k: int, project=None):
        self.cands, self.k, self.project = cands, k, project
        self.free_a = torch.tensor([not c.scale_free for c in cands],
                                   device="cpu").repeat_interleave(k)
        self.free_b = torch.tensor([not c.shift_free for c in cands],
                                   device="cpu").repeat_interleave(k)

        self.domains = [(i, c.domain) for i, c in enumerate(cands) if c.domain is not None]

    def into_box(self, alpha: Tensor, beta: Tensor) -> tuple[Tensor, Tensor]:
        """Every row moved into the box of ``project`` (unchanged without one)."""
        if self.project is None:
            return alpha, beta
        alpha, beta = alpha.clone(), beta.clone()
        for i, cand in enumerate(self.cands):
            rows = slice(i * self.k, (i + 1) * self.k)
            alpha[rows], beta[rows] = self.project(cand, alpha[rows], beta[rows])
        return alpha, beta

    def evaluate(self, active: Tensor, alpha: Tensor, beta: Tensor, xt: Tensor):
        """``f``, ``f'`` at ``α·x̃ + β`` (``(R, N)``) and validity ``(R,)``.

        Only candidates with ``active`` (``(C,)`` bool) are evaluated; the rows
        of the others come back invalid.
        """
        u = alpha[:, None] * xt + beta[:, None]
        v, fp = torch.empty_like(u), torch.empty_like(u)
        k = self.k
        for i in torch.nonzero(active)[:, 0].tolist():
            cand, rows = self.cands[i], slice(i * k, (i + 1) * k)
            v[rows] = _values(cand, u[rows])
            fp[rows] = cand.derivative(u[rows])
        # the box and the domain (see _admissible), for all rows at once
        ra, rb = alpha.abs(), beta.abs()
        ok = active.repeat_interleave(k) & torch.isfinite(ra + rb) \
            & (~self.free_a | ((ra >= _MIN_RATE) & (ra <= _MAX_RATE))) \
            & (~self.free_b | (rb <= _MAX_SHIFT)) & _finite_rows(v) & _finite_rows(fp)
        if self.domains:
            margin = 1e-12 * (ra + rb) + 1e-300
            lo, hi = beta - ra - margin, beta + ra + margin
            for i, domain in self.domains:
                rows = slice(i * k, (i + 1) * k)
                ok[rows] &= domain(lo[rows], hi[rows])
        return v, fp, ok


def _project(v: Tensor, ok: Tensor, yt: Tensor):
    """Eliminate ``c, d`` for each row of ``v`` (``(R, N)``).

    Returns ``e2`` (the unit direction of ``f`` orthogonal to constants),
    ``coef`` (``ỹ``'s component along it), ``norm`` (of ``f``'s centred
    values: ``c = coef/norm``), the residual ``r`` and ``ssr`` (inf where invalid).
    """
    vc = v - v.mean(-1, keepdim=True)
    scale = vc.abs().amax(-1).clamp_min(1e-300)
    norm = (vc / scale[:, None]).norm(dim=-1) * scale  # scaled: squares cannot overflow
    e2 = vc / norm.clamp_min(1e-300)[:, None]  # a constant f gives e2 = 0, hence c = 0
    coef = e2 @ yt
    r = yt - coef[:, None] * e2
    ssr = torch.where(ok, (r * r).sum(-1), math.inf)
    return e2, coef, norm, r, ssr


def _perp(h: Tensor, e2: Tensor) -> Tensor:
    """Project out constants and ``e2`` from the rows of ``h``."""
    h = h - h.mean(-1, keepdim=True)
    return h - e2 * (e2 * h).sum(-1, keepdim=True)


def _refine(rows: _Rows, alpha: Tensor, beta: Tensor, xt: Tensor, yt: Tensor,
            max_iter: int) -> tuple[Tensor, Tensor, Tensor]:
    """Batched Levenberg–Marquardt over all rows; ``(R,)`` in and out (α, β, ssr)."""
    n_cands, k = len(rows.cands), rows.k
    v, fp, ok = rows.evaluate(torch.ones(n_cands, dtype=torch.bool, device="cpu"), alpha, beta, xt)
    e2, coef, norm, r, ssr = _project(v, ok, yt)
    free_a, free_b = rows.free_a, rows.free_b
    lam = torch.full_like(alpha, 1e-3)
    done = ~ok | ~(free_a | free_b) | (ssr < 1e-28)
    for _ in range(max_iter):
        active = ~done.view(n_cands, k).all(1)
        if not bool(active.any()):
            break
        # d(model)/dθ before projection: c·f'(u)·(x̃, 1) with c = coef/norm
        g = (coef / norm.clamp_min(1e-300))[:, None] * fp
        ga = g * xt
        pa, pb = _perp(ga, e2), _perp(g, e2)
        # Gauss–Newton matrix and gradient of the projected problem (Kaufman);
        # frozen directions get an identity row and no gradient
        a11 = torch.where(free_a, (pa * pa).sum(-1), 1.0)
        a22 = torch.where(free_b, (pb * pb).sum(-1), 1.0)
        a12 = torch.where(free_a & free_b, (pa * pb).sum(-1), 0.0)
        g1 = torch.where(free_a, (ga * r).sum(-1), 0.0)
        g2 = torch.where(free_b, (g * r).sum(-1), 0.0)
        floor = 1e-12 * torch.maximum(a11, a22) + 1e-300
        d11 = a11 + lam * a11.clamp_min(floor)  # Marquardt: damp each direction by its scale
        d22 = a22 + lam * a22.clamp_min(floor)
        det = d11 * d22 - a12 * a12
        step_a, step_b = (d22 * g1 - a12 * g2) / det, (d11 * g2 - a12 * g1) / det
        na, nb = rows.into_box(alpha + step_a, beta + step_b)  # a projected step
        # steps below rounding cannot change anything (e.g. sgn, whose f' is 0)
        still = step_a.abs() + step_b.abs() <= 1e-13 * (alpha.abs() + beta.abs() + 1)
        nv, nfp, nok = rows.evaluate(active, na, nb, xt)
        ne2, ncoef, nnorm, nr, nssr = _project(nv, nok, yt)
        better = nok & (nssr < ssr) & ~done
        gain = torch.where(better, ssr - nssr, 0.0)
        alpha, beta = torch.where(better, na, alpha), torch.where(better, nb, beta)
        coef, norm = torch.where(better, ncoef, coef), torch.where(better, nnorm, norm)
        idx = torch.nonzero(better)[:, 0]
        if idx.numel():  # copy only the accepted rows of the (R, N) state
            e2[idx], r[idx], fp[idx] = ne2[idx], nr[idx], nfp[idx]
        ssr = torch.where(better, nssr, ssr)
        lam = torch.where(better, lam * 0.2, lam * 10.0)
        # converged: a negligible gain (1 − R² to 1e-5 relative), an exact fit,
        # or damping so strong that no step survives
        done = done | (better & (gain <= 1e-5 * ssr)) | (ssr < 1e-28) | (lam > 1e6) | still
    return alpha, beta, ssr


def search(cands: list[Candidate], xt: Tensor, yt: Tensor, order: Tensor, constant: bool,
           n_starts: int, max_iter: int, project=None) -> list[tuple[float, float] | None]:
    """Best ``(α, β)`` for each candidate, or None where no admissible pair was found.

    Parameters
    ----------
    cands
        the candidates.
    xt
        ``(N,)`` samples scaled to ``[-1, 1]``.
    yt
        ``(N,)`` targets, centred with unit norm (zeros if constant).
    order
        ``(N,)`` indices sorting ``xt``.
    constant
        ``y`` is constant; the coarse grid's first valid pair is kept.
    n_starts, max_iter
        starts refined per candidate, iterations at most.
    project
        None, or a :class:`~kanlab.symbolic._box.Projector`: every pair is kept in its box
        (the starts and each Levenberg–Marquardt step are projected into it).
    """
    def spread(m: int) -> Tensor:  # m samples evenly spread over the sorted x, ends included
        m = min(m, xt.numel())
        return order[torch.linspace(0, xt.numel() - 1, m, device="cpu").round().long()]

    grid, lm = spread(_GRID_SAMPLES), spread(_LM_SAMPLES)
    starts = [_coarse_starts(c, xt[grid], yt[grid], n_starts, project) for c in cands]
    live = [i for i, s in enumerate(starts) if s is not None]
    out: list[tuple[float, float] | None] = [None] * len(cands)
    if not live:
        return out
    alpha = torch.cat([starts[i][0] for i in live])
    beta = torch.cat([starts[i][1] for i in live])
    live_cands = [cands[i] for i in live]
    if not constant:
        # all starts on a subsample, then the best start of each on all samples
        alpha, beta, ssr = _refine(_Rows(live_cands, n_starts, project), alpha, beta, xt[lm],
                                   yt[lm], max_iter)
        best = torch.argmin(ssr.view(len(live), n_starts), dim=1) + \
            torch.arange(len(live), device="cpu") * n_starts
        alpha, beta = alpha[best], beta[best]
        rows = _Rows(live_cands, 1, project)  # the best start of each candidate
        if any(c.kink for c in live_cands):  # the exact gap for a kink needs all samples
            sorted_xt = xt[order]
            width = 2 * math.ceil(xt.numel() / min(_GRID_SAMPLES, xt.numel())) + 2
            for j, c in enumerate(live_cands):
                if c.kink:
                    alpha[j], beta[j] = _place_kink(c, float(alpha[j]), float(beta[j]), xt, yt,
                                                    sorted_xt, width)
            alpha, beta = rows.into_box(alpha, beta)
        if lm.numel() < xt.numel():
            alpha, beta, _ = _refine(rows, alpha, beta, xt, yt, max(3, max_iter // 2))
    else:
        alpha, beta = alpha[::n_starts], beta[::n_starts]
    for a, b, i in zip(alpha.tolist(), beta.tolist(), live):
        out[i] = (a, b)
    return out

"""Optimisers on a flat parameter vector: L-BFGS with a strong-Wolfe line search, and Adam.

Why not ``torch.optim``: its first use imports ``torch._dynamo`` (seconds of
start-up, sympy included), and its L-BFGS stops updating curvature pairs when
``yᵀs < 1e-10``, which stalls fits once the loss is near ``1e-10`` — exactly
where grid extension operates.  Here that threshold is relative.

L-BFGS follows Nocedal & Wright, *Numerical Optimization* (2006),
Algorithm 7.4 (two-loop recursion) and Algorithms 3.5–3.6 (line search with
cubic interpolation).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

__all__ = ["LBFGS", "Adam"]

# L-BFGS keeps its vectors (iterate, gradients, curvature pairs) in numpy for CPU
# parameters of at most this many entries: a numpy operation on a few hundred numbers
# costs about a microsecond, a torch one several (the default kanlab train model has
# 135 parameters and runs some 20 vector operations per iteration)
NUMPY_MAX = 1 << 16


def _flat(tensors: Sequence[Tensor], numpy: bool = False):
    if numpy:
        return np.concatenate([t.detach().reshape(-1).numpy() for t in tensors])
    return torch.cat([t.reshape(-1) for t in tensors])


def _flat_grad(params: Sequence[Tensor], numpy: bool = False):
    grads = [(p.grad if p.grad is not None else torch.zeros_like(p)) for p in params]
    return _flat(grads, numpy)


def _cubic_minimum(x1, f1, g1, x2, f2, g2, lo, hi) -> float:
    """Minimiser in ``[lo, hi]`` of the cubic through two points with slopes (N&W eq. 3.59)."""
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc >= 0:
        d2 = math.copysign(math.sqrt(disc), x2 - x1)
        x = x2 - (x2 - x1) * (g2 + d2 - d1) / (g2 - g1 + 2 * d2)
        if math.isfinite(x):
            return min(max(x, lo), hi)
    return (lo + hi) / 2


class LBFGS:
    """Limited-memory BFGS; ``step(closure)`` runs up to ``max_iter`` iterations.

    Parameters
    ----------
    params
        tensors to optimise (updated in place).
    lr
        initial step length of each line search (1 is the natural choice).
    max_iter
        iterations per ``step`` call.
    history_size
        number of curvature pairs kept.
    tolerance_grad
        stop when ``max |g| <= tolerance_grad``.
    tolerance_change
        stop when the step or the loss change is below it.
    max_eval
        closure evaluations per ``step`` (default ``1.25 * max_iter``).
    min_progress
        end a ``step`` once its last ``progress_window`` iterations lowered the loss by
        less than this share of it per closure evaluation (``None``: no such end).  The
        curvature pairs stay, so the next ``step`` goes on where this one ended; what is
        saved are the iterations of a step that make no headway.
    progress_window
        iterations over which ``min_progress`` is measured.

    Notes
    -----
    The closure zeroes the gradients, computes the loss, calls
    ``loss.backward()`` and returns the loss.  After ``step``, ``last_loss`` is the
    loss where it ended and ``stalled`` says whether no iteration moved the parameters.
    """

    def __init__(self, params, lr: float = 1.0, max_iter: int = 20, history_size: int = 10,
                 tolerance_grad: float = 1e-32, tolerance_change: float = 1e-32,
                 max_eval: int | None = None, min_progress: float | None = None,
                 progress_window: int = 3) -> None:
        self.params = [p for p in params]
        # vectors in numpy (see NUMPY_MAX): CPU parameters of one dtype, not too many
        self._numpy = (all(p.device.type == "cpu" for p in self.params)
                       and len({p.dtype for p in self.params}) == 1
                       and sum(p.numel() for p in self.params) <= NUMPY_MAX)
        self.lr, self.max_iter, self.history_size = lr, max_iter, history_size
        self.tolerance_grad, self.tolerance_change = tolerance_grad, tolerance_change
        self.max_eval = max_eval or max_iter * 5 // 4
        self.min_progress, self.progress_window = min_progress, progress_window
        self.s: list[Tensor] = []
        self.y: list[Tensor] = []
        self.rho: list[float] = []
        self.n_iter = 0
        self.n_evals = 0

    def _set(self, x) -> None:
        if isinstance(x, np.ndarray):
            x = torch.from_numpy(x)
        offset = 0
        with torch.no_grad():
            for p in self.params:
                p.copy_(x[offset:offset + p.numel()].view_as(p))
                offset += p.numel()

    def _evaluate(self, closure, x: Tensor) -> tuple[float, Tensor]:
        self._set(x)
        loss = float(closure().detach())
        self.n_evals += 1
        return loss, _flat_grad(self.params, self._numpy)

    def _direction(self, g: Tensor) -> Tensor:
        """``-H g`` by the two-loop recursion, ``H0 = (sᵀy / yᵀy) I``."""
        q = -g
        alpha = []
        for s, y, rho in zip(reversed(self.s), reversed(self.y), reversed(self.rho)):
            a = rho * float(s @ q)
            alpha.append(a)
            q = q - a * y
        if self.s:
            q = q * (1.0 / (self.rho[-1] * float(self.y[-1] @ self.y[-1])))
        for s, y, rho, a in zip(self.s, self.y, self.rho, reversed(alpha)):
            b = rho * float(y @ q)
            q = q + (a - b) * s
        return q

    def _remember(self, s: Tensor, y: Tensor) -> None:
        ys = float(y @ s)
        # relative curvature test: skip pairs that carry no information about H
        if ys > 1e-12 * float(s @ s) ** 0.5 * float(y @ y) ** 0.5 and ys > 0:
            if len(self.s) == self.history_size:
                self.s.pop(0), self.y.pop(0), self.rho.pop(0)
            self.s.append(s)
            self.y.append(y)
            self.rho.append(1.0 / ys)

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor]) -> float:
        """Run up to ``max_iter`` iterations; returns the loss before the first."""
        closure = torch.enable_grad()(closure)
        x = _flat([p.detach() for p in self.params], self._numpy)
        x = x if self._numpy else x.clone()  # (numpy's concatenate copies)
        x_start = x
        evals_start = self.n_evals
        f, g = self._evaluate(closure, x)
        f_start = f
        trail = [(f, self.n_evals)]  # (loss, evaluations so far) after each iteration
        for _ in range(self.max_iter):
            if not math.isfinite(f) or float(abs(g).max()) <= self.tolerance_grad:
                break
            d = self._direction(g)
            gtd = float(g @ d)
            if not gtd < 0:  # not a descent direction: forget the history, go downhill
                self.s.clear(), self.y.clear(), self.rho.clear()
                d, gtd = -g, -float(g @ g)
            t = self.lr if self.n_iter else min(1.0, 1.0 / float(abs(g).sum())) * self.lr
            t, f_new, g_new = self._line_search(closure, x, t, d, f, g, gtd)
            self.n_iter += 1
            step = t * d
            x = x + step
            self._remember(step, g_new - g)
            df = abs(f_new - f)
            f, g = f_new, g_new
            if (float(abs(step).max()) <= self.tolerance_change or df < self.tolerance_change
                    or self.n_evals - evals_start >= self.max_eval):
                break
            trail.append((f, self.n_evals))
            if self._no_headway(trail):
                break
        # no iteration moved the parameters: the loss cannot be lowered any more
        # (the line search finds no decrease, typically at rounding level)
        self.stalled = bool((x == x_start).all())
        self.last_loss = f  # the loss where the step ended
        self._set(x)
        return f_start

    def _no_headway(self, trail) -> bool:
        """Whether the last ``progress_window`` iterations of ``trail`` lowered the loss by less
        than ``min_progress`` of it per evaluation."""
        if self.min_progress is None or len(trail) <= self.progress_window:
            return False
        f_then, evals_then = trail[-1 - self.progress_window]
        f_now, evals_now = trail[-1]
        return f_then - f_now < self.min_progress * abs(f_then) * (evals_now - evals_then)

    def _line_search(self, closure, x, t, d, f0, g0, gtd0, c1=1e-4, c2=0.9, max_ls=25):
        """Step length satisfying the strong Wolfe conditions (N&W Alg. 3.5 with zoom 3.6).

        Returns ``(t, f, g)`` at the accepted point; if the search fails, the
        best point seen (which may be ``t = 0``).
        """
        d_max = float(abs(d).max())
        prev = (0.0, f0, g0, gtd0)
        best = prev
        bracket = None
        for i in range(max_ls):
            f, g = self._evaluate(closure, x + t * d)
            gtd = float(g @ d)
            if math.isfinite(f) and f < best[1]:
                best = (t, f, g, gtd)
            if not math.isfinite(f) or f > f0 + c1 * t * gtd0 or (i > 0 and f >= prev[1]):
                bracket = (prev, (t, f, g, gtd))
                break
            if abs(gtd) <= -c2 * gtd0:
                return t, f, g
            if gtd >= 0:
                bracket = ((t, f, g, gtd), prev)
                break
            lo, hi = t + 0.01 * (t - prev[0]), 10 * t
            t_next = _cubic_minimum(prev[0], prev[1], prev[3], t, f, gtd, lo, hi)
            prev = (t, f, g, gtd)
            t = t_next
        if bracket is None:
            return best[0], best[1], best[2]
        low, high = bracket  # low: lowest loss satisfying sufficient decrease
        for _ in range(max_ls):
            if abs(high[0] - low[0]) * d_max < self.tolerance_change:
                break
            a, b = sorted((low[0], high[0]))
            if math.isfinite(high[1]):
                t = _cubic_minimum(low[0], low[1], low[3], high[0], high[1], high[3], a, b)
            else:
                t = (a + b) / 2
            if min(t - a, b - t) < 0.1 * (b - a):  # too close to an end: bisect
                t = (a + b) / 2
            f, g = self._evaluate(closure, x + t * d)
            gtd = float(g @ d)
            point = (t, f, g, gtd)
            if math.isfinite(f) and f < best[1]:
                best = point
            if not math.isfinite(f) or f > f0 + c1 * t * gtd0 or f >= low[1]:
                high = point
            else:
                if abs(gtd) <= -c2 * gtd0:
                    return t, f, g
                if gtd * (high[0] - low[0]) >= 0:
                    high = low
                low = point
        return best[0], best[1], best[2]


class Adam:
    """Adam (Kingma & Ba, 2015) on a list of tensors; ``step(closure)`` does one update."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        self.params = [p for p in params]
        self.lr, self.betas, self.eps = lr, betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor]) -> float:
        with torch.enable_grad():
            loss = float(closure().detach())
        if not math.isfinite(loss):
            return loss
        self.t += 1
        b1, b2 = self.betas
        scale = self.lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return loss
        params = [self.params[i] for i in live]
        grads = [p.grad for p in params]
        m, v = [self.m[i] for i in live], [self.v[i] for i in live]
        # multi-tensor ops: one kernel launch per operation for all parameters
        torch._foreach_lerp_(m, grads, 1 - b1)  # m = b1 m + (1 - b1) g
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
        denom = torch._foreach_sqrt(v)
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(params, m, denom, value=-scale)
        return loss

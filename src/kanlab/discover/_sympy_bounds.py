"""Bounds on sympy's calls that can run for minutes on one candidate formula.

``sympy.factor`` and ``sympy.cancel`` turn a formula into polynomials over generators
(``x``, ``exp(u)``, ``x**(1/q)``), and their time grows with the polynomials' degree.
Powers of one base with rational exponents share a generator: ``exp(-M/95)`` and
``exp(-M/2578)`` become powers of ``exp(M/244910)``, of degree 2673, and factoring
that ran for minutes (a two-rate candidate on a noisy power law).
:func:`polynomial_degree` bounds that degree from the expression tree alone (one
walk, no polynomial built), so a rewriting can be skipped before it starts.

A size gate cannot foresee everything, so :func:`within` also runs a call under a
deadline of this process's CPU time (``ITIMER_PROF``), and returns ``None`` past it.
The timer is set only from the main thread and only when nobody else holds
``SIGPROF`` (a profiler, the caller's own timer); the handler and timer are restored
on return.  Elsewhere the call runs unbounded, behind the size gates.
"""
from __future__ import annotations

import math
import signal
import threading
from fractions import Fraction

__all__ = ["polynomial_degree", "MAX_DEGREE", "within", "STEP_CPU_S"]

MAX_DEGREE = 64  # factor/cancel only below this degree: 2 exps of degree ~70 took 0.1 s, 2673 minutes
STEP_CPU_S = 2.0  # CPU seconds one rewriting may take (they take < 0.1 s on a law's formula)


def _rational_powers(expr):
    """``(tail, exponent)`` for every power of ``expr`` with a rational factor in its exponent.

    ``x**(3/4)`` gives ``(x, 3/4)``; ``exp(-M/95 + 2·t)`` gives ``(exp·M, -1/95)`` and
    ``(exp·t, 2)``; ``x**(a/2)`` gives ``((x, a), 1/2)``.  Float exponents give nothing:
    sympy keeps ``x**0.75`` as a generator of its own.
    """
    import sympy
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.exp):
            for term in sympy.Add.make_args(node.args[0]):
                c, tail = term.as_coeff_Mul(rational=True)
                if c.is_Rational:
                    yield ("exp", tail), Fraction(int(c.p), int(c.q))
        elif node.is_Pow:
            c, tail = node.exp.as_coeff_Mul(rational=True)
            if c.is_Rational:
                yield (node.base, tail), Fraction(int(c.p), int(c.q))


def polynomial_degree(expr) -> int:
    """An upper bound on the degree, in one generator, of the polynomials sympy builds
    from ``expr`` (in ``factor``, ``cancel``).

    Powers of one base with rational exponents ``r_i = p_i/q_i`` are written over the
    generator ``base**(1/lcm(q))``; a product of them, which ``together`` forms, has at
    most the degree ``lcm(q)·Σ|r_i|`` (over the distinct ``r_i``).  Cost: one walk of
    the tree.
    """
    by_tail: dict = {}
    for tail, r in _rational_powers(expr):
        by_tail.setdefault(tail, set()).add(r)
    worst = 1
    for rs in by_tail.values():
        q = math.lcm(*(r.denominator for r in rs))
        worst = max(worst, int(q * sum(abs(r) for r in rs)))
    return worst


class _Expired(BaseException):
    """Raised inside the bounded call by the timer's handler (a BaseException, as
    KeyboardInterrupt, so that sympy's ``except Exception`` does not swallow it)."""


def _may_set_timer() -> bool:
    """Whether :func:`within` may install its timer: main thread, ``SIGPROF`` unused."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    return signal.getsignal(signal.SIGPROF) in (signal.SIG_DFL, None) and signal.getitimer(
        signal.ITIMER_PROF) == (0.0, 0.0)


def within(seconds: float, fn, *args):
    """``fn(*args)``, or ``None`` when it takes more than ``seconds`` of this process's CPU.

    The deadline applies only where :func:`_may_set_timer` allows it; elsewhere ``fn``
    runs to its end.
    """
    if not _may_set_timer():
        return fn(*args)
    armed = [True]

    def expire(signum, frame):
        if armed[0]:  # at most once, and never after the call has returned
            armed[0] = False
            raise _Expired

    previous = signal.signal(signal.SIGPROF, expire)

    def disarm():
        armed[0] = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)

    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:  # the one raise lands inside this outer try wherever it comes
        try:
            return fn(*args)
        finally:
            disarm()
    except _Expired:
        disarm()
        return None

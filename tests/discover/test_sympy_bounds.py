"""sympy's costly rewritings are bounded (kanlab.discover._sympy_bounds)."""
import signal
import threading
import time

import numpy as np
import sympy

from kanlab.discover._constants import evaluate
from kanlab.discover._simplify import simplest
from kanlab.discover._sympy_bounds import MAX_DEGREE, polynomial_degree, within


def _two_rates():
    """A two-rate candidate whose factor() ran for minutes: powers of exp(M/244910) to 2673."""
    M, k = syms = sympy.symbols("M k", positive=True)
    return k * (sympy.Float("513.4") - 16 * sympy.exp(-M / 95)
                - 495 * sympy.exp(-M / 2578)), syms


def test_a_high_common_degree_skips_factor_and_the_formula_is_kept():
    """The gate says too big (2673 > MAX_DEGREE); simplest still returns an equal form."""
    expr, syms = _two_rates()
    assert polynomial_degree(expr) == 95 + 2578 > MAX_DEGREE
    X = np.random.default_rng(0).uniform(1, 5, (40, 2)) * [200, 1]
    out = simplest(expr, syms, X, thorough=True)
    np.testing.assert_allclose(evaluate(out, syms, X), evaluate(expr, syms, X), rtol=1e-9)


def test_laws_formulas_stay_below_the_degree_gate():
    """Roots, Gaussians, half-lives and decimal exponents are of low degree."""
    x, s, t, T = sympy.symbols("x s t T", positive=True)
    for expr in [x ** sympy.Rational(3, 4) * s, sympy.exp(-x ** 2 / (2 * s ** 2)) / s,
                 2 ** (-t / T), x ** 0.7512 + sympy.sqrt(x + s) ** 3,
                 sympy.exp(-t / 2) - sympy.exp(-3 * t / 2)]:
        assert polynomial_degree(expr) <= 6, expr
    assert polynomial_degree(x ** sympy.Rational(1, 52) + x ** sympy.Rational(1, 53)) == 105


def _busy(seconds):
    """Pure Python work for ``seconds`` of CPU (the deadline must cut it short)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return "done"


def test_within_stops_a_call_past_its_cpu_deadline_and_restores_the_signal():
    """A 20 s loop under a 0.2 s deadline gives None; SIGPROF's handler and timer are as before."""
    before = signal.getsignal(signal.SIGPROF)
    assert within(0.2, _busy, 20.0) is None
    assert within(5.0, _busy, 0.01) == "done"
    assert signal.getsignal(signal.SIGPROF) == before
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_within_leaves_a_callers_handler_and_other_threads_alone():
    """With SIGPROF taken, or off the main thread, the call runs to its end untouched."""
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGPROF, mine)
    try:
        assert within(0.01, _busy, 0.2) == "done"
        assert signal.getsignal(signal.SIGPROF) is mine
    finally:
        signal.signal(signal.SIGPROF, previous)
    out = []
    worker = threading.Thread(target=lambda: out.append(within(0.01, _busy, 0.2)))
    worker.start()
    worker.join()
    assert out == ["done"]

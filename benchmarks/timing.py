"""Wall-clock timing: medians over interleaved repeats after warm-up, on a time budget.

The contestants of one workload are timed round-robin (one sample of each per
round), so a change in machine load during the measurement affects all of them
alike and their ratios stay meaningful.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Callable


class TooSlow(Exception):
    """One call took longer than the per-call limit; the case is skipped."""


@dataclass
class Timing:
    """Seconds per call: median and interquartile range over ``samples`` samples."""

    median_s: float
    iqr_s: float
    samples: int            # timed samples
    calls_per_sample: int

    def to_json(self) -> dict:
        return asdict(self)


def _seconds(fn: Callable[[], object], calls: int = 1,
             clock: Callable[[], float] = time.perf_counter) -> float:
    start = clock()
    for _ in range(calls):
        fn()
    return clock() - start


@dataclass
class _Plan:
    fn: Callable[[], object]
    calls: int              # calls per sample
    samples: int            # samples wanted
    times: list[float]


def _plan(fn, budget_s: float, warmup: int, max_call_s: float, slow_call_s: float,
          clock: Callable[[], float]) -> _Plan:
    for _ in range(warmup):  # only the last warm-up call counts: the first may compile
        last = _seconds(fn, 1, clock)
    if last > max_call_s:
        raise TooSlow(f"one call took {last:.0f} s (> {max_call_s:.0f} s)")
    if last > slow_call_s:
        return _Plan(fn, 1, 1, [])
    if last < budget_s / 20:  # one call of a fast op is a noisy estimate
        last = _seconds(fn, 10, clock) / 10
    # Fast calls are grouped so that a sample lasts about budget/20 and the
    # timer's overhead vanishes; at least three samples either way.
    calls = max(1, int(budget_s / 20 / max(last, 1e-9)))
    return _Plan(fn, calls, max(3, int(budget_s / (calls * max(last, 1e-9)))), [])


def measure_all(fns: dict[str, Callable[[], object]], budget_s: float = 0.5,
                warmup: dict[str, int] | None = None, max_call_s: float = 20.0,
                slow_call_s: float = 5.0, clock: Callable[[], float] = time.perf_counter
                ) -> dict[str, Timing | TooSlow]:
    """Time every ``fns[name]()`` for about ``budget_s`` each, interleaved.

    Each function gets ``warmup[name]`` untimed calls (default 1); if the last
    one takes more than ``max_call_s`` its result is the :class:`TooSlow`
    exception instead of a :class:`Timing`, and one taking more than
    ``slow_call_s`` is timed once only.
    """
    warmup = warmup or {}
    out: dict[str, Timing | TooSlow] = {}
    plans: dict[str, _Plan] = {}
    for name, fn in fns.items():
        try:
            plans[name] = _plan(fn, budget_s, warmup.get(name, 1), max_call_s, slow_call_s,
                                clock)
        except TooSlow as exc:
            out[name] = exc
    rounds = max((p.samples for p in plans.values()), default=0)
    for r in range(rounds):
        for p in plans.values():
            if r < p.samples:
                p.times.append(_seconds(p.fn, p.calls, clock) / p.calls)
    for name, p in plans.items():
        q1, _, q3 = statistics.quantiles(p.times, n=4) if len(p.times) > 1 else [p.times[0]] * 3
        out[name] = Timing(statistics.median(p.times), q3 - q1, len(p.times), p.calls)
    return {name: out[name] for name in fns}

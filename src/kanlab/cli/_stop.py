"""Graceful stops of ``kanlab train``: SIGINT/SIGTERM end the current step, then the run.

Used by :mod:`kanlab.cli._train_job`; under ``--ddp`` the ranks agree on every stop.
"""
from __future__ import annotations

import os
import signal
import threading

__all__ = ["StopRequest"]


class StopRequest:
    """SIGINT/SIGTERM set a flag that ``fit``'s callback turns into a clean stop.

    A second signal of the same kind falls back to the default behaviour, and
    so does the first one when the run has not stopped :attr:`GRACE_S`
    seconds later (a graceful stop never absorbs a signal for good).
    Under ``ddp`` the ranks agree (a MAX all-reduce of the flag after every
    step and before every stage), so a signal to one rank stops all of them
    at the same step instead of leaving the others waiting in a collective.
    """

    PEER = -1  # the value of ``signal`` on a rank stopped because another rank was signalled

    def __init__(self, ddp: bool = False, device=None) -> None:
        self.signal: int | None = None
        self._old: dict = {}
        self.ddp, self.device = ddp, device

    def agreed(self) -> bool:
        """Whether to stop now: this rank's flag, or under ddp any rank's."""
        if not self.ddp:
            return self.signal is not None
        from kanlab.train._distributed import all_reduce_max
        if all_reduce_max(float(self.signal is not None), self.device) and self.signal is None:
            self.signal = self.PEER
        return self.signal is not None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    # a stop not reached within this many seconds (one very long step) becomes a hard stop:
    # the signal is sent again with its default action; --resume continues from the last stage
    GRACE_S = 120.0
    _timer = None

    def _handle(self, signum, frame) -> None:
        self.signal = signum
        signal.signal(signum, self._old.get(signum, signal.SIG_DFL))
        if self._timer is None:
            self._timer = threading.Timer(self.GRACE_S, os.kill, (os.getpid(), signum))
            self._timer.daemon = True
            self._timer.start()

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for sig, handler in self._old.items():
            signal.signal(sig, handler)

    log_step = None  # the run log's per-step callback, when there is one

    def callback(self, step, model, history) -> bool:
        if self.log_step is not None:
            self.log_step(step, model, history)
        return self.agreed()

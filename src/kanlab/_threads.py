"""One thread for training small models, restored afterwards.

A KAN's matrices are small (tens to hundreds of columns): intra-op threads only add
synchronisation there, and on a busy machine they oversubscribe the cores (measured:
a ``[4,10,10,1]`` fit on 10 000 rows ran 6× slower on two threads than on one at load
average 5 on 2 cores).  One thread also makes a fit's result independent of the
machine's core count: torch splits its reductions by thread, and a chaotic fit (L-BFGS
on a network that can trap) ends elsewhere when the last bits of a gradient change.
Nothing global is left changed.
"""
from __future__ import annotations

import contextlib

import torch

__all__ = ["one_thread"]


@contextlib.contextmanager
def one_thread():
    """Run the block on one torch thread (and one BLAS thread where ``threadpoolctl`` is
    installed), restoring the previous settings afterwards."""
    previous = torch.get_num_threads()
    try:
        with _blas_limits():
            torch.set_num_threads(1)
            yield
    finally:
        torch.set_num_threads(previous)


def _blas_limits():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional dependency (kanlab[data], scikit-learn's)
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)

"""One thread for training small models and for the spline solvers, restored afterwards.

A KAN's matrices are small (tens to hundreds of columns): intra-op threads only add
synchronisation there, and on a busy machine they oversubscribe the cores (measured:
a ``[4,10,10,1]`` fit on 10 000 rows ran 6× slower on two threads than on one at load
average 5 on 2 cores).  One thread also makes a fit's result independent of the
machine's core count: torch splits its reductions by thread, and a chaotic fit (L-BFGS
on a network that can trap) ends elsewhere when the last bits of a gradient change.
The spline solvers (least squares, the projection that keeps a spline's ends) run on
one torch thread for the second reason alone: LAPACK's blocked QR and the batched
products split their sums by thread, so ``refine`` on a ``[4, 9, 1]`` model moved
its coefficients by ~1e-7 between one and four threads, and pykan's Example_3 (a
chaotic fit → refine → fit loop) ended its G = 50 fit at a train RMSE 3 % apart on
one and two threads (docs/pykan_notebook_runs.md, Lead 2026-12-06 14:03).
Nothing global is left changed.
"""
from __future__ import annotations

import contextlib
import functools

import torch

__all__ = ["one_thread", "torch_one_thread", "single_threaded"]


@contextlib.contextmanager
def one_thread():
    """Run the block on one torch thread (and one BLAS thread where ``threadpoolctl`` is
    installed), restoring the previous settings afterwards."""
    with torch_one_thread(), _blas_limits():  # torch first: it sets its LAPACK's count too
        yield


@contextlib.contextmanager
def torch_one_thread():
    """Run the block on one torch thread (torch's own LAPACK and BLAS included), restoring
    the previous count afterwards: cheap (no ``threadpoolctl`` scan), for torch-only code."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # always: a count of 1 read back may be OpenMP's alone
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def single_threaded(function):
    """``function`` run inside :func:`torch_one_thread` (a decorator)."""
    @functools.wraps(function)
    def on_one_thread(*args, **kwargs):
        with torch_one_thread():
            return function(*args, **kwargs)
    return on_one_thread


def _blas_limits():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional dependency (kanlab[data], scikit-learn's)
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)

"""The C++ kernels' work sharing (csrc/parallel.h): results independent of the thread
count, and ``torch.set_num_threads(1)`` keeps them on the calling thread."""
import os
import subprocess
import sys
import textwrap

import pytest
import torch

import kanlab
from kanlab import config
from kanlab.ops import _extension

pytestmark = pytest.mark.skipif(_extension.ops() is None, reason="C++ kernels unavailable")


def _grads(strategy, threads, dtype=torch.float64):
    g = torch.Generator().manual_seed(3)
    layer = kanlab.KANLayer(37, 29, grid=7, k=3, dtype=dtype, generator=g)
    x = (torch.rand(300, 37, generator=g, dtype=dtype) * 2.4 - 1.2).requires_grad_()
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with config.use(strategy=strategy):
            y = layer(x)
            grads = torch.autograd.grad((y * y).sum(), [x, layer.coef, layer.scale_base,
                                                        layer.scale_sp])
    finally:
        torch.set_num_threads(before)
    return (y.detach(), *grads)


@pytest.mark.parametrize("backend", [0, 1, 2], ids=["team-while-it-keeps-up", "inter-op-pool",
                                                    "intra-op-team"])
@pytest.mark.parametrize("strategy", ["local", "dense", "rows"])
def test_results_do_not_depend_on_the_thread_count(strategy, backend):
    """Every work-sharing backend of csrc/parallel.h (0, the default: torch's intra-op
    team while it keeps up; 1: its inter-op pool; 2: the team always), 2 and 4 threads
    (more than cores too): the 1-thread results."""
    ops = _extension.ops()
    before = ops.set_parallel_backend(backend)
    try:
        one, two, four = _grads(strategy, 1), _grads(strategy, 2), _grads(strategy, 4)
    finally:
        ops.set_parallel_backend(before)
    for other in (two, four):
        for a, b in zip(one, other):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_parallel_backend_is_checked():
    with pytest.raises(RuntimeError, match="parallel backend must be 0, 1 or 2"):
        _extension.ops().set_parallel_backend(3)


SCRIPT = textwrap.dedent("""
    import os, torch, kanlab
    from kanlab import config
    def threads():
        return len(os.listdir("/proc/self/task"))
    def step():
        layer = kanlab.KANLayer(40, 24, grid=5, k=3)
        x = torch.rand(512, 40).requires_grad_()
        for strategy in ("local", "dense", "rows"):
            with config.use(strategy=strategy):
                torch.autograd.grad(layer(x).sum(), [x, layer.coef])
    torch.set_num_threads(1)
    step()  # builds/loads the kernels, starts whatever torch starts anyway
    start = threads()
    for _ in range(3):
        step()
    one = threads()
    from kanlab.ops import _extension
    _extension.ops().set_parallel_backend(2)  # the team always: the default may stay
    torch.set_num_threads(2)                  # single-threaded on a busy machine
    for _ in range(3):
        step()
    print(start, one, threads())
""")


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_one_thread_runs_on_the_calling_thread_only():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=600, env={**os.environ, "OMP_NUM_THREADS": "2"})
    assert out.returncode == 0, out.stderr[-2000:]
    start, one, two = map(int, out.stdout.split()[-3:])
    assert one == start  # set_num_threads(1): no thread started by the kernels
    assert two > one     # two threads: helpers join (so the count above can tell)

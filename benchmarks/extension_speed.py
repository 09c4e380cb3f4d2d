"""CPU time of a layer's continuations beyond the grid: forward + backward, and a loss
with the Jacobian and Hessian in x (as a physics-informed fit takes them).

Usage: ``PYTHONPATH=src python benchmarks/extension_speed.py [--repeats 5] [--k 3]``

A ``KAN([2, 5, 1], grid=5, k)`` in float64 on 1000 points drawn on ``[-2, 2]^2`` (half of
them beyond the grid ``[-1, 1]``), one thread.  Per continuation, the median over
``--repeats`` rounds of the CPU time (``time.process_time``) of one evaluation, the
continuations alternating within each round.  To compare two versions of kanlab, run it
against each (``PYTHONPATH=<other>/src``) back to back.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from kanlab.nn import KAN

MODES = ("quadratic", "extended", "extended_quadratic")


def evaluation(mode: str, k: int, hessian: bool):
    model = KAN([2, 5, 1], grid=5, k=k, extrapolate=mode, seed=0, dtype=torch.float64)
    x = torch.rand(1000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 4 - 2

    def run() -> None:
        xx = x.clone().requires_grad_(hessian)
        y = model(xx)
        loss = y.pow(2).mean()
        if hessian:  # y's gradient in x and the second derivative in x_1, through autograd
            (g,) = torch.autograd.grad(y.sum(), xx, create_graph=True)
            (h,) = torch.autograd.grad(g[:, 0].sum(), xx, create_graph=True)
            loss = loss + g.pow(2).mean() + h.pow(2).mean()
        loss.backward()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--calls", type=int, default=10, help="evaluations per timing")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for hessian in (False, True):
        runs = {mode: evaluation(mode, args.k, hessian) for mode in MODES}
        times = {mode: [] for mode in MODES}
        for run in runs.values():  # warm up
            run()
        for _ in range(args.repeats):
            for mode, run in runs.items():
                start = time.process_time()
                for _ in range(args.calls):
                    run()
                times[mode].append((time.process_time() - start) / args.calls)
        label = "loss with Jacobian + Hessian" if hessian else "forward + backward"
        cells = "  ".join(f"{m} {statistics.median(t) * 1e3:.2f} ms" for m, t in times.items())
        print(f"k={args.k} {label}: {cells}")


if __name__ == "__main__":
    main()

"""What `fit` adds per step over the model's own forward+backward and optimiser step.

Usage: ``python benchmarks/fit_overhead.py [--steps 40] [--repeats 5]``

For each case, ``kanlab.train._fit.fit`` runs Adam on the whole training set with
no regulariser, no grid update, no progress bar and one evaluation at the end;
the bare loop does the same steps by hand (forward, MSE, backward,
``torch.optim.Adam``).  A step's cost is the time of ``2 * steps`` minus that of
``steps`` (so fit's once-per-call work, the final evaluation and the
out-of-grid check, is left out), divided by ``steps``; runs alternate
``--repeats`` times and medians are printed.  The target: fit's step costs at
most 1.3x the bare one.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

import kanlab
from kanlab.train._config import FitConfig
from kanlab.train._fit import fit

CASES = [((2, 5, 1), 1000), ((784, 64, 10), 512), ((64, 32, 10), 4096)]


def dataset(width, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(2 * n, width[0], generator=g) * 2 - 1
    y = torch.sin(x[:, :width[-1]] * 3) + x.pow(2).mean(1, keepdim=True)
    return {"train_input": x[:n], "train_label": y[:n], "test_input": x[n:], "test_label": y[n:]}


def bare(model, data, steps, lr=1e-3):
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    x, y = data["train_input"], data["train_label"]
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    return (time.perf_counter() - start) / steps


def with_fit(model, data, steps, lr=1e-3):
    cfg = FitConfig(opt="Adam", steps=steps, lr=lr, update_grid=False, progress=False,
                    eval_every=steps)
    start = time.perf_counter()
    fit(model, data, cfg)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("| model | batch | bare step (ms) | fit step (ms) | fit / bare |")
    print("|---|---|---:|---:|---:|")
    for width, n in CASES:
        data = dataset(width, n)
        model = kanlab.KAN(list(width), grid=5, k=3, seed=0)
        bare(model, data, 3), with_fit(model, data, 3)  # warm-up (kernels, allocator)
        a, b = [], []
        steps = args.steps
        for _ in range(args.repeats):
            a.append(2 * bare(model, data, 2 * steps) - bare(model, data, steps))
            b.append(2 * with_fit(model, data, 2 * steps) - with_fit(model, data, steps))
        ta, tb = statistics.median(a) * 1e3, statistics.median(b) * 1e3
        print(f"| {list(width)} | {n} | {ta:.2f} | {tb:.2f} | {tb / ta:.2f}× |", flush=True)


if __name__ == "__main__":
    main()

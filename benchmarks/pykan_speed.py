"""kanlab.pykan against pykan on the same fit → refine → fit, side by side, one thread.

Usage: ``PYTHONPATH=src python benchmarks/pykan_speed.py [--repeats 3] [--json out.json]``

The seed function of pykan's tutorials, ``exp(sin(pi x) + y^2)``, on pykan's
``create_dataset`` defaults (1000 train and 1000 test rows on ``[-1, 1]^2``, seed 0).
For each width, a ``KAN(width, grid=3, k=3, seed=1)`` is fitted with 20 L-BFGS steps,
refined to 10 intervals and fitted 20 more steps.  Reported per library and width: CPU
seconds of the three calls (``time.process_time``; the machine is shared, so wall time
is not comparable) as the median over ``--repeats`` rounds, the rounds alternating
between the libraries, and the final test RMSE (pykan's ``test_loss``) of each round.
pykan 0.2.8 (``import kan``) is skipped with a note when it is not installed.  pykan
writes checkpoints to ``./model``: the run happens in a scratch folder.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings

import torch

WIDTHS = ([2, 1, 1], [2, 5, 1])


def target(x):
    """pykan's seed function ``exp(sin(pi x_1) + x_2^2)``, ``x`` of shape ``(N, 2)``."""
    return torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)


def one_round(lib, width) -> tuple[float, float]:
    """CPU seconds of fit(20) → refine(10) → fit(20) and the final test RMSE."""
    data = lib.create_dataset(target, n_var=2, train_num=1000, seed=0)
    model = lib.KAN(width=list(width), grid=3, k=3, seed=1)
    start = time.process_time()
    model.fit(data, opt="LBFGS", steps=20, log=1000)
    model = model.refine(10)
    result = model.fit(data, opt="LBFGS", steps=20, log=1000)
    return time.process_time() - start, float(result["test_loss"][-1])


def libraries() -> dict:
    import kanlab.pykan
    libs = {"kanlab.pykan": kanlab.pykan}
    try:
        import kan
        libs[f"pykan {getattr(kan, '__version__', '')}".strip()] = kan
    except ImportError:
        print("pykan is not installed: kanlab.pykan alone")
    return libs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="write the rounds here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    os.chdir(tempfile.mkdtemp(prefix="pykan_speed_"))
    libs = libraries()
    rounds = {(name, str(w)): [] for name in libs for w in WIDTHS}
    for _ in range(args.repeats):
        for name, lib in libs.items():
            for width in WIDTHS:
                rounds[(name, str(width))].append(one_round(lib, width))
    print(f"load average {os.getloadavg()[0]:.1f}; CPU s median of {args.repeats}; test RMSE per round")
    for (name, width), runs in rounds.items():
        cpu = statistics.median(t for t, _ in runs)
        tests = ", ".join(f"{r:.3g}" for _, r in runs)
        print(f"{name:18s} {width:9s} {cpu:6.2f} s  test {tests}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"library": n, "width": w, "cpu_s": [t for t, _ in r],
                        "test_rmse": [v for _, v in r]} for (n, w), r in rounds.items()], f)


if __name__ == "__main__":
    main()

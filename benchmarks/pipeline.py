"""Where the default ``kanlab train`` run spends its time: wall and CPU seconds per stage.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/pipeline.py --seed 0 --out /tmp/run0

Runs :func:`kanlab.cli._train_job.run` with the default configuration on one thread
and prints, per stage (each log line of the run), wall time, CPU time of the process
(robust to other processes on the machine) and the number of layer evaluations
(``KANLayer.forward`` and ``forward_and_rms`` calls; two per model evaluation).
"""
from __future__ import annotations

import argparse
import json
import time

start_wall, start_cpu = time.perf_counter(), time.process_time()
import torch  # noqa: E402

import kanlab  # noqa: E402,F401
from kanlab.cli import _train_job as job  # noqa: E402
from kanlab.nn._layer import KANLayer  # noqa: E402

IMPORT_WALL, IMPORT_CPU = time.perf_counter() - start_wall, time.process_time()


def counting(counts: dict):
    """Wrap the layer evaluations (plain, and with edge magnitudes) to count their calls."""
    forward, forward_and_rms = KANLayer.forward, KANLayer.forward_and_rms

    def fwd(self, x):
        counts["forward"] += 1
        return forward(self, x)

    def far(self, x):
        counts["forward_and_rms"] += 1
        return forward_and_rms(self, x)
    KANLayer.forward, KANLayer.forward_and_rms = fwd, far
    try:  # one node per regularised layer (kanlab.train._reg_layer), as _magnitudes calls it
        from kanlab.train import _magnitudes
        regularised = _magnitudes.regularised_layer

        def reg(*args):
            counts["forward_and_rms"] += 1
            return regularised(*args)
        _magnitudes.regularised_layer = reg
    except (ImportError, AttributeError):  # older versions
        pass
    try:  # the regularised fit's own route (kanlab.train._magnitudes), which may call far
        from kanlab.train import _magnitudes
    except ImportError:  # older versions: forward_and_rms only
        return
    edges_and_rms = _magnitudes._edges_and_rms

    def ear(layer, x, cache):
        before = counts["forward_and_rms"]
        result = edges_and_rms(layer, x, cache)
        counts["forward_and_rms"] = before + 1
        return result
    _magnitudes._edges_and_rms = ear


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--config", default="{}", help="TrainConfig fields as JSON")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:  # what `kanlab train` does for its exit (kanlab.cli._exit)
        from kanlab.cli._exit import freeze_at_exit
        freeze_at_exit()
    except ImportError:  # older versions
        pass
    counts = {"forward": 0, "forward_and_rms": 0}
    counting(counts)
    marks = []

    def log(line: str) -> None:
        marks.append((time.perf_counter(), time.process_time(), dict(counts), line))

    cfg = job.TrainConfig(seed=args.seed, out=args.out, progress=False,
                          **json.loads(args.config))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    metrics = job.run(cfg, log)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    print(f"import kanlab: {IMPORT_WALL:.2f} s wall, {IMPORT_CPU:.2f} s cpu (with interpreter start)")
    prev = (wall0, cpu0, {"forward": 0, "forward_and_rms": 0})
    for wall, cpu, c, line in marks:
        print(f"{wall - prev[0]:7.2f} s wall {cpu - prev[1]:7.2f} s cpu  evals "
              f"{c['forward'] - prev[2]['forward']:5d} + "
              f"{c['forward_and_rms'] - prev[2]['forward_and_rms']:5d} regularised | {line[:90]}")
        prev = (wall, cpu, c)
    print(f"{wall1 - prev[0]:7.2f} s wall {cpu1 - prev[1]:7.2f} s cpu  (outputs: checkpoint, figures)")
    print(f"total {wall1 - wall0:.2f} s wall, {cpu1 - cpu0:.2f} s cpu; "
          f"formula {metrics.get('formula')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

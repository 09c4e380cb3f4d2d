"""Per-call cost of a small KAN: [2,5,1], batch 1000, forward + backward, float32, 1 thread.

Prints the median time of one forward+backward in microseconds. To compare two
source trees side by side, run it alternately with each tree first on the path:

    for i in 1 2 3 4 5; do
      PYTHONPATH=/path/a/src python benchmarks/call_overhead.py
      PYTHONPATH=/path/b/src python benchmarks/call_overhead.py
    done
"""
import argparse
import statistics
import time

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", default="2,5,1")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=400)
    args = parser.parse_args()
    torch.set_num_threads(1)
    import kanlab
    width = [int(w) for w in args.width.split(",")]
    model = kanlab.KAN(width, grid=5, k=3, seed=0, dtype=torch.float32)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(args.batch, width[0], generator=gen) * 2 - 1
    for _ in range(50):  # warm-up (and the kernels' first build or load)
        model(x).sum().backward()
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        model(x).sum().backward()
        times.append(time.perf_counter() - t0)
    print(f"{kanlab.__file__}: median {statistics.median(times) * 1e6:.1f} us "
          f"(min {min(times) * 1e6:.1f})")


if __name__ == "__main__":
    main()

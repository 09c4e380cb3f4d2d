"""Per-call cost of a small KAN: [2,5,1], batch 1000, forward + backward, float32, 1 thread.

Times kanlab's step (``model(x).sum()``, gradients of the parameters and ``x``)
and the dense limit's (one bias-free ``nn.Linear`` per layer over a precomputed
B-spline basis, gradients of the weights and the basis) interleaved in one
process, and prints the medians of wall time and of the thread's CPU time
(``time.thread_time``, robust to other processes) with their ratio.  The
dense limit's step is almost all per-call cost (its GEMMs are tiny), so the
ratio says how much more kanlab's calls cost. To compare two source trees, run it
alternately with each tree first on the path:

    for i in 1 2 3; do
      PYTHONPATH=/path/a/src python benchmarks/call_overhead.py
      PYTHONPATH=/path/b/src python benchmarks/call_overhead.py
    done
"""
import argparse
import json
import os
import statistics
import time

import torch


def _timed(fn, times_wall, times_cpu) -> None:
    w0, c0 = time.perf_counter(), time.thread_time()
    fn()
    times_cpu.append(time.thread_time() - c0)
    times_wall.append(time.perf_counter() - w0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", default="2,5,1")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=400)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    torch.set_num_threads(1)
    import kanlab
    width = [int(w) for w in args.width.split(",")]
    model = kanlab.KAN(width, grid=5, k=3, seed=0, dtype=torch.float32)
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(args.batch, width[0], generator=gen) * 2 - 1).requires_grad_()
    params = [p for p in model.parameters() if p.requires_grad]
    n_basis = 5 + 3
    linears = [torch.nn.Linear(i * n_basis, o, bias=False) for i, o in zip(width, width[1:])]
    bases = [torch.rand(args.batch, i * n_basis, generator=gen).requires_grad_()
             for i in width[:-1]]
    dense_params = [lin.weight for lin in linears] + bases

    def kan_step():
        torch.autograd.grad(model(x).sum(), params + [x])

    def dense_step():
        out = sum(lin(b).sum() for lin, b in zip(linears, bases))
        torch.autograd.grad(out, dense_params)

    for _ in range(50):  # warm-up (and the kernels' first build or load)
        kan_step()
        dense_step()
    kw, kc, dw, dc = [], [], [], []
    for _ in range(args.repeats):
        _timed(kan_step, kw, kc)
        _timed(dense_step, dw, dc)
    med = {name: statistics.median(v) * 1e6 for name, v in
           (("kanlab_wall_us", kw), ("kanlab_cpu_us", kc), ("dense_wall_us", dw),
            ("dense_cpu_us", dc))}
    med["ratio_wall"] = med["kanlab_wall_us"] / med["dense_wall_us"]
    med["ratio_cpu"] = med["kanlab_cpu_us"] / med["dense_cpu_us"]
    med["load_average"] = os.getloadavg()[0]
    med["kanlab"] = kanlab.__file__
    if args.json:
        print(json.dumps(med))
        return
    print(f"{kanlab.__file__} (load average {med['load_average']:.1f})\n"
          f"  kanlab step: {med['kanlab_wall_us']:.0f} us wall, {med['kanlab_cpu_us']:.0f} us CPU\n"
          f"  dense limit: {med['dense_wall_us']:.0f} us wall, {med['dense_cpu_us']:.0f} us CPU\n"
          f"  kanlab / dense limit: {med['ratio_wall']:.2f}x wall, {med['ratio_cpu']:.2f}x CPU")


if __name__ == "__main__":
    main()

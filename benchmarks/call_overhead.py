"""Per-call cost of a small KAN, layer by layer and fused, against the dense limit.

Default: [2,5,1], batch 1000, forward + backward, float32, G=5, k=3, at 1 and 2 threads.

Times three steps interleaved in one process (round-robin, so a change of load
touches them alike) and prints the medians and their ratios to the dense limit:

* ``per-layer``: ``model.forward_layers(x)``, one autograd node and one kernel
  call per layer (the path before the fused one; it is what ``model(x)`` ran);
* ``fused``: ``model(x)``, which runs a small network as one autograd node and
  one C++ call per pass (:mod:`kanlab.nn._fused_forward`);
* ``dense limit``: one bias-free ``nn.Linear`` per layer over a precomputed
  B-spline basis, gradients of the weights and the basis.

Each step is ``out.sum()`` and the gradients of the parameters and the input.
Times are medians of wall time and of process CPU time (``time.process_time``,
robust to other processes); the load average is printed with them.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/call_overhead.py
    PYTHONPATH=src python benchmarks/call_overhead.py --threads 1,2 --width 2,5,1 --json
"""
import argparse
import json
import os
import statistics
import time

import torch


def _timed(fn, wall: list, cpu: list) -> None:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    cpu.append(time.process_time() - c0)
    wall.append(time.perf_counter() - w0)


def measure(width: list[int], batch: int, repeats: int, threads: int) -> dict:
    """Medians (µs) of the three steps at ``threads`` threads, and their ratios."""
    import kanlab
    try:
        from kanlab.nn._fused_forward import fused_reason
    except ImportError:  # an older kanlab (before the fused path): model(x) is per-layer too
        def fused_reason(model, x):
            return "no fused path in this kanlab"

    torch.set_num_threads(threads)
    model = kanlab.KAN(width, grid=5, k=3, seed=0, dtype=torch.float32)
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(batch, width[0], generator=gen) * 2 - 1).requires_grad_()
    params = [p for p in model.parameters() if p.requires_grad]
    n_basis = 5 + 3
    linears = [torch.nn.Linear(i * n_basis, o, bias=False) for i, o in zip(width, width[1:])]
    bases = [torch.rand(batch, i * n_basis, generator=gen).requires_grad_() for i in width[:-1]]
    dense_params = [lin.weight for lin in linears] + bases

    steps = {
        "per-layer": lambda: torch.autograd.grad(model.forward_layers(x).sum(), params + [x]),
        "fused": lambda: torch.autograd.grad(model(x).sum(), params + [x]),
        "dense": lambda: torch.autograd.grad(
            sum(lin(b).sum() for lin, b in zip(linears, bases)), dense_params),
    }
    for _ in range(50):  # warm-up (and the kernels' first build or load)
        for fn in steps.values():
            fn()
    wall = {name: [] for name in steps}
    cpu = {name: [] for name in steps}
    load = os.getloadavg()[0]
    for _ in range(repeats):
        for name, fn in steps.items():
            _timed(fn, wall[name], cpu[name])
    out = {"width": width, "batch": batch, "threads": threads, "load_average": load,
           "fused_reason": fused_reason(model, x)}
    for name in steps:
        out[f"{name}_wall_us"] = statistics.median(wall[name]) * 1e6
        out[f"{name}_cpu_us"] = statistics.median(cpu[name]) * 1e6
    for name in ("per-layer", "fused"):
        out[f"{name}_ratio_wall"] = out[f"{name}_wall_us"] / out["dense_wall_us"]
        out[f"{name}_ratio_cpu"] = out[f"{name}_cpu_us"] / out["dense_cpu_us"]
    out["load_average_after"] = os.getloadavg()[0]
    return out


def table(rows: list[dict]) -> str:
    lines = ["| width, batch | threads | load | per-layer µs (÷ dense) | fused µs (÷ dense) | "
             "dense limit µs |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| [{','.join(map(str, r['width']))}] b{r['batch']} | {r['threads']} | "
            f"{r['load_average']:.1f} | {r['per-layer_wall_us']:.0f} "
            f"(**{r['per-layer_ratio_wall']:.2f}×**; CPU {r['per-layer_ratio_cpu']:.2f}×) | "
            f"{r['fused_wall_us']:.0f} (**{r['fused_ratio_wall']:.2f}×**; CPU "
            f"{r['fused_ratio_cpu']:.2f}×) | {r['dense_wall_us']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", default="2,5,1", help="one network, e.g. 2,5,1")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=400)
    parser.add_argument("--threads", default="1,2", help="thread counts, e.g. 1,2")
    parser.add_argument("--json", action="store_true", help="one JSON line per thread count")
    args = parser.parse_args()
    width = [int(w) for w in args.width.split(",")]
    rows = [measure(width, args.batch, args.repeats, int(t)) for t in args.threads.split(",")]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    import kanlab
    print(f"{kanlab.__file__}; fused path: {rows[0]['fused_reason'] or 'yes'}")
    print(table(rows))


if __name__ == "__main__":
    main()

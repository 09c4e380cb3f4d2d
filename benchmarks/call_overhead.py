"""Per-call cost of a small KAN against the dense limit, timed as the conditions table times it.

Default: [2,5,1], batch 1000, forward + backward, float32, G=5, k=3, at 1 and 2 threads.

The contestants are built and timed exactly as ``benchmarks/conditions.py`` builds and
times them (``contestants.build`` and ``timing.measure_all``: medians of samples of
back-to-back calls, the contestants round-robin), so the ``fused`` ratio here is the
``[2,5,1]`` row of ``python benchmarks/run.py --conditions``.  Each step is
``loss = out.sum()`` and ``torch.autograd.grad`` of it w.r.t. every trainable parameter
and the input (``Bench.forward_backward``):

* ``fused``: ``model(x)``, a small network as one autograd node and one C++ call per
  pass (:mod:`kanlab.nn._fused_forward`); the ``kanlab`` contestant;
* ``per-layer``: ``model.forward_layers(x)``, one autograd node and one kernel call per
  layer (what ``model(x)`` ran before the fused path);
* ``kernels``: the fused path's two C++ calls alone (``network_forward``, then
  ``network_backward`` for a gradient of ones): no Python, no autograd.  ``fused``
  minus ``kernels`` is the per-call cost of everything around the kernels (the plan
  look-up, the autograd node, ``sum`` and the engine);
* ``dense``: the dense limit, one bias-free ``nn.Linear`` per layer over a B-spline
  basis computed beforehand, gradients of the weights and of the basis.

Times are wall-clock medians (as the conditions table) and, with ``--cpu``, process CPU
time (``time.process_time``, less sensitive to other processes); the load average is
printed with them.  Absolute times depend on the machine's load; read the ratios.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/call_overhead.py --threads 1
    PYTHONPATH=src python benchmarks/call_overhead.py --threads 1,2 --width 2,5,1 --json
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contestants import Bench, build, make_input  # noqa: E402
from timing import measure_all  # noqa: E402
from workloads import DENSE, KANLAB, Workload  # noqa: E402

STEPS = ("fused", "per-layer", "kernels", "dense")


def _per_layer(bench: Bench):
    def step():
        loss = bench.model.forward_layers(*bench.inputs).sum()
        return torch.autograd.grad(loss, bench.params + bench.inputs)
    return step


def _kernels_only(bench: Bench):
    """The fused path's two C++ calls for one forward+backward, or None without them."""
    from kanlab.nn._fused_forward import _plan
    from kanlab.ops import _extension as extension

    x = bench.inputs[0].detach()
    net, params = _plan(bench.model, x)
    if net is None:
        return None
    ops = extension.loaded()
    # the C++ builtins, as the fused path calls them (no torch.ops Python __call__)
    forward, backward = ops.network_forward._op, ops.network_backward._op
    params = [p.detach() for p in params]
    plan = net.plan()  # the published plan's key
    need_w = [True] * len(net.specs)

    def step():
        outs, _ = forward(x, params, plan)
        gy = torch.ones_like(outs[0])
        return backward([x, *outs[1:]], gy, params, plan, True, need_w)
    return step


def measure(width: list[int], batch: int, budget_s: float, threads: int, cpu: bool) -> dict:
    """Medians (µs) of the steps at ``threads`` threads, and their ratios to the dense limit."""
    from kanlab.nn._fused_forward import fused_reason

    torch.set_num_threads(threads)
    w = Workload(f"[{','.join(map(str, width))}]", tuple(width), batch, 5, (KANLAB, DENSE))
    x = make_input(w)
    kan, dense = build(KANLAB, w, x), build(DENSE, w, x)
    network = hasattr(kan.model, "forward_layers")  # a width of two builds one KANLayer
    fns = {"fused": kan.forward_backward, "per-layer": _per_layer(kan) if network else None,
           "kernels": _kernels_only(kan) if network else None, "dense": dense.forward_backward}
    fns = {name: fn for name, fn in fns.items() if fn is not None}
    out = {"width": width, "batch": batch, "threads": threads,
           "load_average": os.getloadavg()[0],
           "fused_reason": fused_reason(kan.model, x) if network else "one layer"}
    clocks = {"wall": time.perf_counter}
    if cpu:
        clocks["cpu"] = time.process_time
    for clock_name, clock in clocks.items():
        for name, result in measure_all(fns, budget_s, clock=clock).items():
            out[f"{name}_{clock_name}_us"] = result.median_s * 1e6
        for name in fns:
            out[f"{name}_ratio_{clock_name}"] = (out[f"{name}_{clock_name}_us"]
                                                 / out[f"dense_{clock_name}_us"])
    out["load_average_after"] = os.getloadavg()[0]
    return out


def table(rows: list[dict]) -> str:
    steps = [s for s in STEPS if f"{s}_wall_us" in rows[0]]
    lines = ["| width, batch | threads | load | " + " | ".join(
        f"{s} µs (÷ dense)" for s in steps) + " |", "|---|---|---|" + "---|" * len(steps)]
    for r in rows:
        cells = []
        for s in steps:
            cell = f"{r[f'{s}_wall_us']:.0f} (**{r[f'{s}_ratio_wall']:.2f}×**"
            if f"{s}_ratio_cpu" in r:
                cell += f"; CPU {r[f'{s}_ratio_cpu']:.2f}×"
            cells.append(cell + ")")
        lines.append(f"| [{','.join(map(str, r['width']))}] b{r['batch']} | {r['threads']} | "
                     f"{r['load_average']:.1f}–{r['load_average_after']:.1f} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", default="2,5,1", help="one network, e.g. 2,5,1")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=2.0,
                        help="seconds per step and clock (conditions.py's default)")
    parser.add_argument("--threads", default="1,2", help="thread counts, e.g. 1,2")
    parser.add_argument("--cpu", action="store_true", help="also time process CPU time")
    parser.add_argument("--json", action="store_true", help="one JSON line per thread count")
    args = parser.parse_args()
    width = [int(w) for w in args.width.split(",")]
    rows = [measure(width, args.batch, args.budget, int(t), args.cpu)
            for t in args.threads.split(",")]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    import kanlab
    print(f"{kanlab.__file__}; fused path: {rows[0]['fused_reason'] or 'yes'}")
    print(table(rows))


if __name__ == "__main__":
    main()

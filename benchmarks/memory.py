"""Peak memory of one forward+backward pass, measured in a fresh process.

Usage: ``python benchmarks/memory.py '<case-json>'`` where the case is
``{"workload": Workload.to_json(), "contestant": name}``; prints one JSON line.

The peak is read from the allocator events of ``torch.profiler`` (CPU
allocations are invisible to ``tracemalloc`` and ``ru_maxrss`` only ever
grows): the running sum of allocations minus frees during the pass, in time
order.  Parameters and the input exist before the pass and are not counted;
the gradients (of parameters and input) are allocated during it and are
subtracted, which leaves the *activation memory*: saved tensors and
temporaries.
"""
from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contestants import COMPILED, Bench, TooBig, Unavailable, build  # noqa: E402
from workloads import Workload  # noqa: E402


def peak_allocated(events) -> int:
    """Peak of the running allocation total over profiler ``[memory]`` events (bytes)."""
    mem = sorted((e.start_ns(), e.nbytes()) for e in events if e.name() == "[memory]")
    current = peak = 0
    for _, nbytes in mem:  # nbytes > 0: allocation, < 0: free
        current += nbytes
        peak = max(peak, current)
    return peak


def measure_memory(bench: Bench, warmup: int = 1) -> dict:
    """``peak_bytes``, ``grad_bytes`` and ``activation_bytes`` of one forward+backward."""
    for _ in range(warmup):  # lazy initialisation and compilation are not part of the pass
        bench.forward_backward()
    gc.collect()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        grads = bench.forward_backward()
    peak = peak_allocated(prof.profiler.kineto_results.events())
    grad_bytes = sum(g.numel() * g.element_size() for g in grads if g is not None)
    return {"peak_bytes": peak, "grad_bytes": grad_bytes,
            "activation_bytes": max(peak - grad_bytes, 0)}


def run_case(case: dict) -> dict:
    """Build the case's contestant and measure it; a skip is reported, not raised."""
    name = case["contestant"]
    workload = Workload.from_json(case["workload"])
    try:
        bench = build(name, workload)
    except (Unavailable, TooBig) as exc:
        return {"skip": str(exc)}
    return measure_memory(bench, warmup=3 if name in COMPILED else 1)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(run_case(json.loads(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""kanlab's fused layer on a GPU: Triton kernels against the dense limit, efficient-kan-style
dense evaluation, inkan and kanlab's own pure-PyTorch path.

Usage::

    pip install -e '.[gpu,bench]'
    python benchmarks/gpu.py --out DIR            # writes DIR/gpu.{md,json}
    python benchmarks/gpu.py --device cpu --quick # smoke test of the script without a GPU
                                                  # (the Triton rows then say why they are absent)

Contestants, forward+backward (``loss = out.sum()``, gradients of parameters and input):

- ``triton dense`` / ``triton local``: :class:`kanlab.KANLayer` / :class:`kanlab.KAN` with
  ``kanlab.config.use(strategy=...)`` (the Triton kernels, ``kanlab.ops._triton``);
- ``triton auto``: the cost model's choice (``kanlab.ops._triton.local_pays``);
- ``kanlab reference``: the same model with ``kernels=False`` (pure PyTorch);
- ``efficient-kan style``: per layer ``F.linear(silu(x), Wb) + F.linear(B(x).flatten(1), Ws)``
  with the dense basis ``B(x)`` from Cox–de Boor tensor operations (what efficient-kan does);
- ``dense limit``: per layer one ``nn.Linear`` over a precomputed basis (benchmarks/contestants.py);
- ``inkan``: inkan 0.5.2's defaults, when importable.

Times: CUDA events around each call, medians over interleaved repeats (every contestant
once per round) after warm-up.  float32; TF32 off unless ``--tf32``.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _output import write_report  # noqa: E402
from contestants import DenseLimit, bspline_basis  # noqa: E402

K = 3
CASES = [("[2,5,1]", (2, 5, 1), 1000, 5), ("[784,64,10]", (784, 64, 10), 512, 5),
         ("[1024,1024]", (1024, 1024), 1024, 5), ("256→256", (256, 256), 4096, 5),
         ("256→256", (256, 256), 4096, 50), ("[1024,1024]", (1024, 1024), 8192, 5)]
QUICK = [("[2,5,1]", (2, 5, 1), 200, 5), ("64→32", (64, 32), 256, 5)]


class EfficientKANStyle(nn.Module):
    """Dense evaluation as efficient-kan does it: base branch plus spline branch, two GEMMs."""

    def __init__(self, width, grid: int, device, dtype) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.grid = grid
        self.base = nn.ParameterList()
        self.spline = nn.ParameterList()
        for i, o in zip(width[:-1], width[1:]):
            self.base.append(nn.Parameter(torch.randn(o, i, generator=g).to(device, dtype) / i ** 0.5))
            self.spline.append(nn.Parameter(
                0.1 * torch.randn(o, i * (grid + K), generator=g).to(device, dtype)))

    def forward(self, x):
        for wb, ws in zip(self.base, self.spline):
            x = F.linear(F.silu(x), wb) + F.linear(bspline_basis(x, self.grid).flatten(1), ws)
        return x


def _kanlab(width, grid, device, dtype):
    import kanlab
    if len(width) == 2:
        return kanlab.KANLayer(*width, grid=grid, k=K, dtype=dtype,
                               generator=torch.Generator().manual_seed(0)).to(device)
    return kanlab.KAN(list(width), grid=grid, k=K, seed=0, dtype=dtype).to(device)


def _with_config(model, **switches):
    from kanlab import config

    def run(x):
        with config.use(**switches):
            return model(x)
    return run


def contestants(width, batch, grid, device, dtype):
    """name -> (callable forward, parameters, inputs) or name -> reason it is absent."""
    from kanlab.ops import _triton
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(batch, width[0], generator=g) * 2 - 1).to(device, dtype).requires_grad_()
    out = {}
    model = _kanlab(width, grid, device, dtype)
    params = [p for p in model.parameters() if p.requires_grad]
    if device.type == "cuda" and _triton.available():
        for name, strategy in (("triton auto", "auto"), ("triton dense", "dense"),
                               ("triton local", "local")):
            out[name] = (_with_config(model, strategy=strategy), params, [x])
    else:
        why = "needs CUDA" if device.type != "cuda" else "triton not installed"
        out.update({n: why for n in ("triton auto", "triton dense", "triton local")})
    out["kanlab reference"] = (_with_config(model, kernels=False), params, [x])
    eff = EfficientKANStyle(width, grid, device, dtype)
    out["efficient-kan style"] = (eff, list(eff.parameters()), [x])
    dense = DenseLimit(width, grid + K).to(device, dtype)
    bases = [(torch.rand(batch, i * (grid + K), generator=g)).to(device, dtype).requires_grad_()
             for i in width[:-1]]
    out["dense limit"] = (lambda *b: dense(*b), list(dense.parameters()), bases)
    try:
        import inkan
        with torch.random.fork_rng():
            torch.manual_seed(0)
            ink = (inkan.KANLayer(*width, grid_size=grid, spline_order=K) if len(width) == 2
                   else inkan.KANNetwork(list(width), grid_size=grid, spline_order=K))
        ink = ink.to(device, dtype)
        out["inkan"] = (ink, [p for p in ink.parameters() if p.requires_grad], [x])
    except Exception as exc:  # optional anchor
        out["inkan"] = f"unavailable ({type(exc).__name__}: {exc})"
    return out


def _sum(out):
    return sum(o.sum() for o in out) if isinstance(out, (list, tuple)) else out.sum()


def _timer(device):
    if device.type == "cuda":
        def timed(fn):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / 1e3
    else:
        import time

        def timed(fn):
            t = time.perf_counter()
            fn()
            return time.perf_counter() - t
    return timed


def measure(entries, device, rounds: int, warmup: int = 3) -> dict:
    timed = _timer(device)
    fns = {}
    for name, entry in entries.items():
        if isinstance(entry, str):
            continue
        model, params, inputs = entry
        fns[name] = (lambda m=model, p=params, i=inputs:
                     torch.autograd.grad(_sum(m(*i)), p + i))
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            times[name].append(timed(fn))
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="two small cases, few rounds")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 matmuls (all contestants)")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device; use --device cpu --quick for a smoke test")
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    cases = QUICK if args.quick else CASES
    rounds = 5 if args.quick else args.rounds
    rows, results = [], {"device": str(torch.cuda.get_device_name(device)) if device.type == "cuda"
                         else "cpu", "torch": torch.__version__, "tf32": args.tf32, "cases": {}}
    names = ("triton auto", "triton dense", "triton local", "kanlab reference",
             "efficient-kan style", "dense limit", "inkan")
    for label, width, batch, grid in cases:
        print(f"{label} b={batch} G={grid} ...", file=sys.stderr, flush=True)
        entries = contestants(width, batch, grid, device, torch.float32)
        t = measure(entries, device, rounds)
        notes = {n: e for n, e in entries.items() if isinstance(e, str)}
        results["cases"][f"{label} b={batch} G={grid}"] = {"seconds": t, "notes": notes}
        dense = t.get("dense limit")
        cells = [f"{t[n] * 1e3:.3g}" if n in t else "—" for n in names]
        best = t.get("triton auto") or t.get("kanlab reference")
        rows.append(f"| {label} | {batch} | {grid} | " + " | ".join(cells) + " | " +
                    (f"{best / dense:.2f}×" if best and dense else "—") + " |")
    md = [f"# kanlab on {results['device']} (torch {results['torch']}, TF32 {args.tf32})", "",
          "forward+backward, float32, k = 3, ms (median of interleaved rounds). Last column: "
          "kanlab (Triton, cost model's choice; the reference where Triton is absent) ÷ dense "
          "limit.", "",
          "| workload | batch | G | " + " | ".join(f"{n} (ms)" for n in names) + " | kanlab/dense |",
          "|---|---|---|" + "---|" * (len(names) + 1), *rows]
    notes = {f"{n}: {why}" for c in results["cases"].values() for n, why in c["notes"].items()}
    if notes:
        md += ["", "Notes: " + "; ".join(sorted(notes))]
    write_report(args.out, "gpu", results, "\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

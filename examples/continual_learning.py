"""Continual learning: a KAN does not forget, an MLP does (Liu et al. 2024, "KAN", §3 toy).

The target is five narrow Gaussian bumps centred at -0.8, -0.4, 0, 0.4, 0.8 on
[-1, 1].  The data arrive in five phases; phase p only holds samples from the
p-th fifth of the domain, [-1 + 0.4 p, -0.6 + 0.4 p], which contains bump p.
Both models are trained on the phases one after the other, never seeing
earlier data again:

* a KAN [1, 1]: one edge, a cubic B-spline on G = 200 intervals fixed on
  [-1, 1] from the start (no grid updates), trained with L-BFGS.  Only the
  spline coefficients train (the base and spline scales are frozen: a scale
  multiplies the whole edge, so training it would move every region).  A
  coefficient only acts on k + 1 = 4 knot intervals, so phase p can only
  change the function on its own fifth and a few knots beyond it, where the
  target is (almost) zero anyway;
* an MLP [1, 16, 16, 1] with SiLU (more parameters than the KAN's 203
  coefficients), trained with Adam: every weight acts everywhere, and fitting
  bump p drags the function on the earlier fifths along.

After every phase the maximum absolute error and the RMSE are measured on a
dense grid of every fifth seen so far.  Writes ``continual_learning.png``
(predictions after each phase and the error matrices) and ``results.json``
into ``--out``; prints the error table.

    python examples/continual_learning.py [--out DIR] [--quick]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
from torch import nn

import kanlab
from kanlab.io._atomic import atomic_write_text
from kanlab.train._optim import Adam

PHASES = 5
CENTRES = torch.linspace(-0.8, 0.8, PHASES, dtype=torch.float64)
DTYPE = torch.float64
CLAIM = 1e-2  # the KAN's error on earlier regions must stay below this


def target(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Sum of the five Gaussian bumps; ``(N, 1) -> (N, 1)``."""
    return torch.exp(-((x - CENTRES) ** 2) / (2 * sigma ** 2)).sum(-1, keepdim=True)


def region(p: int) -> tuple[float, float]:
    """The fifth of [-1, 1] that phase ``p`` covers."""
    lo = -1.0 + 2.0 * p / PHASES
    return lo, lo + 2.0 / PHASES


def make_mlp(hidden: int, seed: int) -> nn.Sequential:
    """``[1, hidden, hidden, 1]`` with SiLU, initialised from a private generator."""
    generator = torch.Generator().manual_seed(seed)
    mlp = nn.Sequential(nn.Linear(1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                        nn.Linear(hidden, 1)).to(DTYPE)
    with torch.no_grad():  # PyTorch's default init (uniform ±1/sqrt(fan_in)), reproducibly
        for layer in mlp:
            if isinstance(layer, nn.Linear):
                bound = 1.0 / math.sqrt(layer.in_features)
                for p in (layer.weight, layer.bias):
                    p.copy_((torch.rand(p.shape, generator=generator, dtype=DTYPE) * 2 - 1) * bound)
    return mlp


def train_mlp(mlp: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float) -> float:
    """Full-batch Adam (kanlab's: ``torch.optim`` would import dynamo); returns the final RMSE."""
    optimiser = Adam(list(mlp.parameters()), lr=lr)

    def closure():
        for p in mlp.parameters():
            p.grad = None
        loss = torch.mean((mlp(x) - y) ** 2)
        loss.backward()
        return loss

    for _ in range(steps):
        optimiser.step(closure)
    with torch.no_grad():
        return float(torch.sqrt(torch.mean((mlp(x) - y) ** 2)))


@torch.no_grad()
def errors(model: nn.Module, sigma: float, upto: int, n: int = 400) -> tuple[list, list]:
    """Max abs error and RMSE of ``model`` on a dense grid of every region ``0..upto``."""
    max_abs, rmse = [], []
    for q in range(upto + 1):
        xq = torch.linspace(*region(q), n, dtype=DTYPE).unsqueeze(1)
        err = model(xq) - target(xq, sigma)
        max_abs.append(float(err.abs().max()))
        rmse.append(float(torch.sqrt(torch.mean(err ** 2))))
    return max_abs, rmse


def run(args) -> dict:
    generator = torch.Generator().manual_seed(args.seed)
    kan = kanlab.KAN([1, 1], grid=args.grid, k=3, seed=args.seed, sp_trainable=False, dtype=DTYPE)
    mlp = make_mlp(args.hidden, args.seed)
    n_kan = kan.layers[0].coef.numel()  # the only trained tensor
    n_mlp = sum(p.numel() for p in mlp.parameters())
    xs = torch.linspace(-1, 1, 1001, dtype=DTYPE).unsqueeze(1)
    out = {"kan": {"max_abs": [], "rmse": [], "train_rmse": []},
           "mlp": {"max_abs": [], "rmse": [], "train_rmse": []},
           "curves": {"x": xs.squeeze(1).tolist(), "kan": [], "mlp": []}, "phase_data": []}
    for p in range(PHASES):
        lo, hi = region(p)
        x = lo + (hi - lo) * torch.rand(args.samples, 1, generator=generator, dtype=DTYPE)
        y = target(x, args.sigma)
        xt = torch.linspace(lo, hi, 400, dtype=DTYPE).unsqueeze(1)
        data = {"train_input": x, "train_label": y, "test_input": xt,
                "test_label": target(xt, args.sigma)}
        history = kan.fit(data, opt="LBFGS", steps=args.kan_steps, update_grid=False,
                          progress=False)
        out["kan"]["train_rmse"].append(history.train_rmse[-1])
        out["mlp"]["train_rmse"].append(train_mlp(mlp, x, y, args.mlp_steps, args.mlp_lr))
        for name, model in (("kan", kan), ("mlp", mlp)):
            max_abs, rmse = errors(model, args.sigma, p)
            out[name]["max_abs"].append(max_abs)
            out[name]["rmse"].append(rmse)
            with torch.no_grad():
                out["curves"][name].append(model(xs).squeeze(1).tolist())
        out["phase_data"].append({"x": x.squeeze(1).tolist(), "y": y.squeeze(1).tolist()})
    for name in ("kan", "mlp"):
        m = out[name]["max_abs"]
        # the worst error on a region trained in an earlier phase, after later phases
        out[name]["worst_earlier_max_abs"] = max(m[p][q] for p in range(1, PHASES) for q in range(p))
        out[name]["worst_current_max_abs"] = max(m[p][p] for p in range(PHASES))
        # how far later phases moved the prediction on a region learnt earlier
        curves = torch.tensor(out["curves"][name], dtype=DTYPE)  # (phases, len(xs))
        moves = [0.0]
        for q in range(PHASES - 1):
            inside = (xs.squeeze(1) >= region(q)[0]) & (xs.squeeze(1) <= region(q)[1])
            moves.append(float((curves[q + 1:, inside] - curves[q, inside]).abs().max()))
        out[name]["worst_earlier_change"] = max(moves)
    out["params"] = {"kan": n_kan, "mlp": n_mlp}
    out["claims"] = {
        "threshold": CLAIM,
        "kan_remembers": out["kan"]["worst_earlier_max_abs"] < CLAIM,
        "mlp_forgets": out["mlp"]["worst_earlier_max_abs"] >= CLAIM,
    }
    return out


def print_table(res: dict) -> None:
    print(f"max |error| on each region after each phase (KAN {res['params']['kan']} trained "
          f"coefficients, MLP {res['params']['mlp']} parameters)")
    header = "after phase | " + " | ".join(f"region {q + 1:<9d}" for q in range(PHASES))
    for name in ("kan", "mlp"):
        print(f"\n{name.upper()}\n{header}")
        for p, row in enumerate(res[name]["max_abs"]):
            cells = [f"{v:<16.2e}" for v in row] + [f"{'-':<16}"] * (PHASES - len(row))
            print(f"{p + 1:^11d} | " + " | ".join(cells))
    print(f"\nworst error on an earlier region: KAN {res['kan']['worst_earlier_max_abs']:.2e}, "
          f"MLP {res['mlp']['worst_earlier_max_abs']:.2e} (claim: KAN < {CLAIM:g} <= MLP)")
    print(f"largest change of the prediction on an earlier region: KAN "
          f"{res['kan']['worst_earlier_change']:.2e}, MLP {res['mlp']['worst_earlier_change']:.2e}")
    print(f"worst error on the region just trained: KAN {res['kan']['worst_current_max_abs']:.2e}, "
          f"MLP {res['mlp']['worst_current_max_abs']:.2e}")


def plot(res: dict, path: Path) -> None:
    """Rows: phase data, KAN, MLP after each phase; bottom: the two error matrices."""
    import numpy as np
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from kanlab.plotting._common import save_png

    xs = np.asarray(res["curves"]["x"])
    truth = target(torch.as_tensor(xs).unsqueeze(1), res["config"]["sigma"]).squeeze(1).numpy()
    # a fixed layout: constrained layout costs seconds on 17 axes
    fig = Figure(figsize=(15, 11))
    grid = fig.add_gridspec(4, PHASES, height_ratios=[1, 1, 1, 1.6], left=0.06, right=0.97,
                            bottom=0.05, top=0.95, wspace=0.08, hspace=0.25)
    rows = [("data", None), ("KAN", "tab:blue"), ("MLP", "tab:red")]
    for p in range(PHASES):
        for r, (label, colour) in enumerate(rows):
            ax = fig.add_subplot(grid[r, p])
            ax.axvspan(*region(p), color="0.92", zorder=0)
            ax.plot(xs, truth, color="0.6", lw=0.8, ls="--")
            if colour is None:
                d = res["phase_data"][p]
                ax.plot(d["x"], d["y"], ".", ms=2, color="k")
            else:
                ax.plot(xs, res["curves"][label.lower()][p], color=colour, lw=1.2)
            ax.set_xlim(-1, 1)
            ax.set_ylim(-0.3, 1.3)
            ax.set_xticks([-1, 0, 1] if r == 2 else [])
            ax.set_yticks([0, 1] if p == 0 else [])
            if r == 0:
                ax.set_title(f"phase {p + 1}: data in [{region(p)[0]:.1f}, {region(p)[1]:.1f}]")
            if p == 0:
                ax.set_ylabel(label)
    norm = LogNorm(vmin=1e-6, vmax=1e2)
    bottom = grid[3, :].subgridspec(1, 3, width_ratios=[1, 1, 0.05], wspace=0.25)
    for c, name in enumerate(("kan", "mlp")):
        ax = fig.add_subplot(bottom[0, c])
        m = np.full((PHASES, PHASES), np.nan)
        for p, row in enumerate(res[name]["max_abs"]):
            m[p, :len(row)] = row
        image = ax.imshow(np.clip(m, 1e-6, 1e2), norm=norm, cmap="viridis", aspect="auto")
        for p in range(PHASES):
            for q in range(p + 1):
                ax.text(q, p, f"{m[p, q]:.0e}", ha="center", va="center", fontsize=8,
                        color="w" if m[p, q] < 1e-2 else "k")
        ax.set_xticks(range(PHASES), [f"{q + 1}" for q in range(PHASES)])
        ax.set_yticks(range(PHASES), [f"{p + 1}" for p in range(PHASES)])
        ax.set_xlabel("region (bump) evaluated")
        ax.set_ylabel("after phase")
        ax.set_title(f"{name.upper()}: max |error| per region (rows: after phase p)")
    fig.colorbar(image, cax=fig.add_subplot(bottom[0, 2]), label="max |error|")
    save_png(fig, path)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/examples/continual_learning"),
                        help="output directory (created)")
    parser.add_argument("--quick", action="store_true", help="fewer steps: a smoke run of seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", type=int, default=200, help="KAN grid intervals on [-1, 1]")
    parser.add_argument("--sigma", type=float, default=0.05, help="standard deviation of a bump")
    parser.add_argument("--hidden", type=int, default=16, help="MLP hidden width")
    args = parser.parse_args(argv)
    if args.grid < 10 or not 0 < args.sigma <= 0.2 or args.hidden < 1:
        parser.error(f"need --grid >= 10, 0 < --sigma <= 0.2, --hidden >= 1; got "
                     f"{args.grid}, {args.sigma}, {args.hidden}")
    args.samples = 200
    args.kan_steps = 8 if args.quick else 15
    args.mlp_steps = 300 if args.quick else 2000
    args.mlp_lr = 1e-2
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(1)  # tiny models: one thread is fastest
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    res = run(args)
    res["config"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    res["train_seconds"] = time.perf_counter() - start
    print_table(res)
    plot(res, args.out / "continual_learning.png")
    summary = {k: v for k, v in res.items() if k not in ("curves", "phase_data")}  # figures only
    atomic_write_text(args.out / "results.json", json.dumps(summary, indent=1) + "\n")
    print(f"wrote {args.out / 'continual_learning.png'} and {args.out / 'results.json'} "
          f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the first Adam steps after a grid update do to a KAN's derivative, by continuation.

A fresh kanlab.pykan ``KAN([1, 4, 1], grid=5, k=3, seed)`` has its grids placed on
t = linspace(0, 2, 50) (``update_grid``), its layers set to one continuation beyond the grid,
and takes plain ``torch.optim.Adam(lr)`` steps on the MSE to exp(-t), as ``fit(opt="Adam")``
does between two grid updates.  After each step it prints how far the hidden values lie beyond
the last layer's grid (in its intervals), the RMS of the residual u' + u (what a PINN
fine-tune of ``benchmarks/pinn_finetune.py``'s ``decay`` starts from) and the MSE.

Usage: ``OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/pinn_adam_excursion.py 2 7 0 4``
(seeds; ``--lr``, ``--steps``, ``--continuations``).
"""
from __future__ import annotations

import argparse
import warnings

import torch

import kanlab.pykan as K
from kanlab.train._continuation_choice import set_continuations


def _hidden(m, t):
    """The first layer's node values (the last layer's inputs), ``(B, 4)``."""
    y0 = m.act_fun[0](t)[0]
    return m.node_scale[0] * (m.subnode_scale[0] * y0 + m.subnode_bias[0]) + m.node_bias[0]


def excursion(m, t) -> float:
    """The farthest hidden value beyond the last layer's grid, in that grid's intervals."""
    with torch.no_grad():
        h = _hidden(m, t)
    g = m.act_fun[1].grid
    lo, hi = g[:, m.act_fun[1].k], g[:, -m.act_fun[1].k - 1]
    w = (hi - lo) / m.act_fun[1].num
    return float(torch.maximum((lo - h) / w, (h - hi) / w).max())


def residual_rms(m, t) -> float:
    tc = t.clone().requires_grad_(True)
    u = m(tc)
    du = torch.autograd.grad(u, tc, grad_outputs=torch.ones_like(u))[0]
    return float((du + u).detach().pow(2).mean().sqrt())


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("seeds", nargs="*", type=int, default=[2, 7, 0, 4])
    p.add_argument("--lr", type=float, default=0.02)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--continuations", nargs="+", default=["quadratic", "extended"])
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    t = torch.linspace(0, 2, 50).reshape(-1, 1)
    y = torch.exp(-t)
    print("seed continuation: per step, excursion (intervals) / residual RMS / MSE")
    for seed in args.seeds:
        for how in args.continuations:
            m = K.KAN(width=[1, 4, 1], grid=5, k=3, seed=seed, auto_save=False)
            m.update_grid(t)
            set_continuations(m, [how] * len(m.layers))
            opt = torch.optim.Adam(m.parameters(), lr=args.lr)
            cells = []
            for _ in range(args.steps):
                opt.zero_grad()
                loss = torch.mean((m(t) - y) ** 2)
                loss.backward()
                opt.step()
                cells.append(f"{excursion(m, t):+.2f}/{residual_rms(m, t):.2f}/{float(loss):.3f}")
            print(seed, f"{how:18s}", "  ".join(cells), flush=True)


if __name__ == "__main__":
    main()

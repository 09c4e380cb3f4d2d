"""2-D Poisson equation solved by a KAN (physics-informed), as in the KAN paper §3.4.

    -Δu = f on [-1, 1]²,  u = 0 on the boundary,  f = 2π² sin(πx) sin(πy),

whose solution is u = sin(πx) sin(πy).  A [2, 10, 1] KAN is trained on the
PDE residual at interior collocation points (the Laplacian through
``torch.autograd.grad(create_graph=True)``, so every optimiser step
differentiates the KAN three times) plus the boundary values, with L-BFGS,
refining the grid 5 → 10 → 20.  Prints the L2 error against the exact
solution after every grid; writes ``poisson.png`` into ``--out``.

    python examples/poisson.py --out runs/poisson
"""
from __future__ import annotations

import argparse
import io
import math
import os
import time

import torch
from torch import Tensor

import kanlab
from kanlab.train._optim import LBFGS

PI = math.pi


def exact(x: Tensor) -> Tensor:
    return torch.sin(PI * x[:, [0]]) * torch.sin(PI * x[:, [1]])


def source(x: Tensor) -> Tensor:
    return 2 * PI**2 * exact(x)


def laplacian(model, x: Tensor) -> tuple[Tensor, Tensor]:
    """``(u, Δu)`` at ``x`` ``(N, 2)``, both ``(N, 1)``, differentiable in the parameters."""
    x = x.detach().requires_grad_(True)
    u = model(x)
    (grad,) = torch.autograd.grad(u.sum(), x, create_graph=True)  # (N, 2)
    lap = 0
    for d in range(2):
        (second,) = torch.autograd.grad(grad[:, d].sum(), x, create_graph=True)
        lap = lap + second[:, [d]]
    return u, lap


def collocation(n_interior: int, n_boundary: int, dtype) -> tuple[Tensor, Tensor]:
    """Interior mesh ``(n², 2)`` strictly inside the square and ``4·n_boundary`` boundary points."""
    inner = torch.linspace(-1, 1, n_interior + 2, dtype=dtype)[1:-1]
    interior = torch.cartesian_prod(inner, inner)
    t = torch.linspace(-1, 1, n_boundary, dtype=dtype)
    one = torch.ones_like(t)
    boundary = torch.cat([torch.stack([t, -one], 1), torch.stack([t, one], 1),
                          torch.stack([-one, t], 1), torch.stack([one, t], 1)])
    return interior, boundary


def l2_errors(model, n: int = 101) -> tuple[float, float]:
    """Relative L2 and max error on an ``n × n`` mesh of the closed square."""
    t = torch.linspace(-1, 1, n, dtype=model.dtype)
    x = torch.cartesian_prod(t, t)
    with torch.no_grad():
        err = model(x) - exact(x)
    return float(err.norm() / exact(x).norm()), float(err.abs().max())


def train(model, interior, boundary, steps: int, alpha: float, losses: list[float]) -> None:
    """L-BFGS on ``alpha · mean(residual²) + mean(u_boundary²)`` (pykan's weighting).

    No grid updates: ``update_grid`` puts the extreme samples exactly on the
    end knots, where a cubic spline with linear extrapolation has a jump in
    its second derivative; the PDE loss is then discontinuous at the current
    parameters and the line search stalls (seen here at G = 5 and 20).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = LBFGS(params, lr=1.0, max_iter=20, history_size=10)
    f = source(interior)

    def closure():
        for p in params:
            p.grad = None
        _, lap = laplacian(model, interior)
        pde = torch.mean((-lap - f) ** 2)
        bc = torch.mean(model(boundary) ** 2)
        loss = alpha * pde + bc
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(optimizer.step(closure))


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/poisson", help="folder for poisson.png")
    parser.add_argument("--grids", default="5,10,20", help="grid schedule, e.g. 5,10,20")
    parser.add_argument("--steps", type=int, default=10, help="L-BFGS steps per grid")
    parser.add_argument("--points", type=int, default=21, help="interior mesh points per side")
    parser.add_argument("--alpha", type=float, default=0.01, help="weight of the PDE residual")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # small models: one thread is fastest
    grids = [int(g) for g in args.grids.split(",")]

    dtype = torch.float64
    interior, boundary = collocation(args.points, 4 * args.points, dtype)
    model = kanlab.KAN([2, 10, 1], grid=grids[0], k=3, seed=args.seed, dtype=dtype)
    losses: list[float] = []
    stages = []
    start = time.perf_counter()
    for i, g in enumerate(grids):
        if i:
            model = model.refine(g)
        train(model, interior, boundary, args.steps, args.alpha, losses)
        rel, worst = l2_errors(model)
        stages.append({"grid": g, "relative_l2": rel, "max_error": worst, "loss": losses[-1],
                       "elapsed_s": time.perf_counter() - start})
        print(f"G = {g:3d}: relative L2 error {rel:.2e}, max error {worst:.2e}, "
              f"loss {losses[-1]:.2e}, {stages[-1]['elapsed_s']:.0f} s")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "poisson.png")
    write_figure(path, model, losses, args.steps, stages)
    print(f"wrote {path}")
    return stages


def write_figure(path: str, model, losses: list[float], steps: int, stages: list[dict]) -> None:
    from matplotlib.figure import Figure

    from kanlab.io._atomic import atomic_write_bytes

    n = 101
    t = torch.linspace(-1, 1, n, dtype=model.dtype)
    x = torch.cartesian_prod(t, t)
    with torch.no_grad():
        u = model(x).reshape(n, n).T.numpy()  # rows: y, columns: x
    truth = exact(x).reshape(n, n).T.numpy()
    fig = Figure(figsize=(15, 3.8), layout="constrained")
    axes = fig.subplots(1, 4)
    extent = (-1, 1, -1, 1)
    for ax, field, title in ((axes[0], truth, "exact u = sin(πx) sin(πy)"),
                             (axes[1], u, f"KAN [2, 10, 1], G = {stages[-1]['grid']}"),
                             (axes[2], abs(u - truth), "|error|")):
        image = ax.imshow(field, origin="lower", extent=extent,
                          cmap="magma" if ax is axes[2] else "RdBu_r")
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        fig.colorbar(image, ax=ax, shrink=0.8)
    axes[3].semilogy(range(1, len(losses) + 1), losses)
    for i, stage in enumerate(stages):
        axes[3].axvline((i + 1) * steps, color="gray", lw=0.5)
        axes[3].annotate(f"G={stage['grid']}\nL2 {stage['relative_l2']:.1e}",
                         ((i + 0.5) * steps, max(losses)), ha="center", va="top", fontsize=8)
    axes[3].set_xlabel("L-BFGS step")
    axes[3].set_ylabel("loss")
    axes[3].set_title("training loss")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    atomic_write_bytes(path, buffer.getvalue())


if __name__ == "__main__":
    main()

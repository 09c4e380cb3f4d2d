"""A data fit, then a PINN fine-tune with ``torch.optim.LBFGS``: pykan against kanlab.pykan.

Each run builds ``KAN(width, grid=5, k=3, seed)``, fits the true solution on the collocation
points with ``model.fit(opt="Adam", lr, steps)`` (pykan's defaults otherwise: grid updates on),
then takes ``rounds`` × ``LBFGS(max_iter=5, line_search_fn="strong_wolfe").step(closure)`` on the
physics loss, and records the RMSE against the true solution after 3 and after 10 rounds
(15 and 50 iterations).  The problems:

- ``decay``: u' + u = 0, u(0) = 1 on [0, 2] (u = exp(-t)), [1, 4, 1], 50 points;
- ``harm``: u'' + u = 0, u(0) = 0, u'(0) = 1 on [0, π] (u = sin t), [1, 4, 1], 60 points;
- ``poisson1``: u'' = -π² sin(πx), u(±1) = 0 (u = sin πx), [1, 5, 1], 60 points;
- ``poisson2``: Δu = -2π² sin(πx) sin(πy) on [-1, 1]², u = 0 on the boundary, [2, 2, 1]
  (pykan's Example_7/Physics width), 200 random interior points, 104 on the boundary.

``--libs`` names a module (``kan``, ``kanlab.pykan``), optionally ``+continuation`` for a
kanlab.pykan model built with that continuation beyond the grid (``kanlab.pykan+extended``).

Usage: ``OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/pinn_finetune.py --libs kan
kanlab.pykan --probs decay --lr 0.02 --steps 20`` (one JSON line per library and problem,
then the geometric means).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import math
import warnings

import torch

PI = math.pi


def _d(u, x):
    return torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]


def problem(name: str):
    """(points, true solution, width, physics loss of a model) of the problem ``name``."""
    if name == "decay":
        x, width = torch.linspace(0, 2, 50).reshape(-1, 1), [1, 4, 1]
        truth = lambda t: torch.exp(-t)  # noqa: E731

        def loss(m):
            xc = x.clone().requires_grad_(True)
            u = m(xc)
            return torch.mean((_d(u, xc) + u) ** 2) + (m(torch.zeros(1, 1)) - 1).pow(2).sum()
    elif name == "harm":
        x, truth, width = torch.linspace(0, PI, 60).reshape(-1, 1), torch.sin, [1, 4, 1]

        def loss(m):
            xc = x.clone().requires_grad_(True)
            u = m(xc)
            z = torch.zeros(1, 1, requires_grad=True)
            u0 = m(z)
            return (torch.mean((_d(_d(u, xc), xc) + u) ** 2) + (u0 ** 2).sum()
                    + ((_d(u0, z) - 1) ** 2).sum())
    elif name == "poisson1":
        x, width = torch.linspace(-1, 1, 60).reshape(-1, 1), [1, 5, 1]
        truth = lambda t: torch.sin(PI * t)  # noqa: E731
        xb = torch.tensor([[-1.0], [1.0]])

        def loss(m):
            xc = x.clone().requires_grad_(True)
            d2 = _d(_d(m(xc), xc), xc)
            return torch.mean((d2 + PI ** 2 * torch.sin(PI * xc)) ** 2) + 10 * torch.mean(m(xb) ** 2)
    elif name == "poisson2":
        x = torch.rand(200, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
        width = [2, 2, 1]
        truth = lambda p: torch.sin(PI * p[:, [0]]) * torch.sin(PI * p[:, [1]])  # noqa: E731
        s = torch.linspace(-1, 1, 26).reshape(-1, 1)
        o = torch.ones_like(s)
        xb = torch.cat([torch.cat([s, o], 1), torch.cat([s, -o], 1),
                        torch.cat([o, s], 1), torch.cat([-o, s], 1)])
        src = -2 * PI ** 2 * truth(x)

        def loss(m):
            xc = x.clone().requires_grad_(True)
            gu = _d(m(xc), xc)
            lap = _d(gu[:, [0]], xc)[:, [0]] + _d(gu[:, [1]], xc)[:, [1]]
            return torch.mean((lap - src) ** 2) + 100 * torch.mean(m(xb) ** 2)
    else:
        raise ValueError(f"unknown problem {name!r}")
    return x, truth, width, loss


def run(lib: str, name: str, seed: int, lr: float, steps: int, rounds: int = 10) -> dict:
    """RMSE against the true solution after 3 and 10 L-BFGS rounds (``{3: .., 10: ..}``)."""
    module, _, continuation = lib.partition("+")
    K = importlib.import_module(module)
    x, truth, width, loss = problem(name)
    extra = {"extrapolate": continuation} if continuation else {}
    m = K.KAN(width=width, grid=5, k=3, seed=seed, auto_save=False, **extra)
    y = truth(x)
    ds = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        m.fit(ds, opt="Adam", lr=lr, steps=steps, log=10 ** 6)
    opt = torch.optim.LBFGS(m.parameters(), lr=1, max_iter=5, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        value = loss(m)
        value.backward()
        return value
    out = {}
    for i in range(1, rounds + 1):
        opt.step(closure)
        if i in (3, 10):
            with torch.no_grad():
                out[i] = float(torch.sqrt(torch.mean((m(x) - y) ** 2)))
    return out


def geometric_mean(values) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--libs", nargs="+", default=["kan", "kanlab.pykan"])
    p.add_argument("--probs", nargs="+", default=["decay", "harm", "poisson1", "poisson2"])
    p.add_argument("--lr", type=float, default=0.02)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--seeds", type=int, default=8)
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    for name in args.probs:
        for lib in args.libs:
            rows = [run(lib, name, s, args.lr, args.steps) for s in range(args.seeds)]
            r3, r10 = [r[3] for r in rows], [r[10] for r in rows]
            print(json.dumps({"lib": lib, "prob": name, "lr": args.lr, "steps": args.steps,
                              "r3": r3, "r10": r10, "gm3": geometric_mean(r3),
                              "gm10": geometric_mean(r10)}), flush=True)


if __name__ == "__main__":
    main()

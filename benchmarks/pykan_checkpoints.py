"""pykan 0.2.8 models brought to kanlab.pykan through pykan's own checkpoint files.

Trains models with pykan itself (fit with grid updates, prune, refine, fix_symbolic /
auto_symbolic, a MultKAN, trained node affine maps), saves each with pykan's ``saveckpt``,
loads it with ``kanlab.pykan.KAN.loadckpt`` and prints, per case, the largest difference
of the outputs on 1000 points inside the grid ([-1, 1]²) and 1000 beyond it ([-3, 3]²):
the loaded model (pykan's continuation, ``extrapolate="extended"``) and, for comparison,
the same tensors in a model with this module's default quadratic continuation.  One JSON
line per case; pykan writes ./model, so the script works in a temporary directory.

    PYTHONPATH=src python benchmarks/pykan_checkpoints.py [--steps 20]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _output import emit  # noqa: E402


def _quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return fn(*args, **kwargs)


def _cases(kan, steps):
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    data = kan.create_dataset(f, n_var=2, seed=0)

    def trained(width, **kw):
        model = kan.KAN(width=width, grid=5, k=3, seed=0, auto_save=False, **kw)
        _quiet(model.fit, data, opt="LBFGS", steps=steps, lamb=0.001)
        return model

    base = trained([2, 5, 1])
    yield "fit [2,5,1]", base
    model = _quiet(base.prune)
    yield "prune", model
    model = _quiet(model.refine, 10)
    # without grid updates: pykan's own update after refine sometimes fails in its lstsq
    # (gelsy "Parameter 6 was incorrect", then an unbound name)
    _quiet(model.fit, data, opt="LBFGS", steps=steps, update_grid=False)
    yield "refine(10) + fit", model
    _quiet(model.auto_symbolic, lib=["x", "x^2", "sin", "exp"])
    yield "auto_symbolic", model
    yield "MultKAN [2,[3,2],1]", trained([2, [3, 2], 1])
    yield "affine_trainable [2,5,1]", trained([2, 5, 1], affine_trainable=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="L-BFGS steps of each pykan fit")
    args = parser.parse_args(argv)
    import kan
    from kanlab import pykan
    g = torch.Generator().manual_seed(0)
    inside = torch.rand(1000, 2, generator=g) * 2 - 1
    beyond = torch.rand(1000, 2, generator=g) * 6 - 3
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        os.makedirs("model")
        for name, pk in _cases(kan, args.steps):
            pk.saveckpt("./ck")
            ours = pykan.KAN.loadckpt("./ck")
            quadratic = pykan.KAN(width=ours.width_spec, mult_arity=ours.mult_arity,
                                  grid=ours.grid, k=ours.k, auto_save=False,
                                  affine_trainable=ours.affine_trainable)
            if ours.affines is not None:  # the same node maps
                quadratic.affines.load_state_dict(ours.affines.state_dict())
            for sym_q, sym in zip(quadratic.symbolic, ours.symbolic):  # the same edges
                sym_q.load_state_dict(sym.state_dict())
            for layer_q, layer in zip(quadratic.layers, ours.layers):
                layer_q.set_grid(layer.knots, layer.coef.detach())
                layer_q.load_state_dict(layer.state_dict())
            record = {"case": name, "affine_max_dev": max(  # of pykan's node maps from identity
                float((p - (1.0 if "scale" in k else 0.0)).abs().max())
                for k, p in pk.state_dict().items() if "node_" in k)}
            with torch.no_grad():
                for where, x in (("inside", inside), ("beyond", beyond)):
                    want = pk(x)
                    record[f"{where}_scale"] = float(want.abs().max())
                    record[f"{where}_loaded"] = float((ours(x) - want).abs().max())
                    record[f"{where}_quadratic"] = float((quadratic(x) - want).abs().max())
            if name == "auto_symbolic":
                import sympy
                theirs, mine = pk.symbolic_formula()[0][0], ours.symbolic_formula()[0][0]
                x1, x2 = sympy.symbols("x_1 x_2")
                pts = inside[:20].tolist()
                record["formula_max_diff"] = max(
                    abs(float(theirs.subs({x1: a, x2: b})) - float(mine.subs({x1: a, x2: b})))
                    for a, b in pts)
            emit(record)


if __name__ == "__main__":
    main()

"""kanlab.pykan models through every way users save and restore them, compared with the original.

States: a fresh model; after a fit without grid update; after a fit with grid updates;
after ``prune``; after ``prune_input``; after ``fix_symbolic``/``auto_symbolic``; after
``refine``; a MultKAN with a multiplication node; a float64 model.  Round trips:
``torch.save(state_dict)`` + a fresh ``KAN(same arguments).load_state_dict``,
``torch.save(model)``/``torch.load(weights_only=False)``, ``pickle``, ``copy.deepcopy``,
``model.copy()``, ``saveckpt``/``loadckpt``.  After each, against the original (built twice,
deterministically: one copy continues, the other is saved): the forward pass inside the grid
and at ±3, ±10 (bitwise), the next ``fit(steps=5)``'s losses (same data), ``prune`` (after
``model(x)`` on the training inputs), ``plot`` (no error), ``symbolic_formula`` (symbolic
states).  One line per (state, trip): ``ok`` or the checks that differ.  Works in a temporary
directory (checkpoints).

    PYTHONPATH=src python benchmarks/pykan_round_trips.py [--states fresh,fit_grid] [--trips sd]
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import io
import os
import pickle
import sys
import tempfile

import torch


def _quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return fn(*args, **kwargs)


def _f(x):
    return torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)


def _data(kan, n_var=2, dtype=torch.float32):
    if n_var == 2:
        f = _f
    else:  # a third, unused input (prune_input drops it)
        def f(x):
            return _f(x[:, :2])
    data = kan.create_dataset(f, n_var=n_var, seed=0, train_num=200, test_num=200)
    return {k: v.to(dtype) for k, v in data.items()}


def _states(kan):
    """name -> (builder returning (model, data), KAN arguments of a fresh twin)."""
    def fit(model, data, **kw):
        _quiet(model.fit, data, opt="LBFGS", steps=kw.pop("steps", 6), log=100, **kw)
        return model

    def base(width=(2, 5, 1), grid=3, **kw):
        return kan.KAN(width=list(width), grid=grid, k=3, seed=1, auto_save=False, **kw)

    def fresh():
        return base(), _data(kan)

    def fit_nogrid():
        data = _data(kan)
        return fit(base(), data, update_grid=False), data

    def fit_grid():
        data = _data(kan)
        return fit(base(), data), data

    def pruned():
        data = _data(kan)
        model = fit(base(), data, lamb=0.01)
        _quiet(model, data["train_input"])
        return model.prune(), data

    def pruned_input():
        data = _data(kan, n_var=3)
        model = fit(base(width=(3, 4, 1)), data, lamb=0.01)
        return model.prune_input(), data

    def symbolic():
        data = _data(kan)
        model = fit(base(width=(2, 1, 1)), data)
        model.fix_symbolic(0, 0, 0, "sin", verbose=False)
        model.fix_symbolic(0, 1, 0, "x^2", verbose=False)
        _quiet(model.auto_symbolic, lib=["exp", "x", "x^2"], verbose=0)
        return model, data

    def refined():
        data = _data(kan)
        model = fit(base(), data).refine(6)
        return model, data

    def refined_fit():
        data = _data(kan)
        model = fit(fit(base(), data).refine(6), data)
        return model, data

    def multkan():
        data = _data(kan)
        model = fit(base(width=(2, [0, 1], 1)), data)
        return model, data

    def float64():
        data = _data(kan, dtype=torch.float64)
        model = fit(base(dtype=torch.float64), data)
        return model, data

    def pykan_ckpt():
        """pykan 0.2.8 trains and saves (``saveckpt``); kanlab.pykan's ``KAN.loadckpt`` reads."""
        data = _data(kan)
        if not saved:  # once: pykan's own fits differ from run to run
            import kan as pykan
            model = pykan.KAN(width=[2, 5, 1], grid=3, k=3, seed=1, auto_save=False)
            _quiet(model.fit, data, opt="LBFGS", steps=6, log=100)
            saved.append(os.path.join(tempfile.mkdtemp(prefix="pykan_ckpt"), "m"))
            _quiet(model.saveckpt, saved[0])
        return kan.KAN.loadckpt(saved[0]), data

    saved = []

    return {"fresh": fresh, "fit_nogrid": fit_nogrid, "fit_grid": fit_grid, "prune": pruned,
            "prune_input": pruned_input, "symbolic": symbolic, "refine": refined,
            "refine_fit": refined_fit, "multkan": multkan, "float64": float64,
            "pykan_ckpt": pykan_ckpt}


def _twin(kan, model):
    """A fresh ``KAN`` with the arguments a user would give to rebuild ``model``."""
    return kan.KAN(width=model.width, grid=model.layers[0].grid, k=model.k,
                   mult_arity=model.mult_arity, seed=1, auto_save=False, dtype=model.dtype)


def _trips(kan, folder):
    def sd(model):
        buf = io.BytesIO()
        torch.save(model.state_dict(), buf)
        buf.seek(0)
        new = _twin(kan, model)
        new.load_state_dict(torch.load(buf, weights_only=True))
        return new

    def whole(model):
        buf = io.BytesIO()
        torch.save(model, buf)
        buf.seek(0)
        return torch.load(buf, weights_only=False)

    def ckpt(model):
        path = os.path.join(folder, "m")
        model.saveckpt(path)
        return kan.KAN.loadckpt(path)

    return {"state_dict": sd, "torch.save": whole,
            "pickle": lambda m: pickle.loads(pickle.dumps(m)), "deepcopy": copy.deepcopy,
            "copy": lambda m: m.copy(), "saveckpt": ckpt}


def _points(model, data):
    n = data["train_input"].shape[1]
    g = torch.Generator().manual_seed(5)
    inside = torch.rand(200, n, generator=g) * 2 - 1
    x = torch.cat([inside, 3 * inside.sign(), -3 * inside, 10 * inside, 10 * inside.sign()])
    return x.to(data["train_input"].dtype)


def _compare(kan, name, original, twin, restored, data):
    """The checks that differ between ``twin`` (the original, continued) and ``restored``."""
    bad = []
    x = _points(original, data)
    with torch.no_grad():
        a, b = original(x), restored(x)
    if a.shape != b.shape or not torch.equal(a, b):
        d = float((a - b).abs().max()) if a.shape == b.shape else float("nan")
        bad.append(f"forward(max|d|={d:.2g})")
    for m in (twin, restored):
        torch.manual_seed(0)
        m.fit_losses = _quiet(m.fit, data, opt="LBFGS", steps=5, log=100)["train_loss"]
    if [float(v) for v in twin.fit_losses] != [float(v) for v in restored.fit_losses]:
        bad.append(f"fit({twin.fit_losses[-1]:.6g} vs {restored.fit_losses[-1]:.6g})")
    try:
        pruned = []
        for m in (twin, restored):
            with torch.no_grad():
                m(data["train_input"])
            pruned.append(m.prune())
        with torch.no_grad():
            if pruned[0].width != pruned[1].width or not torch.equal(pruned[0](x), pruned[1](x)):
                bad.append("prune")
    except Exception as exc:  # noqa: BLE001 - reported in the matrix
        bad.append(f"prune raises {type(exc).__name__}: {exc}"[:120])
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        restored.plot()
        plt.close("all")
    except Exception as exc:  # noqa: BLE001
        bad.append(f"plot raises {type(exc).__name__}: {exc}"[:120])
    if name == "symbolic":
        try:
            fa = str(_quiet(twin.symbolic_formula)[0][0])
            fb = str(_quiet(restored.symbolic_formula)[0][0])
            if fa != fb:
                bad.append(f"formula({fa} vs {fb})")
        except Exception as exc:  # noqa: BLE001
            bad.append(f"formula raises {type(exc).__name__}: {exc}"[:120])
    return bad


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", default=None, help="comma-separated state names")
    parser.add_argument("--trips", default=None, help="comma-separated round-trip names")
    args = parser.parse_args(argv)
    import kanlab.pykan as kan
    torch.set_num_threads(1)
    states = _states(kan)
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        trips = _trips(kan, folder)
        for sname in (args.states.split(",") if args.states else states):
            for tname in (args.trips.split(",") if args.trips else trips):
                original, data = states[sname]()
                twin, _ = states[sname]()
                try:
                    restored = trips[tname](original)
                    bad = _compare(kan, sname, original, twin, restored, data)
                except Exception as exc:  # noqa: BLE001
                    bad = [f"restore raises {type(exc).__name__}: {exc}"[:160]]
                failures += bool(bad)
                print(f"{sname:12s} {tname:11s} {'ok' if not bad else 'FAIL ' + '; '.join(bad)}",
                      flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

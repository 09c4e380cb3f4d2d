"""kanlab.pykan on pykan_tables_r13's rows far beyond the training range, by continuation.

The same workflow as ``pykan_tables_r13.pykan_style`` (configuration chosen on the validation
rows, the test rows scored once), kanlab.pykan built with its default continuation and with
``KAN(extrapolate="bounded")`` / ``"extended"`` (pykan's own); the median test score over the
model seeds, one JSON line per table.

    OMP_NUM_THREADS=1 PYTHONPATH=src:. python benchmarks/pykan_tables_r13_continuations.py \
        co2 std time  [sunspots std time ...]
"""
from __future__ import annotations

import functools
import json
import os
import sys
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pykan_tables_r13 as R  # noqa: E402

CONTINUATIONS = ("bounded", "extended")


def _as_module(extrapolate: str) -> str:
    """A module name whose ``KAN`` is kanlab.pykan's built with ``extrapolate``."""
    from kanlab import pykan
    name = f"_kanlab_pykan_{extrapolate}"
    mod = types.ModuleType(name)
    mod.KAN = functools.partial(pykan.KAN, extrapolate=extrapolate)
    sys.modules[name] = mod
    return name


def main(argv=None):
    import torch
    torch.set_num_threads(1)
    args = sys.argv[1:] if argv is None else argv
    libs = {"default": "kanlab.pykan", **{c: _as_module(c) for c in CONTINUATIONS}}
    for name, prep_how, split_how in zip(args[0::3], args[1::3], args[2::3]):
        kind, _, x, y = R.load_table(name)
        tr, va, te = R.splits(len(x), split_how)
        prep = R.Prep(prep_how, x[tr], y[tr], kind)
        out = {how: float(np.median([R.pykan_style(lib, kind, prep, x, y, tr, va, te, s)["test"]
                                     for s in R.SEEDS])) for how, lib in libs.items()}
        print(json.dumps({"table": name, "prep": prep_how, "split": split_how, **out}), flush=True)


if __name__ == "__main__":
    main()

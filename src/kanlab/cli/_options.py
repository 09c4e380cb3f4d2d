"""The parser of ``kanlab train``: its options and their value types.

The value types (``--width``, ``--ranges``, ``--grid``) check their syntax; the
checks that need several options together are in :mod:`kanlab.cli._checks`.
"""
from __future__ import annotations

import argparse
import json

from kanlab._validation import clip_repr

__all__ = ["build_parser"]


def _json_list(text: str):
    """``json.loads`` of ``[text]``; nesting too deep for the parser is a JSON error."""
    try:
        return json.loads("[" + text + "]")
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _width(text: str) -> list:
    """``2,5,1`` or with multiplication nodes ``3,[1,1],1`` (pykan's notation)."""
    try:
        value = _json_list(text)
    except json.JSONDecodeError:
        raise argparse.ArgumentTypeError(f"expected sizes like 2,5,1 or 3,[1,1],1, got "
                                         f"{clip_repr(text)}") from None
    if len(value) == 1 and isinstance(value[0], list):  # written as one list: [2,5,1]
        value = value[0]
    from kanlab.nn._width import check_width
    try:
        check_width(value)
    except (ValueError, RecursionError) as err:
        raise argparse.ArgumentTypeError(clip_repr(str(err), 200)) from None
    return value


def _ranges(text: str) -> list:
    """``-1,1`` for every variable, or ``-1,1;0,2`` (or JSON ``[[-1,1],[0,2]]``) per variable."""
    try:
        if text.strip().startswith("["):
            value = _json_list(text)
            value = value[0] if len(value) == 1 else value
        else:
            pairs = [[float(v) for v in part.split(",")] for part in text.split(";") if part.strip()]
            value = pairs[0] if len(pairs) == 1 else pairs
    except (ValueError, json.JSONDecodeError):
        raise argparse.ArgumentTypeError(f"expected lo,hi or lo,hi;lo,hi;..., got {clip_repr(text)}") \
            from None
    if not isinstance(value, list) or not value:
        raise argparse.ArgumentTypeError(f"expected lo,hi or lo,hi;lo,hi;..., got {clip_repr(text)}")
    flat = value if value and not isinstance(value[0], list) else None
    pairs = [flat] if flat is not None else value
    for pair in pairs:
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(v, (int, float)) for v in pair)):
            raise argparse.ArgumentTypeError(f"every range must be a pair lo,hi, got {clip_repr(text)}")
        lo, hi = (float(v) for v in pair)
        if not (lo < hi) or any(v != v or abs(v) == float("inf") for v in (lo, hi)):
            raise argparse.ArgumentTypeError(f"every range needs finite lo < hi, got {clip_repr(text)}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kanlab", description="Kolmogorov–Arnold Networks.")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="fit a formula with a KAN and write figures, metrics "
                           "and a checkpoint", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    train.add_argument("--function", default="exp(sin(pi*x) + y**2)",
                       help="formula in x, y, z or x1..xn (parsed safely, never evaluated as "
                            "Python), or a named function: seed, product, bessel, ...")
    train.add_argument("--n-var", type=int, default=None, help="number of inputs (default: "
                       "from the formula)")
    train.add_argument("--ranges", type=_ranges, default=[-1.0, 1.0],
                       help="input range lo,hi for every variable, or lo,hi;lo,hi;... per variable")
    train.add_argument("--width", type=_width, default=None,
                       help="layer sizes, e.g. 2,5,1 (default: n_var,5,1); [n_add,n_mult] "
                            "gives a level multiplication nodes, e.g. 3,[1,1],1")
    train.add_argument("--mult-arity", type=int, default=2,
                       help="factors per multiplication node")
    train.add_argument("--grid", type=_int_list, default=[5, 10, 20],
                       help="grid-extension schedule: intervals per spline at each stage "
                            "(the first is the sparse stage's)")
    train.add_argument("--k", type=int, default=3, help="spline degree")
    train.add_argument("--basis", choices=["bspline", "chebyshev", "fourier", "rbf"],
                       default="bspline", help="edge functions (see kanlab.nn._edge_bases)")
    train.add_argument("--steps", type=int, default=50, help="optimiser steps of the first stage (each later one: at most 10)")
    train.add_argument("--opt", choices=["LBFGS", "Adam"], default="LBFGS")
    train.add_argument("--lr", type=float, default=None, help="learning rate (default 1 for "
                       "LBFGS, 0.01 for Adam)")
    train.add_argument("--lamb", type=float, default=None, help="sparsity regularisation weight "
                       "of the first stage (default 0.01, or 0 with --no-symbolic)")
    train.add_argument("--no-symbolic", action="store_true",
                       help="plain grid extension: no pruning, no formula")
    train.add_argument("--node-th", type=float, default=0.05,
                       help="prune hidden nodes whose attribution score is at most this")
    train.add_argument("--r2-threshold", type=float, default=0.99,
                       help="an edge becomes symbolic when its best candidate reaches this R²")
    train.add_argument("--resume", metavar="DIR", default=None,
                       help="continue an interrupted run from its directory (its options are used)")
    train.add_argument("--lamb-smooth", type=float, default=0.0,
                       help="spline smoothness regularisation weight")
    train.add_argument("--train-num", type=int, default=1000)
    train.add_argument("--test-num", type=int, default=1000)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    train.add_argument("--device", default="cpu",
                       help="where to train: cpu, cuda, cuda:1, mps, ... or auto (the GPU when "
                            "CUDA is usable, else the CPU); the data are drawn, and the figures "
                            "and checkpoints written, on the CPU, so a run resumes and its "
                            "model loads on any machine. Not with --ddp (each rank takes its "
                            "own GPU) or --data (kanlab.discover runs on the CPU)")
    train.add_argument("--out", default=None, help="run directory (default runs/<timestamp>); "
                       "a directory holding a run is refused unless --overwrite")
    train.add_argument("--overwrite", action="store_true", help="start a new run in an --out "
                       "directory that holds a finished or unfinished run, replacing it")
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    train.add_argument("--threads", type=int, default=1,
                       help="torch intra-op threads; small KANs run fastest on one, and "
                            "several threads on a busy machine can slow them tenfold")
    train.add_argument("--tensorboard", action="store_true",
                       help="also write TensorBoard events to <out>/tensorboard (needs the "
                            "tensorboard package); history.csv is always written")
    data = train.add_argument_group("data in, formula out (kanlab.discover)")
    data.add_argument("--data", metavar="PATH", default=None,
                      help="a table of measurements (CSV/TSV with a header row, .npz with X, y "
                           "and optional names, or Parquet): find a formula for --target")
    data.add_argument("--target", metavar="COLUMN", default=None, help="the column to predict")
    data.add_argument("--features", metavar="A,B,...", default=None,
                      help="input columns (default: every other column)")
    data.add_argument("--test-data", metavar="PATH", default=None,
                      help="rows for the final report only (else 20%% of --data)")
    data.add_argument("--dropna", action="store_true",
                      help="drop rows with NaN or inf cells (reported) instead of stopping")
    data.add_argument("--jobs", type=int, default=None,
                      help="worker processes for the restarts (default: every core)")
    train.add_argument("--ddp", action="store_true", help="data-parallel training over the "
                       "processes of `torchrun --nproc_per_node=N -m kanlab train --ddp ...`")
    train.add_argument("--ddp-backend", choices=["auto", "gloo", "nccl"], default="auto",
                       help="process-group backend: auto picks nccl with GPUs, else gloo")
    train.add_argument("--ddp-timeout", type=float, default=300.0,
                       help="seconds a --ddp rank waits in a collective for the others before "
                            "the run stops (with its checkpoint) instead of hanging")
    return parser

"""Command line: ``kanlab train`` (also ``python -m kanlab train``).

Every option is checked before training starts; a bad one ends the run with
a single ``kanlab: error: ...`` line and exit status 2, without a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

__all__ = ["main", "build_parser"]


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
        value = json.loads("[" + text + "]")
    except json.JSONDecodeError:
        raise argparse.ArgumentTypeError(f"expected sizes like 2,5,1 or 3,[1,1],1, got {text!r}") \
            from None
    if len(value) == 1 and isinstance(value[0], list):  # written as one list: [2,5,1]
        value = value[0]
    from kanlab.nn._network import _check_width
    try:
        _check_width(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return value


def _ranges(text: str) -> list:
    """``-1,1`` for every variable, or ``-1,1;0,2`` (or JSON ``[[-1,1],[0,2]]``) per variable."""
    try:
        if text.strip().startswith("["):
            value = json.loads(text)
        else:
            pairs = [[float(v) for v in part.split(",")] for part in text.split(";") if part.strip()]
            value = pairs[0] if len(pairs) == 1 else pairs
    except (ValueError, json.JSONDecodeError):
        raise argparse.ArgumentTypeError(f"expected lo,hi or lo,hi;lo,hi;..., got {text!r}") from None
    flat = value if value and not isinstance(value[0], list) else None
    pairs = [flat] if flat is not None else value
    for pair in pairs:
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(v, (int, float)) for v in pair)):
            raise argparse.ArgumentTypeError(f"every range must be a pair lo,hi, got {text!r}")
        lo, hi = (float(v) for v in pair)
        if not (lo < hi) or any(v != v or abs(v) == float("inf") for v in (lo, hi)):
            raise argparse.ArgumentTypeError(f"every range needs finite lo < hi, got {text!r}")
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
    train.add_argument("--steps", type=int, default=50, help="optimiser steps of the first stage (each later one: at most 20)")
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
    train.add_argument("--out", default=None, help="run directory (default runs/<timestamp>)")
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
    return parser


def _check_out(parser, out: str | None) -> None:
    """Create the run directory now and prove it writable, so no training is wasted."""
    if out is None:
        return
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        parser.error(f"--out {out!r} is not writable: {err.strerror or err}")


def _config_from_args(parser, args):
    from kanlab.cli._train_job import TrainConfig, resolve_function
    for name in ("k", "steps", "train_num", "test_num"):
        value = getattr(args, name)
        if value < (0 if name == "k" else 1):
            parser.error(f"--{name.replace('_', '-')} must be {'>= 0' if name == 'k' else '>= 1'}, "
                         f"got {value}")
    if args.n_var is not None and args.n_var < 1:
        parser.error(f"--n-var must be >= 1, got {args.n_var}")
    try:
        _, names, _ = resolve_function(args.function, args.n_var)
    except ValueError as err:
        parser.error(f"--function: {err}")
    n_var = len(names)
    ranges = args.ranges
    if ranges and isinstance(ranges[0], list) and len(ranges) != n_var:
        parser.error(f"--ranges gives {len(ranges)} ranges for {n_var} variables")
    width = args.width or [n_var, 5, 1]
    if args.mult_arity < 2:
        parser.error(f"--mult-arity must be >= 2, got {args.mult_arity}")
    if len(width) < 2 or width[0] != n_var:
        parser.error(f"--width must start with the {n_var} inputs of the function, got {width}")
    _check_out(parser, args.out)
    if not 0.0 <= args.r2_threshold <= 1.0:
        parser.error(f"--r2-threshold must lie in [0, 1], got {args.r2_threshold}")
    if not args.node_th >= 0:
        parser.error(f"--node-th must be >= 0, got {args.node_th}")
    if args.lamb is not None and not args.lamb >= 0:
        parser.error(f"--lamb must be >= 0, got {args.lamb}")
    _check_run_options(parser, args)
    lr = args.lr if args.lr is not None else (1.0 if args.opt == "LBFGS" else 0.01)
    if not lr > 0:
        parser.error(f"--lr must be > 0, got {lr}")
    return TrainConfig(function=args.function, n_var=n_var, ranges=ranges, width=width,
                       grids=args.grid, k=args.k, basis=args.basis, mult_arity=args.mult_arity, steps=args.steps, opt=args.opt, lr=lr,
                       lamb=args.lamb, lamb_smooth=args.lamb_smooth, train_num=args.train_num,
                       test_num=args.test_num, seed=args.seed, dtype=args.dtype, out=args.out,
                       progress=not args.no_progress, symbolic=not args.no_symbolic,
                       r2_threshold=args.r2_threshold, node_th=args.node_th, tensorboard=args.tensorboard,
                       ddp=args.ddp, ddp_backend=args.ddp_backend)


def _check_run_options(parser, args) -> None:
    """--tensorboard needs its package, --ddp a launcher; say so before any training."""
    if args.tensorboard:
        from kanlab.io._run_log import check_tensorboard
        try:
            check_tensorboard()
        except ImportError as err:
            parser.error(f"--tensorboard: {err}")
    if args.ddp:
        from kanlab.train._distributed import choose_backend, missing_env
        if missing_env():
            parser.error(f"--ddp runs under torchrun (`torchrun --nproc_per_node=2 -m kanlab "
                         f"train --ddp ...`); the env vars {missing_env()} are not set")
        try:
            choose_backend(args.ddp_backend)
        except ValueError as err:
            parser.error(f"--ddp-backend: {err}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train":
        if args.threads < 1:
            parser.error(f"--threads must be >= 1, got {args.threads}")
        if args.data is not None:
            return _data_main(parser, args)
        if args.resume is not None:
            cfg = _resume_config(parser, args)
        else:
            cfg = _config_from_args(parser, args)
        import torch
        torch.set_num_threads(args.threads)
        from kanlab.cli._train_job import run
        metrics = run(cfg, log=lambda line: print(line, flush=True), resume=args.resume is not None)
        if metrics is None:  # a --ddp rank other than 0: rank 0 reports
            return 0
        final = metrics["final"]
        print(f"\n{metrics['function']}: test RMSE {final['test_rmse']:.3e}, train RMSE "
              f"{final['train_rmse']:.3e}, {metrics['wall_time']:.1f} s")
        if metrics.get("formula") is not None:
            print(f"formula: {metrics['formula']}  (test RMSE "
                  f"{metrics['formula_test_rmse']})")
        for name, path in metrics["files"].items():
            print(f"  {name:<10} {path}")
        if metrics["status"] == "interrupted":
            return 130
    return 0


def _data_main(parser, args) -> int:
    """``--data``: read and check everything first (one line, exit 2), then discover."""
    from kanlab.discover import DataError, read_table
    if args.ddp or args.resume:
        parser.error("--data cannot be combined with --ddp or --resume yet")
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    features = ([f.strip() for f in args.features.split(",") if f.strip()]
                if args.features else None)
    try:
        table = read_table(args.data, args.target, features, dropna=args.dropna)
    except DataError as err:
        parser.error(f"--data: {err}")
    test = None
    if args.test_data is not None:
        try:
            test = read_table(args.test_data, table.target, table.names + table.dropped_columns,
                              dropna=args.dropna, min_rows=1)
        except DataError as err:
            parser.error(f"--test-data: {err}")
    _check_out(parser, args.out)
    import torch
    torch.set_num_threads(args.threads)
    from kanlab.cli._data_job import run_data
    metrics = run_data(table, test, out=args.out, seed=args.seed, jobs=args.jobs,
                       log=lambda line: print(line, flush=True))
    for name, path in metrics["files"].items():
        print(f"  {name:<10} {path}")
    return 0


def _resume_config(parser, args):
    """The run directory must hold an interrupted run; its own options are used."""
    from kanlab.cli._train_job import TrainConfig, _load_progress
    try:
        _load_progress(Path(args.resume))
    except ValueError as err:
        parser.error(f"--resume: {err}")
    _check_out(parser, args.resume)
    return TrainConfig(out=args.resume, progress=not args.no_progress)


if __name__ == "__main__":
    sys.exit(main())

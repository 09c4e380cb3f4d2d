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


MAX_SAMPLES = 10_000_000  # --train-num / --test-num
MAX_PARAMETERS = 20_000_000  # spline coefficients of the largest model a run builds
MAX_STEPS = 1_000_000
MAX_K = 10  # spline degrees beyond this make every least-squares fit singular in practice


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
                                         f"{_clip(text)}") from None
    if len(value) == 1 and isinstance(value[0], list):  # written as one list: [2,5,1]
        value = value[0]
    from kanlab.nn._network import _check_width
    try:
        _check_width(value)
    except (ValueError, RecursionError) as err:
        raise argparse.ArgumentTypeError(_clip(str(err), 200)) from None
    return value


def _clip(text: str, width: int = 60) -> str:
    return repr(text if len(text) <= width else text[:width - 3] + "...")


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
        raise argparse.ArgumentTypeError(f"expected lo,hi or lo,hi;lo,hi;..., got {_clip(text)}") \
            from None
    if not isinstance(value, list) or not value:
        raise argparse.ArgumentTypeError(f"expected lo,hi or lo,hi;lo,hi;..., got {_clip(text)}")
    flat = value if value and not isinstance(value[0], list) else None
    pairs = [flat] if flat is not None else value
    for pair in pairs:
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(v, (int, float)) for v in pair)):
            raise argparse.ArgumentTypeError(f"every range must be a pair lo,hi, got {_clip(text)}")
        lo, hi = (float(v) for v in pair)
        if not (lo < hi) or any(v != v or abs(v) == float("inf") for v in (lo, hi)):
            raise argparse.ArgumentTypeError(f"every range needs finite lo < hi, got {_clip(text)}")
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


def _check_out(parser, out: str | None, what: str = "--out") -> None:
    """Create the run directory now and prove it writable, so no training is wasted."""
    if out is None:
        return
    if not out.strip() or "\0" in out:
        parser.error(f"{what} {out!r} is not a directory name")
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        parser.error(f"{what} {out!r} is not writable: {err.strerror or err}")


def _writes_run_dir(args) -> bool:
    """Rank 0 of a --ddp run (or a plain run): the process that owns the run directory."""
    import os
    return not args.ddp or os.environ.get("RANK", "0") == "0"


def _claim_out(parser, args, out: str, resume: bool) -> None:
    """Lock the run directory against concurrent runs; refuse to clobber a run in it."""
    from kanlab.cli._run_dir import RunDirBusy, clear_run, existing_run, lock_run_dir
    if not _writes_run_dir(args):
        return
    try:
        lock_run_dir(Path(out))
    except RunDirBusy as err:
        parser.error(str(err))
    if resume:
        return
    found = existing_run(Path(out))
    if found is not None and not args.overwrite:
        parser.error(f"--out {out!r} already holds a{'' if found == 'completed' else 'n'} "
                     f"{found} kanlab run; pass --overwrite to replace it"
                     + ("" if found == "completed" else f", or continue it with --resume {out}"))
    if found is not None:
        try:
            clear_run(Path(out))
        except OSError as err:  # e.g. a directory named history.csv
            parser.error(f"--overwrite: cannot remove the old run's files in {out!r}: {err}")


def _check_number(parser, name: str, value: float, *, positive: bool = False) -> None:
    import math
    if not (math.isfinite(value) and (value > 0 if positive else value >= 0)):
        parser.error(f"--{name} must be a finite number {'> 0' if positive else '>= 0'}, "
                     f"got {value}")


def _config_from_args(parser, args):
    from kanlab.cli._train_job import TrainConfig, resolve_function
    limits = {"k": (0, MAX_K), "steps": (1, MAX_STEPS), "train_num": (10, MAX_SAMPLES),
              "test_num": (1, MAX_SAMPLES)}
    for name, (low, high) in limits.items():
        value = getattr(args, name)
        if not low <= value <= high:
            parser.error(f"--{name.replace('_', '-')} must lie in [{low}, {high}], got {value}")
    if args.n_var is not None and not 1 <= args.n_var <= 1000:
        parser.error(f"--n-var must lie in [1, 1000], got {args.n_var}")
    try:
        f, names, _ = resolve_function(args.function, args.n_var)
    except ValueError as err:
        parser.error(f"--function: {err}")
    n_var = len(names)
    if n_var == 0:
        parser.error(f"--function {args.function!r} uses no variable (x, y, z or x1..xn); "
                     "pass --n-var to say how many inputs it ignores")
    ranges = args.ranges
    if ranges and isinstance(ranges[0], list) and len(ranges) != n_var:
        parser.error(f"--ranges gives {len(ranges)} ranges for {n_var} variables")
    width = args.width or [n_var, 5, 1]
    if args.mult_arity < 2:
        parser.error(f"--mult-arity must be >= 2, got {args.mult_arity}")
    if len(width) < 2 or width[0] != n_var:
        parser.error(f"--width must start with the {n_var} inputs of the function, got {width}")
    if not 0.0 <= args.r2_threshold <= 1.0:
        parser.error(f"--r2-threshold must lie in [0, 1], got {args.r2_threshold}")
    _check_number(parser, "node-th", args.node_th)
    if args.lamb is not None:
        _check_number(parser, "lamb", args.lamb)
    _check_number(parser, "lamb-smooth", args.lamb_smooth)
    _check_number(parser, "ddp-timeout", args.ddp_timeout, positive=True)
    lr = args.lr if args.lr is not None else (1.0 if args.opt == "LBFGS" else 0.01)
    _check_number(parser, "lr", lr, positive=True)
    _check_cost(parser, args, width)
    _check_data(parser, args, f, n_var, width)
    _check_run_options(parser, args)
    _check_out(parser, args.out)
    return TrainConfig(function=args.function, n_var=n_var, ranges=ranges, width=width,
                       grids=args.grid, k=args.k, basis=args.basis, mult_arity=args.mult_arity, steps=args.steps, opt=args.opt, lr=lr,
                       lamb=args.lamb, lamb_smooth=args.lamb_smooth, train_num=args.train_num,
                       test_num=args.test_num, seed=args.seed, dtype=args.dtype, out=args.out,
                       progress=not args.no_progress, symbolic=not args.no_symbolic,
                       r2_threshold=args.r2_threshold, node_th=args.node_th, tensorboard=args.tensorboard,
                       ddp=args.ddp, ddp_backend=args.ddp_backend, ddp_timeout=args.ddp_timeout)


def _check_cost(parser, args, width) -> None:
    """Refuse options whose model or grid refinements would be out of proportion."""
    from kanlab.nn._grid import MAX_REFINE_FLOPS
    from kanlab.nn._network import _check_width
    n_add, n_mult = _check_width(width)
    nodes = [a + m for a, m in zip(n_add, n_mult)]
    subnodes = [a + args.mult_arity * m for a, m in zip(n_add, n_mult)]
    grid = max(args.grid)
    params = sum(i * o * (grid + args.k + 2) for i, o in zip(nodes[:-1], subnodes[1:]))
    if params > MAX_PARAMETERS:
        parser.error(f"--width {width} with --grid {grid} and --mult-arity {args.mult_arity} "
                     f"needs about {params:.2e} spline coefficients, more than the limit of "
                     f"{MAX_PARAMETERS:.0e}")
    for old, new in zip(args.grid[:-1], args.grid[1:]):
        flops = sum(i * new * (2 * (args.k + 1) + 1) * (new + args.k) ** 2 for i in nodes[:-1])
        if old != new and flops > MAX_REFINE_FLOPS:
            parser.error(f"--grid: refining from {old} to {new} intervals would take about "
                         f"{flops:.1e} operations (limit {MAX_REFINE_FLOPS:.0e}); use smaller "
                         "grids")
    from kanlab.nn._grid import MAX_UPDATE_FLOPS, update_grid_flops
    flops = sum(update_grid_flops(i, grid, args.k, args.train_num) for i in nodes[:-1])
    if flops > MAX_UPDATE_FLOPS:
        parser.error(f"--grid {grid}: each grid update would take about {flops:.1e} operations "
                     f"(limit {MAX_UPDATE_FLOPS:.0e}); use smaller grids")


def _check_data(parser, args, f, n_var: int, width) -> None:
    """Sample the function as the run will and check its labels, before any training."""
    import torch
    from kanlab.train._datasets import create_dataset
    ranges = args.ranges
    if ranges and not isinstance(ranges[0], list):
        ranges = [ranges] * n_var
    dtype = {"float64": torch.float64, "float32": torch.float32}[args.dtype]
    try:
        data = create_dataset(f, n_var, ranges, args.train_num, args.test_num, args.seed, dtype)
    except (ValueError, TypeError, OverflowError) as err:
        parser.error(f"--function/--ranges: {err}")
    from kanlab.cli._train_job import _first_layer_range
    from kanlab.nn._network import KAN
    try:  # the first layer's grids over these ranges (on meta: nothing is allocated)
        for grid in sorted(set(args.grid)):
            KAN([n_var, 1], grid=grid, k=args.k, grid_range=_first_layer_range(
                args.ranges, n_var), dtype=dtype, device="meta")
    except ValueError as err:
        parser.error(f"--ranges/--grid: {err}")
    n_out = width[-1] if isinstance(width[-1], int) else sum(width[-1])
    if data["train_label"].shape[1] != n_out:
        parser.error(f"--width ends with {n_out} outputs but the function has "
                     f"{data['train_label'].shape[1]}")


def _check_run_options(parser, args) -> None:
    """--tensorboard needs its package, --ddp a launcher; say so before any training."""
    if args.tensorboard:
        from kanlab.io._run_log import check_tensorboard
        try:
            check_tensorboard()
        except ImportError as err:
            parser.error(f"--tensorboard: {err}")
    from kanlab.train._distributed import MAX_TIMEOUT_S, MIN_TIMEOUT_S
    if not MIN_TIMEOUT_S <= args.ddp_timeout <= MAX_TIMEOUT_S:
        parser.error(f"--ddp-timeout must lie in [{MIN_TIMEOUT_S}, {MAX_TIMEOUT_S:.0e}] "
                     f"seconds, got {args.ddp_timeout}")
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
        if not 1 <= args.threads <= 1024:
            parser.error(f"--threads must lie in [1, 1024], got {args.threads}")
        if args.data is not None:
            return _data_main(parser, args)
        if args.resume is not None:
            cfg = _resume_config(parser, args)
        else:
            cfg = _config_from_args(parser, args)
            if cfg.out is None:
                import time
                cfg.out = f"runs/{time.strftime('%Y%m%d-%H%M%S')}"
                _check_out(parser, cfg.out)
            _claim_out(parser, args, cfg.out, resume=False)
        import torch
        torch.set_num_threads(args.threads)
        from kanlab.cli._train_job import RankLost, run
        try:
            metrics = run(cfg, log=lambda line: print(line, flush=True),
                          resume=args.resume is not None)
        except RankLost as err:
            print(f"kanlab: error: {err}", file=sys.stderr, flush=True)
            return 1
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
    """The run directory must hold an interrupted run; its own options are used.

    ``--ddp`` (and its backend and timeout) come from this command, not from
    the stored run: a run started under torchrun can be finished in one
    process, and the other way round.
    """
    from kanlab.cli._run_dir import check_resumable
    from kanlab.cli._train_job import TrainConfig
    if not Path(args.resume).is_dir():
        parser.error(f"--resume: {args.resume!r} is not a directory holding a kanlab run")
    _check_out(parser, args.resume, "--resume")
    _check_number(parser, "ddp-timeout", args.ddp_timeout, positive=True)
    _check_run_options(parser, args)
    _claim_out(parser, args, args.resume, resume=True)
    try:
        check_resumable(Path(args.resume))
    except ValueError as err:
        parser.error(f"--resume: {err}")
    return TrainConfig(out=args.resume, progress=not args.no_progress, ddp=args.ddp,
                       ddp_backend=args.ddp_backend, ddp_timeout=args.ddp_timeout)


if __name__ == "__main__":
    sys.exit(main())

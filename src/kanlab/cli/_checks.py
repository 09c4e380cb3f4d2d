"""``kanlab train``'s option checks: everything is checked before any training starts.

A bad option ends the run through ``parser.error`` (one ``kanlab: error: ...``
line, exit status 2); the options become a :class:`~kanlab.cli._train_job.TrainConfig`.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

__all__ = ["config_from_args", "resume_config", "check_out", "claim_out", "check_run_options",
           "check_device_option",
           "MAX_SAMPLES", "MAX_PARAMETERS", "MAX_STEPS", "MAX_K"]

MAX_SAMPLES = 10_000_000  # --train-num / --test-num
MAX_PARAMETERS = 20_000_000  # spline coefficients of the largest model a run builds
MAX_STEPS = 1_000_000
MAX_K = 10  # spline degrees beyond this make every least-squares fit singular in practice


def check_out(parser, out: str | None, what: str = "--out") -> None:
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


def claim_out(parser, args, out: str, resume: bool) -> None:
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


def config_from_args(parser, args):
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
    check_run_options(parser, args)
    check_out(parser, args.out)
    return TrainConfig(function=args.function, n_var=n_var, ranges=ranges, width=width,
                       grids=args.grid, k=args.k, basis=args.basis, mult_arity=args.mult_arity, steps=args.steps, opt=args.opt, lr=lr,
                       lamb=args.lamb, lamb_smooth=args.lamb_smooth, train_num=args.train_num,
                       test_num=args.test_num, seed=args.seed, dtype=args.dtype, out=args.out,
                       progress=not args.no_progress, symbolic=not args.no_symbolic,
                       r2_threshold=args.r2_threshold, node_th=args.node_th, tensorboard=args.tensorboard,
                       ddp=args.ddp, ddp_backend=args.ddp_backend, ddp_timeout=args.ddp_timeout,
                       device=args.device)


def _check_cost(parser, args, width) -> None:
    """Refuse options whose model or grid refinements would be out of proportion."""
    from kanlab.nn._refine import MAX_REFINE_FLOPS
    from kanlab.nn._width import check_width
    n_add, n_mult = check_width(width)
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
        data = create_dataset(f, n_var, ranges, args.train_num, args.test_num, args.seed, dtype,
                              device="cpu")  # where the run draws them
    except (ValueError, TypeError, OverflowError) as err:
        parser.error(f"--function/--ranges: {err}")
    from kanlab.cli._outputs import first_layer_range
    from kanlab.nn._network import KAN
    try:  # the first layer's grids over these ranges: one output, so small on the CPU (on
        # "meta" its initialisation would run torch's Python meta kernels, which import
        # torch._dynamo: about 1 s of CPU)
        for grid in sorted(set(args.grid)):
            KAN([n_var, 1], grid=grid, k=args.k, grid_range=first_layer_range(
                args.ranges, n_var), dtype=dtype, device="cpu")
    except ValueError as err:
        parser.error(f"--ranges/--grid: {err}")
    n_out = width[-1] if isinstance(width[-1], int) else sum(width[-1])
    if data["train_label"].shape[1] != n_out:
        parser.error(f"--width ends with {n_out} outputs but the function has "
                     f"{data['train_label'].shape[1]}")


def check_run_options(parser, args) -> None:
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
    check_device_option(parser, args)
    if args.ddp:
        from kanlab.train._distributed import choose_backend, missing_env
        if missing_env():
            parser.error(f"--ddp runs under torchrun (`torchrun --nproc_per_node=2 -m kanlab "
                         f"train --ddp ...`); the env vars {missing_env()} are not set")
        try:
            choose_backend(args.ddp_backend)
        except ValueError as err:
            parser.error(f"--ddp-backend: {err}")


def check_device_option(parser, args) -> None:
    """``--device``: a device this machine has (``auto`` too), on one process of a formula run."""
    if args.device == "cpu":
        return
    if args.ddp:
        parser.error(f"--device {args.device} cannot be combined with --ddp: each rank trains "
                     "on its own GPU with --ddp-backend nccl, on the CPU with gloo")
    if getattr(args, "data", None) is not None:
        parser.error(f"--device {args.device} cannot be combined with --data: kanlab.discover "
                     "runs on the CPU")
    import torch
    from kanlab._validation import choose_device
    dtype = {"float64": torch.float64, "float32": torch.float32}.get(getattr(args, "dtype", None))
    try:
        choose_device(args.device, "--device", None if args.resume else dtype)
    except (TypeError, ValueError) as err:
        parser.error(str(err))


def resume_config(parser, args):
    """The run directory must hold an interrupted run; its own options are used.

    ``--ddp`` (and its backend and timeout) come from this command, not from
    the stored run: a run started under torchrun can be finished in one
    process, and the other way round.
    """
    from kanlab.cli._run_dir import check_resumable
    from kanlab.cli._train_job import TrainConfig
    if not Path(args.resume).is_dir():
        parser.error(f"--resume: {args.resume!r} is not a directory holding a kanlab run")
    check_out(parser, args.resume, "--resume")
    _check_number(parser, "ddp-timeout", args.ddp_timeout, positive=True)
    check_run_options(parser, args)
    claim_out(parser, args, args.resume, resume=True)
    try:
        check_resumable(Path(args.resume))
    except ValueError as err:
        parser.error(f"--resume: {err}")
    return TrainConfig(out=args.resume, progress=not args.no_progress, ddp=args.ddp,
                       ddp_backend=args.ddp_backend, ddp_timeout=args.ddp_timeout,
                       device=args.device)

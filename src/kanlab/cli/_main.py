"""Command line: ``kanlab train`` (also ``python -m kanlab train``).

Every option is checked before training starts; a bad one ends the run with
a single ``kanlab: error: ...`` line and exit status 2, without a traceback.
"""
from __future__ import annotations

import sys

from kanlab.cli._checks import check_device_option, check_out, check_run_options, claim_out, \
    config_from_args, resume_config
from kanlab.cli._options import build_parser

__all__ = ["main", "build_parser"]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train":
        if not 1 <= args.threads <= 1024:
            parser.error(f"--threads must lie in [1, 1024], got {args.threads}")
        if args.data is not None:
            return _data_main(parser, args)
        if args.resume is not None:
            cfg = resume_config(parser, args)
        else:
            cfg = config_from_args(parser, args)
            if cfg.out is None:
                import time
                cfg.out = f"runs/{time.strftime('%Y%m%d-%H%M%S')}"
                check_out(parser, cfg.out)
            claim_out(parser, args, cfg.out, resume=False)
        import torch
        torch.set_num_threads(args.threads)
        from kanlab.cli._exit import freeze_at_exit
        freeze_at_exit()  # the exit skips collecting torch's objects (see the module)
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
    """``--data``: read and check everything first (bad data: one line, exit 2), then discover."""
    from kanlab.cli._data_job import data_error
    from kanlab.discover import DataError, read_table
    if args.resume:
        parser.error("--data cannot be combined with --resume yet")
    check_device_option(parser, args)
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    features = ([f.strip() for f in args.features.split(",") if f.strip()]
                if args.features else None)
    if args.ddp and args.ddp_backend == "nccl":
        parser.error("--ddp-backend nccl cannot be combined with --data: kanlab.discover runs "
                     "on the CPU, its ranks talk over gloo (leave --ddp-backend at auto)")
    if args.ddp:  # each rank reads its own rows (kanlab.cli._data_ddp)
        check_run_options(parser, args)
        import torch
        torch.set_num_threads(args.threads)
        from kanlab.cli._exit import freeze_at_exit
        freeze_at_exit()  # the exit skips collecting torch's objects (see the module)
        from kanlab.cli._data_ddp import run_data_ddp
        return run_data_ddp(parser, args, features,
                            check_out=lambda: check_out(parser, args.out))
    try:
        table = read_table(args.data, args.target, features, dropna=args.dropna)
    except DataError as err:
        data_error(f"--data: {err}")
    test = None
    if args.test_data is not None:
        try:
            test = read_table(args.test_data, table.target, table.names + table.dropped_columns,
                              dropna=args.dropna, min_rows=1)
        except DataError as err:
            data_error(f"--test-data: {err}")
    check_out(parser, args.out)
    import torch
    torch.set_num_threads(args.threads)
    from kanlab.cli._data_job import run_data
    metrics = run_data(table, test, out=args.out, seed=args.seed, jobs=args.jobs,
                       log=lambda line: print(line, flush=True), progress=not args.no_progress)
    for name, path in metrics["files"].items():
        print(f"  {name:<10} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

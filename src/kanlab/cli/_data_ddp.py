"""``torchrun --nproc_per_node=N -m kanlab train --ddp --data FILE --target COLUMN``.

Each rank reads only its own shard of the rows (data rows ``rank, rank + N,
...``; see :func:`kanlab.discover.read_table`) and splits it 60/20/20 with a
seed of its own.  Then:

1. bad data on any rank end every rank with exit status 2; rank 0 prints
   the first rank's message (one line, as without ``--ddp``);
2. every rank sends a seeded subsample of its training and validation rows
   (``MAX_SEARCH_ROWS`` in all) to rank 0, which runs the formula search
   (:func:`kanlab.discover.discover`, restarts in a process pool) while the
   other ranks wait (``--ddp-timeout`` must cover the search);
3. rank 0 sends the result to every rank; the spline model is trained
   further on every training row of every rank, the gradients averaged over
   the ranks at each step (:mod:`kanlab.discover._large`), and kept if it
   predicts the validation rows of every rank better;
4. the test errors of the formula and of the spline model are summed over
   the ranks' test rows; rank 0 writes the run directory.
"""
from __future__ import annotations

import math
import sys

import numpy as np

__all__ = ["run_data_ddp"]

_PRINTED = "\0printed"  # rank 0 has printed its own message already


def _gather(obj) -> list:
    import torch.distributed as dist
    from kanlab.train._distributed import world_size
    out = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out


def _broadcast(obj, rank: int):
    import torch.distributed as dist
    box = [obj if rank == 0 else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _read_shard(args, features, rank: int, world: int):
    """``(table, test_table, message)`` of this rank: the message says what is wrong, or None."""
    from kanlab.discover import DataError, read_table
    table = test = None
    try:
        table = read_table(args.data, args.target, features, dropna=args.dropna, min_rows=1,
                           shard=(rank, world))
    except DataError as err:
        return None, None, f"--data: {err}"
    if args.test_data is not None:
        try:
            test = read_table(args.test_data, table.target,
                              table.names + table.dropped_columns, dropna=args.dropna,
                              min_rows=1, shard=(rank, world))
        except DataError as err:
            return None, None, f"--test-data: {err}"
    return table, test, None


def _agree(tables: list, messages: list, rank: int) -> None:
    """Every rank stops with exit status 2 when any rank's data are bad (rank 0 says why)."""
    from kanlab.discover._table import MIN_ROWS
    message = next((m for m in messages if m), None)
    if message is None:
        names = [t[0] for t in tables]
        if any(n != names[0] for n in names):
            message = ("--data: the ranks' shards keep different columns (a column constant on "
                       "some ranks' rows?): " + "; ".join(", ".join(n) for n in names))
        elif sum(t[1] for t in tables) < MIN_ROWS:
            message = (f"--data: {sum(t[1] for t in tables)} usable rows are too few: the model "
                       f"needs at least {MIN_ROWS} (training, validation and test rows)")
    if message is not None:
        if rank == 0:
            from kanlab.cli._data_job import data_error
            data_error(message)
        raise SystemExit(2)


def _search(table, parts, seed: int, jobs, log):
    """Rank 0: the formula search on the gathered subsample (its own 75/25 split)."""
    from kanlab.discover import discover, make_table
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    X_te = np.concatenate([p[2] for p in parts])
    y_te = np.concatenate([p[3] for p in parts])
    sub = make_table(X=X, y=y, names=table.names, target=table.target)
    return discover(sub, test=(X_te, y_te), seed=seed, n_jobs=jobs, log=log)


def _test_sums(result, X, y) -> list[float]:
    """Σ formula error², Σ spline error², Σ y, Σ y², rows: this rank's share of the test errors."""
    from kanlab.discover._large import sum_squares
    f = math.nan
    if result.formula is not None:
        err = result.predict_formula(X) - y
        f = float(np.sum(err * err))
    s = sum_squares(result.model, result.space, X, y)[0] if result.model is not None else math.nan
    return [f, s, float(np.sum(y)), float(np.sum(y * y)), float(len(y))]


def _test_metrics(sums) -> dict:
    f, s, sy, syy, n = sums
    n = max(n, 1.0)
    ss_tot = syy - sy * sy / n
    out = {"n_test": int(n)}
    for key, sse in (("formula", f), ("spline", s)):
        if math.isfinite(sse):
            out[f"{key}_test_rmse"] = math.sqrt(sse / n)
            out[f"{key}_test_r2"] = 1.0 - sse / ss_tot if ss_tot > 0 else math.nan
    return out


def run_data_ddp(parser, args, features, check_out=None) -> int:
    """One rank of ``kanlab train --ddp --data``; exit status 0 (rank 0 prints and writes).

    ``check_out`` (run on rank 0) refuses a bad ``--out`` the way the CLI
    does (a message and ``SystemExit(2)``); the other ranks then exit 2 too.
    """
    import torch
    from kanlab.discover._large import refine
    from kanlab.discover._pipeline import MAX_SEARCH_ROWS
    from kanlab.discover._split import split_rows, subsample_rows
    from kanlab.train import _distributed as d
    # kanlab.discover runs on the CPU: its ranks talk over gloo (NCCL takes only GPU tensors)
    with d.process_group("gloo", args.ddp_timeout):
        rank, world = d.rank(), d.world_size()
        say = (lambda line: print(line, flush=True)) if rank == 0 else (lambda line: None)
        table, test, message = _read_shard(args, features, rank, world)
        _agree(_gather((table.names, table.n_rows) if table else None),
               _gather(message), rank)
        message = None  # the data are good on every rank: now the run directory (rank 0)
        if rank == 0 and check_out is not None:
            try:
                check_out()
            except SystemExit:  # the message is printed already
                message = _PRINTED
        if _gather(message)[0] == _PRINTED:
            raise SystemExit(2)
        tr, va, te = split_rows(table.n_rows, args.seed * 1_000_003 + rank,
                                has_test=test is not None)
        X_te, y_te = (table.X[te], table.y[te]) if test is None else (test.X, test.y)
        if test is not None:
            X_te = test.X[:, [test.names.index(n) for n in table.names]]
        seed = [args.seed, rank]
        fit_rows = subsample_rows(np.concatenate([tr, va]), (MAX_SEARCH_ROWS * 5 // 4) // world,
                                  seed)
        test_rows = subsample_rows(len(y_te), 5000 // world, seed)
        part = (table.X[fit_rows], table.y[fit_rows], X_te[test_rows], y_te[test_rows])
        parts = _gather(part)
        for warning in table.warnings:
            say(f"warning (rank 0's rows): {warning}")
        say(f"--ddp: {world} ranks, each reading its own rows; rank 0 searches a subsample of "
            f"{sum(len(p[1]) for p in parts)} rows")
        result = None
        if rank == 0:
            try:
                result = _search(table, parts, args.seed, args.jobs, say)
            except Exception as err:  # the other ranks must not wait for a result that never comes
                result = f"{type(err).__name__}: {err}"
        result = _broadcast(result, rank)
        if isinstance(result, str):
            if rank == 0:
                print(f"kanlab: error: the search failed on rank 0: {result}", flush=True,
                      file=sys.stderr)
            raise SystemExit(1)
        if result.model is not None:
            new = refine({"model": result.model, "space": result.space}, table.X, table.y, tr,
                         va, seed=args.seed, progress=not args.no_progress and rank == 0,
                         log=say)
            if new is not None:
                result.model = new["model"]
                result.metrics["spline_val_rmse_all_rows"] = new["val_rmse_all"]
        counts = d.all_reduce_sum(torch.tensor([float(len(tr)), float(len(va))],
                                               dtype=torch.float64)).tolist()
        sums = d.all_reduce_sum(torch.tensor(_test_sums(result, X_te, y_te),
                                             dtype=torch.float64)).tolist()
        if rank != 0:
            return 0
        result.metrics.update(_test_metrics(sums), n_train=int(counts[0]), n_val=int(counts[1]),
                              ddp_world_size=world)
        from kanlab.cli._data_job import write_run
        metrics = write_run(result, table, test, X_te, y_te, out=args.out, seed=args.seed,
                            log=say)
    for name, path in metrics["files"].items():
        print(f"  {name:<10} {path}")
    return 0

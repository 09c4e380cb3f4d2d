"""The options a run stored in ``progress.json``, checked as the command line checks them.

``kanlab train --resume DIR`` takes its options from the run directory.  A
damaged or edited ``progress.json`` could otherwise bring options that the
command line refuses (a width of a million nodes, a grid that takes hours to
refine, a formula with a huge constant, a string where a number belongs)
straight to the training job, past every check of cost and range.  Here the
stored options are written back as ``kanlab train`` arguments and go through
the same parser and checks, so a resumed run is held to the same limits as a
new one.
"""
from __future__ import annotations

import contextlib
import io
import json
import math

__all__ = ["check_stored_options"]

# TrainConfig field -> command-line option (flags are handled separately)
_OPTIONS = {"function": "--function", "n_var": "--n-var", "mult_arity": "--mult-arity",
            "k": "--k", "basis": "--basis", "steps": "--steps", "opt": "--opt", "lr": "--lr",
            "lamb": "--lamb", "lamb_smooth": "--lamb-smooth", "node_th": "--node-th",
            "r2_threshold": "--r2-threshold", "train_num": "--train-num",
            "test_num": "--test-num", "seed": "--seed", "dtype": "--dtype"}
_FLAGS = {"symbolic": "--no-symbolic", "tensorboard": "--tensorboard"}  # flag set when value is
_FLAG_WHEN = {"symbolic": False, "tensorboard": True}


def _argv(config: dict) -> list[str]:
    """``kanlab train`` arguments that reproduce ``config`` (ValueError for wrong types)."""
    argv = ["train"]
    for key, option in _OPTIONS.items():
        value = config.get(key)
        if value is None:
            continue
        if isinstance(value, (bool, list, dict)) or not isinstance(value, (str, int, float)):
            raise ValueError(f"{key} is {value!r}")
        argv.append(f"{option}={repr(value) if isinstance(value, float) else value}")
    for key, option in _FLAGS.items():
        value = config.get(key, not _FLAG_WHEN[key])
        if not isinstance(value, bool):
            raise ValueError(f"{key} is {value!r}, expected true or false")
        if value == _FLAG_WHEN[key]:
            argv.append(option)
    grids = config.get("grids")
    if not isinstance(grids, list) or not all(isinstance(g, int) and not isinstance(g, bool)
                                              for g in grids):
        raise ValueError(f"grids is {grids!r}, expected a list of ints")
    argv.append(f"--grid={','.join(map(str, grids)) or 'none'}")
    for key, option in (("ranges", "--ranges"), ("width", "--width")):
        if config.get(key) is not None:
            argv.append(f"{option}={json.dumps(config[key])}")
    return argv


def _check_extra(config: dict) -> None:
    """The fields that have no command-line option."""
    from kanlab.cli._checks import MAX_STEPS
    refine = config.get("refine_steps", 20)
    if refine is not None and not (isinstance(refine, int) and not isinstance(refine, bool)
                                   and 1 <= refine <= MAX_STEPS):
        raise ValueError(f"refine_steps is {refine!r}, expected an int in [1, {MAX_STEPS}]")
    edge_th = config.get("edge_th", 3e-2)
    if not (isinstance(edge_th, (int, float)) and not isinstance(edge_th, bool)
            and math.isfinite(edge_th) and edge_th >= 0):
        raise ValueError(f"edge_th is {edge_th!r}, expected a finite number >= 0")
    digits = config.get("digits", 4)
    if not (isinstance(digits, int) and not isinstance(digits, bool) and 1 <= digits <= 17):
        raise ValueError(f"digits is {digits!r}, expected an int in [1, 17]")


def check_stored_options(config: dict) -> None:
    """Raise ValueError (one line) unless ``config`` passes every ``kanlab train`` check.

    ``ddp``, its backend and timeout, ``out`` and ``progress`` come from the
    resuming command and are not checked here.
    """
    from kanlab.cli._checks import config_from_args as _config_from_args
    from kanlab.cli._options import build_parser
    try:
        argv = _argv(config)
        _check_extra(config)
    except ValueError as err:
        raise ValueError(f"stored option {err}") from None
    parser = build_parser()
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            args = parser.parse_args(argv)
            train = parser._subparsers._group_actions[0].choices["train"]
            _config_from_args(train, args)
    except SystemExit:
        lines = err.getvalue().strip().splitlines() or ["invalid options"]
        message = lines[-1].split("error: ", 1)[-1]
        raise ValueError(f"stored options fail the checks of kanlab train: {message}") from None

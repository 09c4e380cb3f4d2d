"""The cases of ``benchmarks/adversarial.py``: helpers and the list ``CASES``.

A case is ``fn(tmp: Path)``; it returns (anything) when the behaviour is
acceptable and raises ``AssertionError`` (or any unexpected exception) when
it is not.  The cases live in ``adversarial_cli.py``, ``adversarial_api.py``
and ``adversarial_files.py``; this module holds the judges they share.
"""
from __future__ import annotations

import contextlib
import io
import math
import shutil
import subprocess
import sys
from pathlib import Path

CASES: list[tuple[str, str, object]] = []
CACHE = Path(__file__).resolve().parent / ".adversarial_cache"
SMALL = ["--grid", "3,4", "--steps", "2", "--train-num", "40", "--test-num", "20",
         "--no-progress"]
TORCH_INTERNALS = ("aten::", "at::", "c10", "torch/", "geqrf", "Expected all tensors",
                   "_C.", "sym_size", "CUDA error", "not implemented for")


def case(kind: str, name: str):
    """Register ``fn`` under ``kind`` and ``name``."""
    def register(fn):
        CASES.append((kind, name, fn))
        return fn
    return register


def add(kind: str, name: str, fn) -> None:
    CASES.append((kind, name, fn))


class Reached(Exception):
    """Raised by the stubbed ``run``: the command line got past every check."""


def _cli(argv: list[str], stub: bool):
    """``(exit code or 'reached', stderr)`` of ``kanlab`` with ``argv``."""
    from kanlab.cli import _main, _train_job
    real = _train_job.run
    if stub:
        def fake(*args, **kwargs):
            raise Reached()
        _train_job.run = fake
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = _main.main(argv)
    except SystemExit as exc:
        code = exc.code
    except Reached:
        code = "reached"
    finally:
        _train_job.run = real
    return code, err.getvalue()


def check_one_line(code, err: str, contains: str | None = None) -> str:
    assert code == 2, f"exit {code!r}, expected 2; stderr: {err[-400:]}"
    assert "Traceback" not in err, f"traceback: {err[-400:]}"
    lines = err.strip().splitlines()
    assert lines and "error:" in lines[-1], f"no error line: {err[-300:]}"
    if contains is not None:
        assert contains.lower() in lines[-1].lower(), f"{contains!r} not in {lines[-1]!r}"
    return lines[-1]


def cli_error(argv: list[str], contains: str | None = None, out: bool = True):
    """A case: ``kanlab train argv`` ends with one error line and exit 2, before any work."""
    def fn(tmp: Path):
        full = ["train", *argv] + (["--out", str(tmp / "r")] if out else [])
        code, err = _cli(full, stub=True)
        return check_one_line(code, err, contains)
    return fn


def cli_checked(argv: list[str], out: bool = True):
    """A case: either one error line (exit 2) or the options pass the checks (no crash)."""
    def fn(tmp: Path):
        full = ["train", *argv] + (["--out", str(tmp / "r")] if out else [])
        code, err = _cli(full, stub=True)
        if code == "reached":
            return "accepted"
        return check_one_line(code, err)
    return fn


def cli_run(argv: list[str], tmp: Path, expect_ok: bool = False):
    """Run ``kanlab train argv`` for real; exit 0, 130 or one error line (exit 2)."""
    code, err = _cli(["train", *argv], stub=False)
    if code in (0, 130, None):
        return f"exit {code}"
    assert not expect_ok, f"exit {code}: {err[-400:]}"
    return check_one_line(code, err)


def _clear(err: BaseException, contains: str | None) -> str:
    """The error's one-line summary, after checking its message is the user's, not torch's."""
    message = str(err)
    assert not any(m in message for m in TORCH_INTERNALS), f"torch internals: {message[:300]}"
    if contains is not None:
        assert contains.lower() in message.lower(), f"{contains!r} not in {message[:300]!r}"
    return f"{type(err).__name__}: {message[:160]}"


def clean_error(fn, *exceptions, contains: str | None = None):
    """Call ``fn()``: a clear ValueError/TypeError/OSError passes, and so does a return."""
    try:
        return fn()
    except (exceptions or (ValueError, TypeError, OSError)) as err:
        return _clear(err, contains)


def must_raise(fn, *exceptions, contains: str | None = None):
    """Call ``fn()``: it must raise a clear ValueError/TypeError (or ``exceptions``)."""
    try:
        value = fn()
    except (exceptions or (ValueError, TypeError)) as err:
        return _clear(err, contains)
    raise AssertionError(f"accepted, returned {str(value)[:200]}")


def finite(t) -> bool:
    import torch
    return bool(torch.isfinite(torch.as_tensor(t)).all())


def base_run(name: str) -> Path:
    """A cached run directory: ``completed`` or ``interrupted`` (killed after its second stage)."""
    path = CACHE / name
    if (path / "progress.json").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    CACHE.mkdir(exist_ok=True)
    env_src = str(Path(__file__).resolve().parents[1] / "src")
    if name == "completed":
        code = "from kanlab.cli._main import main; import sys; sys.exit(main(sys.argv[1:]))"
    else:  # stop hard (like kill -9) when the third stage starts
        code = ("import os, sys; from kanlab.cli import _train_job as j; real = j._run_stage; n = []\n"
                "def stage(*a, **k):\n    n.append(1)\n    if len(n) == 3: os._exit(9)\n"
                "    return real(*a, **k)\n"
                "j._run_stage = stage\nfrom kanlab.cli._main import main; sys.exit(main(sys.argv[1:]))")
    subprocess.run([sys.executable, "-c", code, "train", *SMALL, "--grid", "3,4,5",
                    "--out", str(path)], env={"PYTHONPATH": env_src, "OMP_NUM_THREADS": "1",
                                                "PATH": "/usr/bin:/bin"},
                   capture_output=True, timeout=600)
    assert (path / "progress.json").exists(), f"could not build the {name} run"
    return path


def copy_run(name: str, tmp: Path) -> Path:
    dest = tmp / name
    shutil.copytree(base_run(name), dest, symlinks=True)
    (dest / "run.lock").unlink(missing_ok=True)
    return dest


def small_model(grid: int = 5, dtype=None):
    import kanlab
    import torch
    return kanlab.KAN([2, 3, 1], grid=grid, seed=0, dtype=dtype or torch.float64)


def small_data(n: int = 64, dtype=None, f=None):
    import torch
    g = torch.Generator().manual_seed(0)
    dtype = dtype or torch.float64
    x = torch.rand(n, 2, generator=g, dtype=dtype) * 2 - 1
    y = (f or (lambda x: torch.sin(math.pi * x[:, :1]) + x[:, 1:] ** 2))(x)
    return {"train_input": x, "train_label": y, "test_input": x[: n // 2],
            "test_label": y[: n // 2]}


# the case modules register themselves on import
import adversarial_cli  # noqa: E402,F401
import adversarial_api  # noqa: E402,F401
import adversarial_files  # noqa: E402,F401

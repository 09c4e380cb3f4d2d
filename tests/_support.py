"""Helpers shared by test modules (not a test module): ``from _support import ...``.

pytest puts ``tests/`` on ``sys.path`` for its root ``conftest.py``, so test
files in any subfolder can import this module.
"""
from __future__ import annotations

import os
import socket
import sys

import pytest

from kanlab.cli._main import main

TORCHRUN = os.path.join(os.path.dirname(sys.executable), "torchrun")
"""The ``torchrun`` launcher next to this interpreter (it may be absent)."""

SMALL_RUN = ["--grid", "3,4", "--steps", "2", "--train-num", "40", "--test-num", "20",
             "--no-progress"]
"""Options of a ``kanlab train`` run small enough for a unit test."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for a process group)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_error(capsys, argv) -> str:
    """The one error line of ``kanlab train ARGV``, which must exit 2 without a traceback."""
    with pytest.raises(SystemExit) as exc:
        main(["train", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    return err[-1]

"""The command line's exit: the collector frozen at exit, output intact, nothing printed."""
import atexit
import gc
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kanlab.cli import _exit

SRC = str(Path(_exit.__file__).resolve().parents[2])


def test_the_handler_is_registered_once(monkeypatch):
    registered = []
    monkeypatch.setattr(_exit, "_registered", False)
    monkeypatch.setattr(atexit, "register", registered.append)
    _exit.freeze_at_exit()
    _exit.freeze_at_exit()
    assert registered == [_exit._freeze]


def test_the_handler_freezes_unless_nanobind_is_loaded(monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(_exit, "_nanobind_loaded", lambda: True)
    _exit._freeze()
    assert frozen == []
    monkeypatch.setattr(_exit, "_nanobind_loaded", lambda: False)
    _exit._freeze()
    assert frozen == [True]


def test_a_process_exits_cleanly_with_its_files_written(tmp_path):
    target = tmp_path / "out.txt"
    code = textwrap.dedent(f"""
        import gc, torch
        from kanlab.cli._exit import _nanobind_loaded, freeze_at_exit
        assert not _nanobind_loaded()
        freeze_at_exit()
        cycle = []
        cycle.append(cycle)
        with open({str(target)!r}, "w") as fh:
            fh.write("done")
        print("end", flush=True)
    """)
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "end\n" and proc.stderr == ""
    assert target.read_text() == "done"


def test_with_a_nanobind_extension_loaded_nothing_is_frozen_and_no_leak_is_reported():
    if importlib.util.find_spec("triton") is None:
        pytest.skip("triton (a nanobind extension) is not installed")
    code = textwrap.dedent("""
        import triton._C.libtriton
        from kanlab.cli._exit import _nanobind_loaded, freeze_at_exit
        assert _nanobind_loaded()
        freeze_at_exit()
    """)
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "leaked" not in proc.stderr

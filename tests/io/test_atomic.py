"""Atomic writes: the file is replaced whole, fsynced unless ``durable=False``."""
import os

import pytest

from kanlab.io import _atomic
from kanlab.io._atomic import atomic_write_bytes, atomic_writer


def _count_fsyncs(monkeypatch) -> list:
    calls = []
    real = os.fsync
    monkeypatch.setattr(_atomic.os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    return calls


def test_durable_write_fsyncs_the_file_and_its_directory(tmp_path, monkeypatch):
    """The default write fsyncs twice (file, then directory) and replaces the content."""
    calls = _count_fsyncs(monkeypatch)
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and len(calls) == 2
    assert os.listdir(tmp_path) == ["a.bin"]


def test_non_durable_write_is_atomic_without_fsync(tmp_path, monkeypatch):
    """``durable=False`` writes the same file, with no fsync, and leaves no temp file."""
    calls = _count_fsyncs(monkeypatch)
    target = tmp_path / "fig.png"
    with atomic_writer(target, durable=False) as handle:
        handle.write(b"png")
    assert target.read_bytes() == b"png" and calls == []
    assert os.listdir(tmp_path) == ["fig.png"]


def test_failed_non_durable_write_keeps_the_old_file(tmp_path):
    """An error inside the block leaves the old file and removes the temp file."""
    target = tmp_path / "fig.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_writer(target, durable=False) as handle:
            handle.write(b"half")
            raise RuntimeError("drawing failed")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["fig.png"]

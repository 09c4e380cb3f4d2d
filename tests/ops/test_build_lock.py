"""The C++ kernels' build: a dead build's lock file or half-written library does not stop
kanlab (it waited forever on the first, crashed on the second); a live build is waited for,
within a bound."""
from __future__ import annotations

import struct

import pytest
import torch

fcntl = pytest.importorskip("fcntl")

from kanlab.ops import _extension  # noqa: E402
from kanlab.ops._build_lock import build_lock, complete  # noqa: E402


@pytest.fixture
def fake_build(tmp_path, monkeypatch):
    """``_extension._build`` with the compiler and the loader replaced by recorders."""
    monkeypatch.setenv("KANLAB_EXTENSIONS_DIR", str(tmp_path))
    calls = []
    monkeypatch.setattr(torch.ops, "load_library", lambda path: calls.append(("load", path)))
    from torch.utils import cpp_extension
    monkeypatch.setattr(cpp_extension, "load", lambda **kw: calls.append(("build", kw["name"])))
    directory = tmp_path / _extension._build_name()
    directory.mkdir()
    return directory, directory / f"{_extension._build_name()}.so", calls


def _elf(sections_end: int, length: int) -> bytes:
    """A 64-bit little-endian ELF header whose section headers end at ``sections_end``,
    padded to ``length`` bytes."""
    head = bytearray(64)
    head[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", head, 0x28, sections_end - 64 * 10)
    struct.pack_into("<HH", head, 0x3A, 64, 10)
    return bytes(head) + b"\0" * (length - 64)


def test_a_dead_builds_lock_file_is_cleared_and_the_library_loaded(fake_build):
    """torch's ``lock`` left by a killed build beside a built library: loaded at once, the
    compiler not called, the lock file gone (before: every later process waited forever)."""
    directory, library, calls = fake_build
    library.write_bytes(_elf(4096, 4096))
    (directory / "lock").touch()
    _extension._build()
    assert calls == [("load", str(library))]
    assert not (directory / "lock").exists()


def test_a_library_cut_short_is_built_again(fake_build):
    """A library shorter than its section headers say (a killed link; loading one crashed the
    process): removed and built again, never loaded."""
    directory, library, calls = fake_build
    library.write_bytes(_elf(4096, 1000))
    assert not complete(library)
    _extension._build()
    assert calls == [("build", library.stem)]
    assert not library.exists()


def test_complete_reads_the_elf_header(tmp_path):
    """A whole ELF file, one cut short, and a file of another format."""
    whole, cut, other = tmp_path / "a.so", tmp_path / "b.so", tmp_path / "c.dylib"
    whole.write_bytes(_elf(2048, 2048))
    cut.write_bytes(_elf(2048, 2047))
    other.write_bytes(b"\xcf\xfa\xed\xfe" + b"\0" * 100)
    assert complete(whole) and not complete(cut) and complete(other)


def test_a_live_build_is_waited_for_within_the_bound(tmp_path):
    """Another holder of the build lock: the wait ends with a TimeoutError after the bound,
    and the lock is taken once it is free."""
    holder = open(tmp_path / "kanlab_build.lock", "a")
    fcntl.flock(holder.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    with pytest.raises(TimeoutError, match="building kanlab's C\\+\\+ kernels"):
        with build_lock(tmp_path, wait_s=0.3):
            pass
    fcntl.flock(holder.fileno(), fcntl.LOCK_UN)
    holder.close()
    with build_lock(tmp_path, wait_s=0.3):
        assert (tmp_path / "kanlab_build.lock").exists()

"""Atomic file writes: a temp file in the target's directory, fsync, then rename.

A reader never sees a half-written file, and a failure leaves any existing
file at the target untouched.  The fsyncs (of the file before the rename, of
the directory after it) make the new file survive a power loss or an OS crash;
``durable=False`` skips them for files that can be made again (figures): the
write stays atomic, and each fsync costs milliseconds of wall time (about 12 ms
on a busy virtual disk), more than drawing a small figure's last steps.  The
temp file is created with mode 0o666 less the umask, like any ordinary file; a
file it replaces keeps its mode.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import stat
from typing import BinaryIO, Iterator

__all__ = ["atomic_writer", "atomic_write_bytes", "atomic_write_text"]


def _fsync_dir(directory: str) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories can't be fsynced)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, durable: bool = True) -> Iterator[BinaryIO]:
    """Context manager yielding a binary file that replaces ``path`` when the block succeeds.

    When ``path`` is a symbolic link, the file it points to is replaced and
    the link is kept (the temp file goes next to the target).  With
    ``durable=False`` neither the file nor the directory is fsynced (see the
    module docstring).
    """
    path = os.path.realpath(os.fsdecode(os.fspath(path)))
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):  # a replaced file keeps its permissions
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(directory)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_writer(path) as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))

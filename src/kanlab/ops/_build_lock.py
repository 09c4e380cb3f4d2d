"""One build of the C++ kernels at a time per cache directory, safe when a builder dies.

:func:`torch.utils.cpp_extension.load` guards a build with a ``lock`` file that only
the builder removes, and every other process waits while it exists.  A build
killed half-way (a notebook cell interrupted during the first-use compile, a job
that timed out) leaves that file behind, and from then on every use of kanlab
with that cache waited forever: measured, a fresh process with a stale ``lock``
beside an already built library was still waiting when ``timeout 60`` stopped it.

:func:`build_lock` holds an OS lock (``fcntl.flock``) on a file of its own
instead; the system drops it when its holder dies, so under it a torch ``lock``
file can only be a dead build's, and is removed.  A wait for another process's
build is bounded (:data:`WAIT_S`); past it the caller runs without the kernels.

A link killed half-way can leave a library shorter than its own headers say, and
loading one crashed the process (SIGBUS, measured on a copy cut to 5000 bytes):
:func:`complete` checks an ELF library's length before it is loaded.
"""
from __future__ import annotations

import contextlib
import os
import struct
import time
from pathlib import Path

__all__ = ["WAIT_S", "build_lock", "complete"]

# A build takes about a minute on an idle 2-core machine; this bounds the wait for another
# process's build at fifteen of those, for a heavily loaded one (a load average of ~15 was
# seen on the 2 cores here), before the caller gives up on the kernels for this process.
WAIT_S = 900.0
_POLL_S = 0.2

try:
    import fcntl
except ImportError:  # not on Windows: torch's own lock file is all there is
    fcntl = None


@contextlib.contextmanager
def build_lock(directory: Path, wait_s: float = WAIT_S):
    """Hold ``directory``'s build lock; a torch ``lock`` file found under it is removed.

    Raises
    ------
    TimeoutError
        When another process holds the lock for more than ``wait_s`` seconds.
    """
    if fcntl is None:
        yield
        return
    with open(directory / "kanlab_build.lock", "a") as handle:
        deadline = time.monotonic() + float(wait_s)
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"another process has been building kanlab's C++ "
                                       f"kernels in {directory} for over {wait_s:.0f} s")
                time.sleep(_POLL_S)
        try:
            with contextlib.suppress(FileNotFoundError):
                os.remove(directory / "lock")  # a dead build's: a live one would hold ours
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def complete(library: Path) -> bool:
    """False when ``library`` is an ELF file cut short of its section headers (which the
    linker writes last); True otherwise (other formats are not checked)."""
    with open(library, "rb") as f:
        head = f.read(64)
    if len(head) < 64 or head[:4] != b"\x7fELF":
        return head[:4] != b"\x7fELF"
    wide, order = head[4] == 2, "<" if head[5] == 1 else ">"
    if wide:
        (offset,) = struct.unpack_from(order + "Q", head, 0x28)
        size, count = struct.unpack_from(order + "HH", head, 0x3A)
    else:
        (offset,) = struct.unpack_from(order + "I", head, 0x20)
        size, count = struct.unpack_from(order + "HH", head, 0x2E)
    return os.path.getsize(library) >= offset + size * count

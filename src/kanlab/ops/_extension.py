"""The optional C++ kernels (``csrc/``), built on first use and cached.

The kernels (``csrc/*.cpp``) are compiled with :func:`torch.utils.cpp_extension.load` into a
cache directory (``$KANLAB_EXTENSIONS_DIR``, else ``$XDG_CACHE_HOME/kanlab``,
else ``~/.cache/kanlab``) and registered as the operators
``torch.ops.kanlab_cpu.*``.  The build takes about a minute once per source
version, torch version and CPU; later imports load the cached library.

Nothing here is required: without a compiler, when the build fails, or with
``KANLAB_NO_EXTENSION=1`` in the environment, :func:`ops` returns ``None``
and kanlab runs its pure-PyTorch path (a ``RuntimeWarning`` says why, once).
Builds in several processes at once take turns, and a build that died half-way
is built again (:mod:`kanlab.ops._build_lock`).
"""
from __future__ import annotations

import hashlib
import os
import platform
import threading
import warnings
from pathlib import Path

import torch

from kanlab import config
from kanlab.ops._base_functions import kernel_defines
from kanlab.ops._build_lock import build_lock, complete

__all__ = ["ops", "loaded", "status", "disabled"]

_CSRC = Path(__file__).resolve().parent / "csrc"


def _openmp_flags() -> list[str]:
    """``-fopenmp`` where torch's intra-op threads are OpenMP ones (its Linux wheels): the
    kernels share work on that same team (``csrc/parallel.h``, ``at::parallel_for``,
    which is inlined into the kernels and needs the flag there to run in parallel) and
    link the libgomp torch has already loaded.  Elsewhere ``-fopenmp-simd``, the ``omp
    simd`` loop hints only (``parallel.h`` then shares work on torch's inter-op pool)."""
    if torch.backends.openmp.is_available():
        return ["-fopenmp"]
    return ["-fopenmp-simd"]


# The base functions' codes come from their table (kanlab.ops._base_functions).
_FLAGS = ["-O3", "-march=native", *_openmp_flags(), "-fno-math-errno", "-std=c++17",
          *kernel_defines()]
_LDFLAGS = ["-fopenmp"] if "-fopenmp" in _FLAGS else []
_lock = threading.Lock()
_state: dict = {"tried": False, "ops": None, "status": "not built yet"}


def disabled() -> bool:
    """True when the kernels are switched off: ``kanlab.config`` ``kernels=False``, or
    ``KANLAB_NO_EXTENSION`` set to a true value (1, true, yes) in the environment."""
    return not config.get().kernels or \
        os.environ.get("KANLAB_NO_EXTENSION", "").strip().lower() in ("1", "true", "yes")


def _cpu_id() -> str:
    """The CPU's model and flags: ``-march=native`` code only runs where it was built."""
    try:
        with open("/proc/cpuinfo") as f:
            lines = [line for line in f if line.startswith(("model name", "flags"))][:2]
        return "".join(lines)
    except OSError:
        return platform.processor() or platform.machine()


def _build_name() -> str:
    digest = hashlib.sha256()
    sources = [p.read_bytes() for p in sorted(_CSRC.glob("*.[ch]*"))]
    for part in (*sources, torch.__version__.encode(), " ".join(_FLAGS).encode(),
                 _cpu_id().encode(), platform.python_version().encode()):
        digest.update(part)
    return f"kanlab_cpu_{digest.hexdigest()[:16]}"


def _cache_dir() -> Path:
    root = os.environ.get("KANLAB_EXTENSIONS_DIR")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kanlab"


def _build():
    from torch.utils import cpp_extension

    name = _build_name()
    directory = _cache_dir() / name
    directory.mkdir(parents=True, exist_ok=True)
    library = directory / f"{name}.so"
    with build_lock(directory):  # no build of another process half-way (kanlab.ops._build_lock)
        if library.exists():
            if complete(library):  # built before: loading it skips the compiler entirely
                torch.ops.load_library(str(library))
                return torch.ops.kanlab_cpu
            library.unlink()  # cut short by a killed link (ninja would take it as built)
        sources = [str(p) for p in sorted(_CSRC.glob("*.cpp"))]
        cpp_extension.load(name=name, sources=sources, extra_cflags=_FLAGS,
                           extra_ldflags=_LDFLAGS, build_directory=str(directory),
                           is_python_module=False, verbose=False)
    return torch.ops.kanlab_cpu


def ops():
    """``torch.ops.kanlab_cpu`` once built, or ``None`` when the extension is unavailable."""
    if _state["tried"]:
        return None if disabled() else _state["ops"]
    if disabled():
        return None
    with _lock:
        if not _state["tried"]:
            try:
                _state["ops"] = _build()
                _state["status"] = "loaded"
            except Exception as exc:  # any build or load failure means "use the fallback"
                _state["status"] = f"unavailable: {type(exc).__name__}: {exc}"
                warnings.warn(f"kanlab's C++ kernels could not be built, using the slower "
                              f"pure-PyTorch path ({_state['status'][:300]})", RuntimeWarning,
                              stacklevel=3)
            _state["tried"] = True
    return _state["ops"]


def loaded():
    """``torch.ops.kanlab_cpu`` as :func:`ops` last found it, without checking the switches
    again: for the kernels' own backward passes, whose forward pass already chose them
    (a switch flipped in between must not change the path half-way)."""
    return _state["ops"]


def status() -> str:
    """``"loaded"``, ``"not built yet"``, ``"disabled"`` or ``"unavailable: <reason>"``."""
    return "disabled (KANLAB_NO_EXTENSION)" if disabled() else _state["status"]

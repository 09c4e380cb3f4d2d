"""Checkpoints: a KAN's state in the safetensors file layout, without pickle.

File layout (https://github.com/huggingface/safetensors, written and read
here with numpy; the ``safetensors`` package is not needed)::

    bytes 0..8        N, unsigned 64-bit little-endian: length of the header
    bytes 8..8+N      header: UTF-8 JSON object, padded with spaces to a
                      multiple of 8 bytes
    bytes 8+N..       data: the raw tensors, little-endian, C order, back to back

The header maps every ``model.state_dict()`` key to
``{"dtype": "F64", "shape": [2, 11], "data_offsets": [begin, end]}``;
offsets count from the start of the data section, the tensors are
contiguous, in the order of their offsets, and fill the data section
exactly.  ``"__metadata__"`` is a flat ``str -> str`` dict:

- ``format``: ``"kanlab"``, which tells a kanlab checkpoint from any other
  safetensors file.
- ``format_version``: ``"1"``; bumped when a reader of an older version
  would misread the file.  Older readers refuse newer files.
- ``kanlab_version``: ``kanlab.__version__`` of the writer (informative).
- ``config``: JSON of ``model.get_config()``, the arguments of ``KAN(...)``.
- ``symbolic``: JSON list, per layer the ``names[j][i]`` of its symbolic
  edges (``null`` where an edge is a spline), for readers of the file; the
  model itself is restored from the ``symbolic.<l>.code`` / ``.mask`` /
  ``.affine`` tensors.  Files without them have no symbolic edges.
- ``data_sha256``: hex SHA-256 of the whole data section.  A reader checks it
  (and that every floating-point value is finite) before building the model,
  so one flipped bit in the data is reported instead of loaded; files from
  before the hash existed (no such key) are read without it.
- ``layers``: JSON list, one object per layer: ``in_features``,
  ``out_features``, ``grid``, ``k``, ``base_fun``, ``extrapolate``.  A layer
  whose ``grid`` differs from ``config["grid"]`` is resized from the stored
  ``knots`` and ``coef`` before the state is loaded.

Readers ignore metadata keys and per-layer fields they do not know, so later
features (pruned layers, symbolic edges) add keys without a version bump as
long as ignoring them leaves a correct model; otherwise they bump
``format_version``.  ``config`` is passed to ``KAN(...)`` as it is, so a new
constructor argument there makes older readers fail with a clear error.

Files are written atomically: a temporary file in the target's directory is
written, flushed, fsynced and renamed over the target, so a failed save never
leaves a partial checkpoint or clobbers an existing one.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import stat

import numpy as np
import torch
from torch import Tensor

from kanlab.io._atomic import atomic_write_bytes
from kanlab.nn._edge_bases import DEFAULT_BASIS
from kanlab.nn._network import KAN
from kanlab.ops._base_functions import BASE_FUNCTIONS
from kanlab.splines._bspline import EXTRAPOLATIONS, check_knots

__all__ = ["save", "load", "FORMAT", "FORMAT_VERSION"]

FORMAT = "kanlab"
FORMAT_VERSION = 1  # the newest version this module reads, and the one it writes
MAX_HEADER_BYTES = 100_000_000  # the safetensors limit; a larger length means a foreign file

# safetensors dtype name -> (torch dtype, little-endian numpy dtype of the same bytes)
# bfloat16 has no numpy dtype: its bytes travel as int16 and are reinterpreted.
DTYPES: dict[str, tuple[torch.dtype, str]] = {
    "F64": (torch.float64, "<f8"),
    "F32": (torch.float32, "<f4"),
    "F16": (torch.float16, "<f2"),
    "BF16": (torch.bfloat16, "<i2"),
    "I64": (torch.int64, "<i8"),
    "I32": (torch.int32, "<i4"),
    "I16": (torch.int16, "<i2"),
    "I8": (torch.int8, "|i1"),
    "U8": (torch.uint8, "|u1"),
    "BOOL": (torch.bool, "|b1"),
}
_NAME_OF = {torch_dtype: name for name, (torch_dtype, _) in DTYPES.items()}
_FLOAT_DTYPES = {"float64": torch.float64, "float32": torch.float32,
                 "float16": torch.float16, "bfloat16": torch.bfloat16}


# ----------------------------------------------------------------------------- writing

def _tensor_bytes(t: Tensor) -> bytes:
    """Little-endian C-order bytes of ``t`` (on any device)."""
    t = t.detach().cpu().contiguous()
    np_dtype = DTYPES[_NAME_OF[t.dtype]][1]
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16; same two bytes
    return t.numpy().astype(np_dtype, copy=False).tobytes()


def _layer_info(layer) -> dict:
    return {"in_features": layer.in_features, "out_features": layer.out_features,
            "grid": layer.grid, "k": layer.k, "base_fun": layer.base_fun_name,
            "extrapolate": layer.extrapolate, "basis": layer.basis_name}


def _symbolic_names(model: KAN) -> list:
    """``names[l][j][i]`` of every symbolic edge; only built-in functions can be stored."""
    from kanlab.nn._symbolic_edges import CUSTOM_FUNCTION
    for l, sym in enumerate(model.symbolic):
        if bool((sym.code == CUSTOM_FUNCTION).any()):
            custom = sorted({c.name for c in sym.custom.values()})
            raise ValueError(f"cannot save layer {l}'s symbolic edges {custom}: a checkpoint "
                             "stores functions by code and only the built-in library "
                             "(kanlab.symbolic._library.CODES) can be restored")
    return [sym.names for sym in model.symbolic]


def _encode(model: KAN) -> bytes:
    """The whole checkpoint file as bytes."""
    if model.base_fun_name == "custom" or any(l.base_fun_name == "custom" for l in model.layers):
        raise ValueError("cannot save a KAN whose base_fun is a custom callable: a checkpoint "
                         f"stores base functions by name, one of {sorted(BASE_FUNCTIONS)}")
    header: dict = {}
    chunks: list[bytes] = []
    offset = 0
    for key, t in model.state_dict().items():
        if t.dtype not in _NAME_OF:
            raise ValueError(f"cannot save tensor {key!r} of dtype {t.dtype}")
        data = _tensor_bytes(t)
        header[key] = {"dtype": _NAME_OF[t.dtype], "shape": list(t.shape),
                       "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    from kanlab._version import __version__
    header["__metadata__"] = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "kanlab_version": __version__,
        "config": json.dumps(model.get_config()),
        "layers": json.dumps([_layer_info(layer) for layer in model.layers]),
        "symbolic": json.dumps(_symbolic_names(model)),
        "data_sha256": hashlib.sha256(b"".join(chunks)).hexdigest(),
    }
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # keep the data section 8-byte aligned
    return len(text).to_bytes(8, "little") + text + b"".join(chunks)


def save(model: KAN, path) -> None:
    """Write ``model`` to ``path`` atomically (see the module docstring for the format).

    Parameters
    ----------
    model
        the network; its base function must be a named one.
    path
        ``str`` or ``os.PathLike``; an existing file is replaced only
        once the new one is completely on disk.
    """
    if not isinstance(model, KAN):
        raise TypeError(f"save expects a kanlab.KAN, got {type(model).__name__}")
    atomic_write_bytes(path, _encode(model))


# ----------------------------------------------------------------------------- reading

def _bad(path: str, problem: str) -> ValueError:
    """The error for an unreadable checkpoint; it names the file."""
    return ValueError(f"cannot load checkpoint '{path}': {problem}")


def _json(text):
    """``json.loads`` that reports nesting too deep for the parser as a ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None


def _open_regular(path: str):
    """Open ``path`` for reading without blocking; refuse FIFOs, devices and directories."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # FileNotFoundError propagates
        raise _bad(path, "not a regular file (a FIFO, device or directory); a checkpoint is "
                   "a file written by kanlab.save")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    f = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between the two checks
        f.close()
        raise _bad(path, "not a regular file")
    return f


def _read_sections(path: str) -> tuple[dict, memoryview]:
    """Split the file into its parsed JSON header and its data section."""
    with _open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise _bad(path, f"file is {size} bytes long, too short for a header; "
                         "it is truncated or not a kanlab checkpoint")
        n = int.from_bytes(f.read(8), "little")
        if n > MAX_HEADER_BYTES:
            raise _bad(path, f"header length {n} is implausible; not a kanlab checkpoint")
        if n > size - 8:
            raise _bad(path, f"header length {n} exceeds the {size - 8} bytes that follow; "
                         "the file is truncated or not a kanlab checkpoint")
        raw = f.read(n)
        data = memoryview(f.read())
    try:
        header = _json(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _bad(path, f"header is not valid UTF-8 JSON ({err}); the file is corrupted "
                     "or not a kanlab checkpoint") from None
    if not isinstance(header, dict):
        raise _bad(path, f"header is a JSON {type(header).__name__}, expected an object")
    return header, data


def _read_metadata(path: str, header: dict) -> tuple[dict, list[dict]]:
    """Check the format and version; return ``(config, layers)``."""
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise _bad(path, f"not a kanlab checkpoint (metadata format is {found!r}, expected "
                     f"{FORMAT!r})")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise _bad(path, "__metadata__ must map strings to strings")
    version = meta.get("format_version", "")
    if not version.isdigit():
        raise _bad(path, f"format_version {version!r} is not a non-negative integer")
    if int(version) > FORMAT_VERSION:
        raise _bad(path, f"written by a newer kanlab ({meta.get('kanlab_version', '?')}, format "
                     f"version {version}); this kanlab reads up to version {FORMAT_VERSION}, "
                     "upgrade kanlab")
    try:
        config = _json(meta["config"])
        layers = _json(meta["layers"])
    except KeyError as err:
        raise _bad(path, f"metadata lacks {err.args[0]!r}") from None
    except json.JSONDecodeError as err:
        raise _bad(path, f"metadata is not valid JSON ({err})") from None
    if not isinstance(config, dict):
        raise _bad(path, "metadata 'config' must be a JSON object")
    if not isinstance(layers, list) or not all(isinstance(l, dict) for l in layers):
        raise _bad(path, "metadata 'layers' must be a JSON list of objects")
    return config, layers


def _is_count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _read_tensors(path: str, header: dict, data: memoryview) -> dict[str, Tensor]:
    """Decode every tensor entry, checking dtype, shape and offsets."""
    entries = {key: e for key, e in header.items() if key != "__metadata__"}
    for key, e in entries.items():
        if not (isinstance(e, dict) and e.get("dtype") in DTYPES
                and isinstance(e.get("shape"), list) and all(map(_is_count, e["shape"]))
                and isinstance(e.get("data_offsets"), list) and len(e["data_offsets"]) == 2
                and all(map(_is_count, e["data_offsets"]))):
            raise _bad(path, f"tensor {key!r} has a malformed entry {e!r}; expected dtype in "
                         f"{sorted(DTYPES)}, shape a list of sizes, data_offsets [begin, end]")
    end = 0
    for key, e in sorted(entries.items(), key=lambda item: item[1]["data_offsets"]):
        begin, stop = e["data_offsets"]
        if begin != end:
            raise _bad(path, f"tensor {key!r} starts at byte {begin} of the data, expected {end} "
                         "(tensors must be contiguous)")
        itemsize = np.dtype(DTYPES[e["dtype"]][1]).itemsize
        if stop - begin != math.prod(e["shape"]) * itemsize:
            raise _bad(path, f"tensor {key!r} of dtype {e['dtype']} and shape {e['shape']} "
                         f"needs {math.prod(e['shape']) * itemsize} bytes, its offsets span "
                         f"{stop - begin}")
        end = stop
    if len(data) < end:
        raise _bad(path, f"data section is {len(data)} bytes, the header needs {end}; "
                     "the file is truncated")
    if len(data) > end:
        raise _bad(path, f"{len(data) - end} unexpected bytes after the last tensor")
    digest = header["__metadata__"].get("data_sha256")
    if digest is not None and hashlib.sha256(data).hexdigest() != digest:
        raise _bad(path, "the data section does not match its SHA-256 in the header; the file "
                   "is corrupted (a changed byte or bit)")
    tensors = {}
    for key, e in entries.items():
        torch_dtype, np_dtype = DTYPES[e["dtype"]]
        begin, stop = e["data_offsets"]
        array = np.frombuffer(data[begin:stop], dtype=np_dtype).astype(np_dtype[1:], copy=True)
        t = torch.from_numpy(array.reshape(e["shape"]))
        if torch_dtype == torch.bfloat16:
            t = t.view(torch.bfloat16)
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise _bad(path, f"tensor {key!r} holds non-finite values (NaN or inf); a saved "
                       "model never does")
        tensors[key] = t
    return tensors


def _check_sizes(path: str, config: dict, layers: list[dict], header: dict) -> None:
    """Check the architecture in ``config`` against the tensors the header declares.

    Runs before anything is allocated: every layer's ``coef`` and ``knots``
    must have the sizes the config implies, and the model that ``KAN(**config)``
    would build may hold at most a small multiple of the elements the file
    holds, so a crafted header cannot make ``load`` allocate (or spend time)
    out of proportion to the file's size.
    """
    from kanlab.nn._network import _check_width
    try:
        n_add, n_mult = _check_width(config.get("width"))
    except (TypeError, ValueError, RecursionError) as err:
        raise _bad(path, f"config width is invalid: {str(err)[:200]}") from None
    from kanlab.nn._network import _check_arity
    arity, grid, k = config.get("mult_arity", 2), config.get("grid"), config.get("k", 3)
    try:
        arities = _check_arity(arity, n_mult)
    except (TypeError, ValueError, RecursionError):
        arities = None
    if not (arities is not None and _is_count(grid) and grid >= 1 and _is_count(k)):
        raise _bad(path, f"config mult_arity {str(arity)[:200]}, grid {grid!r} or k {k!r} is not "
                   "a valid count")
    nodes = [a + m for a, m in zip(n_add, n_mult)]
    subnodes = [a + sum(ar) for a, ar in zip(n_add, arities)]
    if len(layers) != len(nodes) - 1:
        raise _bad(path, f"metadata describes {len(layers)} layers, the config's width "
                   f"{len(nodes) - 1}")
    declared = sum(math.prod(e["shape"]) for key, e in header.items() if key != "__metadata__")
    needed = 0
    for l, (n_in, n_out) in enumerate(zip(nodes[:-1], subnodes[1:])):
        coef, knots = header.get(f"layers.{l}.coef"), header.get(f"layers.{l}.knots")
        if not isinstance(coef, dict) or not isinstance(knots, dict):
            raise _bad(path, f"layer {l} lacks its knots or coef tensor")
        if coef["shape"][:2] != [n_out, n_in] or knots["shape"][:1] != [n_in]:
            raise _bad(path, f"layer {l} should have {n_in} inputs and {n_out} outputs by the "
                       f"config, its tensors have shapes {coef['shape']} (coef) and "
                       f"{knots['shape']} (knots)")
        needed += n_out * n_in * (grid + 2 * k + 8) + n_in * (grid + 2 * k + 2)
    if needed > 64 * declared + 1_000_000:
        raise _bad(path, f"config would build a model of about {needed} values from a file "
                   f"declaring {declared}; the header is inconsistent")


def _build(path: str, config: dict, layers: list[dict], tensors: dict[str, Tensor],
           map_location) -> KAN:
    """Construct the KAN, resize its grids and load the state."""
    config = dict(config)
    if config.get("dtype") not in _FLOAT_DTYPES:
        raise _bad(path, f"config dtype {config.get('dtype')!r} is not one of {sorted(_FLOAT_DTYPES)}")
    config["dtype"] = _FLOAT_DTYPES[config["dtype"]]
    try:
        model = KAN(**config, device=map_location)
    except (TypeError, ValueError, RecursionError) as err:
        raise _bad(path, f"config {config} does not build a KAN: {err}") from None
    if len(layers) != len(model.layers):
        raise _bad(path, f"metadata describes {len(layers)} layers, the config has "
                     f"{len(model.layers)}")
    for l, (layer, info) in enumerate(zip(model.layers, layers)):
        for name in ("in_features", "out_features", "k", "base_fun"):
            mine = layer.base_fun_name if name == "base_fun" else getattr(layer, name)
            if info.get(name) != mine:
                raise _bad(path, f"layer {l} has {name}={info.get(name)!r} in the metadata, "
                             f"{mine!r} in the config")
        if info.get("basis", DEFAULT_BASIS) != layer.basis_name:  # files before bases: B-splines
            raise _bad(path, f"layer {l} has basis={info.get('basis')!r} in the metadata, "
                         f"{layer.basis_name!r} in the config")
        if info.get("extrapolate") not in EXTRAPOLATIONS:
            raise _bad(path, f"layer {l} has extrapolate={info.get('extrapolate')!r}")
        layer.extrapolate = info["extrapolate"]
        knots, coef = tensors.get(f"layers.{l}.knots"), tensors.get(f"layers.{l}.coef")
        if knots is None or coef is None:
            raise _bad(path, f"layer {l} lacks its knots or coef tensor")
        try:
            check_knots(knots, layer.k)
        except (TypeError, ValueError) as err:
            raise _bad(path, f"layer {l} has invalid knots: {err}") from None
        if info.get("grid") != knots.shape[-1] - 2 * layer.k - 1:
            raise _bad(path, f"layer {l} has grid={info.get('grid')!r} in the metadata but "
                         f"{knots.shape[-1]} knots per input (k={layer.k})")
        if info["grid"] != layer.grid:
            try:
                layer.set_grid(knots, coef)
            except (TypeError, ValueError) as err:
                raise _bad(path, f"layer {l}: {err}") from None
    _default_symbolic(model, tensors)
    expected = model.state_dict()
    if set(expected) != set(tensors):
        missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
        raise _bad(path, f"tensors do not match the model: missing {missing}, unexpected {extra}")
    for key, t in tensors.items():
        want = expected[key]
        if t.dtype != want.dtype or t.shape != want.shape:
            raise _bad(path, f"tensor {key!r} is {_NAME_OF[t.dtype]} {list(t.shape)}, the model "
                         f"expects {_NAME_OF.get(want.dtype, want.dtype)} {list(want.shape)}")
    try:
        model.load_state_dict(tensors, strict=True)
    except ValueError as err:  # e.g. an unknown symbolic function code
        raise _bad(path, str(err)) from None
    return model


def _default_symbolic(model: KAN, tensors: dict[str, Tensor]) -> None:
    """Files from before symbolic edges existed: no edge is symbolic."""
    for l, sym in enumerate(model.symbolic):
        for key in ("mask", "code", "affine"):
            tensors.setdefault(f"symbolic.{l}.{key}", getattr(sym, key).detach().clone())


def load(path, *, map_location=None) -> KAN:
    """Read a checkpoint written by :func:`save`.

    Parameters
    ----------
    path
        ``str`` or ``os.PathLike``.
    map_location
        device for the model (``None``: the default device).

    Returns
    -------
    KAN
        A ``KAN`` computing exactly what the saved model computed.

    Raises
    ------
    FileNotFoundError
        no file at ``path``.
    ValueError
        the file is truncated, corrupted (its data does not match the
        header's SHA-256), holds NaN or inf, is not a regular file or not a
        kanlab checkpoint, declares sizes its bytes do not hold, or was
        written by a newer kanlab; the message names the file.
    TypeError
        ``map_location`` is not a device.
    """
    path = os.fsdecode(os.fspath(path))
    _check_map_location(map_location)
    header, data = _read_sections(path)
    config, layers = _read_metadata(path, header)
    tensors = _read_tensors(path, header, data)
    _check_sizes(path, config, layers, header)
    return _build(path, config, layers, tensors, map_location)


def _check_map_location(map_location) -> None:
    """A device (``None``, ``"cpu"``, ``"cuda:0"``, an index or a ``torch.device``), else TypeError."""
    if map_location is None or isinstance(map_location, torch.device):
        return
    if isinstance(map_location, (str, int)) and not isinstance(map_location, bool):
        try:
            torch.device(map_location)
            return
        except (RuntimeError, ValueError, TypeError):
            pass
    raise TypeError(f"map_location must be a device such as 'cpu', 'cuda:0' or a torch.device "
                    f"(None for the default), got {map_location!r}; to change the dtype, "
                    "convert the loaded model with .to(dtype)")

"""Reading a checkpoint file: its format constants, parsing and every check before a model is built.

The layout is described in :mod:`kanlab.io._checkpoint`.  :func:`read_file`
opens only regular files (without blocking), parses and checks the header,
compares the data section's length with the sizes the header declares before
reading it, checks the SHA-256 of the data and that every floating-point
value is finite; :func:`check_sizes` checks the architecture in the config
against the tensors, so that nothing out of proportion to the file's size is
ever allocated.  Every problem is a ``ValueError`` naming the file.
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

from kanlab._validation import is_count

__all__ = ["read_file", "check_sizes", "check_values", "bad", "FORMAT", "FORMAT_VERSION", "DTYPES"]

FORMAT = "kanlab"
FORMAT_VERSION = 1  # the newest version this module reads, and the one kanlab writes
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


def bad(path: str, problem: str) -> ValueError:
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
        raise bad(path, "not a regular file (a FIFO, device or directory); a checkpoint is "
                   "a file written by kanlab.save")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    f = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between the two checks
        f.close()
        raise bad(path, "not a regular file")
    return f


def _read_metadata(path: str, header: dict) -> tuple[dict, list[dict]]:
    """Check the format and version; return ``(config, layers)``."""
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise bad(path, f"not a kanlab checkpoint (metadata format is {found!r}, expected "
                     f"{FORMAT!r})")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise bad(path, "__metadata__ must map strings to strings")
    version = meta.get("format_version", "")
    if not version.isdigit():
        raise bad(path, f"format_version {version!r} is not a non-negative integer")
    if int(version) > FORMAT_VERSION:
        raise bad(path, f"written by a newer kanlab ({meta.get('kanlab_version', '?')}, format "
                     f"version {version}); this kanlab reads up to version {FORMAT_VERSION}, "
                     "upgrade kanlab")
    try:
        config = _json(meta["config"])
        layers = _json(meta["layers"])
    except KeyError as err:
        raise bad(path, f"metadata lacks {err.args[0]!r}") from None
    except json.JSONDecodeError as err:
        raise bad(path, f"metadata is not valid JSON ({err})") from None
    if not isinstance(config, dict):
        raise bad(path, "metadata 'config' must be a JSON object")
    if not isinstance(layers, list) or not all(isinstance(l, dict) for l in layers):
        raise bad(path, "metadata 'layers' must be a JSON list of objects")
    return config, layers


def _check_entries(path: str, header: dict) -> int:
    """Check every tensor entry's dtype, shape and offsets; return the data section's length."""
    entries = {key: e for key, e in header.items() if key != "__metadata__"}
    for key, e in entries.items():
        if not (isinstance(e, dict) and e.get("dtype") in DTYPES
                and isinstance(e.get("shape"), list) and all(map(is_count, e["shape"]))
                and isinstance(e.get("data_offsets"), list) and len(e["data_offsets"]) == 2
                and all(map(is_count, e["data_offsets"]))):
            raise bad(path, f"tensor {key!r} has a malformed entry {e!r}; expected dtype in "
                         f"{sorted(DTYPES)}, shape a list of sizes, data_offsets [begin, end]")
    end = 0
    for key, e in sorted(entries.items(), key=lambda item: item[1]["data_offsets"]):
        begin, stop = e["data_offsets"]
        if begin != end:
            raise bad(path, f"tensor {key!r} starts at byte {begin} of the data, expected {end} "
                         "(tensors must be contiguous)")
        itemsize = np.dtype(DTYPES[e["dtype"]][1]).itemsize
        if stop - begin != math.prod(e["shape"]) * itemsize:
            raise bad(path, f"tensor {key!r} of dtype {e['dtype']} and shape {e['shape']} "
                         f"needs {math.prod(e['shape']) * itemsize} bytes, its offsets span "
                         f"{stop - begin}")
        end = stop
    return end


def read_file(path: str) -> tuple[dict, dict, list[dict], dict[str, Tensor]]:
    """``(header, config, layers, tensors)`` of the checkpoint at ``path``, all checked.

    The header is parsed and checked, and the data section's length compared
    with what the header declares, before the data is read: a huge (or
    sparse) file costs no more than its header.
    """
    with _open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise bad(path, f"file is {size} bytes long, too short for a header; "
                         "it is truncated or not a kanlab checkpoint")
        n = int.from_bytes(f.read(8), "little")
        if n > MAX_HEADER_BYTES:
            raise bad(path, f"header length {n} is implausible; not a kanlab checkpoint")
        if n > size - 8:
            raise bad(path, f"header length {n} exceeds the {size - 8} bytes that follow; "
                         "the file is truncated or not a kanlab checkpoint")
        raw = f.read(n)
        try:
            header = _json(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise bad(path, f"header is not valid UTF-8 JSON ({err}); the file is corrupted "
                         "or not a kanlab checkpoint") from None
        if not isinstance(header, dict):
            raise bad(path, f"header is a JSON {type(header).__name__}, expected an object")
        config, layers = _read_metadata(path, header)
        end = _check_entries(path, header)
        available = size - 8 - n
        if available < end:
            raise bad(path, f"data section is {available} bytes, the header needs {end}; "
                         "the file is truncated")
        if available > end:
            raise bad(path, f"{available - end} unexpected bytes after the last tensor")
        data = memoryview(f.read(end))
    if len(data) != end:  # the file shrank while it was read
        raise bad(path, f"data section is {len(data)} bytes, the header needs {end}; "
                     "the file is truncated")
    return header, config, layers, _decode(path, header, data)


def _decode(path: str, header: dict, data: memoryview) -> dict[str, Tensor]:
    """The tensors of the (checked) entries, once the data matches its SHA-256."""
    digest = header["__metadata__"].get("data_sha256")
    if digest is not None and hashlib.sha256(data).hexdigest() != digest:
        raise bad(path, "the data section does not match its SHA-256 in the header; the file "
                   "is corrupted (a changed byte or bit)")
    tensors = {}
    for key, e in header.items():
        if key == "__metadata__":
            continue
        torch_dtype, np_dtype = DTYPES[e["dtype"]]
        begin, stop = e["data_offsets"]
        array = np.frombuffer(data[begin:stop], dtype=np_dtype).astype(np_dtype[1:], copy=True)
        t = torch.from_numpy(array.reshape(e["shape"]))
        if torch_dtype == torch.bfloat16:
            t = t.view(torch.bfloat16)
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise bad(path, f"tensor {key!r} holds non-finite values (NaN or inf); a saved "
                       "model never does")
        tensors[key] = t
    return tensors


def check_sizes(path: str, config: dict, layers: list[dict], header: dict) -> None:
    """Check the architecture in ``config`` against the tensors the header declares.

    Runs before anything is allocated: every layer's ``coef`` and ``knots``
    must have the sizes the config implies, and the model that ``KAN(**config)``
    would build may hold at most a small multiple of the elements the file
    holds, so a crafted header cannot make ``load`` allocate (or spend time)
    out of proportion to the file's size.
    """
    from kanlab.nn._width import check_arity, check_width
    try:
        n_add, n_mult = check_width(config.get("width"))
    except (TypeError, ValueError, RecursionError) as err:
        raise bad(path, f"config width is invalid: {str(err)[:200]}") from None
    arity, grid, k = config.get("mult_arity", 2), config.get("grid"), config.get("k", 3)
    try:
        arities = check_arity(arity, n_mult)
    except (TypeError, ValueError, RecursionError):
        arities = None
    if not (arities is not None and is_count(grid) and grid >= 1 and is_count(k)):
        raise bad(path, f"config mult_arity {str(arity)[:200]}, grid {grid!r} or k {k!r} is not "
                  "a valid count")
    nodes = [a + m for a, m in zip(n_add, n_mult)]
    subnodes = [a + sum(ar) for a, ar in zip(n_add, arities)]
    if len(layers) != len(nodes) - 1:
        raise bad(path, f"metadata describes {len(layers)} layers, the config's width "
                   f"{len(nodes) - 1}")
    declared = sum(math.prod(e["shape"]) for key, e in header.items() if key != "__metadata__")
    needed = 0
    for l, (n_in, n_out) in enumerate(zip(nodes[:-1], subnodes[1:])):
        coef, knots = header.get(f"layers.{l}.coef"), header.get(f"layers.{l}.knots")
        if not isinstance(coef, dict) or not isinstance(knots, dict):
            raise bad(path, f"layer {l} lacks its knots or coef tensor")
        if coef["shape"][:2] != [n_out, n_in] or knots["shape"][:1] != [n_in]:
            raise bad(path, f"layer {l} should have {n_in} inputs and {n_out} outputs by the "
                       f"config, its tensors have shapes {coef['shape']} (coef) and "
                       f"{knots['shape']} (knots)")
        needed += n_out * n_in * (grid + 2 * k + 8) + n_in * (grid + 2 * k + 2)
    if needed > 64 * declared + 1_000_000:
        raise bad(path, f"config would build a model of about {needed} values from a file "
                   f"declaring {declared}; the header is inconsistent")




def check_values(path: str, tensors: dict[str, Tensor]) -> None:
    """Values a saved model cannot hold: masks other than 0 or 1, unknown function codes.

    A file that passes its SHA-256 check can still have been written (or
    crafted) with such values; loaded, a mask of 0.5 would silently halve an
    edge, and an unknown code would fail only when the edge is used.
    """
    from kanlab.nn._symbolic_edges import NO_FUNCTION
    from kanlab.symbolic._library import CODES
    for key, t in tensors.items():
        if key.endswith(".mask") and not bool(((t == 0) | (t == 1)).all()):
            raise bad(path, f"tensor {key!r} holds values other than 0 and 1; a mask of a "
                      "saved model never does")
        if key.startswith("symbolic.") and key.endswith(".code") and not bool(
                ((t == NO_FUNCTION) | ((t >= 0) & (t < len(CODES)))).all()):
            raise bad(path, f"tensor {key!r} holds function codes outside {NO_FUNCTION} (none) "
                      f"and 0..{len(CODES) - 1}; the file is corrupted or from a newer kanlab")

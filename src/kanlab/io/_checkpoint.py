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
  ``knots`` and ``coef`` before the state is loaded.  ``grid_eps``, present only
  where the layer has its own (:mod:`kanlab.nn._saved_grid_eps`): the ``state_dict``'s
  ``layers.<l>.grid_eps`` entry is stored here, not as a tensor, so readers from before
  it load the file (the function is the same; only later grid updates read it).
  ``moved_offsets`` (only
  where an L-BFGS fit moved some): ``[[j, i, offset], ...]``, the layer's
  :attr:`~kanlab.nn.SymbolicEdges.moved_offsets`; a reader that ignores it
  computes the same function.

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

import torch
from torch import Tensor

from kanlab._validation import check_device
from kanlab.io._atomic import atomic_write_bytes
from kanlab.io._checkpoint_read import DTYPES, FORMAT, FORMAT_VERSION, bad as _bad, \
    check_sizes, check_values, read_file
from kanlab.nn._edge_bases import DEFAULT_BASIS
from kanlab.nn._saved_continuation import CONTINUATION_KEY
from kanlab.nn._saved_grid_eps import GRID_EPS_KEY
from kanlab.nn._network import KAN
from kanlab.ops._base_functions import BASE_FUNCTIONS
from kanlab.splines._bspline import EXTRAPOLATIONS, check_knots

__all__ = ["save", "load", "FORMAT", "FORMAT_VERSION"]

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


def _layer_info(layer, sym) -> dict:
    info = {"in_features": layer.in_features, "out_features": layer.out_features,
            "grid": layer.grid, "k": layer.k, "base_fun": layer.base_fun_name,
            "extrapolate": layer.extrapolate, "basis": layer.basis_name,
            **({} if layer.grid_eps is None else {GRID_EPS_KEY: layer.grid_eps})}
    if sym.moved_offsets:  # kanlab.nn._symbolic_offsets
        info["moved_offsets"] = [[j, i, d] for (j, i), d in sorted(sym.moved_offsets.items())]
    return info


def _moved_offsets(path: str, l: int, entries, sym) -> dict:
    """A layer's ``moved_offsets`` field read back: ``[[j, i, offset], ...]``."""
    if not isinstance(entries, list):
        raise _bad(path, f"layer {l}'s moved_offsets must be a list, got {entries!r}")
    out = {}
    for e in entries:
        ok = (isinstance(e, list) and len(e) == 3 and all(isinstance(v, int) for v in e[:2])
              and isinstance(e[2], (int, float)) and math.isfinite(e[2]))
        if not ok or not (0 <= e[0] < sym.out_features and 0 <= e[1] < sym.in_features):
            raise _bad(path, f"layer {l}'s moved_offsets entry {e!r} is not [j, i, offset] "
                         f"of an edge of a {sym.in_features} -> {sym.out_features} layer")
        out[(e[0], e[1])] = float(e[2])
    return out


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
        if key.endswith("." + GRID_EPS_KEY):  # a layer's own grid_eps: in the layer metadata
            continue
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
        "layers": json.dumps([_layer_info(layer, sym)
                              for layer, sym in zip(model.layers, model.symbolic)]),
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
        try:
            layer.grid_eps = info.get(GRID_EPS_KEY)  # where the layer has its own
        except ValueError as err:
            raise _bad(path, f"layer {l}: {err}") from None
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
    for l, (sym, info) in enumerate(zip(model.symbolic, layers)):  # files before: none
        sym.moved_offsets = _moved_offsets(path, l, info.get("moved_offsets", []), sym)
    return model


def _default_symbolic(model: KAN, tensors: dict[str, Tensor]) -> None:
    """Files from before symbolic edges existed: no edge is symbolic; files from before the
    state held each layer's continuation: the metadata's (already set on the layers), as
    is a layer's own grid_eps (stored in the metadata only)."""
    for l, sym in enumerate(model.symbolic):
        for key in ("mask", "code", "affine"):
            tensors.setdefault(f"symbolic.{l}.{key}", getattr(sym, key).detach().clone())
    own = model.state_dict()
    for l in range(len(model.layers)):
        for name in (CONTINUATION_KEY, GRID_EPS_KEY):  # grid_eps: from the layer metadata
            key = f"layers.{l}.{name}"
            if key in own:
                tensors.setdefault(key, own[key])


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
    header, config, layers, tensors = read_file(path)
    check_sizes(path, config, layers, header)
    check_values(path, tensors)
    return _build(path, config, layers, tensors, map_location)


def _check_map_location(map_location) -> None:
    """A device this machine has (``None``, ``"cpu"``, ``"cuda:0"``, an index or a ``torch.device``).

    TypeError for anything else, ValueError for an absent device or ``meta``
    (which holds no data to load into).
    """
    if map_location is None:
        return
    message = (f"map_location must be a device such as 'cpu', 'cuda:0' or a torch.device "
               f"(None for the default), got {map_location!r}; to change the dtype, "
               "convert the loaded model with .to(dtype)")
    if isinstance(map_location, bool) or not isinstance(map_location, (str, int, torch.device)):
        raise TypeError(message)
    try:
        device = check_device(map_location, "load")
    except TypeError:
        raise TypeError(message) from None
    if device.type == "meta":
        raise ValueError("load: map_location 'meta' holds no data to load a checkpoint into; "
                         "load on 'cpu' (or a GPU), or build KAN(..., device='meta')")

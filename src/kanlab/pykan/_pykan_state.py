"""Models written by pykan 0.2.8: its checkpoint files and its ``state_dict`` keys.

pykan's ``saveckpt(path)`` writes three files: ``path_config.yml`` (the constructor's
arguments and every layer's symbolic function names, ``symbolic.funs_name.<l>``),
``path_state`` (``torch.save`` of the model's ``state_dict``) and ``path_cache_data`` (the
last input).  Its ``state_dict`` holds, per layer ``l``:

* ``act_fun.<l>.grid`` ``(in, G + 2k + 1)``, ``.coef`` ``(in, out, G + k)``, ``.scale_base``,
  ``.scale_sp``, ``.mask`` ``(in, out)``: the splines, laid out ``(in, out)`` where kanlab
  lays them out ``(out, in)``;
* ``symbolic_fun.<l>.mask`` ``(out, in)`` and ``.affine`` ``(out, in, 4)``: the symbolic
  fronts, as kanlab's (the function names are only in the config);
* ``subnode_scale_<l>``, ``subnode_bias_<l>`` (per output of the layer) and ``node_scale_<l>``,
  ``node_bias_<l>`` (per node of the next level): pykan's node affine maps, the identity
  unless the model was built with ``affine_trainable=True``.

A model built with ``affine_trainable=True`` takes these four vectors as they are (its
``affines``, :mod:`kanlab.nn._node_affine`).  Other models have no affine map, so a
non-identity one is folded into the edges, which
computes the same function: the scales multiply the outputs' ``scale_base``, ``scale_sp``
and symbolic ``c, d`` (a multiplication node's scale goes to its first factor); a
constant becomes the ``d`` of a symbolic edge into that output (an existing symbolic edge,
else a ``'0'`` edge, as pykan's ``c · 0 + d``); a bias after a product shifts the next
layer's input (its knots and symbolic ``b``), refused where that input feeds a live base
function (``silu(x + β)`` is no edge of ``x``) or where the node is an output.  A symbolic
mask other than 0 or 1 (pykan multiplies by it) goes into ``c, d`` the same way.

A checkpoint, and a ``state_dict`` of pykan's keys loaded into any kanlab.pykan model, puts
the splines on ``extrapolate="extended"``: pykan's own spline beyond the grid, so the loaded
model computes pykan's outputs outside the grid too.
"""
from __future__ import annotations

import contextlib
import os
import re
from collections import namedtuple

import torch
from torch import Tensor

from kanlab.nn._symbolic_edges import NO_FUNCTION
from kanlab.pykan._continuation import as_pykans
from kanlab.pykan._symbolic_front import as_selecting_mask
from kanlab.pykan._views import SPLINE_LAYOUT

__all__ = ["is_pykan_state", "pykan_files", "read_config", "load_state", "load_checkpoint"]

_AFFINE_KEYS = ("node_bias", "node_scale", "subnode_bias", "subnode_scale")
# what torch's load_state_dict returns, field for field
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
_PYKAN_KEY = re.compile(r"^(act_fun\.\d+\.|symbolic_fun\.\d+\.|(sub)?node_(bias|scale)_\d+$)")


def is_pykan_state(state) -> bool:
    """Whether ``state`` (a mapping) has pykan 0.2.8's keys (``act_fun.0.coef``, ...)."""
    return hasattr(state, "keys") and any(_PYKAN_KEY.match(str(k)) for k in state.keys())


def pykan_files(path) -> tuple[str, str, str] | None:
    """``(config, state, cache_data)`` paths of a pykan checkpoint at ``path`` (its
    ``saveckpt`` prefix, or one of its files), or None where there is no config file."""
    path = str(path)
    for suffix in ("_config.yml", "_state", "_cache_data"):
        if path.endswith(suffix) and os.path.isfile(path):
            path = path[: -len(suffix)]
            break
    files = (f"{path}_config.yml", f"{path}_state", f"{path}_cache_data")
    return files if os.path.isfile(files[0]) else None


def read_config(file: str) -> dict:
    """pykan's ``<path>_config.yml`` as a dict (needs PyYAML, as pykan itself does)."""
    try:
        import yaml
    except ImportError as exc:  # pykan imports yaml itself; kanlab does not need it otherwise
        raise ImportError(f"reading pykan's checkpoint {file} needs PyYAML "
                          "(pip install pyyaml)") from exc
    with open(file, encoding="utf-8") as stream:
        try:
            config = yaml.safe_load(stream)
        except yaml.YAMLError as exc:
            raise ValueError(f"{file} is not valid YAML ({exc}); expected the config file "
                             "that pykan's saveckpt writes") from exc
    if not isinstance(config, dict):
        raise ValueError(f"{file} holds a {type(config).__name__}, expected the mapping that "
                         "pykan's saveckpt writes (width, grid, k, ...)")
    missing = [k for k in ("width", "grid", "k") if k not in config]
    if missing:
        raise ValueError(f"{file} lacks {missing}; expected pykan 0.2.8's saveckpt config "
                         "(width, grid, k, mult_arity, base_fun_name, symbolic.funs_name.<l>, ...)")
    return config


# ---------------------------------------------------------------------- the state_dict
def _expected_shapes(model, l: int, grid: int) -> dict[str, tuple[int, ...]]:
    layer = model.layers[l]
    n_in, n_out, k = layer.in_features, layer.out_features, layer.k
    shapes = {}
    for name, (own, dims) in SPLINE_LAYOUT.items():  # the layer's own shapes, in pykan's layout
        shape = [getattr(layer, own).shape[d] for d in dims]
        if name in ("grid", "coef"):  # the state's grid size may differ from the model's
            shape[-1] = grid + (2 * k + 1 if name == "grid" else k)
        shapes[f"act_fun.{l}.{name}"] = tuple(shape)
    return {**shapes,
            f"symbolic_fun.{l}.mask": (n_out, n_in), f"symbolic_fun.{l}.affine": (n_out, n_in, 4),
            f"node_bias_{l}": (model.n_nodes[l + 1],), f"node_scale_{l}": (model.n_nodes[l + 1],),
            f"subnode_bias_{l}": (n_out,), f"subnode_scale_{l}": (n_out,)}


def _layer_grid(state, l: int, layer) -> int:
    """Grid intervals of layer ``l`` in ``state`` (its knots' count), or the layer's own."""
    knots = state.get(f"act_fun.{l}.grid")
    if isinstance(knots, Tensor) and knots.dim() == 2:
        return knots.shape[1] - 2 * layer.k - 1
    return layer.grid


def _check(model, state, strict: bool) -> tuple[list[str], list[str]]:
    expected = {}
    for l, layer in enumerate(model.layers):
        expected.update(_expected_shapes(model, l, _layer_grid(state, l, layer)))
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if strict and (missing or unexpected):
        raise ValueError(f"pykan state_dict does not fit this model (width {model.width_spec}, "
                         f"k={model.k}): missing {missing}, unexpected {unexpected}")
    for key, shape in expected.items():
        value = state.get(key)
        if value is None:
            continue
        if not isinstance(value, Tensor) or not value.is_floating_point():
            raise ValueError(f"pykan state_dict[{key!r}] must be a float tensor, got "
                             f"{type(value).__name__}")
        if tuple(value.shape) != shape:
            raise ValueError(f"pykan state_dict[{key!r}] has shape {tuple(value.shape)}, this "
                             f"model (width {model.width_spec}, k={model.k}) expects {shape}")
        if not bool(torch.isfinite(value).all()):
            raise ValueError(f"pykan state_dict[{key!r}] holds non-finite values")
    return missing, unexpected


@torch.no_grad()
def load_state(model, state, strict: bool = True, symbolic_enabled: bool = True):
    """Load pykan 0.2.8's ``state_dict`` into ``model`` (a kanlab.pykan ``KAN`` of the same
    width; its grid size may differ).  Symbolic edges keep the model's functions (pykan's
    ``state_dict`` has no names; an edge switched on without one is pykan's ``'0'``).  The
    splines continue beyond the grid as pykan's (``"extended"``,
    :func:`kanlab.pykan._continuation.as_pykans`).

    Returns torch's ``(missing_keys, unexpected_keys)``; ``strict`` raises ValueError on
    either, and on any tensor of the wrong shape."""
    missing, unexpected = _check(model, state, strict)
    if model.affines is None:
        _check_product_biases(model, state)
    for l, (layer, sym) in enumerate(zip(model.layers, model.symbolic)):
        get = state.get
        knots, coef = get(f"act_fun.{l}.grid"), get(f"act_fun.{l}.coef")
        if knots is not None or coef is not None:  # together: their sizes go with each other
            knots = layer.knots if knots is None else _own(knots, "grid").to(layer.knots)
            coef = layer.coef if coef is None else _own(coef, "coef").to(layer.coef)
            layer.set_grid(knots, coef)
        for name, (own, _) in SPLINE_LAYOUT.items():
            value = get(f"act_fun.{l}.{name}")
            if value is not None and name not in ("grid", "coef"):
                getattr(layer, own).copy_(_own(value, name))
        mask, affine = get(f"symbolic_fun.{l}.mask"), get(f"symbolic_fun.{l}.affine")
        if mask is not None:
            sym.mask.copy_(mask)
        if affine is not None:
            sym.affine.copy_(affine)
        sym.moved_offsets = {}  # pykan's constants are their edges' own (kanlab.nn._symbolic_offsets)
        if not symbolic_enabled:  # pykan skips its symbolic front altogether
            sym.mask.zero_()
        as_selecting_mask(sym)  # pykan multiplies by the mask, kanlab's selects
    for l in range(model.depth):  # after every layer is in: a product's bias moves into l + 1
        values = [state.get(f"{name}_{l}") for name in _AFFINE_KEYS]
        if model.affines is not None:  # affine_trainable: the model's own maps
            for name, value in zip(_AFFINE_KEYS, values):
                if value is not None:
                    getattr(model.affines[l], name).copy_(value)
        else:
            _fold_affine(model, l, *values)
    as_pykans(model)
    return IncompatibleKeys(missing, unexpected)



def _fold_affine(model, l: int, node_bias, node_scale, subnode_bias, subnode_scale) -> None:
    """Fold pykan's node and subnode affine maps of level ``l + 1`` into layer ``l``'s edges."""
    layer, sym = model.layers[l], model.symbolic[l]
    n_sub = layer.out_features
    ones, zeros = layer.scale_sp.new_ones(n_sub), layer.scale_sp.new_zeros(n_sub)
    s_scale = ones if subnode_scale is None else subnode_scale.to(ones)
    s_bias = zeros if subnode_bias is None else subnode_bias.to(ones)
    n_nodes = model.n_nodes[l + 1]
    n_scale = layer.scale_sp.new_ones(n_nodes) if node_scale is None else node_scale.to(ones)
    n_bias = layer.scale_sp.new_zeros(n_nodes) if node_bias is None else node_bias.to(ones)
    node_of = model.subnode_to_node(l + 1)
    n_add = n_nodes - len(model.arities[l + 1])
    for n in range(n_add, n_nodes):
        if float(n_bias[n]) != 0.0:
            _shift_input(model, l, n, float(n_bias[n]))
    scale, const = s_scale.clone(), s_bias.clone()
    for j, n in enumerate(node_of):
        first = j == 0 or node_of[j - 1] != n
        if first:  # an addition node, or a product's first factor, carries the node's scale
            scale[j] = scale[j] * n_scale[n]
            const[j] = const[j] * n_scale[n]
        if n < n_add:
            const[j] = const[j] + n_bias[n]
    if bool((scale != 1).any()):
        layer.scale_base.mul_(scale[:, None])
        layer.scale_sp.mul_(scale[:, None])
        sym.affine[..., 2:].mul_(scale[:, None, None])
    for j in (const != 0).nonzero().flatten().tolist():
        _add_constant(sym, j, float(const[j]))


def _check_product_biases(model, state) -> None:
    """Refuse, before anything is loaded, a bias after a product that cannot be carried
    over: on an output node, or feeding a live base function other than the identity."""
    for l in range(model.depth):
        bias = state.get(f"node_bias_{l}")
        n_add = model.n_nodes[l + 1] - len(model.arities[l + 1])
        for n in range(n_add, model.n_nodes[l + 1]):
            if bias is None or float(bias[n]) == 0.0:
                continue
            where = f"pykan's node_bias_{l}[{n}] = {float(bias[n])} (a bias after a product)"
            if l + 1 == model.depth:
                raise ValueError(f"{where} is on an output node; kanlab's nodes have no bias. "
                                 "Expected 0 there")
            layer = model.layers[l + 1]
            base = _pykan_or_own(state, l + 1, "scale_base", layer)[n] * \
                _pykan_or_own(state, l + 1, "mask", layer)[n]  # (out,)
            if layer.base_fun_name not in ("identity", "zero") and bool((base != 0).any()):
                raise ValueError(f"{where} feeds the {layer.base_fun_name} base function of "
                                 f"layer {l + 1}, which kanlab cannot shift; expected 0 there, "
                                 "or those edges' scale_base 0")


def _pykan_or_own(state, l: int, name: str, layer) -> Tensor:
    """``act_fun.<l>.<name>`` ``(in, out)`` from ``state``, else the layer's own."""
    value = state.get(f"act_fun.{l}.{name}")
    if value is not None:
        return value.detach().cpu()
    own, dims = SPLINE_LAYOUT[name]
    return getattr(layer, own).detach().permute(dims).cpu()


def _own(value: Tensor, name: str) -> Tensor:
    """pykan's ``act_fun.<l>.<name>`` in kanlab's layout (:data:`SPLINE_LAYOUT`)."""
    return value.permute(SPLINE_LAYOUT[name][1])


def _shift_input(model, l: int, n: int, shift: float) -> None:
    """pykan's ``node_bias_<l>[n]`` on multiplication node ``n``: layer ``l + 1`` sees input
    ``n`` moved by ``shift``, so its knots move by ``-shift`` and its symbolic edges' ``b`` by
    ``a · shift``; an identity base function adds a constant (others were refused, or are 0
    there: :func:`_check_product_biases`)."""
    layer, sym = model.layers[l + 1], model.symbolic[l + 1]
    if layer.base_fun_name == "identity":
        base = (layer.mask * layer.scale_base)[:, n]  # (out,)
        for j in (base != 0).nonzero().flatten().tolist():
            _add_constant(sym, j, float(base[j]) * shift)
    knots = layer.knots.clone()
    knots[n] -= shift
    layer.set_grid(knots, layer.coef.detach())
    sym.affine[:, n, 1] += sym.affine[:, n, 0] * shift


def _add_constant(sym, j: int, value: float) -> None:
    """Add ``value`` to output ``j`` of a symbolic layer: the ``d`` of a live symbolic edge
    into it, else a new ``'0'`` edge (``c · 0 + d``) on a free input."""
    live = (sym.mask[j] != 0).nonzero().flatten().tolist()
    if live:
        sym.affine[j, live[0], 3] += value
        return
    free = (sym.code[j] == NO_FUNCTION).nonzero().flatten().tolist()
    i = free[0] if free else 0
    from kanlab.pykan._symbolic_names import _lookup
    sym.set_edge(i, j, _lookup("0"), [0.0, 0.0, 0.0, value])


# ---------------------------------------------------------------------- the files
def _names(config: dict, l: int, sym, file: str) -> list[list[str]]:
    names = config.get(f"symbolic.funs_name.{l}")
    if names is None:
        return [["0"] * sym.in_features for _ in range(sym.out_features)]
    if not isinstance(names, list) or len(names) != sym.out_features or any(
            not isinstance(row, list) or len(row) != sym.in_features for row in names):
        raise ValueError(f"{file}: symbolic.funs_name.{l} must be {sym.out_features} lists of "
                         f"{sym.in_features} names (out × in), got {names!r}")
    return names


@contextlib.contextmanager
def _global_generators_kept():
    """torch's, numpy's and Python's global generators as they were, whatever runs inside
    (a model built to be loaded into draws pykan's seed-1 start: loading is no reseeding)."""
    import random

    import numpy as np
    states = torch.random.get_rng_state(), np.random.get_state(), random.getstate()
    try:
        yield
    finally:
        torch.random.set_rng_state(states[0])
        np.random.set_state(states[1])
        random.setstate(states[2])


def _device(config, config_file, map_location):
    """Where the loaded model goes: ``map_location``, else the device pykan saved from."""
    where = config.get("device", "cpu") if map_location is None else map_location
    try:
        device = torch.device(where)
    except (TypeError, RuntimeError) as exc:
        raise TypeError(f"map_location must be a device (e.g. 'cpu'), got {where!r}") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{config_file}: the model was saved on {where!r} and this machine has "
                         "no CUDA; load it with loadckpt(path, map_location='cpu')")
    return device


def load_checkpoint(cls, path, map_location=None):
    """The model pykan 0.2.8's ``saveckpt(path)`` wrote, as a ``cls`` (kanlab.pykan's KAN), on
    ``map_location`` or else the device it was saved from.  The global random generators are
    left as they were (pykan's ``loadckpt`` reseeds them through its constructor)."""
    files = pykan_files(path)
    if files is None:
        raise FileNotFoundError(f"no pykan checkpoint at {path!r}: expected {path}_config.yml")
    config_file, state_file, cache_file = files
    config = read_config(config_file)
    if not os.path.isfile(state_file):
        raise FileNotFoundError(f"pykan checkpoint {path!r} has a config but no {state_file}")
    try:
        state = torch.load(state_file, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: say which one
        raise ValueError(f"{state_file} is not a torch state_dict ({exc}); expected the "
                         "file pykan's saveckpt writes") from exc
    if not is_pykan_state(state):
        raise ValueError(f"{state_file} does not hold pykan's state_dict keys "
                         "(act_fun.0.coef, symbolic_fun.0.mask, node_bias_0, ...)")
    base_fun = config.get("base_fun_name", "silu")
    if not isinstance(base_fun, str):
        raise ValueError(f"{config_file}: base_fun_name {base_fun!r} is not a name; a pykan "
                         "model with a custom base function cannot be rebuilt from its files")
    coef = state.get("act_fun.0.coef")
    dtype = coef.dtype if isinstance(coef, Tensor) and coef.is_floating_point() else None
    device = _device(config, config_file, map_location)
    try:
        with _global_generators_kept():
            model = cls(width=config["width"], grid=config["grid"], k=config["k"],
                        mult_arity=config.get("mult_arity", 2), base_fun=base_fun,
                        grid_eps=config.get("grid_eps", 0.02),
                        grid_range=config.get("grid_range", [-1, 1]),
                        sp_trainable=config.get("sp_trainable", True),
                        sb_trainable=config.get("sb_trainable", True),
                        symbolic_enabled=config.get("symbolic_enabled", True), auto_save=False,
                        affine_trainable=bool(config.get("affine_trainable", False)),
                        device=device, dtype=dtype, extrapolate="extended")
    except (TypeError, ValueError) as exc:  # say which file holds the bad value
        raise ValueError(f"{config_file}: {exc}") from exc
    from kanlab.pykan._symbolic_names import _name
    for l, sym in enumerate(model.symbolic):  # the names first: load_state keeps them
        for j, row in enumerate(_names(config, l, sym, config_file)):
            for i, name in enumerate(row):
                if str(name) != "0":
                    try:
                        candidate = _name(str(name))
                    except ValueError as exc:
                        raise ValueError(f"{config_file}: symbolic.funs_name.{l}[{j}][{i}]: "
                                         f"{exc}") from exc
                    sym.set_edge(i, j, candidate, [0.0] * 4)
    state = {k: v.to(model.device) if isinstance(v, Tensor) else v for k, v in state.items()}
    try:
        load_state(model, state, strict=True,
                   symbolic_enabled=bool(config.get("symbolic_enabled", True)))
    except ValueError as exc:
        raise ValueError(f"{state_file} (with {config_file}): {exc}") from exc
    model.auto_save = bool(config.get("auto_save", False))
    model.ckpt_path = str(config.get("ckpt_path", "./model"))
    model.round = int(config.get("round", 0)) + 1  # as pykan's loadckpt
    model.state_id = int(config.get("state_id", 0))
    if os.path.isfile(cache_file):
        try:
            cache = torch.load(cache_file, map_location=model.device, weights_only=True)
        except Exception as exc:  # a truncated or foreign file: say which one
            raise ValueError(f"{cache_file} is not pykan's cached input ({exc}); expected "
                             "the tensor (or None) its saveckpt writes") from exc
        if isinstance(cache, Tensor) and cache.dim() == 2 and cache.shape[1] == model.n_nodes[0]:
            model.reference_input = cache.to(model.dtype)
    return model

"""Export a trained KAN: ``torch.export`` programs and ONNX files.

``torch.compile(model)`` needs nothing from here; it works on a
:class:`kanlab.KAN` as it is.

Two things in kanlab need care when exporting, and the helpers here take it:

* ``kanlab.splines._tables.cardinal_matrix`` caches the uniform-grid polynomial
  matrix in a module-level dict the first time it is needed.  If that first
  time is inside ``torch.export`` tracing, the cache keeps a *fake* tensor and
  every later eager call in the process returns fake tensors.
  :func:`export_program` therefore runs the model once eagerly first.
* Two operators of the basis have no ONNX translation in torch's exporter:
  ``torch.cumprod`` (the powers ``s, s², …, s^k``; its decomposition ends in
  ``prims.prod``) and ``torch.searchsorted`` (the knot span on non-uniform
  grids).  kanlab's basis uses exact stand-ins while ``torch.onnx.export``
  records it (:mod:`kanlab.splines._onnx_ops`: ``k`` products, the same
  multiplications in the same order, and a count of comparisons with the
  knots), so a plain ``torch.onnx.export(model, ...)`` works; :func:`to_onnx`
  also decomposes both in the exported program (a program made by
  ``torch.export.export`` outside the ONNX exporter holds them).

Symbolic edges (:mod:`kanlab.nn._symbolic_edges`) are exported as their
functions (``c · f(a·x + b) + d``, ``f`` one torch op or a few).  A traced
graph cannot branch on tensor values, so the two places where kanlab does in
eager mode (skipping a layer whose spline edges are all masked, and
singularity avoidance's early exit) take their general branch while
``torch.compiler.is_compiling()``; both give the same values.  onnxruntime's
CPU provider has no float64 kernels for ``Tan, Asin, Acos, Atan, Sinh, Cosh,
Atanh``: a float64 model with those functions on edges writes a valid ONNX
file that onnxruntime refuses to load (float32 runs).

ONNX export needs the optional packages ``onnx`` and ``onnxscript``
(``pip install 'kanlab[onnx]'``, which also brings ``onnxruntime`` to run the
file).
"""
from __future__ import annotations

import os

import torch
from torch import Tensor, nn

from kanlab.io._atomic import atomic_write_bytes
from kanlab.splines._onnx_ops import cumprod_unrolled, searchsorted_by_comparison

__all__ = ["export_program", "to_onnx"]


def _check_example(model, example) -> Tensor:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (a kanlab.KAN), got {type(model).__name__}")
    if not isinstance(example, Tensor):
        raise TypeError(f"example must be a torch.Tensor of shape (batch, n_in), got "
                        f"{type(example).__name__}")
    if example.dim() != 2:
        raise ValueError(f"example must have shape (batch, n_in), got {tuple(example.shape)}")
    return example


def export_program(model: nn.Module, example: Tensor, *,
                   dynamic_batch: bool = True) -> torch.export.ExportedProgram:
    """``torch.export.export`` of ``model`` on ``example``, with a symbolic batch size.

    Parameters
    ----------
    model
        a :class:`kanlab.KAN` (or any module taking one ``(batch, n_in)`` tensor).
    example
        ``(batch, n_in)`` input of the model's dtype and device.
    dynamic_batch
        export the batch dimension as symbolic, so the
        program accepts any batch size; needs ``batch >= 2`` in the
        example (torch specialises sizes 0 and 1).

    Returns
    -------
    torch.export.ExportedProgram
        The exported program; ``program.module()(x)`` evaluates it.
    """
    example = _check_example(model, example)
    if dynamic_batch and example.shape[0] < 2:
        raise ValueError("dynamic_batch=True needs an example batch of at least 2 rows (torch "
                         f"specialises sizes 0 and 1), got {example.shape[0]}")
    with torch.no_grad():  # fill kanlab's caches with real tensors before tracing (see above)
        model(example)
    dynamic_shapes = ({0: torch.export.Dim("batch")},) if dynamic_batch else None
    return torch.export.export(model, (example,), dynamic_shapes=dynamic_shapes)


def _onnx_ready(program: torch.export.ExportedProgram) -> torch.export.ExportedProgram:
    table = torch.export.default_decompositions()
    # (kanlab's basis already avoids both while torch.onnx.export records it; a program
    # exported by torch.export.export has them, and any other module's too)
    table[torch.ops.aten.cumprod.default] = cumprod_unrolled
    table[torch.ops.aten.searchsorted.Tensor] = searchsorted_by_comparison
    return program.run_decompositions(table)


def to_onnx(model: nn.Module, path: str | os.PathLike, example: Tensor, *,
            dynamic_batch: bool = True, opset_version: int | None = None) -> str:
    """Write ``model`` as an ONNX file (atomically) and return the path.

    The graph has one input ``"input"`` ``(batch, n_in)`` and one output
    ``"output"`` ``(batch, n_out)`` of the model's dtype; the weights are
    stored inside the file.

    Parameters
    ----------
    model : KAN
        The model to write.
    path
        target file, usually ``*.onnx``.
    example
        ``(batch, n_in)`` input used for tracing (see :func:`export_program`).
    dynamic_batch
        accept any batch size in the ONNX graph.
    opset_version
        ONNX opset; None lets torch choose.

    Examples
    --------
    >>> import onnxruntime as ort                                    # doctest: +SKIP
    >>> to_onnx(model, "kan.onnx", torch.rand(8, 2))                  # doctest: +SKIP
    >>> ort.InferenceSession("kan.onnx").run(None, {"input": x.numpy()})  # doctest: +SKIP
    """
    missing = [name for name in ("onnx", "onnxscript") if not _importable(name)]
    if missing:
        raise ImportError(f"to_onnx needs {' and '.join(missing)}; install them with "
                          "pip install 'kanlab[onnx]'")
    program = _onnx_ready(export_program(model, example, dynamic_batch=dynamic_batch))
    onnx_program = torch.onnx.export(program, (example,), dynamo=True, verbose=False,
                                     input_names=["input"], output_names=["output"],
                                     opset_version=opset_version)
    path = os.fspath(path)
    atomic_write_bytes(path, onnx_program.model_proto.SerializeToString())
    return path


def _importable(name: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(name) is not None

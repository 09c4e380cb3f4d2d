"""Which functions of kanlab write a model's symbolic structure, read with :mod:`ast`.

A write is a call of ``set_edge``, ``clear_edge`` or ``regroup``, an in-place method
(``copy_``, ``fill_``, ``zero_``, ...) on a ``mask``, ``affine`` or ``code`` tensor, an
assignment into one (``layer.mask[j, i] = 0``, ``sym.affine[j, i, 3] += d``), or a change
of a model's list of layers (``model.layers.append(...)``, ``model.symbolic[l] = ...``).  A function
enters the edit when a ``with`` in it calls ``edit_structure`` (or ``_editing``, the
helpers that reach it from a layer below :mod:`kanlab.nn` or from a view); the writes
must lie inside that ``with`` (:mod:`kanlab.nn._structure_edits`).
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "kanlab"

WRITERS = {"set_edge", "clear_edge", "regroup"}
TENSORS = {"mask", "affine", "code"}
IN_PLACE = {"copy_", "fill_", "zero_", "add_", "sub_", "mul_", "div_", "masked_fill_",
            "index_fill_", "index_copy_", "scatter_", "clamp_"}
LISTS = {"layers", "symbolic"}
LIST_CHANGES = {"append", "extend", "insert", "pop"}
ENTRIES = {"edit_structure", "_editing"}


def _names(node: ast.AST) -> list[str]:
    """``a.b.c[...]`` -> ``["a", "b", "c"]`` (subscripts skipped)."""
    out = []
    while True:
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Attribute):
            out.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            out.append(node.id)
            return out[::-1]
        else:
            return out[::-1]


def _is_write(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in WRITERS:
            return True
        if node.func.attr in IN_PLACE:
            return bool(TENSORS & set(_names(node.func.value)[-2:]))
        if node.func.attr in LIST_CHANGES:
            return _names(node.func.value)[-1:] in ([n] for n in LISTS)
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            for e in (t.elts if isinstance(t, ast.Tuple) else [t]):
                if isinstance(e, ast.Subscript) and (TENSORS & set(_names(e)[-2:])
                                                     or _names(e)[-1:] in ([n] for n in LISTS)):
                    return True
    return False


def _enters(node: ast.With) -> bool:
    for item in node.items:
        call = item.context_expr
        if isinstance(call, ast.Call):
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(
                call.func, "id", "")
            if name in ENTRIES:
                return True
    return False


def _walk(node: ast.AST, inside: bool, found: list, qual: str) -> None:
    """Collect ``(function, line)`` for each write outside an entered ``with``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            _walk(child, False, found, f"{qual}.{child.name}" if qual else child.name)
            continue
        if isinstance(child, ast.Lambda):
            continue
        now = inside or (isinstance(child, ast.With) and _enters(child))
        if not now and _is_write(child):
            found.append((qual, child.lineno))
        _walk(child, now, found, qual)


def writes_outside_edits(root: Path = PACKAGE) -> dict[str, list[int]]:
    """``{"module:function": [lines]}`` for every structure write outside an edit."""
    out: dict[str, list[int]] = {}
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        found: list = []
        _walk(ast.parse(path.read_text(), str(path)), False, found, "")
        for qual, line in found:
            out.setdefault(f"{module}:{qual}", []).append(line)
    return out

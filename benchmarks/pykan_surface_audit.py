"""Audit kanlab.pykan's public surface against pykan 0.2.8's, with ``inspect``; prints counts.

    PYTHONPATH=src python benchmarks/pykan_surface_audit.py [--list]

Walks every pykan module (``kan.MultKAN``, ``kan.utils``, ...; and ``from kan import *``),
every public member of ``MultKAN``, ``KANLayer``, ``Symbolic_KANLayer``, ``MLP`` and
``LBFGS``, every parameter of their callables, and the attributes of a small built model,
and counts what kanlab.pykan lacks or has otherwise:

* names: pykan's own names, the third-party names its modules import (sympy's counted
  apart), ``import *``'s, class members, instance attributes of ``KAN(width=[2, 3, 1])``;
* parameters: missing, out of pykan's positional order, defaults that differ, ``**kwargs``
  where pykan has none, and parameters kanlab accepts but never reads (from the bytecode).

``tests/pykan/test_surface_parity.py`` asserts the same comparison, with the accepted
differences listed there and in docs/pykan.md.  pykan writes nothing here (it is imported,
and one model built in a temporary directory).
"""
from __future__ import annotations

import argparse
import dis
import importlib
import inspect
import os
import tempfile
from collections import defaultdict

import torch

MODULES = ("MultKAN", "KANLayer", "Symbolic_KANLayer", "spline", "utils", "LBFGS", "MLP",
           "compiler", "hypothesis", "feynman", "experiment")
CLASSES = (("MultKAN", "MultKAN"), ("KANLayer", "KANLayer"),
           ("Symbolic_KANLayer", "Symbolic_KANLayer"), ("MLP", "MLP"), ("LBFGS", "LBFGS"))


def _star(modname: str) -> set[str]:
    ns: dict = {}
    exec(f"from {modname} import *", ns)
    return {k for k in ns if not k.startswith("_")}


def _own(obj) -> bool:
    return (getattr(obj, "__module__", "") or "").split(".")[0] == "kan"


def _members(cls) -> dict:
    names: dict = {}
    for base in cls.__mro__:
        if base.__module__.startswith("kan."):
            for k, v in vars(base).items():
                if not k.startswith("_") or k == "__init__":
                    names.setdefault(k, v)
    return names


def _signature(f, drop: bool):
    try:
        ps = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return None
    return ps[1:] if drop and ps and ps[0].kind != ps[0].VAR_POSITIONAL else ps


def _norm(d):
    if d is inspect.Parameter.empty:
        return "<required>"
    if isinstance(d, (list, tuple)):
        return [_norm(x) for x in d]
    if callable(d):
        return getattr(d, "__name__", type(d).__name__)
    return d


def _unread(f) -> list[str]:
    """Parameters of ``f`` its body never reads (closures and ``locals()`` count as reads)."""
    code = getattr(inspect.unwrap(f), "__code__", None)
    if code is None or "locals" in code.co_names:
        return []
    params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    reads = set()
    for ins in dis.get_instructions(code):
        if ins.opname.startswith(("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE")):
            reads |= set(ins.argval) if isinstance(ins.argval, tuple) else {ins.argval}
    for c in code.co_consts:
        reads |= set(getattr(c, "co_freevars", ()))
    return [p for p in params if p not in reads and p not in ("self", "cls")]


def _callables():
    """(name, pykan's, kanlab's, drop_a, drop_b) for every pair of callables to compare."""
    for m in MODULES:
        pk, ours = importlib.import_module(f"kan.{m}"), importlib.import_module(f"kanlab.pykan.{m}")
        for n in sorted(_star(f"kan.{m}")):
            obj = getattr(pk, n)
            if _own(obj) and inspect.isfunction(obj) and hasattr(ours, n):
                yield f"{m}.{n}", obj, getattr(ours, n), False, False
    for mod, cname in CLASSES:
        a = getattr(importlib.import_module(f"kan.{mod}"), cname)
        b = getattr(importlib.import_module(f"kanlab.pykan.{mod}"), cname)
        for k, v in _members(a).items():
            w = inspect.getattr_static(b, k, None)
            if w is None or isinstance(v, property) or isinstance(w, property):
                continue
            fa = v.__func__ if isinstance(v, (staticmethod, classmethod)) else v
            fb = w.__func__ if isinstance(w, (staticmethod, classmethod)) else w
            yield (f"{cname}.{k}", fa, fb, not isinstance(v, staticmethod),
                   not isinstance(w, staticmethod))


def audit() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    sympy_names = _star("sympy")
    for m in MODULES:
        pk = importlib.import_module(f"kan.{m}")
        ours = set(dir(importlib.import_module(f"kanlab.pykan.{m}"))) | _star(f"kanlab.pykan.{m}")
        for n in sorted(_star(f"kan.{m}") - ours):
            obj = getattr(pk, n)
            kind = ("own names" if _own(obj) else "sympy names in modules" if n in sympy_names
                    else "third-party names in modules")
            out[kind].append(f"kan.{m}.{n}")
    out["import * names"] = sorted(_star("kan") - _star("kanlab.pykan"))
    for mod, cname in CLASSES:
        a = getattr(importlib.import_module(f"kan.{mod}"), cname)
        b = getattr(importlib.import_module(f"kanlab.pykan.{mod}"), cname)
        for k, v in _members(a).items():
            if not hasattr(b, k):
                out["class members"].append(f"{cname}.{k}")
            elif isinstance(v, property) and inspect.isfunction(inspect.getattr_static(b, k)):
                out["properties that are methods"].append(f"{cname}.{k}")
    seen = set()  # a function re-exported by several modules is counted once
    for name, a, b, da, db in _callables():
        pa, pb = _signature(a, da), _signature(b, db)
        if pa is None or pb is None or (a, b) in seen:
            continue
        seen.add((a, b))
        var = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        by_name = {p.name: p for p in pb}
        for p in pa:
            if p.kind in var:
                continue
            if p.name not in by_name:
                out["parameters missing"].append(f"{name}({p.name})")
            elif _norm(p.default) != _norm(by_name[p.name].default):
                out["defaults differing"].append(
                    f"{name}({p.name}): pykan {_norm(p.default)!r}, kanlab "
                    f"{_norm(by_name[p.name].default)!r}")
        pos_a = [p.name for p in pa if p.kind not in var]
        pos_b = [p.name for p in pb if p.kind not in var]
        if pos_b[:len(pos_a)] != pos_a:
            out["parameter orders differing"].append(f"{name}: pykan {pos_a}, kanlab {pos_b}")
        if any(p.kind == p.VAR_KEYWORD for p in pb) and not any(p.kind == p.VAR_KEYWORD for p in pa):
            out["**kwargs where pykan has none"].append(name)
        known = {p.name for p in pa}
        out["parameters accepted, never read"] += [f"{name}({p})" for p in _unread(b)
                                                   if p in known]
    _instance_attributes(out)
    return out


def _instance_attributes(out) -> None:
    import kan

    import kanlab.pykan as ours
    here = os.getcwd()
    os.chdir(tempfile.mkdtemp())  # pykan's models may write ./model
    try:
        x = torch.rand(20, 2) * 2 - 1
        a = kan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
        b = ours.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
        a(x)
        b(x)
    finally:
        os.chdir(here)
    base = set(dir(torch.nn.Module()))
    names = set(vars(a)) | set(a._modules) | set(a._parameters) | set(a._buffers)
    out["model attributes"] = sorted(f"KAN().{n}" for n in names - base
                                     if not n.startswith("_") and not hasattr(b, n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print every entry, not only counts")
    args = parser.parse_args()
    for kind, entries in audit().items():
        print(f"{kind}: {len(entries)}")
        if args.list:
            for e in entries:
                print(f"    {e}")


if __name__ == "__main__":
    main()

"""kanlab.pykan's public surface against pykan 0.2.8's, walked with ``inspect``.

Every public name of pykan's modules (and of ``from kan import *``), every public member
of ``MultKAN``, ``KANLayer``, ``Symbolic_KANLayer``, ``MLP`` and ``LBFGS``, and every
parameter of their callables (name, position, default) has its counterpart in
kanlab.pykan, but for the differences listed here with their reasons (also in
docs/pykan.md, "What is not provided or differs").  ``benchmarks/pykan_surface_audit.py``
prints the same comparison as a report.
"""
import importlib
import inspect

import pytest

from _notebook_runner import load_audit

kan = pytest.importorskip("kan")
_audit = load_audit()  # the walk is the audit script's: its modules, classes and members
MODULES, CLASSES = _audit.MODULES, _audit.CLASSES
_star, _own, _members = _audit._star, _audit._own, _audit._members

# pykan's own names that kanlab.pykan does not provide, and why
NOT_PROVIDED: dict[str, str] = {}
# names ``from kan import *`` brings that are not pykan's (its modules' own imports)
STAR_NOT_PROVIDED = {
    "pd": "pandas is no dependency of kanlab (and costs ~1 s to import): import pandas as pd",
    "LinearRegression": "scikit-learn is no dependency of kanlab (and costs seconds to import)",
    "yaml": "pyyaml is no dependency of kanlab (only loadckpt of pykan's files reads it)",
}
# defaults that differ, and why
DEFAULTS_DIFFER = {
    # pykan's 'w' is no metric of its own reg(): get_derivative(loss_mode='reg') raised
    ("utils.get_derivative", "reg_metric"), ("Symbolic_KANLayer.get_derivative", "reg_metric"),
    # the compiled model saves version 0.1, as the pykan that printed Physics_4 (rewind('0.7'))
    ("compiler.expr2kan", "auto_save"), ("compiler.kanpiler", "auto_save"),
    ("compiler.sf2kan", "auto_save"),
    # pykan writes every edge's image under ./figures on each plot(); kanlab.pykan writes
    # them when a folder is given (no files unless asked)
    ("MultKAN.plot", "folder"),
}
# pykan's required parameters that have a default here (a call pykan takes works the same)
DEFAULTED = {("MultKAN.reg", p) for p in ("reg_metric", "lamb_l1", "lamb_entropy", "lamb_coef",
                                          "lamb_coefdiff")} | \
            {("MultKAN.get_reg", p) for p in ("reg_metric", "lamb_l1", "lamb_entropy", "lamb_coef",
                                              "lamb_coefdiff")} | \
            {("MultKAN.log_history", "method_name"), ("MultKAN.refine", "new_grid")}
# pykan's default is a lambda; kanlab's None stands for the same function
# (kanlab.pykan._ranking.default_r2_loss, default_c_loss)
SAME_FUNCTION = {("MultKAN.suggest_symbolic", "r2_loss_fun"),
                 ("MultKAN.suggest_symbolic", "c_loss_fun")}
# torch's Module.to(*args, **kwargs): pykan's to(device) is one of its calls
TORCH_SIGNATURE = {"to"}


def _functions():
    """(qualified name, pykan's callable, kanlab's callable, drop first parameter)."""
    out = []
    for m in MODULES:
        pk, ours = importlib.import_module(f"kan.{m}"), importlib.import_module(f"kanlab.pykan.{m}")
        for n in sorted(_star(f"kan.{m}")):
            obj = getattr(pk, n)
            if _own(obj) and inspect.isfunction(obj) and f"{m}.{n}" not in NOT_PROVIDED:
                out.append((f"{m}.{n}", obj, getattr(ours, n), False))
    for mod, cname in CLASSES:
        a = getattr(importlib.import_module(f"kan.{mod}"), cname)
        b = getattr(importlib.import_module(f"kanlab.pykan.{mod}"), cname)
        for k, v in _members(a).items():
            if f"{cname}.{k}" in NOT_PROVIDED or k in TORCH_SIGNATURE or isinstance(v, property):
                continue
            w = inspect.getattr_static(b, k)
            fa = v.__func__ if isinstance(v, (staticmethod, classmethod)) else v
            fb = w.__func__ if isinstance(w, (staticmethod, classmethod)) else w
            out.append((f"{cname}.{k}", fa, fb, (not isinstance(v, staticmethod),
                                                 not isinstance(w, staticmethod))))
    return out


def _params(f, drop):
    ps = list(inspect.signature(f).parameters.values())
    return ps[1:] if drop and ps else ps


def test_every_pykan_module_name_is_provided():
    """Each pykan module's own names are in its kanlab.pykan counterpart (``import *`` too)."""
    missing = []
    for m in MODULES:
        pk = importlib.import_module(f"kan.{m}")
        ours = set(dir(importlib.import_module(f"kanlab.pykan.{m}"))) | _star(f"kanlab.pykan.{m}")
        star_ours = _star(f"kanlab.pykan.{m}")
        for n in _star(f"kan.{m}"):
            if _own(getattr(pk, n)) and f"{m}.{n}" not in NOT_PROVIDED:
                if n not in ours or n not in star_ours:
                    missing.append(f"{m}.{n}")
    assert missing == []


def test_star_import_gives_what_pykans_gives():
    """``from kanlab.pykan import *`` brings every name ``from kan import *`` does (sympy's,
    torch, np, plt, glob, ...), but for the third-party ones listed with their reasons."""
    assert _star("kan") - _star("kanlab.pykan") <= set(STAR_NOT_PROVIDED)


def test_every_public_member_of_pykans_classes_is_provided():
    """Methods and properties of MultKAN, KANLayer, Symbolic_KANLayer, MLP and LBFGS; pykan's
    properties are properties here too (``model.n_edge``, ``model.connection_cost``)."""
    missing, kinds = [], []
    for mod, cname in CLASSES:
        a = getattr(importlib.import_module(f"kan.{mod}"), cname)
        b = getattr(importlib.import_module(f"kanlab.pykan.{mod}"), cname)
        for k, v in _members(a).items():
            if f"{cname}.{k}" in NOT_PROVIDED:
                continue
            if not hasattr(b, k):
                missing.append(f"{cname}.{k}")
            elif isinstance(v, property) and inspect.isfunction(inspect.getattr_static(b, k)):
                kinds.append(f"{cname}.{k} is a method, pykan's a property")
    assert missing == [] and kinds == []


def test_parameters_keep_pykans_names_order_and_kinds():
    """pykan's parameters, in pykan's positional order (code passes them by position:
    ``fit(dataset, 'LBFGS', 20)``, ``fix_symbolic(0, 0, 0, 'sin')``, ``KAN([2, 5, 1], 3, 3)``);
    kanlab's extra parameters come after them, and none takes ``**kwargs`` where pykan does
    not (an unknown keyword is a TypeError, as in pykan)."""
    problems = []
    for name, a, b, drop in _functions():
        da, db = drop if isinstance(drop, tuple) else (drop, drop)
        pa, pb = _params(a, da), _params(b, db)
        var = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        names_a = [p.name for p in pa if p.kind not in var]
        names_b = [p.name for p in pb if p.kind not in var]
        if names_b[:len(names_a)] != names_a:
            problems.append(f"{name}: pykan {names_a}, kanlab {names_b}")
        if any(p.kind == p.VAR_KEYWORD for p in pb) and not any(p.kind == p.VAR_KEYWORD for p in pa):
            problems.append(f"{name}: **kwargs")
        kinds_a = {p.name: p.kind for p in pa}
        for p in pb:
            if p.name in kinds_a and p.kind != kinds_a[p.name]:
                problems.append(f"{name}({p.name}): {p.kind.name}, pykan's {kinds_a[p.name].name}")
    assert problems == []


def _same_default(x, y):
    try:
        return bool(x == y) or (isinstance(x, (list, tuple)) and list(x) == list(y))
    except (TypeError, RuntimeError, ValueError):
        return repr(x) == repr(y)


def test_defaults_are_pykans():
    """Every default of pykan's parameters is pykan's, but for the listed differences."""
    differ = []
    for name, a, b, drop in _functions():
        da, db = drop if isinstance(drop, tuple) else (drop, drop)
        pb = {p.name: p for p in _params(b, db)}
        for p in _params(a, da):
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            key = (name, p.name)
            q = pb[p.name].default
            if p.default is p.empty:
                if q is not p.empty and key not in DEFAULTED:
                    differ.append(f"{name}({p.name}) has a default")
            elif key in SAME_FUNCTION:
                assert q is None
            elif callable(p.default) and not inspect.isclass(p.default):
                if type(q) is not type(p.default) and not isinstance(q, str):
                    differ.append(f"{name}({p.name}): {q!r}, pykan's {p.default!r}")
            elif not _same_default(p.default, q) and key not in DEFAULTS_DIFFER:
                differ.append(f"{name}({p.name}): {q!r}, pykan's {p.default!r}")
    assert differ == []


def test_positional_calls_as_users_write_them(tmp_path, monkeypatch):
    """``KAN([2, 5, 1], 3, 3)``, ``create_dataset(f, 2)``, ``fit(dataset, 'LBFGS', 2)``,
    ``fix_symbolic(0, 0, 0, 'sin')``, ``suggest_symbolic(0, 0, 0)``: pykan's meanings."""
    import torch

    import kanlab.pykan as pykan
    monkeypatch.chdir(tmp_path)
    model = pykan.KAN([2, 5, 1], 3, 3, auto_save=False)
    assert (model.grid, model.k, model.width) == (3, 3, [[2, 0], [5, 0], [1, 0]])
    data = pykan.create_dataset(lambda x: torch.sin(x[:, [0]]) + x[:, [1]], 2, train_num=50,
                                test_num=20)
    assert data["train_input"].shape == (50, 2)
    results = model.fit(data, "LBFGS", 2, update_grid=False)
    assert len(results["train_loss"]) == 2
    name, row, r2, c = model.suggest_symbolic(0, 0, 0, verbose=False)
    assert name in pykan.SYMBOLIC_LIB and 0 <= r2 <= 1
    r2 = model.fix_symbolic(0, 0, 0, "sin", verbose=False)
    assert model.symbolic_fun[0].funs_name[0][0] == "sin" and float(r2) <= 1

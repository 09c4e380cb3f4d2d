"""kanlab's import layers, and a checker that reads every ``import`` with :mod:`ast`.

The same idea as an import-linter "layers" contract, with no extra dependency:
each module may import only from its own layer or the layers below it. Imports
inside functions count too; the one exception is the mixin of pykan-style
methods on ``KAN`` (``LAZY_UPWARD``), which delegates upward lazily.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "kanlab"

# Bottom up. Layers on one line are siblings: neither may import the other.
LAYERS: list[tuple[str, ...]] = [
    ("kanlab.config", "kanlab._validation", "kanlab._compat", "kanlab._version", "kanlab._threads"),
    ("kanlab.splines",),
    ("kanlab.ops",),
    ("kanlab.symbolic",),
    ("kanlab.nn",),
    ("kanlab.train", "kanlab.io"),
    ("kanlab.plotting",),
    ("kanlab.discover",),  # below sklearn: KANRegressor(symbolic=True) calls discover
    ("kanlab.sklearn", "kanlab.pykan"),
    ("kanlab.cli",),
    ("kanlab", "kanlab.__main__"),  # the package's own __init__ gathers the public API
]

# Modules allowed to import upward inside functions (never at module level).
LAZY_UPWARD = {"kanlab.nn._methods"}


@dataclass(frozen=True)
class Violation:
    module: str
    imported: str
    line: int
    why: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported}: {self.why}"


def layer_of(module: str) -> tuple[int, str]:
    """The layer index and container name of a dotted module (longest prefix wins)."""
    best = None
    for rank, names in enumerate(LAYERS):
        for name in names:
            if name == "kanlab":
                continue
            if module == name or module.startswith(name + "."):
                if best is None or len(name) > len(best[1]):
                    best = (rank, name)
    if best is None:
        if module in ("kanlab", "kanlab.__init__"):
            return len(LAYERS) - 1, "kanlab"
        raise LookupError(f"{module} is in no layer: add it to LAYERS in tests/architecture/layers.py")
    return best


def module_name(path: Path, root: Path = PACKAGE) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.Module, module: str, is_package: bool):
    """(imported module, line, at module level) for each kanlab import in ``tree``."""
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "kanlab":
                    yield alias.name, node.lineno, id(node) in top
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "kanlab":
                continue
            if target == "kanlab" or (not node.module and node.level):
                for alias in node.names:  # `from kanlab import nn` names a module
                    yield f"{target}.{alias.name}", node.lineno, id(node) in top
            else:
                yield target, node.lineno, id(node) in top


def check_source(source: str, module: str, is_package: bool = False) -> list[Violation]:
    """Every import in ``source`` (the text of ``module``) that breaks the layers."""
    rank, own = layer_of(module)
    found = []
    for imported, line, at_top in _imports(ast.parse(source), module, is_package):
        if imported == "kanlab" and own != "kanlab":
            found.append(Violation(module, imported, line, "import the defining subpackage, "
                                   "not the package root"))
            continue
        try:
            their_rank, theirs = layer_of(imported)
        except LookupError:
            if imported.startswith("kanlab.") and imported.count(".") == 1 and own == "kanlab":
                continue  # the root may name any public module
            raise
        if their_rank > rank and not (module in LAZY_UPWARD and not at_top):
            found.append(Violation(module, imported, line,
                                   f"layer {own} may not import the higher layer {theirs}"))
        elif their_rank == rank and theirs != own and own != "kanlab":
            found.append(Violation(module, imported, line,
                                   f"{own} and {theirs} are sibling layers: neither imports the other"))
    return found


def check_package(root: Path = PACKAGE) -> list[Violation]:
    """Every layer violation in the installed source tree."""
    out = []
    for path in sorted(root.rglob("*.py")):
        out += check_source(path.read_text(), module_name(path, root), path.name == "__init__.py")
    return out

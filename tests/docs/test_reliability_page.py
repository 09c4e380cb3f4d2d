"""docs/reliability.md names the tests behind its rows: every one of them exists."""
import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
PAGE = TESTS.parent / "docs" / "reliability.md"
REFERENCE = re.compile(r"`((?:[a-z_]+/)?test_[a-z0-9_]+\.py)::(test_[A-Za-z0-9_]+)")


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
    return names


def test_every_named_test_exists():
    refs = REFERENCE.findall(PAGE.read_text(encoding="utf-8"))
    assert len(refs) > 50  # the page backs its rows with tests
    missing = []
    for file, name in sorted(set(refs)):
        path = TESTS / file
        if not path.is_file() or name not in _test_names(path):
            missing.append(f"{file}::{name}")
    assert not missing, f"docs/reliability.md names tests that do not exist: {missing}"

"""Benchmark scripts loaded as modules for the tests: the notebook runner
(benchmarks/pykan_notebooks.py) and the surface audit (benchmarks/pykan_surface_audit.py)."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_runner():
    return _load("pykan_notebooks")


def load_audit():
    return _load("pykan_surface_audit")

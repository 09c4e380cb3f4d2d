"""The notebook runner (benchmarks/pykan_notebooks.py), loaded as a module for the tests."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_runner():
    spec = importlib.util.spec_from_file_location("pykan_notebooks",
                                                  ROOT / "benchmarks" / "pykan_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

"""The notebook runner (benchmarks/pykan_notebooks.py) on two short pykan tutorials."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _runner():
    spec = importlib.util.spec_from_file_location("pykan_notebooks",
                                                  ROOT / "benchmarks" / "pykan_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_lines_are_the_only_change():
    runner = _runner()
    src = "from kan import *\nimport kan\nfrom kan.utils import create_dataset\n!pip install x\nkan_x = 1"
    assert runner.rewrite_imports(src).splitlines() == [
        "from kanlab.pykan import *", "import kanlab.pykan as kan",
        "from kanlab.pykan.utils import create_dataset", "kan_x = 1"]


@pytest.mark.parametrize("name", ["API_11_create_dataset.ipynb", "API_5_grid.ipynb"])
def test_short_notebooks_run_every_cell(name, tmp_path, monkeypatch):
    runner = _runner()
    monkeypatch.chdir(tmp_path)
    result = runner.run_notebook(runner.NOTEBOOKS / name, budget=300)
    failed = [(c["index"], c["error"]) for c in result["cells"] if not c["ok"]]
    assert not failed
    assert len(result["cells"]) == len(result["reference"]) >= 4


def test_licence_is_kept_with_the_notebooks():
    text = (ROOT / "tests" / "data" / "pykan_notebooks" / "LICENSE").read_text()
    assert "MIT License" in text and "Ziming Liu" in text


def test_markdown_tables_count_cells_and_bold_ratios_above_one_and_a_half():
    runner = _runner()
    cell = {"index": 3, "ok": True, "error": None, "seconds": 1.0, "text": ""}
    failed = {"index": 4, "ok": False, "error": "Traceback\nValueError: bad", "seconds": 1.0,
              "text": ""}
    report = {"A.ipynb": {"run": 1, "total": 2, "cells": [cell, failed], "seconds": 2.0,
                          "numbers": [{"cell": 3, "key": "train_loss", "pykan": 0.01,
                                       "kanlab": 0.02, "ratio": 2.0},
                                      {"cell": 3, "key": "test_loss", "pykan": 0.01,
                                       "kanlab": 0.012, "ratio": 1.2},
                                      {"cell": 5, "key": "printed", "pykan": "x_1*x_2",
                                       "kanlab": "x_1*x_2", "ratio": None}]}}
    text = runner.markdown(report)
    assert "| A | 1/2 | 2 | cell 4: ValueError: bad |" in text
    assert "**1/2 (50.0 %)**" in text
    assert "| A | 3 | train_loss | 0.01 | 0.02 | **×2.00** |" in text
    assert "| A | 3 | test_loss | 0.01 | 0.012 | ×1.20 |" in text
    assert "- A cell 5: `x_1*x_2` / `x_1*x_2`" in text


@pytest.mark.parametrize("pykan", [False, True])
def test_pykan_flag_leaves_the_imports_as_written(pykan, tmp_path, monkeypatch):
    """--pykan runs the notebook's own imports (pykan itself); the default points them at
    kanlab.pykan."""
    import json
    if pykan:
        pytest.importorskip("kan")
    runner = _runner()
    nb = {"cells": [{"cell_type": "code", "source": ["import kan\n", "print(kan.__name__)"],
                     "outputs": []}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "tiny.ipynb"
    path.write_text(json.dumps(nb))
    monkeypatch.chdir(tmp_path)
    result = runner.run_notebook(path, budget=60, pykan=pykan)
    assert result["cells"][0]["ok"], result["cells"][0]["error"]
    assert result["cells"][0]["text"].strip() == ("kan" if pykan else "kanlab.pykan")

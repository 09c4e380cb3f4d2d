"""The notebook runner (benchmarks/pykan_notebooks.py) on two short pykan tutorials."""
from pathlib import Path

import pytest

from _notebook_runner import load_runner

ROOT = Path(__file__).resolve().parents[2]


def test_import_lines_are_the_only_change():
    runner = load_runner()
    src = "from kan import *\nimport kan\nfrom kan.utils import create_dataset\n!pip install x\nkan_x = 1"
    assert runner.rewrite_imports(src).splitlines() == [
        "from kanlab.pykan import *", "import kanlab.pykan as kan",
        "from kanlab.pykan.utils import create_dataset", "kan_x = 1"]


def test_a_notebooks_own_loop_prints_a_loss_that_is_compared():
    """Community_1's own L-BFGS loop prints 'Step: 195 | Loss: 0.011' (tqdm); the runner
    compares it as ``loss`` (it was read as no number at all)."""
    runner = load_runner()
    bar = "Step: 195 | Loss: 0.011: 100%|██████████| 200/200 [2:52:51<00:00, 51.86s/it]"
    assert runner.key_numbers(bar) == {"loss": 0.011}
    data = {"cells": [{"index": 0, "text": bar.replace("0.011", "0.031")}], "reference": [bar]}
    (row,) = runner.compare(data)
    assert row["key"] == "loss" and row["ratio"] == pytest.approx(0.031 / 0.011)


@pytest.mark.parametrize("name", ["API_11_create_dataset.ipynb", "API_5_grid.ipynb"])
def test_short_notebooks_run_every_cell(name, tmp_path, monkeypatch):
    runner = load_runner()
    monkeypatch.chdir(tmp_path)
    result = runner.run_notebook(runner.NOTEBOOKS / name, budget=300)
    failed = [(c["index"], c["error"]) for c in result["cells"] if not c["ok"]]
    assert not failed
    assert len(result["cells"]) == len(result["reference"]) >= 4


def test_licence_is_kept_with_the_notebooks():
    text = (ROOT / "tests" / "data" / "pykan_notebooks" / "LICENSE").read_text()
    assert "MIT License" in text and "Ziming Liu" in text


def test_markdown_tables_count_cells_and_bold_ratios_above_one_and_a_half():
    runner = load_runner()
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
    assert "| A | 1/2 | 2 | - | cell 4: ValueError: bad |" in text  # no "cpu": an older report
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
    runner = load_runner()
    nb = {"cells": [{"cell_type": "code", "source": ["import kan\n", "print(kan.__name__)"],
                     "outputs": []}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "tiny.ipynb"
    path.write_text(json.dumps(nb))
    monkeypatch.chdir(tmp_path)
    result = runner.run_notebook(path, budget=60, pykan=pykan)
    assert result["cells"][0]["ok"], result["cells"][0]["error"]
    assert result["cells"][0]["text"].strip() == ("kan" if pykan else "kanlab.pykan")


def test_a_module_beside_the_notebook_imports_from_the_scratch_folder(tmp_path, monkeypatch):
    """As in jupyter, a notebook imports the modules in its own folder (pykan's Physics_4
    tutorials import ``constitutive_laws_generator``); sys.path is restored after."""
    import json
    import sys
    runner = load_runner()
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "pykO_helper_beside.py").write_text("VALUE = 41 + 1\n")
    nb = {"cells": [{"cell_type": "code", "outputs": [],
                     "source": ["from pykO_helper_beside import VALUE\n", "print(VALUE)"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "tiny.ipynb").write_text(json.dumps(nb))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.chdir(scratch)
    before = list(sys.path)
    result = runner.run_notebook(folder / "tiny.ipynb", budget=60)
    sys.modules.pop("pykO_helper_beside", None)
    assert result["cells"][0]["ok"], result["cells"][0]["error"]
    assert result["cells"][0]["text"].strip() == "42"
    assert sys.path == before


def test_constitutive_laws_beside_the_notebooks_follow_the_printed_formulas():
    """Our constitutive_laws_generator: Lamé parameters, and P11/P12 as Physics_4A/4C print
    them (Neo-Hookean with F F^T) and as the notebooks' comments give the linear law."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "constitutive_laws_generator", ROOT / "tests" / "data" / "pykan_notebooks" /
        "constitutive_laws_generator.py")
    laws = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(laws)
    import torch
    g = torch.Generator().manual_seed(0)
    F = torch.eye(3, dtype=torch.float64) + 0.2 * (2 * torch.rand(50, 3, 3, generator=g,
                                                                 dtype=torch.float64) - 1)
    linear = laws.LinearElasticConstitutiveLaw(young_modulus=1.0, poisson_ratio=0.2)
    mu, lam = linear.get_lame_parameters()
    assert mu == pytest.approx(1 / 2.4) and lam == pytest.approx(0.2 / (1.2 * 0.6))
    P = linear(F)
    assert P.shape == (50, 3, 3)
    torch.testing.assert_close(P[:, 0, 0], 2 * mu * (F[:, 0, 0] - 1) + lam * (
        F[:, 0, 0] + F[:, 1, 1] + F[:, 2, 2] - 3))
    torch.testing.assert_close(P[:, 0, 1], mu * (F[:, 0, 1] + F[:, 1, 0]))
    P = laws.NeoHookeanConstitutiveLaw(young_modulus=1.0, poisson_ratio=0.2)(F)
    torch.testing.assert_close(P[:, 0, 0], mu * (F[:, 0] ** 2).sum(-1) - mu
                               + lam * torch.log(torch.det(F)))
    torch.testing.assert_close(P[:, 0, 1], mu * (F[:, 0] * F[:, 1]).sum(-1))
    zero = laws.NeoHookeanConstitutiveLaw()(torch.zeros(1, 3, 3, dtype=torch.float64))
    assert zero[0, 0, 1] == 0  # det F = 0 (the notebooks zero such F): off-diagonal finite
    with pytest.raises(ValueError, match="shape"):
        linear(torch.zeros(3, 3))


def test_select_takes_files_and_folders_beside_names(tmp_path):
    runner = load_runner()
    (tmp_path / "b.ipynb").write_text("{}")
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("")
    chosen = runner.select([str(tmp_path), "API_5_"])
    assert chosen[:2] == [tmp_path / "a.ipynb", tmp_path / "b.ipynb"]
    assert [p.name for p in chosen[2:]] == ["API_5_grid.ipynb"]
    assert runner.select([str(tmp_path / "b.ipynb")]) == [tmp_path / "b.ipynb"]
    with pytest.raises(SystemExit, match="no such notebook"):
        runner.select([str(tmp_path / "missing.ipynb")])


def test_a_notebook_s_cpu_time_is_the_child_s_and_each_cell_has_its_own(tmp_path):
    """``cpu``: the child's user + system seconds (getrusage around it), so it holds a cell that
    burns CPU and the interpreter's start; each cell's ``cpu`` is its own process time."""
    import json
    runner = load_runner()
    burn = ("import time\n"
            "t = time.process_time()\n"
            "while time.process_time() - t < 0.5:\n"
            "    sum(range(1000))\n")
    nb = {"cells": [{"cell_type": "code", "source": [burn], "outputs": []},
                    {"cell_type": "code", "source": ["x = 1"], "outputs": []}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "burn.ipynb"
    path.write_text(json.dumps(nb))
    data = runner.run_in_subprocess(path, budget=60)
    burnt, quick = data["cells"]
    assert burnt["ok"] and quick["ok"]
    assert burnt["cpu"] >= 0.5 and quick["cpu"] < 0.5
    assert data["cpu"] >= burnt["cpu"] + quick["cpu"]
    assert data["cpu"] < 120  # the child's, not this process's or the whole machine's


def test_markdown_sets_kanlab_s_cpu_against_pykan_s_per_notebook():
    runner = load_runner()
    cell = {"index": 0, "ok": True, "error": None, "seconds": 1.0, "cpu": 1.0, "text": ""}

    def entry(cpu, pykan):
        return {"run": 1, "total": 1, "cells": [cell], "seconds": 9.0, "cpu": cpu,
                "numbers": [], "pykan": pykan}

    ours = {"A.ipynb": entry(6.0, False), "B.ipynb": entry(3.0, False), "C.ipynb": entry(1.0, False)}
    theirs = {"A.ipynb": entry(4.0, True), "B.ipynb": entry(6.0, True)}
    text = runner.markdown(ours, theirs)
    assert "| A | 1/1 / 1/1 | 6.0 | 4.0 | **×1.50** |" in text
    assert "| B | 1/1 / 1/1 | 3.0 | 6.0 | ×0.50 |" in text
    assert "| C | 1/1 / " not in text  # not run on pykan: no ratio
    assert "† the two sides" not in text
    theirs["B.ipynb"]["run"] = 0  # pykan failed B's cell
    assert "| B | 1/1 / 0/1 | 3.0 | 6.0 | ×0.50 † |" in runner.markdown(ours, theirs)
    theirs["B.ipynb"]["run"] = 1
    assert "| **all 2** | | **9** | **10** | **×0.90** |" in text
    assert "| A | 1/1 | 9 | 6 |" in text  # kanlab's cells table carries its CPU column
    assert "ratio |" not in runner.markdown(ours).splitlines()[0]


def test_markdown_cli_splits_pykan_reports_from_kanlab_s(tmp_path, capsys):
    import json
    runner = load_runner()
    cell = {"index": 0, "ok": True, "error": None, "seconds": 1.0, "cpu": 1.0, "text": ""}
    for name, cpu, pykan in (("k.json", 2.0, False), ("p.json", 8.0, True)):
        (tmp_path / name).write_text(json.dumps({"A.ipynb": {
            "run": 1, "total": 1, "cells": [cell], "seconds": 9.0, "cpu": cpu, "numbers": [],
            "pykan": pykan}}))
    runner.main(["--markdown", str(tmp_path / "k.json"), str(tmp_path / "p.json")])
    out = capsys.readouterr().out
    assert "| A | 1/1 / 1/1 | 2.0 | 8.0 | ×0.25 |" in out


def test_a_notebook_killed_by_a_signal_is_reported_not_a_crash(tmp_path):
    """A child killed by a signal (a kill, the OOM killer) writes no results: its cells are
    reported as not finished (the run went on to the next notebook); the runner raised
    ``KeyError: 'cells'`` and stopped the whole batch."""
    import json
    runner = load_runner()
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1"], "outputs": []},
                    {"cell_type": "code", "source": ["import os, signal\n"
                                                     "os.kill(os.getpid(), signal.SIGKILL)"],
                     "outputs": []},
                    {"cell_type": "code", "source": ["y = 2"], "outputs": []}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "killed.ipynb"
    path.write_text(json.dumps(nb))
    data = runner.run_in_subprocess(path, budget=60)
    assert len(data["cells"]) == len(data["reference"]) == 3
    assert not any(c["ok"] for c in data["cells"][1:])
    assert "killed" in data["cells"][-1]["error"]


def test_a_cell_running_past_the_budget_is_stopped_and_keeps_its_output(tmp_path):
    """A one-cell loop longer than the budget (375baaf's Example_6B_PDE ran 14 min on a 300 s
    budget) is stopped inside the cell, a bare ``except:`` swallowing the first stop: the cell
    reports "stopped" with the losses it printed, and the cells after it are not run (before,
    the child ran on until its kill at budget + 300 s, and the cell's output was lost)."""
    import json
    runner = load_runner()
    loop = ("import time\n"
            "try:\n    time.sleep(3)\nexcept:\n    pass\n"
            "step = 0\n"
            "while True:\n"
            "    step += 1\n"
            "    print(f'step {step} | loss: 0.5')\n"
            "    time.sleep(0.05)\n")
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1"], "outputs": []},
                    {"cell_type": "code", "source": [loop], "outputs": []},
                    {"cell_type": "code", "source": ["y = 2"], "outputs": []}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "endless.ipynb"
    path.write_text(json.dumps(nb))
    data = runner.run_in_subprocess(path, budget=2)
    first, endless, after = data["cells"]
    assert first["ok"] and not endless["ok"] and not after["ok"]
    assert endless["error"].startswith("stopped")
    assert runner.key_numbers(endless["text"]) == {"loss": 0.5}
    assert after["error"].startswith("not run")


def test_a_long_last_value_does_not_push_the_losses_out_of_the_cell_s_text(tmp_path, monkeypatch):
    """pykan 0.1's ``model.train(...)`` as a cell's last line returns the per-step results dict;
    its repr after 50 steps pushed the progress bar out of the kept text, so 55f4b39's hellokan
    cells 25 and 30 compared no loss. The value is shown shortened."""
    import json
    runner = load_runner()
    cell = ("print('train_loss: 4.7e-03 | test_loss: 4.8e-03')\n"
            "{'train_loss': [0.123456789] * 2000}")
    nb = {"cells": [{"cell_type": "code", "source": [cell], "outputs": []}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "results.ipynb"
    path.write_text(json.dumps(nb))
    monkeypatch.chdir(tmp_path)
    (record,) = runner.run_notebook(path, budget=60)["cells"]
    assert record["ok"]
    assert runner.key_numbers(record["text"]) == {"train_loss": 4.7e-3, "test_loss": 4.8e-3}
    assert "{'train_loss': [0.123456789, " in record["text"]  # the value's head is still shown


def test_knot_data_goes_only_where_a_notebook_reads_it(tmp_path):
    """--knot-data: the synthetic csv is written for Example_14/15, which read ./knot_data.csv,
    and for no other notebook; a path is copied as it is."""
    runner = load_runner()
    knot = runner.NOTEBOOKS / "Example_14_knot_supervised.ipynb"
    other = runner.NOTEBOOKS / "API_5_grid.ipynb"
    assert runner.place_knot_data(other, "synthetic", tmp_path) is None
    assert runner.place_knot_data(knot, None, tmp_path) is None
    assert not (tmp_path / "knot_data.csv").exists()
    written = runner.place_knot_data(knot, "synthetic", tmp_path)
    assert written == tmp_path / "knot_data.csv"
    assert written.read_text().splitlines()[0].endswith(",signature")
    own = tmp_path / "own.csv"
    own.write_text(",volume,signature\n0,1.5,2\n")
    assert runner.place_knot_data(knot, str(own), tmp_path).read_text() == own.read_text()
    assert set(runner.KNOT_NOTEBOOKS).isdisjoint(runner.DEFAULT)

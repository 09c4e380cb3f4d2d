"""A pykan 0.1-era notebook (tests/data/pykan_notebooks/old/) runs on kanlab.pykan."""
from pathlib import Path

from _notebook_runner import load_runner

ROOT = Path(__file__).resolve().parents[2]
OLD = ROOT / "tests" / "data" / "pykan_notebooks" / "old"


def test_old_checkpoint_notebook_runs_every_cell(tmp_path, monkeypatch):
    """API_8's train(dataset), save_ckpt, load_ckpt and prune, pykan 0.1's names, all run;
    its first training prints a loss no worse than the notebook's."""
    runner = load_runner()
    monkeypatch.chdir(tmp_path)
    result = runner.run_notebook(OLD / "API_8_checkpoint_-checkpoint.ipynb", budget=300)
    failed = [(c["index"], c["error"]) for c in result["cells"] if not c["ok"]]
    assert not failed
    assert (tmp_path / "model_ckpt" / "ckpt2").is_file()
    rows = runner.compare(result)
    first = [r for r in rows if r["key"] == "test_loss"][0]
    assert first["kanlab"] is not None and first["kanlab"] <= 1.5 * first["pykan"]


def test_old_notebooks_stay_out_of_the_standard_set():
    """The runner's default selection globs only the top folder."""
    runner = load_runner()
    assert not any(p.parent == OLD for p in runner.select(runner.DEFAULT))

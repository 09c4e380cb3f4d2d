"""The README stays true: its quickstart runs, its size stays small, its links resolve."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def test_quickstart_runs(tmp_path):
    """The first python block of the README runs as written (in a scratch directory)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rmse = float(re.search(r"test RMSE (\S+)", proc.stdout).group(1))
    assert 0 < rmse < 0.05
    assert (tmp_path / "model.safetensors").stat().st_size > 0


def test_readme_is_short():
    assert len(README.read_bytes()) <= 10_000


def test_relative_links_exist():
    """Every relative link of the README names a file or folder of the repository."""
    text = README.read_text(encoding="utf-8")
    links = [t for t in re.findall(r"\]\(([^)#]+)\)", text) if "://" not in t]
    assert links
    missing = [t for t in links if not (ROOT / t).exists()]
    assert not missing, missing

"""The tutorials of the documentation site (docs/tutorials/*.py) run as scripts and say what they claim.

Each script runs in a fresh interpreter, as a reader would run it, with this
checkout's ``src`` first on the path. A script ends by printing one
``RESULT key=value ...`` line; the tests read their figures from it.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "docs" / "tutorials"


def run_tutorial(name: str, timeout: float = 300) -> tuple[str, dict]:
    """Run ``docs/tutorials/<name>.py``; returns its stdout and its RESULT fields."""
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, str(TUTORIALS / f"{name}.py")], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT "), proc.stdout[-2000:]
    fields = dict(re.findall(r"(\w+)=(\S+)", last[len("RESULT "):]))
    return proc.stdout, fields


def test_every_tutorial_is_tested():
    """A new tutorial needs a test here (and a page in mkdocs.yml)."""
    scripts = {p.stem for p in TUTORIALS.glob("*.py")}
    tested = {name[len("test_"):] for name in globals() if name.startswith("test_")}
    assert scripts and scripts <= tested, scripts - tested


def test_fit_seed():
    stdout, result = run_tutorial("fit_seed")
    rmse = float(result["test_rmse"])
    # the labels span about [0.37, 7.4]; predicting their mean gives an RMSE near 1.5
    assert 0 < rmse < 0.05
    assert f"final test RMSE {rmse:.3e}" in stdout


def test_grid_extension():
    stdout, result = run_tutorial("grid_extension")
    grids = [int(g) for g in result["grids"].split(",")]
    rmses = [float(r) for r in result["test_rmse"].split(",")]
    assert grids == [5, 10, 20]
    # a finer grid is more accurate, and clearly so
    assert all(b < a / 2 for a, b in zip(rmses, rmses[1:])), rmses
    assert rmses[-1] < 2e-3
    # refining G -> 2G keeps the function: only rounding changes the output
    changes = [float(c) for c in re.findall(r"largest change of the output (\S+)", stdout)]
    assert len(changes) == 2 and max(changes) < 1e-10


@pytest.mark.slow
def test_prune_symbolic():
    sympy = pytest.importorskip("sympy")
    stdout, result = run_tutorial("prune_symbolic")
    assert result["width"] == "2,1,1"  # [2, 5, 1] pruned to one hidden node
    formula = stdout.strip().splitlines()[-1].split("formula=", 1)[1]  # has spaces
    x, y = sympy.symbols("x y")
    expr = sympy.sympify(formula, locals={"x": x, "y": y})
    assert sympy.simplify(expr - sympy.exp(sympy.sin(sympy.pi * x) + y ** 2)) == 0

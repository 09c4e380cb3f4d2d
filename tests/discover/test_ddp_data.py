"""``torchrun --nproc_per_node=2 -m kanlab train --ddp --data``: each rank reads its own rows."""
import json
import os
import subprocess

import pytest
import sympy
from _support import TORCHRUN, free_port as _free_port

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(TORCHRUN), reason="torchrun not installed")]


def _csv(tmp_path, n=400, bad_line=None):
    import numpy as np
    rng = np.random.default_rng(0)
    m, v = rng.uniform(1, 5, n), rng.uniform(1, 3, n)
    lines = ["m,v,E"] + [f"{float(a)!r},{float(b)!r},{float(a * b * b / 2)!r}"
                         for a, b in zip(m, v)]
    if bad_line is not None:
        lines[bad_line - 1] = "1.0,oops,2.0"
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _torchrun(path, out):
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [os.path.abspath("src"),
                                                       os.environ.get("PYTHONPATH")])))
    return subprocess.run(
        [TORCHRUN, "--nproc_per_node=2", f"--master_port={_free_port()}", "-m", "kanlab", "train",
         "--ddp", "--ddp-backend", "gloo", "--data", str(path), "--target", "E", "--jobs", "1",
         "--no-progress", "--out", str(out)],
        capture_output=True, text=True, timeout=600, env=env)


def test_two_ranks_find_the_law_and_count_every_row(tmp_path):
    out = tmp_path / "run"
    result = _torchrun(_csv(tmp_path), out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("metrics.json") == 1  # only rank 0 reports
    assert "--ddp: 2 ranks" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["ddp_world_size"] == 2
    # each rank split its own 200 rows 120/40/40: the counts are summed over the ranks
    assert (metrics["n_train"], metrics["n_val"], metrics["n_test"]) == (240, 80, 80)
    m, v = sympy.symbols("m v")
    expr = sympy.sympify(metrics["formula"], locals={"m": m, "v": v})
    assert sympy.simplify(expr - m * v ** 2 / 2) == 0
    assert metrics["formula_test_r2"] > 0.999999


def test_bad_row_on_one_rank_stops_every_rank_with_one_line(tmp_path):
    out = tmp_path / "run"
    result = _torchrun(_csv(tmp_path, bad_line=9), out)  # data row 7: rank 1's shard
    assert result.returncode != 0
    assert "column 'v' has a non-numeric cell 'oops' in row 9" in result.stderr
    assert "exitcode  : 2" in result.stderr  # torchrun reports the ranks' exit status 2
    assert not out.exists()

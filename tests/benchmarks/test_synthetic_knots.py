"""benchmarks/synthetic_knots.py: the stand-in knot_data.csv of pykan's Example_14/15."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import synthetic_knots  # noqa: E402


def _read(path):
    with open(path, newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def test_the_file_has_the_real_layout(tmp_path):
    header, rows = _read(synthetic_knots.write_knot_csv(tmp_path / "k.csv", rows=300))
    # an unnamed index (pandas: 'Unnamed: 0'), 17 invariants (Example_14's keys()[1:-1]),
    # signature last; Example_15 takes the 18 after the index
    assert header[0] == "" and header[-1] == "signature" and len(header) == 19
    assert tuple(header[1:-1]) == synthetic_knots.COLUMNS
    assert header.index("longitudinal_translation") - 1 == 7  # feature 7, as in the real file
    assert len(rows) == 300 and [int(r[0]) for r in rows] == list(range(300))
    signature = np.array([int(r[-1]) for r in rows])
    assert np.all(signature % 2 == 0) and len(set(signature)) >= 5
    symmetry = np.array([[float(v) for v in r[12:18]] for r in rows])
    assert np.all(symmetry.sum(axis=1) == 1)  # one group per knot


def test_signature_follows_the_slope():
    t = synthetic_knots.knot_table(rows=2000, seed=3)
    lam, b, c = (t[k] for k in ("longitudinal_translation", "meridinal_translation_imag",
                                "meridinal_translation_real"))
    nearest = 2 * np.round(lam * c / (b ** 2 + c ** 2) / 4)
    hit = np.mean(nearest == t["signature"])
    assert 0.75 < hit < 0.95  # the slope decides, up to the drawn error
    np.testing.assert_allclose(t["cusp_volume"], lam * b / 2)


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    a = synthetic_knots.write_knot_csv(tmp_path / "a.csv", rows=200, seed=7).read_bytes()
    b = synthetic_knots.write_knot_csv(tmp_path / "b.csv", rows=200, seed=7).read_bytes()
    c = synthetic_knots.write_knot_csv(tmp_path / "c.csv", rows=200, seed=8).read_bytes()
    assert a == b and a != c


@pytest.mark.parametrize("rows", [1, 2.5, True, "100"])
def test_rows_must_be_a_count(rows):
    with pytest.raises(ValueError, match="rows"):
        synthetic_knots.knot_table(rows=rows)

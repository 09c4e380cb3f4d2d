"""``kanlab train --data``: bad data end with one line and exit 2, leaving no run directory;
a tiny easy law goes end to end."""
import json

import numpy as np
import pytest
import sympy

from kanlab.cli._main import main


def _write(tmp_path, n=60, header="a,b,F", name="d.csv", rows=None):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(1, 3, n), rng.uniform(2, 5, n)
    lines = [header] + (rows if rows is not None else
                        [f"{u},{v},{3 * u * v / 1000}" for u, v in zip(a, b)])
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _fails(tmp_path, capsys, argv, match):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        main(["train", *argv, "--out", str(out), "--no-progress"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert match in err[-1], err
    assert err[-1].startswith("kanlab train: error: ") or err[-1].startswith("kanlab: error: ")
    assert not out.exists()


def test_missing_file(tmp_path, capsys):
    _fails(tmp_path, capsys, ["--data", str(tmp_path / "nope.csv"), "--target", "F"],
           "does not exist")


def test_empty_file(tmp_path, capsys):
    (tmp_path / "e.csv").write_text("")
    _fails(tmp_path, capsys, ["--data", str(tmp_path / "e.csv"), "--target", "F"], "is empty")


def test_no_header(tmp_path, capsys):
    path = _write(tmp_path, header="1.0,2.0,3.0")
    _fails(tmp_path, capsys, ["--data", str(path), "--target", "F"], "no header row")


def test_target_absent(tmp_path, capsys):
    _fails(tmp_path, capsys, ["--data", str(_write(tmp_path)), "--target", "G"],
           "its columns are: a, b, F")


def test_duplicate_names(tmp_path, capsys):
    _fails(tmp_path, capsys, ["--data", str(_write(tmp_path, header="a,a,F")), "--target", "F"],
           "duplicate column names: 'a'")


def test_non_numeric(tmp_path, capsys):
    rows = [f"{i},{i + 1},{i * 2}" for i in range(1, 40)]
    rows[9] = "10,x7,20"
    _fails(tmp_path, capsys, ["--data", str(_write(tmp_path, rows=rows)), "--target", "F"],
           "column 'b' has a non-numeric cell 'x7' in row 11")


def test_nan_rows(tmp_path, capsys):
    rows = [f"{i},{i + 1},{i * 2}" for i in range(1, 40)]
    rows[4] = "5,nan,10"
    _fails(tmp_path, capsys, ["--data", str(_write(tmp_path, rows=rows)), "--target", "F"],
           "rows 6")


def test_too_few_rows(tmp_path, capsys):
    _fails(tmp_path, capsys, ["--data", str(_write(tmp_path, n=8)), "--target", "F"],
           "too few")


def test_tiny_law_end_to_end(tmp_path, capsys):
    """F = 3·a·b/1000 with a constant column: dropped with a warning, the law found exactly."""
    rng = np.random.default_rng(1)
    a, b = rng.uniform(1, 3, 200), rng.uniform(200, 500, 200)
    rows = [f"{u},{v},7,{3 * u * v / 1000}" for u, v in zip(a, b)]
    path = _write(tmp_path, header="a,b,const,F", rows=rows)
    out = tmp_path / "run"
    assert main(["train", "--data", str(path), "--target", "F", "--out", str(out),
                 "--no-progress", "--jobs", "1"]) == 0
    text = capsys.readouterr().out
    assert "warning: column 'const' is constant" in text
    assert text.count("formula: F = ") == 1
    metrics = json.loads((out / "metrics.json").read_text())
    expr = sympy.sympify(metrics["formula"])
    assert {str(s) for s in expr.free_symbols} == {"a", "b"}
    A, B = sympy.symbols("a b")
    assert sympy.simplify(expr - sympy.Rational(3, 1000) * A * B) == 0
    for key in ("formula_latex", "formula_test_rmse", "formula_test_r2", "pareto",
                "spline_test_rmse", "n_train", "n_val", "n_test", "seed"):
        assert key in metrics
    assert (metrics["n_train"], metrics["n_val"], metrics["n_test"]) == (120, 40, 40)
    assert metrics["formula_test_r2"] > 0.999999
    # the formula is the answer: its test errors are the ones reported as the answer's
    assert metrics["answer"] == "formula"
    assert metrics["answer_test_r2"] == metrics["formula_test_r2"]
    assert {"formula", "complexity", "val_rmse"} <= set(metrics["pareto"][0])
    page = (out / "report.html").read_text()
    assert "data:image/png;base64," in page and "http" not in page.replace(
        "http-equiv", "")
    for name in ("fit.png", "network.png", "bspline_visualization.png", "model.safetensors"):
        assert (out / name).is_file()


def test_unreadable_file(tmp_path, capsys, monkeypatch):
    """Permission denied (simulated: root reads everything) and a file that is not text."""
    import kanlab.discover._reading as reading
    path = _write(tmp_path)
    monkeypatch.setattr(reading.os, "access", lambda p, mode: False)
    _fails(tmp_path, capsys, ["--data", str(path), "--target", "F"], "not readable")
    monkeypatch.undo()
    binary = tmp_path / "b.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    _fails(tmp_path, capsys, ["--data", str(binary), "--target", "F"], "--data: ")


def test_inf_rows_named(tmp_path, capsys):
    rows = [f"{i},{i + 1},{i * 2}" for i in range(1, 40)]
    rows[2], rows[20] = "3,inf,6", "21,22,-inf"
    _fails(tmp_path, capsys, ["--data", str(_write(tmp_path, rows=rows)), "--target", "F"],
           "2 row(s) hold NaN or inf cells (rows 4, 22)")


def test_dropna_reports_how_many_rows_were_dropped(tmp_path, capsys, monkeypatch):
    import kanlab.discover

    class Stop(Exception):
        pass

    def stop(*args, **kwargs):  # the report is printed before the search starts
        raise Stop
    monkeypatch.setattr(kanlab.discover, "discover", stop)
    rows = [f"{i},{i + 1},{i * 2}" for i in range(1, 40)]
    rows[4], rows[7] = "5,nan,10", "8,,16"
    with pytest.raises(Stop):
        main(["train", "--data", str(_write(tmp_path, rows=rows)), "--target", "F", "--dropna",
              "--out", str(tmp_path / "run"), "--no-progress"])
    assert "warning: dropped 2 row(s) with NaN or inf cells" in capsys.readouterr().out

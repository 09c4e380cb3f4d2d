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
    assert len(err) == 1, err  # one line: no usage text, no traceback
    assert match in err[0], err
    assert err[0].startswith("kanlab train: error: "), err
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


def _quick(monkeypatch):
    """Make the CLI's search one short restart round (the pipeline is tested elsewhere)."""
    import functools

    import kanlab.discover
    from kanlab.discover._search import Trial
    quick = ((Trial("log", (1,), steps=10, grids=(5,)),),)
    monkeypatch.setattr(kanlab.discover, "discover",
                        functools.partial(kanlab.discover.discover, rounds=quick))


def _law_columns(n, seed):
    """pi = 2·E·I / lambda in columns whose names sympy (or Python) treats specially."""
    rng = np.random.default_rng(seed)
    E, I, lam = rng.uniform(1, 3, n), rng.uniform(300, 400, n), rng.uniform(0.5, 1.5, n)
    return {"E": E, "I": I, "lambda": lam, "pi": 2 * E * I / lam}


def test_special_names_plain_symbols_and_mapping_printed_and_stored(tmp_path, capsys,
                                                                     monkeypatch):
    """E, I, pi stay plain symbols; lambda (a keyword) is mapped, printed and stored; the
    stored formula reads back to the law (formula with locals, formula_srepr without)."""
    _quick(monkeypatch)
    cols = _law_columns(200, 0)
    path = tmp_path / "d.csv"
    path.write_text("E,I,lambda,pi\n" + "\n".join(",".join(map(str, r)) for r in zip(
        *cols.values())) + "\n")
    out = tmp_path / "run"
    assert main(["train", "--data", str(path), "--target", "pi", "--out", str(out),
                 "--no-progress", "--jobs", "1"]) == 0
    text = capsys.readouterr().out
    assert "column names mapped to symbols: 'lambda' -> lambda_" in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["name_map"] == {"lambda": "lambda_"}
    assert metrics["symbols"] == ["E", "I", "lambda_"]
    E, I, lam = sympy.symbols("E I lambda_")
    plain = sympy.sympify(metrics["formula_srepr"])
    assert {str(s) for s in plain.free_symbols} == {"E", "I", "lambda_"}
    assert sympy.E not in plain.atoms() and sympy.I not in plain.atoms()
    back = sympy.sympify(metrics["formula"], locals={s: sympy.Symbol(s)
                                                     for s in metrics["symbols"]})
    assert sympy.simplify(back - 2 * E * I / lam) == 0
    assert sympy.simplify(plain.xreplace({s: sympy.Symbol(str(s)) for s in plain.free_symbols})
                          - 2 * E * I / lam) == 0


@pytest.mark.parametrize("kind", ["npz", "parquet"])
def test_npz_and_parquet_with_test_data(tmp_path, capsys, monkeypatch, kind):
    """.npz and Parquet in, a separate --test-data file used for the test errors."""
    _quick(monkeypatch)
    cols, test = _law_columns(200, 0), _law_columns(50, 1)
    names = list(cols)
    if kind == "npz":
        path = tmp_path / "d.npz"
        np.savez(path, X=np.c_[cols["E"], cols["I"], cols["lambda"]], y=cols["pi"],
                 names=np.array(names))
    else:
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq
        path = tmp_path / "d.parquet"
        pq.write_table(pa.table(cols), path)
    test_path = tmp_path / "t.csv"
    test_path.write_text(",".join(names) + "\n" + "\n".join(
        ",".join(map(str, r)) for r in zip(*test.values())) + "\n")
    out = tmp_path / "run"
    assert main(["train", "--data", str(path), "--target", "pi", "--test-data", str(test_path),
                 "--out", str(out), "--no-progress", "--jobs", "1"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_from"] == "test file" and metrics["n_test"] == 50
    assert metrics["n_train"] + metrics["n_val"] == 200
    assert metrics["formula_test_r2"] > 0.999999


def test_bad_test_data_is_one_line(tmp_path, capsys):
    """--test-data without a feature column of --data: one line, exit 2, no run directory."""
    test = tmp_path / "t.csv"
    test.write_text("a,F\n" + "\n".join(f"{i},{i}" for i in range(30)) + "\n")
    _fails(tmp_path, capsys, ["--data", str(_write(tmp_path)), "--target", "F",
                              "--test-data", str(test)],
           "--test-data: feature column(s) 'b' not in the data; its columns are: a, F")

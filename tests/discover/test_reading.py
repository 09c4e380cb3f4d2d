"""Reading tables and the bad-data cases: one clear DataError each."""
import os

import numpy as np
import pytest

from kanlab.discover import DataError, make_table, read_table


def _csv(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _rows(n=30):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(1, 2, n), rng.uniform(3, 4, n)
    return a, b, a * b


def _good_text(n=30, sep=","):
    a, b, y = _rows(n)
    return sep.join(["a", "b", "y"]) + "\n" + "".join(
        f"{u}{sep}{v}{sep}{w}\n" for u, v, w in zip(a, b, y))


def test_csv_tsv_npz_parquet_read_the_same_table(tmp_path):
    a, b, y = _rows()
    csv = read_table(_csv(tmp_path, _good_text()), "y")
    tsv = read_table(_csv(tmp_path, _good_text(sep="\t"), "data.tsv"), "y")
    np.savez(tmp_path / "d.npz", X=np.c_[a, b], y=y, names=np.array(["a", "b"]))
    npz = read_table(tmp_path / "d.npz")
    for t in (csv, tsv, npz):
        assert t.names == ["a", "b"]
        np.testing.assert_allclose(t.X, np.c_[a, b])
        np.testing.assert_allclose(t.y, y)
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    pq.write_table(pa.table({"a": a, "b": b, "y": y}), tmp_path / "d.parquet")
    pqt = read_table(tmp_path / "d.parquet", "y")
    np.testing.assert_allclose(pqt.X, np.c_[a, b])


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_or_tab_in_a_csv_file_is_found(tmp_path, sep):
    """A .csv written with ';' or tabs reads as the same table (both read paths)."""
    a, b, y = _rows()
    t = read_table(_csv(tmp_path, _good_text(sep=sep)), "y")
    assert t.names == ["a", "b"]
    np.testing.assert_allclose(t.X, np.c_[a, b])
    bad = _good_text(sep=sep).splitlines()
    bad[3] = sep.join(["1.5", "oops", "2"])  # the cell-by-cell path names the cell
    with pytest.raises(DataError, match="column 'b' has a non-numeric cell 'oops' in row 4"):
        read_table(_csv(tmp_path, "\n".join(bad) + "\n", "bad.csv"), "y")


def test_features_select_columns(tmp_path):
    t = read_table(_csv(tmp_path, _good_text()), "y", features=["b"])
    assert t.names == ["b"] and t.X.shape == (30, 1)


@pytest.mark.parametrize("case, match", [
    ("missing", "does not exist"),
    ("empty", "is empty"),
    ("header_only", "no data rows"),
    ("no_header", "no header row"),
])
def test_file_problems(tmp_path, case, match):
    path = tmp_path / "d.csv"
    if case == "empty":
        path.write_text("")
    elif case == "header_only":
        path.write_text("a,b,y\n")
    elif case == "no_header":
        path.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(DataError, match=match) as info:
        read_table(path, "y")
    assert "\n" not in str(info.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path):
    path = _csv(tmp_path, _good_text())
    path.chmod(0)
    with pytest.raises(DataError, match="not readable"):
        read_table(path, "y")


def test_binary_file_is_not_a_table(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError):
        read_table(path, "y")


def test_target_absent_lists_columns(tmp_path):
    with pytest.raises(DataError, match=r"'F' is not in the data; its columns are: a, b, y"):
        read_table(_csv(tmp_path, _good_text()), "F")


def test_duplicate_columns(tmp_path):
    text = _good_text().replace("a,b,y", "a,a,y", 1)
    with pytest.raises(DataError, match="duplicate column names: 'a'"):
        read_table(_csv(tmp_path, text), "y")


def test_non_numeric_cell_names_column_and_row(tmp_path):
    lines = _good_text().splitlines()
    lines[5] = "1.5,abc,2.0"
    with pytest.raises(DataError, match=r"column 'b' has a non-numeric cell 'abc' in row 6"):
        read_table(_csv(tmp_path, "\n".join(lines) + "\n"), "y")


def test_nan_and_inf_rows_named_or_dropped(tmp_path):
    lines = _good_text().splitlines()
    lines[3] = "nan,3.5,2.0"
    lines[7] = "1.5,inf,2.0"
    path = _csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"2 row\(s\) hold NaN or inf cells \(rows 4, 8\)"):
        read_table(path, "y")
    t = read_table(path, "y", dropna=True)
    assert t.dropped_rows == 2 and t.n_rows == 28
    assert any("dropped 2 row" in w for w in t.warnings)


def test_too_few_rows(tmp_path):
    with pytest.raises(DataError, match="5 usable rows are too few"):
        read_table(_csv(tmp_path, _good_text(5)), "y")


def test_constant_column_warned_and_dropped():
    a, b, y = _rows()
    t = make_table(X=np.c_[a, np.full(30, 7.0), b], y=y, names=["a", "c", "b"])
    assert t.names == ["a", "b"] and t.dropped_columns == ["c"]
    assert any("'c' is constant" in w for w in t.warnings)


def test_npz_without_arrays(tmp_path):
    np.savez(tmp_path / "d.npz", A=np.zeros(3))
    with pytest.raises(DataError, match="must hold arrays 'X' and 'y'"):
        read_table(tmp_path / "d.npz")


def test_huge_sparse_file_or_fifo_is_refused_without_reading(tmp_path):
    """A file larger than half the memory is refused from its size; a FIFO without blocking."""
    import time
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.write(b"a,y\n1,2\n")
        f.truncate(4 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))  # sparse
    start = time.perf_counter()
    with pytest.raises(DataError, match="more than half"):
        read_table(path, "y")
    assert time.perf_counter() - start < 5.0
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(DataError, match="not a regular file"):
        read_table(tmp_path / "pipe.csv", "y")

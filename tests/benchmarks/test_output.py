"""benchmarks/_output.py: JSON lines and report pairs written whole."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import _output  # noqa: E402


def test_emit_prints_one_line_and_appends_it(tmp_path, capsys):
    target = tmp_path / "runs.jsonl"
    _output.emit({"law": "a", "r2": 0.5}, target)
    _output.emit({"law": "b", "r2": 1.0}, target)
    _output.emit({"law": "c"})
    printed = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["law"] for line in printed] == ["a", "b", "c"]
    assert [json.loads(line)["law"] for line in target.read_text().splitlines()] == ["a", "b"]


def test_write_report_writes_both_files_and_no_leftovers(tmp_path, capsys):
    out = tmp_path / "new" / "dir"
    _output.write_report(out, "gpu", {"x": [1, 2]}, "| a |\n")
    assert json.loads((out / "gpu.json").read_text()) == {"x": [1, 2]}
    assert (out / "gpu.md").read_text() == "| a |\n"
    assert sorted(p.name for p in out.iterdir()) == ["gpu.json", "gpu.md"]
    assert "| a |" in capsys.readouterr().out


def test_a_write_that_fails_keeps_the_old_report_and_no_temporary(tmp_path, monkeypatch):
    _output.write_report(tmp_path, "r", {"ok": 1}, "old\n")

    def killed(src, dst):
        raise OSError("killed before the rename")
    monkeypatch.setattr(_output.os, "replace", killed)
    with pytest.raises(OSError):
        _output.write_report(tmp_path, "r", {"ok": 2}, "new\n")
    assert json.loads((tmp_path / "r.json").read_text()) == {"ok": 1}
    assert (tmp_path / "r.md").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.md"]

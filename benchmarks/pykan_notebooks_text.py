"""A pykan notebook's text: its code cells, its imports pointed at :mod:`kanlab.pykan`, the
key numbers its outputs print, and a run's numbers set against the notebook's own."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

__all__ = ["rewrite_imports", "code_cells", "key_numbers", "compare"]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_KEYED = re.compile(r"([A-Za-z_][A-Za-z_0-9 ]*?)\s*:\s*(" + _NUMBER + r")")
_KEYS = ("train_loss", "test_loss", "reg", "pde loss", "bc loss", "l2", "loss")
# pykan 0.1's progress bar; a notebook's own loop ("Step: 195 | Loss: 0.011", Community_1)
_OLD_KEYS = {"train loss": "train_loss", "test loss": "test_loss", "Loss": "loss"}


def rewrite_imports(source: str) -> str:
    """The cell with pykan's imports pointed at :mod:`kanlab.pykan` and shell lines dropped."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            continue
        line = re.sub(r"\bfrom kan(\.[\w.]+)? import\b", r"from kanlab.pykan\1 import", line)
        line = re.sub(r"^(\s*)import kan(\.[\w.]+)?\s*$",
                      lambda m: f"{m.group(1)}import kanlab.pykan{m.group(2) or ''} as kan", line)
        lines.append(line)
    return "\n".join(lines)


def code_cells(path: Path) -> list[dict]:
    """``{"index", "source", "text"}`` for every non-empty code cell (``text``: its printed outputs)."""
    nb = json.loads(path.read_text())
    cells = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if not source.strip():
            continue
        text = []
        for out in cell.get("outputs", []):
            t = out.get("text") or out.get("data", {}).get("text/plain") or ""
            text.append("".join(t))
        cells.append({"index": index, "source": source, "text": "\n".join(text)})
    return cells


def key_numbers(text: str) -> dict[str, float]:
    """The last value printed for each key of :data:`_KEYS` (progress bars included)."""
    found: dict[str, float] = {}
    for key, value in _KEYED.findall(text.replace("|", "\n")):
        key = _OLD_KEYS.get(key.strip(), key.strip())
        if key in _KEYS:
            found[key] = float(value)
    return found


def compare(data: dict) -> list[dict]:
    """Per cell with key numbers: the notebook's and kanlab's, and their ratio."""
    rows = []
    for cell, ref in zip(data["cells"], data["reference"]):
        theirs, ours = key_numbers(ref), key_numbers(cell["text"])
        for key in theirs:
            if key == "reg":
                continue
            mine = ours.get(key)
            ratio = (mine / theirs[key]) if mine is not None and theirs[key] > 0 else math.nan
            rows.append({"cell": cell["index"], "key": key, "pykan": theirs[key],
                         "kanlab": mine, "ratio": ratio})
        last_ref = ref.strip().splitlines()[-1] if ref.strip() else ""
        if last_ref and not _KEYED.search(last_ref.replace("|", "\n")) and not last_ref.startswith(
                ("<Figure", "saving model", "checkpoint", "cpu", "cuda")):
            last_ours = cell["text"].strip().splitlines()[-1] if cell["text"].strip() else ""
            rows.append({"cell": cell["index"], "key": "printed", "pykan": last_ref[:160],
                         "kanlab": last_ours[:160], "ratio": None})
    return rows

"""How the benchmark scripts hand back what they measured: a JSON line per record on stdout
(and appended to a file if asked), or a report pair ``<stem>.json`` / ``<stem>.md`` written
whole (a temporary file renamed into place, so a killed run never leaves half a report)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def emit(record: dict, jsonl: str | os.PathLike | None = None) -> None:
    """Print ``record`` as one JSON line; append the same line to ``jsonl`` when given."""
    line = json.dumps(record)
    print(line, flush=True)
    if jsonl:
        with open(jsonl, "a") as fh:
            fh.write(line + "\n")


def write_atomic(path: Path, text: str) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_report(out: Path, stem: str, results: dict, markdown: str) -> None:
    """Write ``out/<stem>.json`` and ``out/<stem>.md`` and print the markdown."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / f"{stem}.json", json.dumps(results, indent=1, ensure_ascii=False))
    write_atomic(out / f"{stem}.md", markdown)
    print(markdown)

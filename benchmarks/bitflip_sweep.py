"""Bit-flip sweep over a checkpoint: flip every bit of the file, one at a time, and load it.

Every flip in the data section must be refused (the header's SHA-256 of the
data).  Flips in the header are reported by outcome: refused, or loaded;
a header flip that loads is checked to give the same outputs as the
original (e.g. a flipped space of the padding, or a changed informative
field such as ``kanlab_version``), otherwise it counts as silent.

Usage::

    PYTHONPATH=src python benchmarks/bitflip_sweep.py [--width 2,3,1] [--grid 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch


def sweep(width: list[int], grid: int, header_bits: bool = True) -> dict:
    from kanlab import KAN
    from kanlab.io._checkpoint import load
    model = KAN(width, grid=grid, seed=0, dtype=torch.float64)
    x = torch.linspace(-1, 1, 64 * width[0], dtype=torch.float64).reshape(64, width[0])
    with torch.no_grad():
        expected = model(x)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.kan"
        model.save(path)
        raw = bytearray(path.read_bytes())
        data_start = 8 + int.from_bytes(raw[:8], "little")
        counts = {"data_bits": 0, "data_refused": 0, "header_bits": 0, "header_refused": 0,
                  "header_loaded_same": 0, "header_silent": 0}
        silent = []
        start = time.perf_counter()
        positions = range(len(raw) * 8) if header_bits else range(data_start * 8, len(raw) * 8)
        for bit in positions:
            flipped = bytearray(raw)
            flipped[bit // 8] ^= 1 << (bit % 8)
            path.write_bytes(bytes(flipped))
            where = "data" if bit // 8 >= data_start else "header"
            counts[f"{where}_bits"] += 1
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    loaded = load(path)
            except (ValueError, TypeError):
                counts[f"{where}_refused"] += 1
                continue
            if where == "data":
                silent.append(bit)
                continue
            with torch.no_grad():
                same = loaded.width == model.width and torch.equal(loaded(x), expected)
            counts["header_loaded_same" if same else "header_silent"] += 1
            if not same:
                silent.append(bit)
        counts["seconds"] = round(time.perf_counter() - start, 1)
        counts["file_bytes"] = len(raw)
        counts["data_bytes"] = len(raw) - data_start
        counts["silent_bits"] = silent[:50]
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", default="2,3,1")
    parser.add_argument("--grid", type=int, default=5)
    parser.add_argument("--data-only", action="store_true", help="skip the header bits")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    result = sweep([int(v) for v in args.width.split(",")], args.grid, not args.data_only)
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0 if result["data_refused"] == result["data_bits"] else 1


if __name__ == "__main__":
    sys.exit(main())

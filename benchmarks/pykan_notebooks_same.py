"""Whether two runs of ``pykan_notebooks.py --json`` printed the same, number for number.

For a change that must not change behaviour: run the notebooks before and after it (same
kernel set) and give both files::

    python benchmarks/pykan_notebooks_same.py before.json after.json

Every printed line of every cell must be equal to the letter, except progress bars: tqdm
refreshes them by time, so a bar is reduced to the sequence of its distinct postfixes
(``train_loss | test_loss | reg``), and since the runner keeps a cell's last 4000
characters only, the two tails may start at different refreshes: the shorter sequence must
then end the longer.  The runner's key numbers must be equal too.  Prints one line per
notebook and exits 1 when anything differs.
"""
from __future__ import annotations

import json
import re
import sys

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
KEEP = 4000  # pykan_notebooks.py keeps a cell's last _TEXT_KEEP characters


def parts(text: str | None) -> tuple[list[str], list[str]]:
    """``(plain lines, distinct progress postfixes)`` of a cell's text; a cut tail loses its
    first, partial fragment."""
    plain, bars = [], []
    pieces = re.split(r"[\r\n]", text or "")
    if len(text or "") >= KEEP:
        pieces = pieces[1:]
    for piece in pieces:
        if "it/" in piece or "s/it" in piece or re.search(r"\d+%\|", piece):
            postfix = piece.split("|:")[0] if "|:" in piece else ""
            if not bars or bars[-1] != postfix:
                bars.append(postfix)
        elif piece.strip():
            plain.append(piece)
    return plain, bars


def differences(a: dict, b: dict) -> tuple[list, int, int]:
    """``([(cell, what)], numbers compared, progress postfixes)`` of one notebook's records."""
    cells_a = {c["index"]: c for c in a["cells"]}
    cells_b = {c["index"]: c for c in b["cells"]}
    diffs, numbers, postfixes = [], 0, 0
    for i in sorted(set(cells_a) | set(cells_b)):
        ca, cb = cells_a.get(i, {}), cells_b.get(i, {})
        (plain_a, bars_a), (plain_b, bars_b) = parts(ca.get("text")), parts(cb.get("text"))
        numbers += sum(len(NUMBER.findall(t)) for t in plain_a + bars_a)
        postfixes += len(bars_a)
        if plain_a != plain_b:
            diffs.append((i, "text"))
        short, longer = sorted((bars_a, bars_b), key=len)
        if short and longer[-len(short):] != short:
            diffs.append((i, "progress"))
        if ca.get("ok") != cb.get("ok"):
            diffs.append((i, "ok"))
    keys = [[(n["cell"], n["key"], n["kanlab"]) for n in r["numbers"]] for r in (a, b)]
    if keys[0] != keys[1]:
        diffs.append((None, "key numbers"))
    return diffs, numbers, postfixes


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    before, after = (json.load(open(p)) for p in argv)
    failed = False
    for name in sorted(set(before) | set(after)):
        if name not in before or name not in after:
            print(f"{name}: in one run only")
            failed = True
            continue
        diffs, numbers, postfixes = differences(before[name], after[name])
        failed |= bool(diffs)
        print(f"{name}: {len(before[name]['cells'])} cells, {numbers} numbers printed "
              f"({postfixes} progress postfixes): {diffs or 'identical'}")
    print("differ" if failed else "identical")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

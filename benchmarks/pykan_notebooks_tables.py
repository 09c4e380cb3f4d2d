"""The markdown tables of ``benchmarks/pykan_notebooks.py``'s ``--json`` reports.

Cells run per notebook (wall and CPU seconds), the key numbers each notebook printed next
to kanlab's (ratios above 1.5 in bold) and its printed lines; with a ``--pykan`` report of
the same notebooks, each notebook's CPU seconds on both sides and their ratio.
"""
from __future__ import annotations

import math

__all__ = ["cpu_table", "markdown"]


def _cpu(r: dict) -> str:
    return "-" if r.get("cpu") is None else f"{r['cpu']:.0f}"


def cpu_table(ours: dict, theirs: dict) -> list[str]:
    """Markdown rows: each notebook in both reports, its CPU seconds on kanlab.pykan and on
    pykan (``--pykan``), and their ratio (kanlab's over pykan's; 1 or above in bold)."""
    lines = ["| notebook | cells run kanlab / pykan | kanlab CPU s | pykan CPU s | ratio |",
             "|---|---|---|---|---|"]
    mine = yours = 0.0
    for name in sorted(set(ours) & set(theirs)):
        a, b = ours[name], theirs[name]
        if a.get("cpu") is None or b.get("cpu") is None:
            continue
        ratio = a["cpu"] / b["cpu"] if b["cpu"] > 0 else math.nan
        text = f"**×{ratio:.2f}**" if ratio >= 1 else f"×{ratio:.2f}"
        if a["run"] != b["run"]:  # a side failed cells (or ran out of time): not like for like
            text += " †"
        lines.append(f"| {name.removesuffix('.ipynb')} | {a['run']}/{a['total']} / "
                     f"{b['run']}/{b['total']} | {a['cpu']:.1f} | {b['cpu']:.1f} | {text} |")
        mine, yours = mine + a["cpu"], yours + b["cpu"]
    if yours > 0:
        lines.append(f"| **all {len(lines) - 2}** | | **{mine:.0f}** | **{yours:.0f}** | "
                     f"**×{mine / yours:.2f}** |")
    if any(line.endswith("† |") for line in lines):
        lines += ["", "† the two sides ran different numbers of cells: not like for like."]
    return lines


def markdown(report: dict, pykan: dict | None = None) -> str:
    """Markdown tables of a ``--json`` report: cells run per notebook (wall and CPU seconds),
    and the key numbers (the notebook's, kanlab's, their ratio; ratios above 1.5 in bold) and
    printed lines.  With ``pykan``, a ``--pykan`` report of the same notebooks, a table of
    each notebook's CPU seconds on both sides and their ratio comes first."""
    lines = []
    if pykan:
        lines += cpu_table(report, pykan) + [""]
    lines += ["| notebook | cells run | s | CPU s | failing cells |", "|---|---|---|---|---|"]
    run = total = 0
    for name, r in sorted(report.items()):
        bad = "; ".join(f"cell {c['index']}: {((c['error'] or '').strip().splitlines() or ['?'])[-1][:80]}"
                        for c in r["cells"] if not c["ok"])
        lines.append(f"| {name.removesuffix('.ipynb')} | {r['run']}/{r['total']} | "
                     f"{r.get('seconds', 0):.0f} | {_cpu(r)} | {bad} |")
        run, total = run + r["run"], total + r["total"]
    lines.append(f"| **all {len(report)}** | **{run}/{total} ({100.0 * run / max(total, 1):.1f} %)** | | | |")
    lines += ["", "| notebook | cell | printed key | notebook's | kanlab | ratio |",
              "|---|---|---|---|---|---|"]
    printed = []
    for name, r in sorted(report.items()):
        short = name.removesuffix(".ipynb")
        for row in r["numbers"]:
            if row["key"] == "printed":
                printed.append(f"- {short} cell {row['cell']}: `{row['pykan']}` / `{row['kanlab']}`")
                continue
            ratio = row["ratio"]
            text = "" if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)) else (
                f"**×{ratio:.2f}**" if ratio > 1.5 else f"×{ratio:.2f}")
            mine = "-" if row["kanlab"] is None else f"{row['kanlab']:.3g}"
            lines.append(f"| {short} | {row['cell']} | {row['key']} | {row['pykan']:.3g} | "
                         f"{mine} | {text} |")
    return "\n".join(lines + ["", "Printed lines (notebook's / kanlab's):", ""] + printed) + "\n"

"""Render results.json as markdown: environment, three tables, the targets."""
from __future__ import annotations

from contestants import LABELS
from workloads import ALL, BASES, DENSE, INKAN, INKAN_EAGER, KANLAB, MLP, PYKAN, PYKAN_MODEL

ORDER = (KANLAB, DENSE, MLP, PYKAN, PYKAN_MODEL, INKAN, INKAN_EAGER) + BASES
RATIO_TO = (DENSE, PYKAN, INKAN, INKAN_EAGER, MLP)  # columns kanlab/X
assert set(ORDER) >= set(ALL)

FIGURES = {  # results key -> (title, unit, scale from stored value)
    "forward_backward": ("Forward+backward time", "ms", 1e3),
    "forward": ("Forward time (inference, no_grad)", "ms", 1e3),
    "memory": ("Activation memory of one forward+backward", "MiB", 1 / 2**20),
}

METHOD = ("float32 on CPU, spline degree k = 3, torch's default thread count. Times are the "
          "median over repeats after warm-up (about {budget}); ratios are "
          "kanlab ÷ other, so below 1× means kanlab is faster or smaller. Activation memory: "
          "peak bytes allocated during one forward+backward (profiler allocator events, fresh "
          "process per case) minus the gradients of parameters and input. Dense limit: one "
          "bias-free nn.Linear per layer on a precomputed (batch, in·(G+k)) basis, gradient "
          "to the basis included. MLP: nn.Linear of the same widths, SiLU between layers. "
          "pykan layer: kan.KANLayer stacked; pykan KAN: the full model (auto_save=False). "
          "inkan: its defaults (basis under torch.compile); inkan eager: compile_basis=False.")


def _num(v: float) -> str:
    """Three significant figures, no exponent."""
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def _value(entry: dict | None, figure: str):
    if entry is None or entry.get(figure) is None:
        return None
    stored = entry[figure]
    return stored["median_s"] if figure != "memory" else stored["activation_bytes"]


class _Notes:
    """Footnotes for skipped cells, numbered in order of first use, deduplicated."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def mark(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        return f"skip[^{self.texts.index(text) + 1}]"


def _cell(entry: dict | None, figure: str, scale: float, notes: _Notes) -> str:
    if entry is None:
        return "—"  # not part of this workload
    v = _value(entry, figure)
    if v is not None:
        return _num(v * scale)
    why = entry.get(f"{figure}_note") or entry.get("note") or "not measured"
    return notes.mark(f"{entry['label']}: {why}")


def table(results: dict, figure: str, notes: _Notes) -> str:
    """One markdown table: absolute figures of every contestant, then kanlab/X ratios."""
    title, unit, scale = FIGURES[figure]
    kind = "memory" if figure == "memory" else "timed"
    cases = [c for c in results["cases"].values() if c["workload"][kind]]
    present = [n for n in ORDER if any(n in c["contestants"] for c in cases)]
    ratios = [n for n in RATIO_TO if n in present]
    head = (["workload", "batch", "G"] + [f"{LABELS[n]} ({unit})" for n in present]
            + [f"kanlab/{LABELS[n]}" for n in ratios])
    lines = [f"### {title}", "", "| " + " | ".join(head) + " |",
             "|" + "|".join("---" if i < 3 else "---:" for i in range(len(head))) + "|"]
    for c in cases:
        w, entries = c["workload"], c["contestants"]
        for n, e in entries.items():
            e.setdefault("label", LABELS[n])
        row = [w["name"], str(w["batch"]), str(w["grid"])]
        row += [_cell(entries.get(n), figure, scale, notes) for n in present]
        k = _value(entries.get(KANLAB), figure)
        for n in ratios:
            other = _value(entries.get(n), figure)
            row.append(f"{_num(k / other)}×" if k is not None and other else "")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def targets_table(rows: list[dict]) -> str:
    verdicts = {True: "**met**", False: "**not met**", None: "not measured"}
    lines = ["| target | case | measured | threshold | verdict |", "|---|---|---|---|---|"]
    for r in rows:
        verdict = verdicts[r["verdict"]] + (f" ({r['note']})" if r["note"] else "")
        lines.append(f"| {r['target']} | {r['case']} | {r['measured']} | {r['threshold']} "
                     f"| {verdict} |")
    return "\n".join(lines)


def render(results: dict) -> str:
    """The whole results.md."""
    m = results["meta"]
    env = (f"{m['date']} · torch {m['torch']} · {m['cpu']} · {m['cpu_count']} CPUs · "
           f"{m['threads']} torch threads · python {m['python']} · kanlab {m['kanlab']} "
           f"(source {m['kanlab_source']})"
           + "".join(f" · {k}={v}" for k, v in m["env"].items()))
    pkgs = "; ".join(f"{name} {info}" for name, info in m["packages"].items())
    notes = _Notes()
    parts = [f"# kanlab benchmarks ({m['mode']})", "", env, "", f"Packages: {pkgs}.", ""]
    if m["kanlab_source_live_end"] != m["kanlab_source"]:
        parts += [f"Note: kanlab's source was edited during the run; every row measured the "
                  f"snapshot taken at the start (source {m['kanlab_source']}), not the "
                  f"current one ({m['kanlab_source_live_end']}).", ""]
    load = max(m["load_average"], m.get("load_average_end", 0.0))
    if load > 0.5 * m["cpu_count"]:
        parts += [f"**Warning:** the machine was busy (1-minute load average up to {load:.1f} "
                  f"on {m['cpu_count']} CPUs); absolute times, and ratios between contestants "
                  "timed at different moments, are noisy (contestants of one workload are timed "
                  "round-robin to limit this)."
                  + ("" if m["env"].get("OMP_WAIT_POLICY", "").upper() == "PASSIVE" else
                     " On an oversubscribed CPU, OpenMP's spin-waiting makes every parallel "
                     "op wait for descheduled threads; rerun with OMP_WAIT_POLICY=PASSIVE."),
                  ""]
    budget = f"{m['budget_s']:g} s per figure"
    if m.get("target_budget_s"):
        budget += f", {m['target_budget_s']:g} s for the rows the targets read"
    parts += [METHOD.format(budget=budget), ""]
    for figure in FIGURES:
        parts += [table(results, figure, notes), ""]
    parts += ["### Targets (kanlab's current numbers)", ""]
    if m["mode"] == "quick":
        parts += ["--quick: reduced workloads, tiny time budget, no compiled inkan; the "
                  "verdicts are indicative only.", ""]
    parts += [targets_table(results["targets"]), ""]
    s = results["suite_seconds"]
    parts += [f"Suite wall time: {s['total']:.0f} s (timing {s['timing']:.0f} s, "
              f"memory subprocesses {s['memory']:.0f} s).", ""]
    parts += [f"[^{i}]: {text}" for i, text in enumerate(notes.texts, 1)]
    return "\n".join(parts) + "\n"

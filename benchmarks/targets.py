"""The issue's performance targets, evaluated on kanlab's measured numbers.

Targets (float32, CPU, G = 5 unless stated):

1. forward+backward ≤ 1.3× the dense limit at [784,64,10] b=512 and [1024,1024] b=1024;
2. forward+backward faster than inkan on both (its faster configuration counts);
3. forward+backward ≥ 30× faster than pykan's layer on both;
4. 256→256 b=4096 forward+backward at G=50 ≤ 2× at G=5;
5. activation memory at [1024,1024] b=4096 ≤ 2× an MLP layer of the same widths.

A target whose numbers were not measured (``--quick``, a skipped anchor) has
verdict ``None`` and says why.
"""
from __future__ import annotations

from workloads import DENSE, INKAN, INKAN_EAGER, KANLAB, MLP, PYKAN

NETS = ("[784,64,10] b=512 G=5", "[1024,1024] b=1024 G=5")
SWEEP_G5, SWEEP_G50 = "256→256 b=4096 G=5", "256→256 b=4096 G=50"
MEMORY_CASE = "[1024,1024] b=4096 G=5 (memory)"


def _figure(results: dict, case: str, who: str, figure: str):
    """A number from results.json: seconds (median) or activation bytes; None if absent."""
    if case not in results["cases"]:
        return None, f"{case} is not in this run"
    entry = results["cases"][case]["contestants"].get(who)
    if entry is None:
        return None, f"{who} not run on {case}"
    value = entry.get(figure)
    if value is None:
        return None, entry.get("note") or f"{who} {figure} not measured on {case}"
    return (value["median_s"] if figure != "memory" else value["activation_bytes"]), None


def _row(target: str, case: str, measured: str, threshold: str, verdict, why=None) -> dict:
    return {"target": target, "case": case, "measured": measured, "threshold": threshold,
            "verdict": verdict, "note": why}


def _ratio_target(results, target, case, den, limit, figure="forward_backward") -> dict:
    """kanlab's ``figure`` divided by contestant ``den``'s, passing at ``≤ limit``."""
    a, why_a = _figure(results, case, KANLAB, figure)
    b, why_b = _figure(results, case, den, figure)
    if a is None or b is None:
        return _row(target, case, "—", f"≤ {limit}×", None, why_a or why_b)
    return _row(target, case, f"kanlab/{den} = {a / b:.2f}×", f"≤ {limit}×", a / b <= limit)


def evaluate(results: dict) -> list[dict]:
    """One row per (target, case)."""
    rows = []
    for case in NETS:
        rows.append(_ratio_target(results, "fwd+bwd ≤ 1.3× dense limit", case, DENSE, 1.3))
    for case in NETS:
        k, why = _figure(results, case, KANLAB, "forward_backward")
        anchors = {n: _figure(results, case, n, "forward_backward")[0] for n in (INKAN, INKAN_EAGER)}
        anchors = {n: t for n, t in anchors.items() if t is not None}
        if k is None or not anchors:
            rows.append(_row("fwd+bwd faster than inkan", case, "—", "< 1×", None,
                             why or "inkan not measured"))
            continue
        best = min(anchors, key=anchors.get)
        shown = ", ".join(f"kanlab/{n} = {k / t:.2f}×" for n, t in anchors.items())
        rows.append(_row("fwd+bwd faster than inkan", case, shown, "< 1× (vs best inkan)",
                         k < anchors[best]))
    for case in NETS:
        k, why_k = _figure(results, case, KANLAB, "forward_backward")
        p, why_p = _figure(results, case, PYKAN, "forward_backward")
        if k is None or p is None:
            rows.append(_row("fwd+bwd ≥ 30× faster than pykan layer", case, "—", "≥ 30×", None,
                             why_k or why_p))
            continue
        rows.append(_row("fwd+bwd ≥ 30× faster than pykan layer", case,
                         f"pykan/kanlab = {p / k:.1f}×", "≥ 30×", p / k >= 30))
    g5, why5 = _figure(results, SWEEP_G5, KANLAB, "forward_backward")
    g50, why50 = _figure(results, SWEEP_G50, KANLAB, "forward_backward")
    case = "256→256 b=4096"
    if g5 is None or g50 is None:
        rows.append(_row("fwd+bwd at G=50 ≤ 2× G=5", case, "—", "≤ 2×", None, why5 or why50))
    else:
        rows.append(_row("fwd+bwd at G=50 ≤ 2× G=5", case, f"G50/G5 = {g50 / g5:.2f}×", "≤ 2×",
                         g50 / g5 <= 2))
    rows.append(_ratio_target(results, "activation memory ≤ 2× MLP layer", MEMORY_CASE,
                              MLP, 2, figure="memory"))
    return rows

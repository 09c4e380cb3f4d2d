"""``report.html``: one self-contained page (figures inlined as base64, no network access).

It shows the chosen formula (as text and, where matplotlib's mathtext can
draw it, as an image), the Pareto table, the test metrics and a summary of
the data.
"""
from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import numpy as np

__all__ = ["report_html", "short_constants"]

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:right}th{background:#f3f3f3}td.f{text-align:left;font-family:monospace}
tr.chosen{background:#fff6d5}code,.formula{font-family:monospace;background:#f6f6f6;
padding:.3em .5em;display:inline-block;word-break:break-all}img{max-width:100%}
.warn{color:#a15c00}.ok{color:#1a7f37}
"""


def _png(path: Path) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _formula_image(latex: str) -> str | None:
    """The formula drawn by matplotlib's mathtext as a base64 PNG, or None if it cannot."""
    try:
        from matplotlib.figure import Figure
        fig = Figure(figsize=(0.01, 0.01))
        fig.text(0, 0, f"${latex}$", fontsize=18)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120, bbox_inches="tight", pad_inches=0.1)
        return base64.b64encode(buf.getvalue()).decode("ascii")
    except Exception:  # mathtext covers only part of LaTeX: the text form is always shown
        return None


# a decimal constant not glued to a name (``x1`` keeps its 1), with an optional exponent
_CONSTANT = re.compile(r"(?<![\w.])\d+\.\d+(?:[eE][+-]?\d+)?")


def short_constants(formula: str, digits: int = 4) -> str:
    """``formula`` with its decimal constants shown to ``digits`` significant digits.

    For display only (the Pareto tables): the stored formulas keep every digit.
    """
    def shorten(m):
        text = m.group(0)
        mantissa = re.split(r"[eE]", text)[0].replace(".", "").lstrip("0")
        return text if len(mantissa) <= digits else f"{float(text):.{digits}g}"
    return _CONSTANT.sub(shorten, formula)


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v))


def report_html(result, metrics: dict, figures: dict, table, title: str = "kanlab discover"
                ) -> str:
    """The page as a string; ``figures`` maps names to PNG paths, ``table`` is the data read."""
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}"
             f"</title><style>{_STYLE}</style></head><body><h1>{e(title)}</h1>"]
    target = metrics.get("target", "y")
    parts.append("<h2>Formula</h2>")
    if metrics.get("formula") is None:
        parts.append("<p class='warn'>No formula could be read off; the spline model is kept.</p>")
    else:
        img = _formula_image(metrics["formula_latex"])
        if img:
            parts.append(f"<p><img alt='formula' src='data:image/png;base64,{img}'></p>")
        parts.append(f"<p><span class='formula'>{e(target)} = {e(metrics['formula'])}</span></p>")
        fits = metrics.get("formula_fits")
        parts.append(f"<p class='{'ok' if fits else 'warn'}'>" + (
            "The formula predicts the validation rows as well as the best spline model."
            if fits else "No formula fits as well as the spline model: the formula above is the "
            "best approximation found, and predictions come from " + (
                "the most accurate formula plus a spline model of its residual"
                if metrics.get("answer") == "formula+spline" else "the spline model")
            + " (the answer below).") + "</p>")
    rows = [("answer (the model predictions come from)", metrics.get("answer")),
            ("answer test RMSE", metrics.get("answer_test_rmse")),
            ("answer test R²", metrics.get("answer_test_r2")),
            ("formula test RMSE", metrics.get("formula_test_rmse")),
            ("formula test R²", metrics.get("formula_test_r2")),
            ("spline model test RMSE", metrics.get("spline_test_rmse")),
            ("rows: train / validation / test",
             f"{metrics['n_train']} / {metrics['n_val']} / {metrics['n_test']}"),
            ("split seed", metrics.get("seed")), ("wall time (s)", metrics.get("wall_time"))]
    parts.append("<table>" + "".join(f"<tr><th style='text-align:left'>{e(k)}</th>"
                                     f"<td>{_fmt(v)}</td></tr>" for k, v in rows) + "</table>")
    if metrics.get("name_map"):
        parts.append("<p>Column names changed into symbols: " + ", ".join(
            f"<code>{e(k)}</code> → <code>{e(v)}</code>" for k, v in metrics["name_map"].items())
            + "</p>")
    parts.append("<h2>Pareto front (validation rows)</h2><table><tr><th>complexity</th>"
                 "<th>validation RMSE</th><th>formula</th><th>found by</th></tr>")
    for p in metrics.get("pareto", []):
        cls = " class='chosen'" if p.get("chosen") else ""
        shown = p["formula"] if p.get("chosen") else short_constants(p["formula"])
        parts.append(f"<tr{cls}><td>{p['complexity']}</td><td>{p['val_rmse']:.4g}</td>"
                     f"<td class='f'>{e(shown)}</td><td>{e(p.get('source', ''))}</td></tr>")
    parts.append("</table><p>The highlighted row is the chosen formula: the simplest within 1 % "
                 "of the best validation error.  The other rows show their constants to 4 "
                 "significant digits (metrics.json keeps every digit).</p>")
    parts.append("<h2>Data</h2>" + _data_summary(table, metrics))
    parts.append("<h2>Figures</h2>")
    captions = {"fit": "Predictions against measurements on the test rows.",
                "network": "The spline model (inputs standardised; log where marked).",
                "bspline": "An edge of the spline model: its B-spline bases and their sum."}
    for name, path in figures.items():
        parts.append(f"<figure><img alt='{e(name)}' src='data:image/png;base64,{_png(path)}'>"
                     f"<figcaption>{e(captions.get(name, name))}</figcaption></figure>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _data_summary(table, metrics) -> str:
    e = html.escape
    out = [f"<p>{table.n_rows} rows used; target <code>{e(table.target)}</code>.</p>"]
    if table.warnings:
        out.append("<ul>" + "".join(f"<li class='warn'>{e(w)}</li>" for w in table.warnings)
                   + "</ul>")
    out.append("<table><tr><th>column</th><th>min</th><th>max</th><th>mean</th><th>std</th></tr>")
    cols = [(n, table.X[:, i]) for i, n in enumerate(table.names)] + [(table.target, table.y)]
    for name, v in cols:
        out.append(f"<tr><td class='f'>{e(name)}</td>" + "".join(
            f"<td>{x:.4g}</td>" for x in (np.min(v), np.max(v), np.mean(v), np.std(v))) + "</tr>")
    out.append("</table>")
    return "".join(out)

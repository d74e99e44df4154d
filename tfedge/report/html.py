"""report.html: one self-contained file (CSS inline, plots as base64 PNG data URIs) that opens offline."""

from __future__ import annotations

import base64
import html

from tfedge.report.markdown import NOTES
from tfedge.report.tables import Table, layer_table, stage_table, summary_rows

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; }
th { background: #f4f4f4; text-align: left; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.summary td:first-child { font-weight: 600; white-space: nowrap; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
p.notes { font-size: 0.8em; color: #555; max-width: 60em; }
"""


def html_table(table: Table) -> str:
    """A Table (header, rows, right-aligned columns) as report.html's table markup (the search page uses it too)."""
    header, rows, right = table
    cls = lambda i: ' class="num"' if i in right else ""  # noqa: E731
    head = "".join(f"<th{cls(i)}>{html.escape(h)}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{html.escape(c)}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary_html(rows: list[tuple[str, str]]) -> str:
    """Key-value rows as report.html's summary table."""
    return ('<table class="summary"><tbody>' + "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
                                                         for k, v in rows) + "</tbody></table>")


def render_html(report: dict, plots: dict[str, tuple[str, bytes]], *, title: str = "tfedge report") -> str:
    """`plots`: name -> (title, PNG bytes), embedded as data URIs."""
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
             f"<style>{STYLE}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    summary = summary_rows(report)
    if summary:
        parts.append(summary_html(summary))
    stages = stage_table(report)
    if stages:
        parts += ["<h2>Pipeline stages</h2>", html_table(stages)]
    for name, (plot_title, png) in plots.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<h2>{html.escape(plot_title)}</h2><figure id="{name}"><img alt="{html.escape(plot_title)}" '
                     f'src="data:image/png;base64,{data}"></figure>')
    layers = layer_table(report)
    if layers:
        parts += ["<h2>Per-layer cost on the board</h2>", html_table(layers)]
    parts += ["<h2>Notes</h2>", f'<p class="notes">{html.escape(NOTES)}</p>', "</body></html>"]
    return "\n".join(parts)

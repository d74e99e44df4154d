"""The search report: DIR/search.json (for scripts), DIR/pareto.png and DIR/search.html (report.html's style).

When no trial meets the budget the report says so and names the closest trials with what each exceeds,
so the output is never an empty front without an explanation.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

from tfedge.report.html import STYLE, html_table, summary_html
from tfedge.report.plots import DPI, STAGE_COLORS
from tfedge.report.tables import Table
from tfedge.search import pareto
from tfedge.search.space import SearchSpace, within_budget


def _params_text(params: dict) -> str:
    p = {k.split(".", 1)[-1]: v for k, v in params.items() if k != "board"}
    if p.get("mode") == "dnas":
        text = "DNAS widths " + "-".join(map(str, p.get("widths") or [])) + f" k{p.get('kernel')}"
    elif {"width", "depth", "kernel"} <= set(p):
        text = f"w{p.get('width')} d{p.get('depth')} k{p.get('kernel')}" + (f" r{p['resolution']}" if p.get("resolution") else "")
    else:  # a user's builder: its own parameters
        text = " ".join(f"{k}={v}" for k, v in params.items() if k.startswith("model.")).replace("model.", "")
    if p.get("sparsity"):
        text += f", prune {p['sparsity']:g}"
    if p.get("clusters"):
        text += f", {p['clusters']} clusters"
    return text + f", {p.get('quantization', 'ptq').upper()}"


def build_report(space: SearchSpace, records: list[dict], deployed: dict[str, str] | None = None) -> dict:
    ok = pareto.feasible(space, records)
    # A front per board (a model is only an option on the board it was measured on), shown together.
    front = [r for board in space.boards for r in pareto.pareto_front(space, [r for r in ok if r["params"]["board"] == board])]
    report = {
        "space": space.to_dict(),
        "counts": {"trials": len(records), "measured": len(pareto.measured(records)), "within_budget": len(ok),
                   "stopped": sum(r["status"] == "stopped" for r in records),
                   "failed": sum(r["status"] == "failed" for r in records), "front": len(front)},
        "front": [r["number"] for r in front],
        "winners": {board: r["number"] for board, r in pareto.winners(front).items()},
        "deployed": deployed or {},
        "trials": [{**r, "over_budget": within_budget(space, r["metrics"]) if r["status"] == "done" else None} for r in records],
    }
    if not front:
        near = pareto.closest(space, records)
        report["summary"] = "no trial met the budget"
        report["closest"] = [{"number": r["number"], "board": r["params"]["board"], "params": r["params"],
                              "over_budget": within_budget(space, r["metrics"]),
                              "accuracy": r["metrics"].get("accuracy"), "ms": r["metrics"].get("ms"),
                              "ram_bytes": r["metrics"].get("ram_bytes")} for r in near]
    else:
        report["summary"] = (f"{len(front)} trials on the boards' Pareto fronts of {len(ok)} within budget ({len(records)} trials; "
                             + ", ".join(f"{b}: {sum(r['params']['board'] == b for r in front)}" for b in space.boards) + ")")
    return report


def summary_lines(report: dict) -> list[str]:
    lines = [report["summary"]]
    for c in report.get("closest", []):
        lines.append(f"  closest: trial {c['number']} on {c['board']} ({_params_text(c['params'])}): "
                     + ("; ".join(c["over_budget"]) or "not measured"))
    if not report.get("closest") and report["counts"]["measured"] == 0:
        lines.append("  no trial was measured: every one failed or was stopped early (see the trials table)")
    return lines


def _by_number(report: dict) -> dict[int, dict]:
    return {t["number"]: t for t in report["trials"]}


def front_table(report: dict) -> Table:
    trials = _by_number(report)
    rows = []
    for n in report["front"]:
        t = trials[n]
        m = t["metrics"]
        rows.append((str(n), t["params"]["board"], _params_text(t["params"]), f"{m['accuracy']:.2%}", f"{m['ms']:.3f}",
                     f"{m['instructions']:,}", f"{m['flash_bytes']:,}", f"{m['ram_bytes']:,}"))
    return (("trial", "board", "model and compression", "int8 accuracy (board)", "est. ms", "instructions", "flash B", "RAM B"),
            rows, {0, 3, 4, 5, 6, 7})


def trials_table(report: dict) -> Table:
    rows = []
    for t in report["trials"]:
        m = t["metrics"]
        if t["status"] == "done" and "accuracy" in m:
            result = f"{m['accuracy']:.2%}, {m['ms']:.3f} ms, RAM {m['ram_bytes']:,} B"
            result += "" if not t["over_budget"] else " (over: " + "; ".join(t["over_budget"]) + ")"
        elif t["status"] == "done":
            result = "does not fit the board"
        elif t["status"] == "stopped":
            result = f"stopped after the short training (float accuracy {m.get('float_accuracy', 0):.2%}" + (
                f", early int8 {m['early_ms']:.3f} ms)" if "early_ms" in m else ")")
        else:
            result = f"failed: {t['error']}"
        rows.append((str(t["number"]), t["params"]["board"], _params_text(t["params"]), t["status"], result))
    return ("trial", "board", "model and compression", "status", "result"), rows, {0}


def pareto_plot(report: dict) -> bytes:
    """Accuracy against est. ms, marker area proportional to RAM, colour per board; the front outlined."""
    from matplotlib.figure import Figure

    trials = [t for t in report["trials"] if t["status"] == "done" and not t.get("cached") and "accuracy" in t["metrics"]]
    boards = report["space"]["boards"]
    front = set(report["front"])
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots()
    ram_max = max([t["metrics"]["ram_bytes"] for t in trials] or [1])
    for i, board in enumerate(boards):
        mine = [t for t in trials if t["params"]["board"] == board]
        if not mine:
            continue
        color = STAGE_COLORS[i % len(STAGE_COLORS)]
        size = lambda ts: [30 + 400 * t["metrics"]["ram_bytes"] / ram_max for t in ts]  # noqa: E731
        sampled = [t for t in mine if t["params"].get("mode") != "dnas"]
        dnas = [t for t in mine if t["params"].get("mode") == "dnas"]
        if sampled:
            ax.scatter([t["metrics"]["ms"] for t in sampled], [t["metrics"]["accuracy"] for t in sampled], s=size(sampled),
                       color=color, alpha=0.55, linewidths=0, label=board)
        if dnas:  # the differentiable search's model: a star of the board's colour
            ax.scatter([t["metrics"]["ms"] for t in dnas], [t["metrics"]["accuracy"] for t in dnas], s=size(dnas), color=color,
                       marker="*", edgecolors="black", linewidths=0.8, label=f"{board}: DNAS")
        on_front = sorted((t for t in mine if t["number"] in front), key=lambda t: t["metrics"]["ms"])
        if on_front:
            xs, ys = [t["metrics"]["ms"] for t in on_front], [t["metrics"]["accuracy"] for t in on_front]
            ax.scatter(xs, ys, s=size(on_front), facecolors="none", edgecolors="black", linewidths=1.5)
            ax.plot(xs, ys, color=color, lw=1)
    budget = report["space"].get("budget") or {}
    if "ms" in budget:
        ax.axvline(budget["ms"], color="#C44E52", ls="--", lw=1, label=f"budget {budget['ms']:g} ms")
    ax.set_xlabel("est. ms per inference (board clock)")
    ax.set_ylabel("int8 accuracy on the board")
    ax.set_title("Search trials (marker area = RAM, outlined = Pareto front, star = DNAS)")
    ax.grid(alpha=0.3)
    if trials:
        ax.legend(loc="best", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no trial was measured", ha="center", va="center", transform=ax.transAxes)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def render_html(report: dict, png: bytes) -> str:
    c = report["counts"]
    parts = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>tfedge search</title>"
             f"<style>{STYLE}</style></head><body>", "<h1>tfedge search</h1>"]
    rows = [("result", report["summary"]),
            ("trials", f"{c['trials']} ({c['measured']} measured, {c['within_budget']} within budget, {c['stopped']} stopped early, "
                       f"{c['failed']} failed)"),
            ("boards", ", ".join(report["space"]["boards"])),
            ("budget", ", ".join(f"{k} ≤ {v:,}" for k, v in (report["space"].get("budget") or {}).items()) or "fits the board"),
            ("objectives", ", ".join(report["space"]["objectives"]))]
    for board, number in report["winners"].items():
        page = report["deployed"].get(board)
        rows.append((f"winner on {board}", f"trial {number}" + (f", deployed: {page}" if page else "")))
    for line in summary_lines(report)[1:]:
        rows.append(("closest", line.split(": ", 1)[-1]))
    parts.append(summary_html(rows))
    data = base64.b64encode(png).decode("ascii")
    parts.append(f'<h2>Accuracy against latency</h2><figure id="pareto"><img alt="Pareto plot" src="data:image/png;base64,{data}">'
                 "<figcaption>marker area = RAM, colour = board, outlined = on the Pareto front, star = the DNAS model</figcaption></figure>")
    if report["front"]:
        parts += ["<h2>Pareto front</h2>", html_table(front_table(report))]
    parts += ["<h2>All trials</h2>", html_table(trials_table(report)), "</body></html>"]
    return "\n".join(parts)


def write_search_report(space: SearchSpace, records: list[dict], out_dir: str | Path,
                        deployed: dict[str, str] | None = None) -> dict:
    out_dir = Path(out_dir)
    report = build_report(space, records, deployed)
    png = pareto_plot(report)
    (out_dir / "pareto.png").write_bytes(png)
    (out_dir / "search.html").write_text(render_html(report, png))
    (out_dir / "search.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    return report
